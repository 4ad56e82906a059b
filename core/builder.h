/* core/builder.h — external image builders (buildah, podman, docker, kaniko)
 * behind one interface: the argv of each step, the digest each reports, and
 * a failure excerpt naming the Dockerfile step (SPEC section 4).
 *
 * Pure: the Lua side (lua/l_image.c) runs the argv through core/proc.c
 * (never a shell), reads the digest file and checks the registry. buildah and
 * podman are tested end to end here; docker and kaniko only through these
 * functions (tests/unit/test_builder.c), as docs/images.md says. */
#ifndef CD_BUILDER_H
#define CD_BUILDER_H

#include <stddef.h>

#include "err.h"
#include "image.h"

enum cd_builder_kind {
	CD_BUILDER_BUILDAH,
	CD_BUILDER_PODMAN,
	CD_BUILDER_DOCKER,
	CD_BUILDER_KANIKO,
	CD_BUILDER_COUNT
};

struct cd_builder_req {
	enum cd_builder_kind kind;
	const char *context;     /* build context directory (absolute) */
	const char *dockerfile;  /* absolute path */
	const char *target;      /* multi-stage target, or NULL */
	const struct cd_kv *args; size_t nargs; /* --build-arg K=V */
	const char *const *platforms; size_t nplatforms;
	const char *ref;         /* name:tag to build and push */
	const char *digest_file; /* where the builder writes the digest */
	int insecure;            /* plain HTTP / unverified registry */
};

#define CD_BUILDER_ARGV_MAX 96

struct cd_builder_argv {
	char *v[CD_BUILDER_ARGV_MAX + 1]; /* NULL-terminated, owned */
	size_t n;
};

/* "buildah", "podman", "docker", "kaniko" -> kind; "auto" picks the first
 * found on PATH in that order (kaniko: /kaniko/executor or executor).
 * CD_E_USAGE for an unknown name, CD_E_NOT_FOUND when auto finds none. */
int cd_builder_kind_of(const char *name, enum cd_builder_kind *out,
		       struct cd_err *err);
const char *cd_builder_name(enum cd_builder_kind k);

/* The argv of step 0 (build) and step 1 (push); for step 1 of builders
 * that push while building (docker buildx, kaniko) *out stays empty
 * (n == 0). Free with cd_builder_argv_free. */
int cd_builder_argv(const struct cd_builder_req *r, int step,
		    struct cd_builder_argv *out, struct cd_err *err);
void cd_builder_argv_free(struct cd_builder_argv *a);

/* The pushed digest from what the builder wrote to its digest file
 * (buildah/podman/kaniko: "sha256:..."; docker buildx --metadata-file: JSON
 * with "containerimage.digest"). CD_E_BUILD_FAILED when there is none. */
int cd_builder_digest(enum cd_builder_kind k, const char *text, size_t len,
		      char *digest, size_t n, struct cd_err *err);

/* A one-line excerpt of a failed build: the last Dockerfile step the
 * builder announced ("STEP 3/5: RUN make", "#7 [3/5] RUN make", "RUN make")
 * and its last non-empty output line. */
void cd_builder_failure(enum cd_builder_kind k, const char *out, size_t len,
			char *msg, size_t n);

#endif
