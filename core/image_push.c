/* core/image_push.c — cd_image_build: base selection, layers, config,
 * manifests, push (core/image.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "image.h"
#include "mem.h"
#include "report.h"

#define OP "image.build"
#define MAXPLAT 16

struct child {
	char os[32], arch[32], variant[32];
	struct cd_manifest m;  /* base manifest (empty for scratch) */
	char *config;          /* base config */
	size_t config_len;
	struct cd_image_child out;
};

static int nomem(struct cd_err *err)
{
	return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
}

static void plat_split(const char *p, struct child *c)
{
	char buf[100];
	snprintf(buf, sizeof buf, "%s", p);
	char *a = strchr(buf, '/'), *v = a ? strchr(a + 1, '/') : NULL;
	if (v)
		*v++ = '\0';
	if (a)
		*a++ = '\0';
	snprintf(c->os, sizeof c->os, "%s", buf);
	snprintf(c->arch, sizeof c->arch, "%s", a ? a : "");
	snprintf(c->variant, sizeof c->variant, "%s", v ? v : "");
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* Children of a base index: the wanted platforms, in the index's order. */
static int pick_children(struct cd_registry *r, const struct cd_ref *bref,
			 const struct cd_manifest *ix, const struct cd_image_spec *s,
			 struct child *c, size_t *n, struct cd_err *err)
{
	struct cd_image_platform p[MAXPLAT];
	size_t np = 0;
	*n = 0;
	if (cd_image_index_pick(ix->data, ix->len, s->base, s->platforms,
				s->nplatforms, p, MAXPLAT, &np, err) != 0)
		return -1;
	for (size_t i = 0; i < np; i++) {
		struct cd_ref cref = *bref;
		cref.tag[0] = '\0';
		snprintf(cref.digest, sizeof cref.digest, "%s", p[i].digest);
		memset(&c[i], 0, sizeof c[i]);
		snprintf(c[i].os, sizeof c[i].os, "%s", p[i].os);
		snprintf(c[i].arch, sizeof c[i].arch, "%s", p[i].arch);
		snprintf(c[i].variant, sizeof c[i].variant, "%s", p[i].variant);
		if (cd_registry_manifest_get(r, &cref, &c[i].m, err) != 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int base_config(struct cd_registry *r, const struct cd_ref *bref,
		       struct child *c, struct cd_err *err)
{
	json_error_t je;
	json_t *m = json_loadb(c->m.data, c->m.len, 0, &je);
	const char *d = jstr(json_object_get(m, "config"), "digest");
	char *path = NULL;
	int rc = -1;
	if (!cd_digest_valid(d)) {
		cd_err_set(err, CD_E_INVALID, OP, "base %s: manifest without "
			   "a config digest", bref->path);
		goto done;
	}
	if (cd_registry_blob_fetch(r, bref, d, &path, err) != 0 ||
	    cd_fs_read_path(path, 16 << 20, &c->config, &c->config_len, err) != 0)
		goto done;
	json_t *cfg = json_loadb(c->config, c->config_len, 0, &je);
	if (!c->os[0]) {
		snprintf(c->os, sizeof c->os, "%s", jstr(cfg, "os"));
		snprintf(c->arch, sizeof c->arch, "%s", jstr(cfg, "architecture"));
		snprintf(c->variant, sizeof c->variant, "%s", jstr(cfg, "variant"));
	}
	json_decref(cfg);
	rc = 0;
done:
	json_decref(m);
	cd_free(path);
	return rc;
}

/* Fills c[0..n) from the base: scratch, an image or an index. */
static int load_base(struct cd_registry *r, const struct cd_image_spec *s,
		     struct cd_ref *bref, struct child *c, size_t *n,
		     char *index_mt, struct cd_err *err)
{
	struct cd_manifest top = {0};
	int rc = -1;
	*n = 0;
	if (strcmp(s->base, "scratch") == 0) {
		for (size_t i = 0; i < (s->nplatforms ? s->nplatforms : 1) && i < MAXPLAT; i++) {
			memset(&c[i], 0, sizeof c[i]);
			plat_split(s->nplatforms ? s->platforms[i] : "linux/amd64", &c[i]);
			(*n)++;
		}
		snprintf(index_mt, 128, "%s", CD_MT_OCI_INDEX);
		return 0;
	}
	if (cd_ref_parse(s->base, bref, err) != 0 ||
	    cd_registry_manifest_get(r, bref, &top, err) != 0) {
		cd_err_wrap(err, "base image");
		goto done;
	}
	if (cd_mt_is_index(top.media_type)) {
		snprintf(index_mt, 128, "%s", top.media_type);
		if (pick_children(r, bref, &top, s, c, n, err) != 0)
			goto done;
	} else {
		memset(&c[0], 0, sizeof c[0]);
		c[0].m = top;
		memset(&top, 0, sizeof top);
		*n = 1;
		snprintf(index_mt, 128, "%s", CD_MT_OCI_INDEX);
	}
	for (size_t i = 0; i < *n; i++)
		if (base_config(r, bref, &c[i], err) != 0)
			goto done;
	rc = 0;
done:
	cd_manifest_free(&top);
	return rc;
}

/* Blobs of one child: base layers (mounted from the base), ours, config. */
static int push_child(struct cd_registry *r, const struct cd_ref *dst,
		      const struct cd_ref *bref, struct child *c,
		      const struct cd_image_spec *s, struct cd_layer **ls,
		      const char *config, size_t config_len, struct cd_err *err)
{
	json_error_t je;
	json_t *m = c->m.data ? json_loadb(c->m.data, c->m.len, 0, &je) : NULL;
	json_t *bl = json_object_get(m, "layers"), *d;
	size_t nb = json_array_size(bl), i, k = 0;
	struct cd_blob *b = cd_calloc(nb + s->nlayers + 1, sizeof *b);
	int rc = -1;
	if (!b) {
		nomem(err);
		goto done;
	}
	json_array_foreach(bl, i, d)
	{
		if (json_object_get(d, "urls"))
			continue; /* foreign layers stay where they are */
		snprintf(b[k].digest, sizeof b[k].digest, "%s", jstr(d, "digest"));
		b[k].size = json_integer_value(json_object_get(d, "size"));
		b[k++].src = bref;
	}
	for (i = 0; i < s->nlayers; i++) {
		snprintf(b[k].digest, sizeof b[k].digest, "%s", ls[i]->digest);
		b[k].size = ls[i]->size;
		b[k++].path = ls[i]->path;
	}
	cd_digest_bytes(config, config_len, b[k].digest);
	b[k].size = (int64_t)config_len;
	b[k].data = config;
	b[k++].len = config_len;
	rc = cd_registry_push_blobs(r, dst, b, k, err);
done:
	cd_free(b);
	json_decref(m);
	return rc;
}

static int build_child(struct cd_registry *r, const struct cd_ref *dst,
		       const struct cd_ref *bref, struct child *c,
		       const struct cd_image_spec *s, struct cd_layer **ls,
		       int by_digest, struct cd_err *err)
{
	struct cd_image_config cfg = s->config;
	char *config = NULL, *man = NULL, cdig[CD_DIGEST_MAX];
	size_t clen = 0, mlen = 0;
	int rc = -1;
	cfg.os = c->os;
	cfg.arch = c->arch;
	cfg.variant = c->variant;
	if (cd_image_config_json(c->config, c->config_len, &cfg, ls, s->nlayers,
				 &config, &clen, err) != 0 ||
	    cd_digest_bytes(config, clen, cdig) != 0 ||
	    cd_image_manifest_json(c->m.data, c->m.len, c->m.media_type, cdig,
				   clen, ls, s->nlayers, s->input_digest, &man,
				   &mlen, c->out.media_type, err) != 0)
		goto done;
	if (push_child(r, dst, bref, c, s, ls, config, clen, err) != 0)
		goto done;
	struct cd_ref at = *dst;
	if (by_digest) {
		at.tag[0] = '\0';
		cd_digest_bytes(man, mlen, at.digest);
	}
	if (cd_registry_manifest_put(r, &at, man, mlen, c->out.media_type,
				     c->out.digest, err) != 0)
		goto done;
	c->out.size = mlen;
	c->out.os = c->os;
	c->out.arch = c->arch;
	c->out.variant = c->variant;
	rc = 0;
done:
	free(config);
	free(man);
	return rc;
}

/* 1 when dst exists and carries the same input digest annotation. */
static int found(struct cd_registry *r, const struct cd_ref *dst,
		 const char *input, char *digest, struct cd_err *err)
{
	struct cd_desc d;
	struct cd_manifest m = {0};
	json_error_t je;
	int rc = cd_registry_manifest_head(r, dst, &d, err);
	if (rc <= 0)
		return rc;
	if (cd_registry_manifest_get(r, dst, &m, err) != 0)
		return -1;
	json_t *root = json_loadb(m.data, m.len, 0, &je);
	const char *v = jstr(json_object_get(root, "annotations"),
			     CD_IMAGE_LABEL_INPUT);
	rc = strcmp(v, input) == 0;
	if (rc)
		snprintf(digest, CD_DIGEST_MAX, "%s", m.digest);
	json_decref(root);
	cd_manifest_free(&m);
	return rc;
}

int cd_image_build(struct cd_registry *r, const struct cd_image_spec *s,
		   struct cd_image_result *out, struct cd_err *err)
{
	struct child *c = cd_calloc(MAXPLAT, sizeof *c);
	struct cd_layer **ls = cd_calloc(s->nlayers + 1, sizeof *ls);
	struct cd_ref dst, bref;
	char name[600], index_mt[128], *ix = NULL;
	size_t n = 0, ixlen = 0;
	int rc = -1;
	memset(out, 0, sizeof *out);
	memset(&bref, 0, sizeof bref);
	if (!c || !ls) {
		nomem(err);
		goto done;
	}
	snprintf(name, sizeof name, "%s:%s", s->name, s->tag);
	if (cd_ref_parse(name, &dst, err) != 0)
		goto done;
	int f = found(r, &dst, s->input_digest, out->digest, err);
	if (f < 0)
		goto done;
	if (f) {
		out->found = 1;
		rc = 0;
		goto result;
	}
	if (load_base(r, s, &bref, c, &n, index_mt, err) != 0)
		goto done;
	for (size_t i = 0; i < s->nlayers; i++) {
		ls[i] = &s->layers[i];
		if (cd_layer_build(ls[i], s->config.created, err) != 0)
			goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (build_child(r, &dst, &bref, &c[i], s, ls, n > 1, err) != 0)
			goto done;
	if (n > 1) {
		struct cd_image_child kids[MAXPLAT];
		for (size_t i = 0; i < n; i++)
			kids[i] = c[i].out;
		if (cd_image_index_json(index_mt, kids, n, s->input_digest, &ix,
					&ixlen, err) != 0 ||
		    cd_registry_manifest_put(r, &dst, ix, ixlen, index_mt,
					     out->digest, err) != 0)
			goto done;
	} else {
		snprintf(out->digest, sizeof out->digest, "%s", c[0].out.digest);
	}
	out->pushed = 1;
	rc = 0;
result:
	snprintf(out->ref, sizeof out->ref, "%s@%s", name, out->digest);
done:
	for (size_t i = 0; c && i < MAXPLAT; i++) {
		cd_manifest_free(&c[i].m);
		cd_free(c[i].config);
	}
	free(ix);
	cd_free(c);
	cd_free(ls);
	return rc;
}
