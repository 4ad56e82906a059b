#include "tag.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define OP "tag"

static int tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

int cd_tag_sanitize(const char *in, char *out, struct cd_err *err)
{
	size_t n = 0;
	for (const char *p = in; *p && n < CD_TAG_MAX - 1; p++)
		out[n++] = tag_char(*p) ? *p : '-';
	out[n] = '\0';
	if (n == 0)
		return cd_err_set(err, CD_E_INVALID, OP, "empty image tag");
	if (out[0] == '.' || out[0] == '-')
		out[0] = '_';
	return 0;
}

int cd_tag_datetime(const char *fmt, int64_t t, char *out, size_t n,
		    struct cd_err *err)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	if (strftime(out, n, fmt ? fmt : "%Y%m%d-%H%M%S", &tm) == 0)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "tag.datetime: format \"%s\" gives an empty "
				  "or too long tag",
				  fmt ? fmt : "");
	return 0;
}

int cd_tag_template(const char *tpl, const char *input_hex,
		    const char *datetime, const char *git, char *out, size_t n,
		    struct cd_err *err)
{
	size_t len = 0;
	out[0] = '\0';
	while (*tpl) {
		const char *open = strstr(tpl, "{{"), *val;
		size_t lit = open ? (size_t)(open - tpl) : strlen(tpl);
		len += (size_t)snprintf(out + len, n > len ? n - len : 0, "%.*s",
					(int)lit, tpl);
		if (!open)
			break;
		const char *close = strstr(open, "}}");
		if (!close)
			return cd_err_set(err, CD_E_INVALID, OP,
					  "tag.template: \"{{\" without \"}}\"");
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(close - open - 2), open + 2);
		if (strcmp(key, "input") == 0)
			val = input_hex;
		else if (strcmp(key, "datetime") == 0)
			val = datetime;
		else if (strcmp(key, "git") == 0 && git)
			val = git;
		else
			return cd_err_set(err, CD_E_INVALID, OP,
					  "tag.template: unknown field "
					  "{{%s}} (known: input, datetime, git)",
					  key);
		len += (size_t)snprintf(out + len, n > len ? n - len : 0, "%s", val);
		tpl = close + 2;
	}
	if (len >= n)
		return cd_err_set(err, CD_E_INVALID, OP, "tag.template: too long");
	return 0;
}

/* Length of the registry domain that starts s and is followed by '/'
 * (docker/distribution's grammar: components of [A-Za-z0-9-], not starting
 * or ending with '-', joined by '.', then an optional :port), 0 if none. */
static size_t domain_len(const char *s)
{
	size_t i = 0;
	for (;;) {
		size_t c = i;
		while (isalnum((unsigned char)s[i]) || s[i] == '-')
			i++;
		if (i == c || s[c] == '-' || s[i - 1] == '-')
			return 0;
		if (s[i] != '.')
			break;
		i++;
	}
	if (s[i] == ':') {
		size_t d = ++i;
		while (isdigit((unsigned char)s[i]))
			i++;
		if (i == d)
			return 0;
	}
	return s[i] == '/' ? i : 0;
}

/* Skaffold's prefix of a GCR or Artifact Registry reference: DOMAIN/ then a
 * GCP project ID ([a-z][a-z0-9-]{4,28}[a-z0-9], matched as Go's greedy
 * regexp does: the longest such run, not necessarily a whole component),
 * then '/' if one follows. Its length, 0 when s has none. */
static size_t gcp_prefix(const char *s)
{
	size_t d = domain_len(s);
	if (!d)
		return 0;
	const char *p = s + d + 1;
	size_t run = 0;
	if (!(*p >= 'a' && *p <= 'z'))
		return 0;
	while (run < 30 && p[run] &&
	       ((p[run] >= 'a' && p[run] <= 'z') || isdigit((unsigned char)p[run]) ||
		p[run] == '-'))
		run++;
	while (run >= 6 && p[run - 1] == '-')
		run--;
	if (run < 6)
		return 0;
	return d + 1 + run + (p[run] == '/');
}

int cd_tag_default_repo(const char *repo, const char *name, char *out,
			size_t n, struct cd_err *err)
{
	size_t rl = repo ? strlen(repo) : 0, len;
	while (rl && repo[rl - 1] == '/')
		rl--;
	/* the name is in the default repo already: unchanged */
	if (!rl || (strncmp(name, repo, rl) == 0 &&
		    (name[rl] == '/' || name[rl] == '\0'))) {
		if ((size_t)snprintf(out, n, "%s", name) >= n)
			goto long_;
		return 0;
	}
	char r[600];
	if (rl >= sizeof r)
		goto long_;
	memcpy(r, repo, rl);
	r[rl] = '\0';
	size_t rp = gcp_prefix(r), np = gcp_prefix(name);
	char pre[600];
	snprintf(pre, sizeof pre, "%.*s", (int)rp, r); /* as Skaffold: the prefix */
	if (rp && (strstr(pre, "gcr.io") || strstr(pre, "-docker.pkg.dev"))) {
		/* GCR and Artifact Registry hold repositories of any depth:
		 * concatenate, dropping the image's project prefix when it is
		 * the default repo's */
		int same = np == rp && strncmp(name, r, rp) == 0;
		len = (size_t)snprintf(out, n, "%s/%s", r, same ? name + np : name);
		if (len >= n)
			goto long_;
	} else { /* elsewhere: the whole name escaped into one component */
		len = (size_t)snprintf(out, n, "%s/", r);
		for (const char *p = name; *p && len + 1 < n; p++)
			out[len++] = strchr("/._:@", *p) ? '_' : *p;
		if (len + 1 >= n)
			goto long_;
		out[len] = '\0';
	}
	if (len > 255) /* Skaffold truncates to the name limit */
		out[255] = '\0';
	return 0;
long_:
	return cd_err_set(err, CD_E_INVALID, OP, "image name too long");
}
