/* core/image.h — the native, daemonless image builder.
 *
 * Layers are made from project files (confined to the project root, a
 * .dockerignore-style ignore file honoured), written as deterministic tar
 * (core/tar) and gzip (zlib, level 1, no name, mtime 0) in one streaming
 * pass that computes diff_id and digest and spools the blob into the blob
 * store ($XDG_CACHE_HOME/cdhost/blobs/sha256, shared with core/registry).
 * A layer cache keyed by the layer's input content skips tar and gzip for
 * an unchanged layer. Config and manifests are built with a fixed key
 * order; the manifest family (OCI or Docker) follows the base. See
 * docs/internals/image.md. */
#ifndef CD_IMAGE_H
#define CD_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "digest.h"
#include "err.h"
#include "registry.h"

#define CD_IMAGE_GZIP_LEVEL 1
/* Layers are gzipped in blocks of this many uncompressed bytes, several at
 * once (docs/internals/image.md); the output does not depend on how many. */
#define CD_IMAGE_GZIP_BLOCK (1 << 20)
/* Threads compressing a layer: $CDHOST_GZIP_THREADS, else the online CPUs
 * (1..16). */
unsigned cd_image_gzip_threads(void);
#define CD_IMAGE_LABEL_INPUT "dev.cdhost.input-digest"

/* ---- ignore files (.dockerignore grammar) ---- */

struct cd_ignore {
	char **pats; /* "!" kept as the first byte for exceptions */
	size_t n;
};
/* Parses ignore-file text: one pattern a line, '#' comments, blank lines,
 * leading '/' and trailing '/' dropped, "./" prefix dropped. */
int cd_ignore_parse(const char *text, struct cd_ignore *out, struct cd_err *err);
/* 1 if path (relative, '/'-separated) is ignored: the last matching pattern
 * decides; a pattern that matches a parent directory matches its contents;
 * `*` `?` `[...]` within a segment, `**` any number of segments. */
int cd_ignore_match(const struct cd_ignore *ig, const char *path);
void cd_ignore_free(struct cd_ignore *ig);

/* ---- layers ---- */

struct cd_layer_spec {
	const char *from; /* file or directory, relative to the root */
	const char *to;   /* absolute path in the image */
	int mode;         /* files' mode, or -1: 0755 if executable else 0644 */
	const char *const *exclude; /* ignore patterns relative to `from` */
	size_t nexclude;
};

struct cd_layer_entry {
	char *name; /* tar name: no leading '/', directories end with '/' */
	char *src;  /* absolute source path (files) */
	char *link; /* symlink target */
	int type;   /* enum cd_tar_type */
	unsigned mode;
	uint64_t size;
	char digest[CD_DIGEST_MAX]; /* content (files) */
	char seen[128]; /* files: device, inode, size, mtime and ctime when
			   scanned; the tar pass refuses a file that differs */
};

struct cd_layer {
	struct cd_layer_entry *e;
	size_t n, cap;
	char key[CD_DIGEST_MAX]; /* input content: names, modes, contents */
	/* filled by cd_layer_build */
	char diff_id[CD_DIGEST_MAX], digest[CD_DIGEST_MAX];
	int64_t size;
	char *path; /* the blob in the store */
	int cached; /* reused from the layer cache */
};

/* Lists the layer's entries (sorted, parents included) and hashes their
 * content into layer->key. ignore may be NULL. */
int cd_layer_scan(const char *root, const struct cd_layer_spec *spec,
		  const struct cd_ignore *ignore, uint64_t mtime,
		  struct cd_layer *layer, struct cd_err *err);
/* Writes the layer as tar+gzip to `out`, filling diff_id, digest, size. */
int cd_layer_write(struct cd_layer *layer, uint64_t mtime, int fd,
		   struct cd_err *err);
/* Makes the layer's blob in the store (or finds it through the cache). */
int cd_layer_build(struct cd_layer *layer, uint64_t mtime, struct cd_err *err);
void cd_layer_free(struct cd_layer *layer);


/* ---- config, manifest, index ---- */

struct cd_kv {
	const char *k, *v;
};

struct cd_image_config {
	const char *const *entrypoint; size_t nentrypoint; int set_entrypoint;
	const char *const *cmd; size_t ncmd; int set_cmd;
	const struct cd_kv *env; size_t nenv;       /* merged by name */
	const char *workdir, *user;                  /* NULL = keep the base's */
	const struct cd_kv *labels; size_t nlabels;  /* merged */
	const char *const *ports; size_t nports;     /* "8080" or "53/udp" */
	const char *os, *arch, *variant;
	uint64_t created; /* SOURCE_DATE_EPOCH or 0 */
};

/* The config JSON: the base config (NULL for scratch) with the edits, the
 * layers' diff_ids and one history entry each; keys sorted. */
int cd_image_config_json(const char *base, size_t base_len,
			 const struct cd_image_config *c,
			 struct cd_layer *const *layers, size_t nlayers,
			 char **out, size_t *len, struct cd_err *err);

/* The manifest: base manifest's layers (NULL for scratch) + ours; the
 * family (OCI or Docker media types) follows base_media_type. CD_E_INVALID
 * when a base layer is not a descriptor (a valid digest, a size >= 0). */
int cd_image_manifest_json(const char *base, size_t base_len,
			   const char *base_media_type, const char *config_digest,
			   size_t config_size, struct cd_layer *const *layers,
			   size_t nlayers, const char *input_digest, char **out,
			   size_t *len, char *media_type, struct cd_err *err);

/* One child of an index picked for a platform. */
struct cd_image_platform {
	char os[32], arch[32], variant[32];
	char digest[CD_DIGEST_MAX];
};

/* The children of an index (JSON text) for the platforms asked
 * ("os/arch" matches any variant, "os/arch/variant" that one; none asked:
 * every child whose os is not "unknown"), in the index's order, at most
 * max. `what` names the index in messages. CD_E_INVALID when the text is
 * not an object with a "manifests" list or a picked child has no valid
 * digest or a platform field of 32 bytes or more; CD_E_NOT_FOUND, naming
 * the platforms the index has, when nothing matches or the number picked
 * differs from the number asked. */
int cd_image_index_pick(const char *data, size_t len, const char *what,
			const char *const *platforms, size_t nplatforms,
			struct cd_image_platform *out, size_t max, size_t *n,
			struct cd_err *err);

struct cd_image_child {
	char digest[CD_DIGEST_MAX];
	size_t size;
	char media_type[128];
	const char *os, *arch, *variant;
};
int cd_image_index_json(const char *media_type, const struct cd_image_child *c,
			size_t n, const char *input_digest, char **out,
			size_t *len, struct cd_err *err);

/* ---- the whole build ---- */

struct cd_image_spec {
	const char *name;   /* repository, after --default-repo */
	const char *tag;    /* resolved and sanitized */
	const char *base;   /* reference, or "scratch" */
	const char *const *platforms; size_t nplatforms; /* "os/arch[/variant]" */
	struct cd_layer *layers; size_t nlayers;          /* scanned */
	struct cd_image_config config;
	const char *input_digest; /* sha256:... of all inputs */
};

struct cd_image_result {
	char ref[800];  /* name:tag@digest */
	char digest[CD_DIGEST_MAX];
	int pushed;     /* built and pushed now */
	int found;      /* name:tag existed with the same inputs */
};

/* Builds and pushes (run/build mode): skipped when name:tag exists with the
 * same input digest (annotation CD_IMAGE_LABEL_INPUT). */
int cd_image_build(struct cd_registry *r, const struct cd_image_spec *s,
		   struct cd_image_result *out, struct cd_err *err);

/* sha256 over the build's inputs: a canonical JSON of the spec with each
 * layer replaced by its key. */
int cd_image_input_digest(const struct cd_image_spec *s, const char *builder,
			  char *out, struct cd_err *err);

#endif
