#include "tag.h"

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

int cd_tag_default_repo(const char *repo, const char *name, char *out,
			size_t n, struct cd_err *err)
{
	size_t rl = repo ? strlen(repo) : 0;
	while (rl && repo[rl - 1] == '/')
		rl--;
	if (!rl || (strncmp(name, repo, rl) == 0 &&
		    (name[rl] == '/' || name[rl] == '\0'))) {
		if ((size_t)snprintf(out, n, "%s", name) >= n)
			goto long_;
		return 0;
	}
	size_t len = (size_t)snprintf(out, n, "%.*s/", (int)rl, repo);
	for (const char *p = name; *p && len + 1 < n; p++)
		out[len++] = strchr("/._:@", *p) ? '_' : *p;
	if (len + 1 >= n)
		goto long_;
	out[len] = '\0';
	if (len > 255) /* Skaffold truncates to the name limit */
		out[255] = '\0';
	return 0;
long_:
	return cd_err_set(err, CD_E_INVALID, OP, "image name too long");
}
