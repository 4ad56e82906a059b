#include "tag.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "registry.h"

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

/* ---- --default-repo ----
 * Skaffold's SubstituteDefaultRepoIntoImage (pkg/skaffold/docker/
 * default_repo.go, Skaffold v2) rule for rule; docs/images.md lists the
 * rules with Skaffold's own examples and where cdhost differs on purpose
 * (a whole component must match; a trailing '/' of the repo is dropped). */

#define NAME_MAX_SKAFFOLD 255 /* Skaffold's maxLength: longer names are cut */

size_t cd_tag_name_len(const char *ref)
{
	size_t n = strcspn(ref, "@"), colon = n;
	for (size_t i = 0; i < n; i++)
		if (ref[i] == '/')
			colon = n;
		else if (ref[i] == ':' && colon == n)
			colon = i;
	return colon;
}

static int contains(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Skaffold's prefixRegex, ^DOMAIN/PROJECT/?, on s[0..n): PROJECT is a
 * Google Cloud project ID, [a-z][a-z0-9-]{4,28}[a-z0-9], taken as the
 * longest such start of the second component (it need not be all of it).
 * The length of the match, 0 for none. */
static size_t gcp_prefix(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (!slash || !cd_ref_domain_ok(s, (size_t)(slash - s)))
		return 0;
	size_t p = (size_t)(slash - s) + 1, run = 0;
	if (p >= n || s[p] < 'a' || s[p] > 'z')
		return 0;
	while (run < 30 && p + run < n &&
	       ((s[p + run] >= 'a' && s[p + run] <= 'z') ||
		(s[p + run] >= '0' && s[p + run] <= '9') || s[p + run] == '-'))
		run++;
	while (run >= 6 && s[p + run - 1] == '-')
		run--;
	if (run < 6)
		return 0;
	p += run;
	return p < n && s[p] == '/' ? p + 1 : p;
}

int cd_tag_default_repo(const char *repo, int multi_level, const char *image,
			char *out, size_t n, struct cd_err *err)
{
	char name[1024];
	size_t rl = repo ? strlen(repo) : 0, bl = cd_tag_name_len(image), len;
	while (rl && repo[rl - 1] == '/')
		rl--;
	/* Already under the repo: kept. This is what makes the rewrite
	 * idempotent, so deploy -a can apply it to tags a build rewrote
	 * (Skaffold's fix for #4809). Skaffold compares bare strings;
	 * cdhost wants a whole component, so --default-repo gcr.io/team
	 * keeps gcr.io/team/web but moves gcr.io/team-b/web. */
	if (!rl || (bl >= rl && strncmp(image, repo, rl) == 0 &&
		    (bl == rl || image[rl] == '/'))) {
		if ((size_t)snprintf(out, n, "%s", image) >= n)
			goto long_;
		return 0;
	}
	if (rl + 1 + bl >= sizeof name)
		goto long_;
	/* GCR and Artifact Registry take any depth of path: the name is
	 * appended as it is, and when it lives in the repo's own project
	 * only what follows the project is. Other registries get one
	 * component: [/._:@] become '_' — unless --multi-level-repo (Skaffold's
	 * multi-level-repo setting) says the registry takes any depth too. */
	size_t ip = gcp_prefix(image, bl), rp = gcp_prefix(repo, rl);
	int deep = multi_level || (rp && (contains(repo, rp, "gcr.io") ||
					  contains(repo, rp, "-docker.pkg.dev")));
	len = (size_t)snprintf(name, sizeof name, "%.*s/", (int)rl, repo);
	if (deep && ip == rp && strncmp(image, repo, ip) == 0) {
		/* Skaffold does not cut this one */
		len += (size_t)snprintf(name + len, sizeof name - len, "%.*s",
					(int)(bl - ip), image + ip);
	} else {
		for (size_t i = 0; i < bl; i++)
			name[len++] = !deep && strchr("/._:@", image[i])
					      ? '_'
					      : image[i];
		if (len > NAME_MAX_SKAFFOLD)
			len = NAME_MAX_SKAFFOLD;
	}
	/* the tag and digest as they were */
	if ((size_t)snprintf(out, n, "%.*s%s", (int)len, name, image + bl) >= n)
		goto long_;
	return 0;
long_:
	return cd_err_set(err, CD_E_INVALID, OP, "image name too long");
}

int cd_tag_default_repo_check(const char *repo, struct cd_err *err)
{
	size_t n, first;
	const char *why, *port = NULL;
	char probe[300];
	struct cd_ref ref;
	struct cd_err e;
	int upper = 0;
	if (!repo) /* not given */
		return 0;
	n = strlen(repo);
	while (n && repo[n - 1] == '/')
		n--;
	first = n ? strcspn(repo, "/") : 0;
	if (first > n)
		first = n;
	for (size_t i = 0; i < n; i++) {
		upper |= repo[i] >= 'A' && repo[i] <= 'Z';
		if (repo[i] == ':' && i < first)
			port = repo + i;
	}
	/* host:port alone ("localhost:5000") is a registry, name:tag is not */
	int tagged = memchr(repo + first, ':', n - first) ||
		     (first == n && port && !memchr(port, ']', n - (size_t)(port - repo)) &&
		      strspn(port + 1, "0123456789") != n - (size_t)(port + 1 - repo));
	if (n == 0)
		why = "is empty";
	else if (memchr(repo, '@', n))
		why = "has a digest: it names a repository, not an image";
	else if (upper)
		why = "has upper-case letters (registry and repository names "
		      "are lower-case)";
	else if (tagged)
		why = "has a tag: it names a repository, not an image";
	else if (n + 3 > sizeof probe ||
		 (snprintf(probe, sizeof probe, "%.*s/x", (int)n, repo),
		  cd_ref_parse(probe, &ref, &e) != 0))
		why = "is not a registry or repository name (HOST[:PORT][/PATH], "
		      "path components of a-z and 0-9 with . _ __ - between them)";
	else
		why = NULL;
	if (!why)
		return 0;
	return cd_err_set(err, CD_E_USAGE, OP, "\"%s\" %s", repo, why);
}
