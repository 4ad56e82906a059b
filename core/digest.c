#include "digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

int cd_sha256_init(struct cd_sha256 *s)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	s->md = c;
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		cd_sha256_abort(s);
		return -1;
	}
	return 0;
}

void cd_sha256_update(struct cd_sha256 *s, const void *p, size_t n)
{
	if (s->md && n)
		EVP_DigestUpdate(s->md, p, n);
}

void cd_sha256_final(struct cd_sha256 *s, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	static const char hex[] = "0123456789abcdef";
	out[0] = '\0';
	if (!s->md)
		return;
	EVP_DigestFinal_ex(s->md, md, &len);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < len; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[7 + 2 * len] = '\0';
	cd_sha256_abort(s);
}

void cd_sha256_abort(struct cd_sha256 *s)
{
	EVP_MD_CTX_free(s->md);
	s->md = NULL;
}

int cd_digest_bytes(const void *p, size_t n, char *out)
{
	struct cd_sha256 s;
	if (cd_sha256_init(&s) != 0)
		return -1;
	cd_sha256_update(&s, p, n);
	cd_sha256_final(&s, out);
	return 0;
}

int cd_digest_file(const char *path, char *out, size_t *size,
		   struct cd_err *err)
{
	struct cd_sha256 s;
	char buf[1 << 16];
	size_t n, total = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return cd_err_set(err, CD_E_IO, "digest", "cannot read %s: %s",
				  path, strerror(errno));
	if (cd_sha256_init(&s) != 0) {
		fclose(f);
		return cd_err_set(err, CD_E_NOMEM, "digest", "out of memory");
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		cd_sha256_update(&s, buf, n);
		total += n;
	}
	int bad = ferror(f), e = errno;
	fclose(f);
	if (bad) {
		cd_sha256_abort(&s);
		return cd_err_set(err, CD_E_IO, "digest", "error reading %s: %s",
				  path, strerror(e));
	}
	cd_sha256_final(&s, out);
	if (size)
		*size = total;
	return 0;
}

static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int cd_digest_valid(const char *s)
{
	if (strncmp(s, "sha256:", 7) == 0)
		return strlen(s + 7) == 64 && all_hex(s + 7, 64);
	if (strncmp(s, "sha512:", 7) == 0)
		return strlen(s + 7) == 128 && all_hex(s + 7, 128);
	return 0;
}
