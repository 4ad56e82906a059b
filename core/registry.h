/* core/registry.h — the OCI distribution client (over core/http).
 *
 * References are parsed with docker's normalisation rules (docker.io,
 * library/, default tag latest). Every request goes through core/http with
 * authentication from core/auth (ping once per registry, then the Authorization
 * each request's scope needs, re-challenged on 401). Reads: ping, manifest
 * HEAD/GET (full Accept list; digests checked), blob HEAD/GET (redirects
 * followed, sha256 verified while streaming into the blob store), tags
 * (Link pagination when present, sorted). Writes: blob upload (POST then a
 * monolithic PUT to Location exactly, PATCH as a fallback, cross-repository
 * mount), manifest PUT (Content-Type = mediaType, client digest checked
 * against Docker-Content-Digest), delete. Blob transfers run in parallel
 * (bounded), HEAD first, de-duplicated by digest. Manifests go out only after
 * all their blobs, children before indexes, so a failed push never leaves a
 * tag pointing at an incomplete image. See docs/internals/registry.md. */
#ifndef CD_REGISTRY_H
#define CD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "ctx.h"
#include "digest.h"
#include "err.h"
#include "http.h"

/* ---- references ---- */

struct cd_ref {
	char domain[256];           /* "docker.io", "127.0.0.1:5000" */
	char path[256];             /* "library/nginx" */
	char tag[129];              /* "latest" by default; "" with a digest only */
	char digest[CD_DIGEST_MAX]; /* "" when none */
	int tag_given;              /* the tag was written in the reference */
};

/* "nginx" -> docker.io/library/nginx:latest; "host:5000/a/b:t@sha256:..".
 * invalid (with the reason) for anything else. */
int cd_ref_parse(const char *s, struct cd_ref *out, struct cd_err *err);
/* d[0..n) is a registry host as distribution/reference's DomainRegexp
 * has it: DNS-style labels or a bracketed IPv6 address, then :port. */
int cd_ref_domain_ok(const char *d, size_t n);
/* "domain/path" */
void cd_ref_name(const struct cd_ref *r, char *buf, size_t n);
/* "domain/path[:tag][@digest]" */
void cd_ref_string(const struct cd_ref *r, char *buf, size_t n);

/* ---- media types ---- */

#define CD_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define CD_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CD_MT_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define CD_MT_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
/* 1 for the two index media types. */
int cd_mt_is_index(const char *media_type);

/* ---- the client ---- */

#define CD_REGISTRY_PARALLEL 4 /* blob transfers at once */
#define CD_MANIFEST_MAX ((size_t)16 << 20)

struct cd_reg_host; /* one per registry: base URL, TLS, auth session */

struct cd_registry {
	struct cd_http *http;
	const struct cd_ctx *ctx;
	struct cd_reg_host **hosts;
	size_t nhosts;
	unsigned parallel;
	char *store;   /* blob store directory (cache), created on first use */
	struct {
		unsigned long uploaded, mounted, existed, fetched;
		uint64_t bytes_up, bytes_down;
	} stats;
};

struct cd_desc {
	char media_type[128];
	char digest[CD_DIGEST_MAX];
	int64_t size;
};

struct cd_manifest {
	char *data;
	size_t len;
	char media_type[128];
	char digest[CD_DIGEST_MAX]; /* sha256 of data (computed here) */
};
void cd_manifest_free(struct cd_manifest *m);

/* http (borrowed) must outlive the registry; ctx may be NULL. TLS: HTTPS
 * verified with the system CAs, or the PEM bundle named by
 * $CDHOST_REGISTRY_CA; plain HTTP only for ctx->insecure_registries. */
int cd_registry_init(struct cd_registry *r, struct cd_http *http,
		     const struct cd_ctx *ctx, struct cd_err *err);
void cd_registry_free(struct cd_registry *r);

/* GET /v2/ (once per registry; learns the auth scheme). */
int cd_registry_ping(struct cd_registry *r, const char *domain,
		     struct cd_err *err);

/* HEAD of a manifest: 1 and out filled when it exists, 0 when absent. */
int cd_registry_manifest_head(struct cd_registry *r, const struct cd_ref *ref,
			      struct cd_desc *out, struct cd_err *err);
/* HEAD, falling back to GET when the registry sends no digest; not_found
 * when absent. */
int cd_registry_resolve(struct cd_registry *r, const struct cd_ref *ref,
			struct cd_desc *out, struct cd_err *err);
/* GET of a manifest (by tag or digest; a digest is verified: hash_mismatch). */
int cd_registry_manifest_get(struct cd_registry *r, const struct cd_ref *ref,
			     struct cd_manifest *out, struct cd_err *err);
/* PUT of manifest bytes at ref's tag (or digest when it has no tag). The
 * digest (computed here) goes to digest_out (CD_DIGEST_MAX) and must equal
 * the registry's Docker-Content-Digest (else hash_mismatch). */
int cd_registry_manifest_put(struct cd_registry *r, const struct cd_ref *ref,
			     const char *data, size_t len,
			     const char *media_type, char *digest_out,
			     struct cd_err *err);

/* HEAD of a blob: 1 (size filled) or 0. */
int cd_registry_blob_head(struct cd_registry *r, const struct cd_ref *repo,
			  const char *digest, int64_t *size, struct cd_err *err);
/* GET of a blob into the blob store, verified; *path (allocated) is the
 * stored file. A blob already in the store is not fetched again. */
int cd_registry_blob_fetch(struct cd_registry *r, const struct cd_ref *repo,
			   const char *digest, char **path, struct cd_err *err);

/* Blobs to push to one repository. Give the data as a file (`path`) or in
 * memory (`data`), or a `src` repository to mount from (same registry) or
 * pull from (another registry) when the destination lacks it. */
struct cd_blob {
	char digest[CD_DIGEST_MAX];
	int64_t size;
	const char *path;
	const void *data;
	size_t len;
	const struct cd_ref *src;
	/* results */
	enum { CD_BLOB_PENDING, CD_BLOB_EXISTED, CD_BLOB_MOUNTED,
	       CD_BLOB_UPLOADED } result;
};
/* HEAD each (in parallel), then mount or upload what is missing, each
 * digest once, at most r->parallel at a time, retrying failed uploads from
 * a new session. */
int cd_registry_push_blobs(struct cd_registry *r, const struct cd_ref *dst,
			   struct cd_blob *blobs, size_t n, struct cd_err *err);

/* Copies the image or index at src to dst (tag: dst's, else src's, else by
 * digest): blobs first (mounted within one registry, else streamed through
 * the blob store), then child manifests by digest, then the top manifest.
 * out describes what dst now holds. */
int cd_registry_copy(struct cd_registry *r, const struct cd_ref *src,
		     const struct cd_ref *dst, struct cd_desc *out,
		     struct cd_err *err);

/* Tags of a repository, sorted, de-duplicated; *tags is a NULL-terminated
 * allocated array (cd_registry_tags_free). */
int cd_registry_tags(struct cd_registry *r, const struct cd_ref *repo,
		     char ***tags, size_t *n, struct cd_err *err);
void cd_registry_tags_free(char **tags);

/* The next page of a paginated list from a `Link` header's value (RFC
 * 8288): the URL of the first link-value whose rel holds "next", made
 * absolute against `base` ("scheme://host[:port]") unless it is an
 * http(s) URL. 1 with `url` filled; 0 when there is none, when that URL is
 * empty or holds a space or a control character, or when it would not fit
 * in n bytes. */
int cd_registry_next_link(const char *base, const char *value, char *url,
			  size_t n);

/* Deletes a manifest: by digest, or the digest a tag resolves to (2.8
 * refuses DELETE by tag; this removes every tag of that manifest). */
int cd_registry_delete(struct cd_registry *r, const struct cd_ref *ref,
		       struct cd_err *err);

#endif
