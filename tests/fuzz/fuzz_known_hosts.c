/* A known_hosts file against a host and its key
 * (cd_git_known_hosts_match, core/git.c). Input: "WANT\nKEY\nTEXT": the
 * name looked for ("host" or "[host]:port"), the key blob's bytes (a
 * default when empty) and the file's text (any bytes; given with its
 * length, in an exact-size buffer so ASan sees any read past it).
 *
 * Invariants: the result is 0, 1, 2 or 3. An independent model reads the
 * lines as sshd(8) describes them (leading blanks and '#' comments
 * skipped; an optional marker word "@revoked" or "@cert-authority" ended
 * by blanks, any other "@" word, a second marker or nothing after it
 * making no entry; then the host patterns up to a blank, split at ',';
 * lines over 8 KB skipped; a line read up to a NUL byte) and matches the
 * plain patterns with its own matcher (dynamic programming over '*' and
 * '?', ASCII case folded; a "!" pattern that matches takes the line out).
 * It says when a plain line names the host, when a @revoked line names it
 * with the key's own base64 ("revoked"), and when a @revoked line names
 * it or holds a hashed |1| pattern ("may revoke"). Then: named → at least
 * 1; revoked → 3; 3 → may revoke; 1 or 2 → named or a plain line holds a
 * |1| pattern. Lines added at the end, as "WANT ssh-ed25519 BASE64(KEY)",
 * in upper case with a tab, as "*", and hashed
 * (other.example,|1|salt|HMAC-SHA1(salt, lowercase WANT)), give 2 unless
 * the model says revoked (then 3) or may revoke (then 2 or 3); the same
 * plain and hashed lines behind "@revoked " give 3; commented out ("#",
 * "# ", " #"), behind "@cert-authority " or a bad marker ("@Revoked ",
 * "@revoked @revoked ", "@revoked,"), with the host negated ("!WANT,WANT",
 * "WANT,!WANT"), as "@revoked" of another key, or hashed from a WANT with
 * upper case letters left as they are, they change nothing. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../core/git.h"
#include "fuzz.h"

#define WANT_MAX 300

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

static int low(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int up(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The model's matcher: the set of want's prefixes that pat[0..i) matches,
 * carried over the pattern one byte at a time. */
static int glob(const char *pat, size_t pl, const char *want, size_t wl)
{
	unsigned char ok[WANT_MAX + 2] = {1}, nx[WANT_MAX + 2];
	for (size_t i = 0; i < pl; i++) {
		unsigned char any = 0;
		for (size_t j = 0; j <= wl; j++) {
			if (pat[i] == '*') {
				any |= ok[j];
				nx[j] = any;
			} else {
				nx[j] = j > 0 && ok[j - 1] &&
					(pat[i] == '?' ||
					 low((unsigned char)pat[i]) ==
						 low((unsigned char)want[j - 1]));
			}
		}
		memcpy(ok, nx, wl + 1);
	}
	return ok[wl];
}

/* A host field f[0..n): 1 when a plain pattern names want and no "!"
 * pattern does; *hashed set when it holds a |1| pattern. */
static int names(const char *f, size_t n, const char *want, int *hashed)
{
	size_t wl = strlen(want);
	int named = 0;
	for (size_t t = 0; t <= n;) {
		size_t c = t;
		while (c < n && f[c] != ',')
			c++;
		const char *tok = f + t;
		size_t tl = c - t;
		if (tl > 1 && tok[0] == '!') {
			if (glob(tok + 1, tl - 1, want, wl))
				return 0;
		} else if (tl >= 3 && memcmp(tok, "|1|", 3) == 0) {
			*hashed = 1;
		} else if (tl && tok[0] != '!' && glob(tok, tl, want, wl)) {
			named = 1;
		}
		t = c + 1;
	}
	return named;
}

struct model {
	int named;      /* a plain line names want */
	int hashed;     /* a plain line holds a |1| pattern */
	int revoked;    /* a @revoked line names want with keyb64 */
	int may_revoke; /* a @revoked line names want or holds a |1| pattern */
};

/* The key field of l[i..n) (after the host field): the base64 word after
 * the type, compared with the key's own encoding. */
static int key_is(const char *l, size_t i, size_t n, const char *keyb64)
{
	while (i < n && blank(l[i]))
		i++;
	while (i < n && !blank(l[i]))
		i++; /* the type */
	if (i == n)
		return 0;
	while (i < n && blank(l[i]))
		i++;
	size_t s = i;
	while (i < n && !blank(l[i]) && l[i] != '\r')
		i++;
	return i - s == strlen(keyb64) && memcmp(l + s, keyb64, i - s) == 0;
}

/* One line l[0..n) into the model. */
static void line(const char *l, size_t n, const char *want, const char *keyb64,
		 struct model *m)
{
	size_t i = 0;
	int revoked = 0;
	while (i < n && blank(l[i]))
		i++;
	if (i == n || l[i] == '#')
		return;
	if (l[i] == '@') {
		size_t w = i;
		while (w < n && !blank(l[w]))
			w++;
		if (w - i != 8 || memcmp(l + i, "@revoked", 8) != 0)
			return; /* @cert-authority or a bad marker */
		for (i = w; i < n && blank(l[i]); i++)
			;
		if (i == n || l[i] == '@')
			return;
		revoked = 1;
	}
	size_t h = i;
	while (h < n && !blank(l[h]))
		h++;
	if (h == n)
		return;
	int hashed = 0, named = names(l + i, h - i, want, &hashed);
	if (!revoked) {
		m->named |= named;
		m->hashed |= hashed;
	} else {
		m->may_revoke |= named || hashed;
		m->revoked |= named && key_is(l, h, n, keyb64);
	}
}

/* The model over text[0..len). */
static struct model walk(const char *text, size_t len, const char *want,
			 const char *keyb64)
{
	struct model m = {0, 0, 0, 0};
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
		line(text + s, end - s, want, keyb64, &m);
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
	FUZZ_CHECK(rc >= 0 && rc <= 3, "returned %d", rc);
	return rc;
}

struct input {
	const char *text, *want;
	size_t len;
	const unsigned char *key;
	size_t keylen;
};

/* text + "\n" + prefix + line: the result of the whole. */
static int with_line(const struct input *in, const char *prefix,
		     const char *l)
{
	size_t pl = strlen(prefix), ll = strlen(l), len = in->len;
	char *t = malloc(len + pl + ll + 2);
	FUZZ_CHECK(t, "out of memory");
	memcpy(t, in->text, len);
	t[len] = '\n';
	memcpy(t + len + 1, prefix, pl);
	memcpy(t + len + 1 + pl, l, ll);
	t[len + 1 + pl + ll] = '\n';
	int rc = call(t, len + pl + ll + 2, in->want, in->key, in->keylen);
	free(t);
	return rc;
}

/* A line naming want with the key, added: 2 unless revoked. */
static void grants(const struct input *in, const struct model *m,
		   const char *l)
{
	int rc = with_line(in, "", l);
	if (m->revoked)
		FUZZ_CHECK(rc == 3, "revoked, yet '%s' gives %d", l, rc);
	else if (m->may_revoke)
		FUZZ_CHECK(rc == 2 || rc == 3, "'%s' gives %d", l, rc);
	else
		FUZZ_CHECK(rc == 2, "the line '%s' gives %d", l, rc);
	FUZZ_CHECK(with_line(in, "@revoked ", l) == 3,
		   "'@revoked %s' is no revocation", l);
}

/* The plain lines: as given, in upper case, negated, behind markers. */
static void plain_lines(const struct input *in, const struct model *m, int rc,
			const char *k64, const char *other64, char *l)
{
	const char *w = in->want;
	sprintf(l, "%s ssh-ed25519 %s", w, k64);
	grants(in, m, l);
	static const char *const off[] = {
		"#", "# ", " #", "@cert-authority ", "@cert-authority\t",
		"@Revoked ", "@revoked @revoked ", "@revoked,"};
	for (size_t i = 0; i < sizeof off / sizeof *off; i++)
		FUZZ_CHECK(with_line(in, off[i], l) == rc,
			   "'%s' changed the result", off[i]);
	size_t n = strlen(w);
	for (size_t i = 0; i < n; i++)
		l[i] = (char)up((unsigned char)w[i]);
	sprintf(l + n, "\tssh-ed25519 %s", k64);
	grants(in, m, l);
	sprintf(l, "!%s,%s ssh-ed25519 %s", w, w, k64);
	FUZZ_CHECK(with_line(in, "", l) == rc, "'%s' changed the result", l);
	sprintf(l, "%s,!%s ssh-ed25519 %s", w, w, k64);
	FUZZ_CHECK(with_line(in, "@revoked ", l) == rc,
		   "'@revoked %s' changed the result", l);
	sprintf(l, "%s ssh-ed25519 %s", w, other64);
	FUZZ_CHECK(with_line(in, "@revoked ", l) == rc,
		   "'@revoked %s' of another key changed the result", l);
}

/* "|1|salt|HMAC-SHA1(salt, name)" of the name as given. */
static void hash_of(const char *name, size_t size, char *out)
{
	unsigned char salt[20], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	char s64[40], h64[40];
	for (size_t i = 0; i < sizeof salt; i++)
		salt[i] = (unsigned char)(size * 31 + i * 7);
	HMAC(EVP_sha1(), salt, sizeof salt, (const unsigned char *)name,
	     strlen(name), mac, &maclen);
	FUZZ_CHECK(maclen == 20, "HMAC");
	enc(salt, sizeof salt, s64);
	enc(mac, 20, h64);
	sprintf(out, "|1|%s|%s", s64, h64);
}

/* The hashed lines: of the lowercase name they name it, of a name with
 * upper case letters they do not. */
static void hashed_lines(const struct input *in, const struct model *m,
			 int rc, size_t size, const char *k64, char *l)
{
	char lower[WANT_MAX + 1], h[100];
	size_t n = strlen(in->want);
	int mixed = 0;
	for (size_t i = 0; i <= n; i++) {
		lower[i] = (char)low((unsigned char)in->want[i]);
		mixed |= lower[i] != in->want[i];
	}
	hash_of(lower, size, h);
	sprintf(l, "other.example,%s ssh-ed25519 %s", h, k64);
	grants(in, m, l);
	if (mixed) {
		hash_of(in->want, size, h);
		sprintf(l, "%s ssh-ed25519 %s", h, k64);
		FUZZ_CHECK(with_line(in, "", l) == rc,
			   "a hash of '%s' as given names it", in->want);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char dflt[] = "\0\0\0\x0bssh-ed25519\0\0\0 "
					    "0123456789abcdef0123456789abcdef";
	const char *p = (const char *)data, *end = p + size;
	const char *n1 = memchr(p, '\n', size);
	if (!n1 || memchr(p, '\0', (size_t)(n1 - p)) || n1 - p > WANT_MAX)
		return 0;
	const char *n2 = memchr(n1 + 1, '\n', (size_t)(end - n1 - 1));
	if (!n2)
		return 0;
	char want[WANT_MAX + 1];
	memcpy(want, p, (size_t)(n1 - p));
	want[n1 - p] = '\0';
	struct input in = {n2 + 1, want, (size_t)(end - n2 - 1),
			   (const unsigned char *)n1 + 1, (size_t)(n2 - n1 - 1)};
	if (!in.keylen) {
		in.key = dflt;
		in.keylen = sizeof dflt - 1;
	}
	size_t b64len = 4 * ((in.keylen + 2) / 3) + 1;
	char *k64 = malloc(b64len), *other64 = malloc(b64len);
	unsigned char *other = malloc(in.keylen);
	char *l = malloc(b64len + 2 * WANT_MAX + 200);
	FUZZ_CHECK(k64 && other64 && other && l, "out of memory");
	enc(in.key, in.keylen, k64);
	memcpy(other, in.key, in.keylen);
	other[in.keylen - 1] ^= 1;
	enc(other, in.keylen, other64);

	int rc = call(in.text, in.len, want, in.key, in.keylen);
	struct model m = walk(in.text, in.len, want, k64);
	if (m.named)
		FUZZ_CHECK(rc >= 1, "'%s' is named, result %d", want, rc);
	if (m.revoked)
		FUZZ_CHECK(rc == 3, "the key is revoked for '%s', result %d",
			   want, rc);
	if (rc == 3)
		FUZZ_CHECK(m.may_revoke, "no @revoked line names '%s'", want);
	if (rc == 1 || rc == 2)
		FUZZ_CHECK(m.named || m.hashed, "'%s' is not named, result %d",
			   want, rc);

	int plain_ok = want[0] && !want[strcspn(want, " \t,")] &&
		       want[0] != '#' && want[0] != '@' && want[0] != '!' &&
		       strncmp(want, "|1|", 3) != 0;
	if (in.keylen < 4000) {
		sprintf(l, "* ssh-ed25519 %s", k64);
		grants(&in, &m, l);
		if (plain_ok)
			plain_lines(&in, &m, rc, k64, other64, l);
		if (want[0])
			hashed_lines(&in, &m, rc, size, k64, l);
	}
	free(k64);
	free(other64);
	free(other);
	free(l);
	return 0;
}
