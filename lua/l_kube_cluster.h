/* lua/l_kube_cluster.h — cdhost.kube's cluster side: kube.apply in
 * run/deploy/diff/delete modes, kube.get/list/delete (lua/l_kube_cluster.c).
 * The render path stays in lua/l_kube.c. */
#ifndef CD_L_KUBE_CLUSTER_H
#define CD_L_KUBE_CLUSTER_H

#include <jansson.h>
#include <lua.h>

#include "../core/err.h"
#include "../core/mode.h"

/* A cd_kubeconfig_parse_fn over lua/value*.c: ud is a lua_State with
 * cd_value_init done. The first YAML document becomes *out (JSON null for
 * an empty file). */
int cd_l_kube_parse_yaml(void *ud, const char *path, const char *text,
			 size_t n, json_t **out, struct cd_err *err);

/* kube.apply(objs, opts) for act DO, DIFF or DELETE: pushes the result. */
int cd_l_kube_apply_cluster(lua_State *L, enum cd_action act);

/* Appends text to what the run prints on stdout once it succeeded (the
 * render/diff product; lua/l_kube.c). 0, or -1 when too large. */
int cd_l_kube_pending_append(lua_State *L, const char *text, size_t n);

/* discover(apiVersion, kind) -> namespaced (boolean), or nil and why the
 * cluster could not say (no kubeconfig, unreachable, no such kind). For the
 * manifest module's namespace transform. */
int cd_l_kube_discover(lua_State *L);
/* capabilities([context]) -> {kube_version=, api_versions={...}} from
 * discovery, or nil and why not. For helm.template. */
int cd_l_kube_capabilities(lua_State *L);

/* The run's client for a kube context (NULL: --context / the current
 * one), opened on first use; raises on a bad kubeconfig. */
struct cd_kube;
struct cd_kube *cd_l_kube_client(lua_State *L, const char *op,
				 const char *context);

/* Adds get, list and delete to the kube module table at index t. */
void cd_l_kube_cluster_register(lua_State *L, int t);

#endif
