/* lua/host.h — the `cdhost` table recipes see, and `require`.
 *
 * cd_host_open builds the cdhost table (every module a read-only proxy, so a
 * recipe cannot replace a primitive that libraries see), installs it as the
 * base global `cdhost`, and installs the sandboxed `require`: embedded stdlib
 * (package.preload), then the project root. Call it under lua_pcall. */
#ifndef CD_HOST_H
#define CD_HOST_H

#include <lua.h>

#include "../core/ctx.h"

struct cd_registry;

int cd_host_open(lua_State *L);

/* Per-module registration, one per binding file (lua/l_<module>.c). Each
 * adds its functions to the table at index t. */
void cd_l_fs_register(lua_State *L, int t);
void cd_l_log_register(lua_State *L, int t);
void cd_l_kube_register(lua_State *L, int t);
/* cdhost.registry (lua/l_registry.c). */
void cd_l_registry_register(lua_State *L, int t);
/* The run's registry client (created on first use; raises on failure). */
struct cd_registry *cd_l_registry_client(lua_State *L, const char *op);
/* A client of its own for an offloaded part (lua/parallel.h), pushed on
 * the stack (keep it there while the part runs; __gc frees it). */
struct cd_registry *cd_l_registry_client_own(lua_State *L, const char *op);
/* cdhost.image.build, cdhost.tag (lua/l_image.c). */
void cd_l_image_register(lua_State *L, int t);
/* Writes --file-output (build/run mode) once the recipe has succeeded.
 * 0, or -1 on a write error (reported). */
int cd_l_image_flush(lua_State *L);
/* Writes what render mode rendered to stdout (call once the recipe has
 * succeeded; on failure nothing is printed). 0, or -1 on a write error. */
int cd_l_kube_flush(lua_State *L);
/* cdhost.manifest, cdhost.helm, cdhost.kustomize (lua/l_manifest.c). */
void cd_l_manifest_register(lua_State *L, int t);
/* cdhost.rollout.status (lua/l_rollout.c). */
void cd_l_rollout_register(lua_State *L, int t);
/* cdhost.git.commit (lua/l_git.c). */
void cd_l_git_register(lua_State *L, int t);
void cd_l_require_install(lua_State *L);
/* Pushes the value of `cdhost.args` built from ctx->sets (raises usage). */
void cd_l_args_push(lua_State *L, const struct cd_ctx *ctx);

/* Raises a "not implemented yet" usage error for op. */
int cd_l_unimplemented(lua_State *L);

#endif
