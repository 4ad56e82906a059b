#include "builder.h"

#include <ctype.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "proc.h"

#define OP "image.build"

static const char *const names[CD_BUILDER_COUNT] = {"buildah", "podman",
						    "docker", "kaniko"};

const char *cd_builder_name(enum cd_builder_kind k)
{
	return k < CD_BUILDER_COUNT ? names[k] : "?";
}

static const char *kaniko_exe(void)
{
	return cd_proc_found("/kaniko/executor") ? "/kaniko/executor" : "executor";
}

int cd_builder_kind_of(const char *name, enum cd_builder_kind *out,
		       struct cd_err *err)
{
	for (int i = 0; i < CD_BUILDER_COUNT; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum cd_builder_kind)i;
			return 0;
		}
	if (strcmp(name, "auto") != 0)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "unknown builder \"%s\" (native, buildah, "
				  "podman, docker, kaniko or auto)",
				  name);
	for (int i = 0; i < CD_BUILDER_COUNT; i++) {
		const char *exe = i == CD_BUILDER_KANIKO ? kaniko_exe() : names[i];
		if (cd_proc_found(exe)) {
			*out = (enum cd_builder_kind)i;
			return 0;
		}
	}
	return cd_err_set(err, CD_E_NOT_FOUND, OP,
			  "builder \"auto\": none of buildah, podman, docker, "
			  "kaniko is installed (or use builder = \"native\")");
}

void cd_builder_argv_free(struct cd_builder_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		cd_free(a->v[i]);
	a->n = 0;
	a->v[0] = NULL;
}

/* Appends printf(fmt, ...) as one argument. */
__attribute__((format(printf, 3, 4))) static int add(struct cd_builder_argv *a,
						    struct cd_err *err,
						    const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof buf)
		return cd_err_set(err, CD_E_INVALID, OP, "builder argument too long");
	if (a->n >= CD_BUILDER_ARGV_MAX)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "too many builder arguments (build args?)");
	if (!(a->v[a->n] = cd_strdup(buf)))
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	a->v[++a->n] = NULL;
	return 0;
}

static int platforms(const struct cd_builder_req *r, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < r->nplatforms; i++) {
		int w = snprintf(out + len, n - len, "%s%s", i ? "," : "",
				 r->platforms[i]);
		if (w < 0 || (size_t)w >= n - len)
			return -1;
		len += (size_t)w;
	}
	return 0;
}

/* The options every builder shares, in its own spelling. */
static int common(const struct cd_builder_req *r, struct cd_builder_argv *a,
		  struct cd_err *err)
{
	int kaniko = r->kind == CD_BUILDER_KANIKO;
	for (size_t i = 0; i < r->nargs; i++)
		if (add(a, err, "--build-arg") || add(a, err, "%s=%s", r->args[i].k, r->args[i].v))
			return -1;
	if (r->target && (add(a, err, "--target") || add(a, err, "%s", r->target)))
		return -1;
	if (r->nplatforms) {
		char p[1024];
		if (platforms(r, p, sizeof p) != 0)
			return cd_err_set(err, CD_E_INVALID, OP, "too many platforms");
		if (add(a, err, kaniko ? "--custom-platform" : "--platform") ||
		    add(a, err, "%s", p))
			return -1;
	}
	return 0;
}

int cd_builder_argv(const struct cd_builder_req *r, int step,
		    struct cd_builder_argv *a, struct cd_err *err)
{
	int rc = 0;
	memset(a, 0, sizeof *a);
	if ((r->kind == CD_BUILDER_BUILDAH || r->kind == CD_BUILDER_PODMAN ||
	     r->kind == CD_BUILDER_KANIKO) && r->nplatforms > 1)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "builder \"%s\" builds one platform at a time "
				  "(%zu asked); use builder = \"docker\" (buildx) "
				  "or \"native\" for several",
				  cd_builder_name(r->kind), r->nplatforms);
	switch (r->kind) {
	case CD_BUILDER_BUILDAH:
	case CD_BUILDER_PODMAN: {
		const char *exe = cd_builder_name(r->kind);
		const char *tls = r->insecure ? "--tls-verify=false" : NULL;
		if (step == 0) {
			rc = add(a, err, "%s", exe) ||
			     add(a, err, r->kind == CD_BUILDER_BUILDAH ? "bud" : "build") ||
			     add(a, err, "-f") || add(a, err, "%s", r->dockerfile) ||
			     add(a, err, "-t") || add(a, err, "%s", r->ref) ||
			     common(r, a, err) || (tls && add(a, err, "%s", tls)) ||
			     add(a, err, "%s", r->context);
		} else {
			rc = add(a, err, "%s", exe) || add(a, err, "push") ||
			     add(a, err, "--digestfile") ||
			     add(a, err, "%s", r->digest_file) ||
			     (tls && add(a, err, "%s", tls)) ||
			     add(a, err, "%s", r->ref) ||
			     add(a, err, "docker://%s", r->ref);
		}
		break;
	}
	case CD_BUILDER_DOCKER:
		if (step == 0)
			rc = add(a, err, "docker") || add(a, err, "buildx") ||
			     add(a, err, "build") || add(a, err, "--push") ||
			     add(a, err, "--metadata-file") ||
			     add(a, err, "%s", r->digest_file) ||
			     add(a, err, "-f") || add(a, err, "%s", r->dockerfile) ||
			     add(a, err, "-t") || add(a, err, "%s", r->ref) ||
			     common(r, a, err) || add(a, err, "%s", r->context);
		break;
	case CD_BUILDER_KANIKO:
		if (step == 0)
			rc = add(a, err, "%s", kaniko_exe()) ||
			     add(a, err, "--context") || add(a, err, "dir://%s", r->context) ||
			     add(a, err, "--dockerfile") || add(a, err, "%s", r->dockerfile) ||
			     add(a, err, "--destination") || add(a, err, "%s", r->ref) ||
			     add(a, err, "--digest-file") || add(a, err, "%s", r->digest_file) ||
			     common(r, a, err) ||
			     (r->insecure && (add(a, err, "--insecure") ||
					      add(a, err, "--skip-tls-verify")));
		break;
	default:
		return cd_err_set(err, CD_E_INVALID, OP, "unknown builder");
	}
	if (rc) {
		cd_builder_argv_free(a);
		return -1;
	}
	return 0;
}

static int is_digest(const char *s, size_t n)
{
	if (n != 71 || strncmp(s, "sha256:", 7) != 0)
		return 0;
	for (size_t i = 7; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return 0;
	return 1;
}

int cd_builder_digest(enum cd_builder_kind k, const char *text, size_t len,
		      char *digest, size_t n, struct cd_err *err)
{
	const char *d = NULL;
	size_t dl = 0;
	json_t *meta = NULL;
	if (k == CD_BUILDER_DOCKER) {
		json_error_t je;
		meta = json_loadb(text ? text : "", len, 0, &je);
		d = json_string_value(json_object_get(meta, "containerimage.digest"));
		dl = d ? strlen(d) : 0;
	} else if (text) {
		d = text;
		dl = len;
		while (dl && isspace((unsigned char)*d)) {
			d++;
			dl--;
		}
		while (dl && isspace((unsigned char)d[dl - 1]))
			dl--;
	}
	int ok = d && is_digest(d, dl) && dl < n;
	if (ok)
		snprintf(digest, n, "%.*s", (int)dl, d);
	json_decref(meta);
	if (!ok)
		return cd_err_set(err, CD_E_BUILD_FAILED, OP,
				  "%s reported no image digest (%s)",
				  cd_builder_name(k),
				  k == CD_BUILDER_DOCKER ? "--metadata-file without "
							   "containerimage.digest"
							 : "empty or malformed digest file");
	return 0;
}

/* 1 if line (len l) announces a Dockerfile step for builder k. */
static int step_line(enum cd_builder_kind k, const char *s, size_t l)
{
	static const char *const instr[] = {"FROM ", "RUN ", "COPY ", "ADD ",
					    "WORKDIR ", "ENV ", "ARG ", "USER ",
					    "CMD ", "ENTRYPOINT ", "LABEL ", NULL};
	switch (k) {
	case CD_BUILDER_BUILDAH:
	case CD_BUILDER_PODMAN:
		return l > 5 && !strncmp(s, "STEP ", 5);
	case CD_BUILDER_DOCKER:
		return l > 4 && s[0] == '#' && isdigit((unsigned char)s[1]) &&
		       memchr(s, '[', l) != NULL;
	case CD_BUILDER_KANIKO: {
		const char *b = memchr(s, ']', l);
		if (!b || b + 2 > s + l)
			return 0;
		for (int i = 0; instr[i]; i++)
			if ((size_t)(s + l - (b + 2)) >= strlen(instr[i]) &&
			    !strncmp(b + 2, instr[i], strlen(instr[i])))
				return 1;
		return 0;
	}
	default:
		return 0;
	}
}

void cd_builder_failure(enum cd_builder_kind k, const char *out, size_t len,
			char *msg, size_t n)
{
	const char *step = NULL, *last = NULL;
	size_t step_l = 0, last_l = 0;
	for (size_t i = 0; out && i < len;) {
		const char *s = out + i;
		const char *nl = memchr(s, '\n', len - i);
		size_t l = nl ? (size_t)(nl - s) : len - i;
		size_t t = l;
		while (t && (s[t - 1] == '\r' || isspace((unsigned char)s[t - 1])))
			t--;
		if (t) {
			if (step_line(k, s, t)) {
				step = s;
				step_l = t;
			}
			last = s;
			last_l = t;
		}
		i += l + 1;
	}
	if (step_l > 300)
		step_l = 300;
	if (last_l > 500)
		last_l = 500;
	if (step && last && last != step)
		snprintf(msg, n, "at %.*s: %.*s", (int)step_l, step, (int)last_l, last);
	else if (step)
		snprintf(msg, n, "at %.*s", (int)step_l, step);
	else if (last)
		snprintf(msg, n, "%.*s", (int)last_l, last);
	else
		snprintf(msg, n, "no output");
}
