#include "tar.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"

static const char zeros[1024];

int cd_tar_data(struct cd_tar *t, const void *p, size_t n, struct cd_err *err)
{
	if (n == 0)
		return 0;
	int rc = t->write(t->ud, p, n, err);
	t->offset += n;
	return rc;
}

int cd_tar_pad(struct cd_tar *t, struct cd_err *err)
{
	size_t r = (size_t)(t->offset % 512);
	return r ? cd_tar_data(t, zeros, 512 - r, err) : 0;
}

int cd_tar_finish(struct cd_tar *t, struct cd_err *err)
{
	return cd_tar_data(t, zeros, 1024, err);
}

static void octal(char *field, size_t width, uint64_t v)
{
	/* width - 1 digits, zero-padded, then NUL */
	snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)v);
}

/* Fills a 512-byte ustar block; name/linkname already fit. */
static void ustar(unsigned char *h, const char *prefix, const char *name,
		  char type, unsigned mode, uint64_t size, uint64_t mtime,
		  const char *linkname)
{
	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	octal((char *)h + 100, 8, mode & 07777);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size);
	octal((char *)h + 136, 12, mtime);
	h[156] = (unsigned char)type;
	if (linkname)
		memcpy(h + 157, linkname, strlen(linkname));
	memcpy(h + 257, "ustar\0" "00", 8);
	octal((char *)h + 329, 8, 0); /* devmajor */
	octal((char *)h + 337, 8, 0); /* devminor */
	memcpy(h + 345, prefix, strlen(prefix));
	unsigned sum = 0;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* Splits name into ustar prefix (<=155) and name (<=100) at a '/'. */
static int split(const char *name, char *prefix, char *rest)
{
	size_t n = strlen(name);
	if (n <= 100) {
		prefix[0] = '\0';
		strcpy(rest, name);
		return 1;
	}
	/* a directory's trailing '/' stays in the name part */
	for (size_t i = n - 1; i > 0; i--) {
		if (name[i] != '/' || i == n - 1)
			continue;
		if (i <= 155 && n - i - 1 <= 100 && n - i - 1 > 0) {
			memcpy(prefix, name, i);
			prefix[i] = '\0';
			strcpy(rest, name + i + 1);
			return 1;
		}
	}
	return 0;
}

/* One PAX record "<len> key=value\n", the length counting itself. */
static int pax_record(struct cd_buf *b, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3; /* ' ', '=', '\n' */
	size_t len = body + 1;
	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	return cd_buf_printf(b, "%zu %s=%s\n", len, key, value);
}

static int pax_header(struct cd_tar *t, const char *name, const char *path,
		      const char *link, uint64_t size, struct cd_err *err)
{
	struct cd_buf b = CD_BUF_INIT;
	char num[32], hname[101];
	unsigned char h[512];
	int rc = -1;
	if (path)
		pax_record(&b, "path", path);
	if (link)
		pax_record(&b, "linkpath", link);
	if (size > 077777777777ULL) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)size);
		pax_record(&b, "size", num);
	}
	if (!b.data) {
		cd_err_set(err, CD_E_NOMEM, "image.build", "out of memory");
		goto done;
	}
	const char *base = strrchr(name, '/');
	base = base && base[1] ? base + 1 : name;
	snprintf(hname, sizeof hname, "PaxHeaders/%s", base);
	for (char *p = hname + 11; *p; p++)
		if (*p == '/')
			*p = '_';
	ustar(h, "", hname, 'x', 0644, b.len, t->mtime, NULL);
	if (cd_tar_data(t, h, 512, err) || cd_tar_data(t, b.data, b.len, err) ||
	    cd_tar_pad(t, err))
		goto done;
	rc = 0;
done:
	cd_buf_free(&b);
	return rc;
}

int cd_tar_header(struct cd_tar *t, const char *name, enum cd_tar_type type,
		  unsigned mode, uint64_t size, const char *linkname,
		  struct cd_err *err)
{
	char prefix[156], rest[101];
	unsigned char h[512];
	int fits = strlen(name) < 256 && split(name, prefix, rest);
	int link_fits = !linkname || strlen(linkname) <= 100;
	if (!fits || !link_fits || size > 077777777777ULL) {
		if (pax_header(t, name, fits ? NULL : name,
			       link_fits ? NULL : linkname, size, err))
			return -1;
		if (!fits) {
			prefix[0] = '\0';
			snprintf(rest, sizeof rest, "%s", name);
		}
	}
	ustar(h, prefix, rest, (char)type, mode,
	      size > 077777777777ULL ? 0 : size, t->mtime,
	      link_fits ? linkname : NULL);
	return cd_tar_data(t, h, 512, err);
}
