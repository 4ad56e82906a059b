/* lua/health.h — Argo CD-compatible Lua health checks and `cdhost health`.
 *
 * Scripts live in a directory laid out as Argo CD's resource_customizations:
 * DIR/<group>/<Kind>/health.lua (DIR/<Kind>/health.lua for the core group),
 * plus wildcard directories where `_` matches anything within a segment
 * (`_.crossplane.io/_`). The built-in set, stdlib/health/ compiled into
 * the binary (stdlib_embed.h), comes after the user's directory and before
 * cdhost's status engine. Each run gets a fresh sandboxed state (lua/sandbox.h)
 * with Argo's contract: the global `obj`, base, table (+ table.getn), string,
 * math, a safe `os` with time/date/clock (also require("os")), and a budget
 * of CD_HEALTH_MAX_INSTRUCTIONS instructions, CD_HEALTH_MAX_MEMORY bytes and
 * CD_HEALTH_TIMEOUT seconds. The run happens in a forked child process, so
 * the budget holds inside one long C call too: an overrun only makes that
 * result Unknown (limit set), after CD_HEALTH_TIMEOUT + CD_HEALTH_GRACE at
 * most; it never ends the calling process, and the child takes its memory
 * with it.
 * Safe to call in a loop (rollout waits). See docs/health.md. */
#ifndef CD_HEALTH_H
#define CD_HEALTH_H

#include <jansson.h>

#include "../core/ctx.h"
#include "../core/err.h"

struct cd_cli;
struct cd_embedded;
struct lua_State;

#define CD_HEALTH_MAX_INSTRUCTIONS 50000000ULL
#define CD_HEALTH_MAX_MEMORY ((unsigned long long)128 << 20)
#define CD_HEALTH_TIMEOUT 1.0
#define CD_HEALTH_GRACE 0.25 /* then a run stuck inside C is killed */

struct cd_health_result {
	char status[16];    /* Argo's word; "" when a script returned none */
	char message[1024];
	char script[512];   /* the script that decided; "" = built-in rules */
	int failed;         /* the script raised (message says why): Unknown */
	int limit;          /* ... by tripping its budget */
};

/* "Healthy", "Progressing", ...: 1 if s is one of Argo's six words. */
int cd_health_valid(const char *s);

/* The health.lua for group/kind under dir, Argo CD's lookup: the exact
 * directory first, then wildcard directories in sorted order. *out is NULL
 * when there is none. Returns 0 or fills err. */
int cd_health_find(const char *dir, const char *group, const char *kind,
		   char **out, struct cd_err *err);

/* The built-in script for group/kind (exact first, then wildcards in
 * sorted order), or NULL. */
const struct cd_embedded *cd_health_builtin_find(const char *group,
						 const char *kind);

/* Runs the script text src (len bytes; name is its path, for messages and
 * out->script) on obj in a fresh sandbox: cd_health_run without the file. */
int cd_health_run_source(const char *name, const char *src, size_t len,
			 const json_t *obj, struct cd_ctx *ctx,
			 struct cd_health_result *out, struct cd_err *err);

/* Runs one script on obj in a fresh sandbox, in a child process. Returns 0
 * with out filled (out->failed set when the script raised or tripped its
 * budget, out->limit too for the budget: the status is then Unknown), or a
 * negative status when the script cannot be read or no process can be
 * started. Blocks for at most CD_HEALTH_TIMEOUT + CD_HEALTH_GRACE. */
int cd_health_run(const char *script, const json_t *obj, struct cd_ctx *ctx,
		  struct cd_health_result *out, struct cd_err *err);

/* The health of obj in Argo's words: a set deletionTimestamp is
 * Progressing "Pending deletion" (as Argo CD), then the script found under
 * dir (may be NULL), then the built-in script, else cdhost's status engine
 * mapped to Argo's words. */
int cd_health_eval(const json_t *obj, const char *dir, struct cd_ctx *ctx,
		   struct cd_health_result *out, struct cd_err *err);

/* The YAML documents of src (name: its path, for messages) as a new JSON
 * array (*out), decoded in L (cd_value_init is called once per state).
 * Returns 0, or a negative status with err naming name (out of memory
 * included). Reads health_test.yaml and test inputs. */
int cd_health_load_yaml(struct lua_State *L, const char *name,
			const char *src, size_t len, json_t **out,
			struct cd_err *err);

/* `cdhost health -f OBJ.yaml` and `cdhost health test DIR`; returns the
 * process exit code (docs/health.md). */
int cd_health_cmd(struct cd_cli *cli);

#endif
