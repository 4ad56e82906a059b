/* core/artifacts.h — Skaffold's build artifacts file:
 * {"builds":[{"imageName":"...","tag":"name:tag@sha256:..."}]}.
 * Written by `cdhost build --file-output`, read by `cdhost deploy -a`
 * (Skaffold's own files too: unknown fields are ignored). */
#ifndef CD_ARTIFACTS_H
#define CD_ARTIFACTS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct cd_artifact {
	char *image; /* imageName */
	char *tag;   /* the full reference */
};

struct cd_artifacts {
	struct cd_artifact *v;
	size_t n;
};

int cd_artifacts_parse(const char *data, size_t len, struct cd_artifacts *out,
		       struct cd_err *err);
/* The entry for imageName, or NULL. */
const struct cd_artifact *cd_artifacts_find(const struct cd_artifacts *a,
					    const char *image);
int cd_artifacts_add(struct cd_artifacts *a, const char *image,
		     const char *tag);
/* Skaffold's format, keys in its order, one line. */
int cd_artifacts_write(const struct cd_artifacts *a, struct cd_buf *out);
void cd_artifacts_free(struct cd_artifacts *a);

#endif
