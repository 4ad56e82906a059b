/* A known_hosts file against a host and its key
 * (cd_git_known_hosts_match, core/git.c). Input: "WANT\nKEY\nTEXT": the
 * name looked for ("host" or "[host]:port"), the key blob's bytes (a
 * default when empty) and the file's text (any bytes; given with its
 * length, in an exact-size buffer so ASan sees any read past it).
 *
 * Invariants: the result is 0, 1 or 2; an independent model of the plain
 * patterns (leading blanks, '#' comments and '@' marker lines skipped, the
 * patterns before the first space split at ',', lines over 8 KB skipped)
 * says when the host is named: named → at least 1; at least 1 → named or a
 * hashed |1| pattern is present; 2 → a named or hashed line. A line
 * "WANT ssh-ed25519 BASE64(KEY)" added at the end gives 2, so does the
 * hashed form |1|salt|HMAC-SHA1(salt, WANT) of it; the same lines
 * commented out ("#") or behind a marker (@revoked, @cert-authority)
 * change nothing. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../core/git.h"
#include "fuzz.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; out needs 4 * ((n + 2) / 3) + 1 bytes. */
static void enc(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

struct model {
	int named;  /* a plain pattern equal to want */
	int hashed; /* some non-comment line has a |1| pattern */
};

/* The model over text[0..len): what the lines' plain patterns say. */
static struct model walk(const char *text, size_t len, const char *want)
{
	struct model m = {0, 0};
	size_t wl = strlen(want);
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		size_t s = i, end = e;
		i = e + 1;
		if (end - s >= 8192)
			continue;
		const char *nul = memchr(text + s, '\0', end - s);
		if (nul)
			end = (size_t)(nul - text); /* a C string from here */
		while (s < end && (text[s] == ' ' || text[s] == '\t'))
			s++;
		if (s == end || text[s] == '#' || text[s] == '@')
			continue;
		const char *sp = memchr(text + s, ' ', end - s);
		if (!sp)
			continue;
		size_t hosts_end = (size_t)(sp - text);
		for (size_t t = s; t <= hosts_end;) {
			size_t c = t;
			while (c < hosts_end && text[c] != ',')
				c++;
			if (c - t >= 3 && memcmp(text + t, "|1|", 3) == 0)
				m.hashed = 1;
			else if (c - t == wl && wl && memcmp(text + t, want, wl) == 0)
				m.named = 1;
			t = c + 1;
		}
	}
	return m;
}

static int call(const char *text, size_t len, const char *want,
		const unsigned char *key, size_t keylen)
{
	char *copy = malloc(len ? len : 1);
	FUZZ_CHECK(copy, "out of memory");
	if (len)
		memcpy(copy, text, len);
	int rc = cd_git_known_hosts_match(copy, len, want, key, keylen);
	free(copy);
	FUZZ_CHECK(rc >= 0 && rc <= 2, "returned %d", rc);
	return rc;
}

/* text + "\n" + prefix + line: the result of the whole. */
static int with_line(const char *text, size_t len, const char *prefix,
		     const char *line, const char *want,
		     const unsigned char *key, size_t keylen)
{
	size_t pl = strlen(prefix), ll = strlen(line);
	char *t = malloc(len + pl + ll + 2);
	FUZZ_CHECK(t, "out of memory");
	memcpy(t, text, len);
	t[len] = '\n';
	memcpy(t + len + 1, prefix, pl);
	memcpy(t + len + 1 + pl, line, ll);
	t[len + 1 + pl + ll] = '\n';
	int rc = call(t, len + pl + ll + 2, want, key, keylen);
	free(t);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char dflt[] = "\0\0\0\x0bssh-ed25519\0\0\0 "
					    "0123456789abcdef0123456789abcdef";
	const char *p = (const char *)data, *end = p + size;
	const char *n1 = memchr(p, '\n', size);
	if (!n1 || memchr(p, '\0', (size_t)(n1 - p)) || n1 - p > 300)
		return 0;
	const char *n2 = memchr(n1 + 1, '\n', (size_t)(end - n1 - 1));
	if (!n2)
		return 0;
	char want[301];
	memcpy(want, p, (size_t)(n1 - p));
	want[n1 - p] = '\0';
	const unsigned char *key = (const unsigned char *)n1 + 1;
	size_t keylen = (size_t)(n2 - n1 - 1);
	if (!keylen) {
		key = dflt;
		keylen = sizeof dflt - 1;
	}
	const char *text = n2 + 1;
	size_t len = (size_t)(end - text);

	int rc = call(text, len, want, key, keylen);
	struct model m = walk(text, len, want);
	if (m.named)
		FUZZ_CHECK(rc >= 1, "'%s' is named, result %d", want, rc);
	if (rc >= 1)
		FUZZ_CHECK(m.named || m.hashed, "'%s' is not named, result %d",
			   want, rc);

	/* a line with the name and the key's base64 matches, plain or
	 * hashed; commented out or behind a marker it changes nothing */
	int plain_ok = want[0] && !want[strcspn(want, " ,\n")] &&
		       want[0] != '\t' && want[0] != '#' && want[0] != '@' &&
		       strncmp(want, "|1|", 3) != 0;
	char *line = malloc(4 * (keylen + 2) / 3 + 400);
	FUZZ_CHECK(line, "out of memory");
	if (plain_ok && keylen < 4000) {
		int n = sprintf(line, "%s ssh-ed25519 ", want);
		enc(key, keylen, line + n);
		FUZZ_CHECK(with_line(text, len, "", line, want, key, keylen) == 2,
			   "the line '%s' does not match", line);
		static const char *const off[] = {"#", "# ", "@revoked ",
						  "@cert-authority ", " #"};
		for (size_t i = 0; i < sizeof off / sizeof *off; i++)
			FUZZ_CHECK(with_line(text, len, off[i], line, want, key,
					     keylen) == rc,
				   "'%s' changed the result", off[i]);
	}
	if (want[0] && keylen < 4000) {
		unsigned char salt[20], mac[EVP_MAX_MD_SIZE];
		unsigned maclen = 0;
		char s64[40], h64[40];
		for (size_t i = 0; i < sizeof salt; i++)
			salt[i] = (unsigned char)(size * 31 + i * 7);
		HMAC(EVP_sha1(), salt, sizeof salt, (const unsigned char *)want,
		     strlen(want), mac, &maclen);
		FUZZ_CHECK(maclen == 20, "HMAC");
		enc(salt, sizeof salt, s64);
		enc(mac, 20, h64);
		int n = sprintf(line, "other.example,|1|%s|%s ssh-ed25519 ", s64,
				h64);
		enc(key, keylen, line + n);
		FUZZ_CHECK(with_line(text, len, "", line, want, key, keylen) == 2,
			   "the hashed line '%s' does not match '%s'", line, want);
		FUZZ_CHECK(with_line(text, len, "@revoked ", line, want, key,
				     keylen) == rc,
			   "@revoked changed the result");
	}
	free(line);
	return 0;
}
