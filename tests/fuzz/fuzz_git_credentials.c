/* One git-credential-store line against a remote URL
 * (cd_git_credential_line, core/git.c). Input: "URL\nLINE", or only LINE
 * (then the URL is https://git.example.com/org/repo.git).
 *
 * Invariants, against an independent model that works on explicit
 * lengths: the line matches exactly when its scheme is the URL's and its
 * percent-decoded host[:port] is exactly the URL's host[:port] (after any
 * user@), with user and password the percent-decoded parts before and
 * after the first ':' of what precedes the last '@'; they come out
 * NUL-terminated, truncated to their buffers and nothing is written past
 * them; the line is read only within its bytes (an exact-size copy, for
 * ASan). A line that the model parses also matches the URL built from its
 * own scheme and host, with or without a user in that URL. */
#include "../../core/git.h"
#include "fuzz.h"

struct parsed {
	int ok;                  /* 1 parsed, 0 not, -1 too long for the model */
	size_t slen;             /* scheme length */
	char host[4096], user[4096], pass[4096];
};

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX-decodes s[0..n) into out; the result is a C string (up to a %00). */
static void decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 &&
		    hexv(s[i + 2]) >= 0) {
			out[o++] = (char)(hexv(s[i + 1]) * 16 + hexv(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* The line on its own: scheme, and the parts of its authority. */
static void parse_line(const char *line, struct parsed *p)
{
	memset(p, 0, sizeof *p);
	const char *ls = strstr(line, "://");
	if (!ls)
		return;
	p->slen = (size_t)(ls - line);
	const char *r = ls + 3;
	size_t rl = strcspn(r, "/");
	if (rl >= sizeof p->host) {
		p->ok = -1; /* longer than the model's buffers */
		return;
	}
	size_t la = rl, colon = rl;
	for (size_t i = 0; i < rl; i++)
		if (r[i] == '@')
			la = i;
	for (size_t i = 0; i < rl && colon == rl; i++)
		if (r[i] == ':')
			colon = i;
	if (la == rl || colon == rl || colon > la)
		return;
	decode(r + la + 1, rl - la - 1, p->host);
	decode(r, colon, p->user);
	decode(r + colon + 1, la - colon - 1, p->pass);
	p->ok = 1;
}

/* The model: does `line` (parsed as p) match url? */
static int model(const char *url, const char *line, const struct parsed *p)
{
	const char *us = strstr(url, "://");
	if (!us || p->ok != 1 || (size_t)(us - url) != p->slen ||
	    memcmp(url, line, p->slen) != 0)
		return 0;
	const char *h = us + 3, *sl = strchr(h, '/'), *at = strchr(h, '@');
	if (at && (!sl || at < sl))
		h = at + 1;
	size_t hl = strcspn(h, "/");
	return strlen(p->host) == hl && memcmp(p->host, h, hl) == 0;
}

static void check(const char *url, const char *line, size_t un, size_t pn)
{
	struct parsed p;
	parse_line(line, &p);
	if (p.ok < 0)
		return;
	int want = model(url, line, &p);
	size_t ll = strlen(line);
	char *copy = malloc(ll + 1);
	unsigned char user[600], pass[600];
	FUZZ_CHECK(copy && un + 16 <= sizeof user && pn + 16 <= sizeof pass,
		   "setup");
	memcpy(copy, line, ll + 1);
	memset(user, 0xAA, sizeof user);
	memset(pass, 0xAA, sizeof pass);
	int rc = cd_git_credential_line(url, copy, (char *)user, un,
					(char *)pass, pn);
	FUZZ_CHECK(rc == want, "url '%s' line '%s': %d, the model says %d",
		   url, line, rc, want);
	for (size_t i = un; i < sizeof user; i++)
		FUZZ_CHECK(user[i] == 0xAA, "written past user[%zu]", un);
	for (size_t i = pn; i < sizeof pass; i++)
		FUZZ_CHECK(pass[i] == 0xAA, "written past pass[%zu]", pn);
	if (rc == 1) {
		FUZZ_CHECK(memchr(user, 0, un) && memchr(pass, 0, pn),
			   "not terminated");
		FUZZ_CHECK(strncmp((char *)user, p.user, un - 1) == 0 &&
				   strlen((char *)user) ==
					   (strlen(p.user) < un ? strlen(p.user) : un - 1),
			   "user '%s', the model '%s'", (char *)user, p.user);
		FUZZ_CHECK(strncmp((char *)pass, p.pass, pn - 1) == 0 &&
				   strlen((char *)pass) ==
					   (strlen(p.pass) < pn ? strlen(p.pass) : pn - 1),
			   "password differs from the model's");
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *nl = strchr(s, '\n');
	const char *url = "https://git.example.com/org/repo.git", *line = s;
	if (nl) {
		*nl = '\0';
		url = s;
		line = nl + 1;
	}
	check(url, line, 256, 512);
	check(url, line, 4, 9);
	/* the line against the URL of its own scheme and host */
	struct parsed p;
	parse_line(line, &p);
	if (p.ok == 1 && p.host[0] && !p.host[strcspn(p.host, "/@")]) {
		char u[8300];
		snprintf(u, sizeof u, "%.*s://%s/org/repo.git", (int)p.slen,
			 line, p.host);
		FUZZ_CHECK(model(u, line, &p), "model: '%s' vs '%s'", u, line);
		check(u, line, 256, 512);
		snprintf(u, sizeof u, "%.*s://someone@%s", (int)p.slen, line,
			 p.host);
		FUZZ_CHECK(model(u, line, &p), "model: '%s' vs '%s'", u, line);
		check(u, line, 256, 512);
	}
	free(s);
	return 0;
}
