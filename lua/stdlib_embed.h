/* The stdlib's Lua sources, compiled into the binary (stdlib/embed.cmake). */
#ifndef CD_STDLIB_EMBED_H
#define CD_STDLIB_EMBED_H

#include <stddef.h>

struct cd_embedded {
	const char *module; /* "cdhost.pipeline" */
	const char *path;   /* "stdlib/cdhost/pipeline.lua", for messages */
	const char *source;
	size_t len;
};

extern const struct cd_embedded cd_stdlib[]; /* ends with a NULL module */
/* The built-in health checks, stdlib/health/<group>/<Kind>/health.lua;
 * module is "<group>/<Kind>" ("<Kind>" for the core group), in sorted
 * order; ends with a NULL module. */
extern const struct cd_embedded cd_health_builtin[];
/* The files `cdhost init` writes, stdlib/scaffold/<path>; module is the
 * path relative to the new project ("k8s/service.yaml"); ends with a NULL
 * module. */
extern const struct cd_embedded cd_scaffold[];

#endif
