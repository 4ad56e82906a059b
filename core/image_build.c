/* core/image_build.c — config, manifest and index JSON, the input digest,
 * and the whole native build + push (core/image.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "image.h"
#include "mem.h"
#include "tar.h"

#define OP "image.build"
#define JFLAGS (JSON_COMPACT | JSON_SORT_KEYS)

static int nomem(struct cd_err *err)
{
	return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
}

static json_t *strlist(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void rfc3339(uint64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Env: replace NAME=... entries of the base, append the others. */
static void merge_env(json_t *cfg, const struct cd_kv *env, size_t n)
{
	json_t *a = json_object_get(cfg, "Env");
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(cfg, "Env", a);
	}
	for (size_t i = 0; i < n; i++) {
		char line[8192];
		size_t kl = strlen(env[i].k), j;
		json_t *v;
		snprintf(line, sizeof line, "%s=%s", env[i].k, env[i].v);
		json_array_foreach(a, j, v)
		{
			const char *s = json_string_value(v);
			if (s && strncmp(s, env[i].k, kl) == 0 && s[kl] == '=')
				break;
		}
		if (j < json_array_size(a))
			json_array_set_new(a, j, json_string(line));
		else
			json_array_append_new(a, json_string(line));
	}
}

static void apply_config(json_t *cfg, const struct cd_image_config *c)
{
	if (c->set_entrypoint) {
		json_object_set_new(cfg, "Entrypoint",
				    strlist(c->entrypoint, c->nentrypoint));
		if (!c->set_cmd) /* as docker and ko: an entrypoint clears Cmd */
			json_object_del(cfg, "Cmd");
	}
	if (c->set_cmd)
		json_object_set_new(cfg, "Cmd", strlist(c->cmd, c->ncmd));
	if (c->nenv)
		merge_env(cfg, c->env, c->nenv);
	if (c->workdir)
		json_object_set_new(cfg, "WorkingDir", json_string(c->workdir));
	if (c->user)
		json_object_set_new(cfg, "User", json_string(c->user));
	if (c->nlabels) {
		json_t *l = json_object_get(cfg, "Labels");
		if (!json_is_object(l)) {
			l = json_object();
			json_object_set_new(cfg, "Labels", l);
		}
		for (size_t i = 0; i < c->nlabels; i++)
			json_object_set_new(l, c->labels[i].k,
					    json_string(c->labels[i].v));
	}
	if (c->nports) {
		json_t *p = json_object_get(cfg, "ExposedPorts");
		if (!json_is_object(p)) {
			p = json_object();
			json_object_set_new(cfg, "ExposedPorts", p);
		}
		for (size_t i = 0; i < c->nports; i++) {
			char port[64];
			snprintf(port, sizeof port, "%s%s", c->ports[i],
				 strchr(c->ports[i], '/') ? "" : "/tcp");
			json_object_set_new(p, port, json_object());
		}
	}
}

int cd_image_config_json(const char *base, size_t base_len,
			 const struct cd_image_config *c,
			 struct cd_layer *const *layers, size_t nlayers,
			 char **out, size_t *len, struct cd_err *err)
{
	json_error_t je;
	json_t *root = base ? json_loadb(base, base_len, 0, &je) : json_object();
	char created[40];
	int rc = -1;
	if (!json_is_object(root)) {
		cd_err_set(err, CD_E_INVALID, OP, "the base config is not a "
			   "JSON object");
		goto done;
	}
	json_t *cfg = json_object_get(root, "config");
	if (!json_is_object(cfg)) {
		cfg = json_object();
		json_object_set_new(root, "config", cfg);
	}
	apply_config(cfg, c);
	rfc3339(c->created, created, sizeof created);
	json_object_set_new(root, "created", json_string(created));
	json_object_set_new(root, "os", json_string(c->os));
	json_object_set_new(root, "architecture", json_string(c->arch));
	if (c->variant && *c->variant)
		json_object_set_new(root, "variant", json_string(c->variant));
	/* clear what docker sets and that changes by host */
	json_object_del(root, "container");
	json_object_del(root, "docker_version");
	json_t *rootfs = json_object_get(root, "rootfs");
	if (!json_is_object(rootfs)) {
		rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(root, "rootfs", rootfs);
	}
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids)) {
		ids = json_array();
		json_object_set_new(rootfs, "diff_ids", ids);
	}
	json_t *hist = json_object_get(root, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(root, "history", hist);
	}
	for (size_t i = 0; i < nlayers; i++) {
		json_array_append_new(ids, json_string(layers[i]->diff_id));
		json_array_append_new(
			hist, json_pack("{s:s, s:s, s:s}", "created", created,
					"created_by", "cdhost native layer",
					"comment", layers[i]->key));
	}
	*out = json_dumps(root, JFLAGS);
	if (!*out) {
		nomem(err);
		goto done;
	}
	*len = strlen(*out);
	rc = 0;
done:
	json_decref(root);
	return rc;
}

struct family {
	const char *manifest, *config, *layer;
};
static const struct family OCI = {CD_MT_OCI_MANIFEST,
				  "application/vnd.oci.image.config.v1+json",
				  "application/vnd.oci.image.layer.v1.tar+gzip"};
static const struct family DOCKER = {
	CD_MT_DOCKER_MANIFEST, "application/vnd.docker.container.image.v1+json",
	"application/vnd.docker.image.rootfs.diff.tar.gzip"};

static json_t *desc(const char *mt, const char *digest, int64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest,
			 "size", (json_int_t)size);
}

/* 1 when every base layer is a descriptor: a valid digest, a size >= 0. */
static int layers_ok(const json_t *ls)
{
	size_t i;
	json_t *d;
	if (!json_is_array(ls))
		return 0;
	json_array_foreach(ls, i, d)
	{
		const char *dg = json_string_value(json_object_get(d, "digest"));
		json_t *size = json_object_get(d, "size");
		if (!dg || !cd_digest_valid(dg) || !json_is_integer(size) ||
		    json_integer_value(size) < 0)
			return 0;
	}
	return 1;
}

int cd_image_manifest_json(const char *base, size_t base_len,
			   const char *base_media_type, const char *config_digest,
			   size_t config_size, struct cd_layer *const *layers,
			   size_t nlayers, const char *input_digest, char **out,
			   size_t *len, char *media_type, struct cd_err *err)
{
	const struct family *f =
		base_media_type && strcmp(base_media_type, CD_MT_DOCKER_MANIFEST) == 0
			? &DOCKER : &OCI;
	json_error_t je;
	json_t *bm = base ? json_loadb(base, base_len, 0, &je) : NULL;
	json_t *m = json_object(), *ls = json_array();
	int rc = -1;
	if (base && !layers_ok(json_object_get(bm, "layers"))) {
		cd_err_set(err, CD_E_INVALID, OP, "the base manifest has no "
			   "list of layer descriptors");
		goto done;
	}
	json_object_set_new(m, "schemaVersion", json_integer(2));
	json_object_set_new(m, "mediaType", json_string(f->manifest));
	json_object_set_new(m, "config",
			    desc(f->config, config_digest, (int64_t)config_size));
	if (bm)
		json_array_extend(ls, json_object_get(bm, "layers"));
	for (size_t i = 0; i < nlayers; i++)
		json_array_append_new(ls, desc(f->layer, layers[i]->digest,
					       layers[i]->size));
	json_object_set(m, "layers", ls);
	if (input_digest && f == &OCI)
		json_object_set_new(m, "annotations",
				    json_pack("{s:s}", CD_IMAGE_LABEL_INPUT,
					      input_digest));
	*out = json_dumps(m, JSON_COMPACT); /* the order built above */
	if (!*out) {
		nomem(err);
		goto done;
	}
	*len = strlen(*out);
	snprintf(media_type, 128, "%s", f->manifest);
	rc = 0;
done:
	json_decref(bm);
	json_decref(ls);
	json_decref(m);
	return rc;
}

int cd_image_index_json(const char *media_type, const struct cd_image_child *c,
			size_t n, const char *input_digest, char **out,
			size_t *len, struct cd_err *err)
{
	json_t *ix = json_object(), *ms = json_array();
	json_object_set_new(ix, "schemaVersion", json_integer(2));
	json_object_set_new(ix, "mediaType", json_string(media_type));
	for (size_t i = 0; i < n; i++) {
		json_t *d = desc(c[i].media_type, c[i].digest, (int64_t)c[i].size);
		json_t *p = json_pack("{s:s, s:s}", "architecture", c[i].arch,
				      "os", c[i].os);
		if (c[i].variant && *c[i].variant)
			json_object_set_new(p, "variant", json_string(c[i].variant));
		json_object_set_new(d, "platform", p);
		json_array_append_new(ms, d);
	}
	json_object_set_new(ix, "manifests", ms);
	if (input_digest && strcmp(media_type, CD_MT_OCI_INDEX) == 0)
		json_object_set_new(ix, "annotations",
				    json_pack("{s:s}", CD_IMAGE_LABEL_INPUT,
					      input_digest));
	*out = json_dumps(ix, JSON_COMPACT);
	json_decref(ix);
	if (!*out)
		return nomem(err);
	*len = strlen(*out);
	return 0;
}

/* ---- picking the children of a base index ---- */

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* 1 when want ("os/arch[/variant]") names the platform. */
static int plat_match(const char *want, const char *os, const char *arch,
		      const char *variant)
{
	size_t lo = strlen(os), la = strlen(arch);
	if (strncmp(want, os, lo) != 0 || want[lo] != '/')
		return 0;
	want += lo + 1;
	if (strncmp(want, arch, la) != 0)
		return 0;
	want += la;
	if (*want == '\0')
		return 1;
	return *want == '/' && *variant && strcmp(want + 1, variant) == 0;
}

static int plat_wanted(const char *const *platforms, size_t np,
		       const char *os, const char *arch, const char *variant)
{
	if (np == 0)
		return strcmp(os, "unknown") != 0;
	for (size_t i = 0; i < np; i++)
		if (plat_match(platforms[i], os, arch, variant))
			return 1;
	return 0;
}

/* Copies one picked child into p; 0, or -1 when it does not fit or has no
 * valid digest. */
static int plat_fill(struct cd_image_platform *p, const json_t *d,
		     const char *os, const char *arch, const char *variant)
{
	const char *dg = jstr(d, "digest");
	if (!cd_digest_valid(dg) || strlen(os) >= sizeof p->os ||
	    strlen(arch) >= sizeof p->arch ||
	    strlen(variant) >= sizeof p->variant)
		return -1;
	snprintf(p->os, sizeof p->os, "%s", os);
	snprintf(p->arch, sizeof p->arch, "%s", arch);
	snprintf(p->variant, sizeof p->variant, "%s", variant);
	snprintf(p->digest, sizeof p->digest, "%s", dg);
	return 0;
}

int cd_image_index_pick(const char *data, size_t len, const char *what,
			const char *const *platforms, size_t nplatforms,
			struct cd_image_platform *out, size_t max, size_t *n,
			struct cd_err *err)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, 0, &je), *d;
	json_t *ms = json_object_get(root, "manifests");
	char have[512] = "";
	size_t i;
	int rc = -1;
	*n = 0;
	if (!json_is_array(ms)) {
		cd_err_set(err, CD_E_INVALID, OP,
			   "base %s: an index without a manifests list", what);
		goto done;
	}
	json_array_foreach(ms, i, d)
	{
		json_t *p = json_object_get(d, "platform");
		const char *os = jstr(p, "os"), *arch = jstr(p, "architecture"),
			   *var = jstr(p, "variant");
		size_t hl = strlen(have);
		snprintf(have + hl, sizeof have - hl, "%s%s/%s%s%s",
			 hl ? ", " : "", os, arch, *var ? "/" : "", var);
		if (!plat_wanted(platforms, nplatforms, os, arch, var) ||
		    *n == max)
			continue;
		if (plat_fill(&out[*n], d, os, arch, var) != 0) {
			cd_err_set(err, CD_E_INVALID, OP,
				   "base %s: manifests[%zu] has no valid digest "
				   "or an over-long platform",
				   what, i);
			goto done;
		}
		(*n)++;
	}
	if (*n == 0 || (nplatforms && *n != nplatforms)) {
		cd_err_set(err, CD_E_NOT_FOUND, OP,
			   "base %s has no image for the platforms asked "
			   "(it has %s)",
			   what, have);
		goto done;
	}
	rc = 0;
done:
	if (rc != 0) {
		*n = 0;
		rc = -(int)err->code;
	}
	json_decref(root);
	return rc;
}

/* ---- input digest ---- */

static json_t *kvs(const struct cd_kv *v, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, v[i].k, json_string(v[i].v));
	return o;
}

int cd_image_input_digest(const struct cd_image_spec *s, const char *builder,
			  char *out, struct cd_err *err)
{
	const struct cd_image_config *c = &s->config;
	json_t *ls = json_array();
	for (size_t i = 0; i < s->nlayers; i++)
		json_array_append_new(ls, json_string(s->layers[i].key));
	json_t *o = json_pack(
		"{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I}",
		"v", "cdhost-input-v1", "builder", builder, "base",
		s->base ? s->base : "scratch", "layers", ls, "platforms",
		strlist(s->platforms, s->nplatforms), "entrypoint",
		c->set_entrypoint ? strlist(c->entrypoint, c->nentrypoint)
				  : json_null(),
		"cmd", c->set_cmd ? strlist(c->cmd, c->ncmd) : json_null(),
		"env", kvs(c->env, c->nenv), "labels", kvs(c->labels, c->nlabels),
		"ports", strlist(c->ports, c->nports), "user_workdir",
		json_pack("[s?, s?]", c->user, c->workdir), "created",
		(json_int_t)c->created);
	char *text = o ? json_dumps(o, JFLAGS) : NULL;
	json_decref(o);
	if (!text)
		return nomem(err);
	int rc = cd_digest_bytes(text, strlen(text), out);
	free(text);
	return rc ? nomem(err) : 0;
}
