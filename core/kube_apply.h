/* core/kube_apply.h — server-side apply of an object set, prune through an
 * ApplySet, diff and delete (SPEC sections 3 and 6).
 *
 * Order: cd_manifest_kind_rank (Namespaces, CRDs, Helm's install order,
 * unknown kinds last); the objects of one kind go out in parallel; custom
 * resources wait until the CRDs of the set report Established. ApplySet:
 * kubectl's parent Secret, id, labels and annotations, so kubectl sees the
 * same set; a Lease next to the parent serializes two deploys of one set.
 * See docs/internals/kube.md. */
#ifndef CD_KUBE_APPLY_H
#define CD_KUBE_APPLY_H

#include <jansson.h>

#include "buf.h"
#include "kube.h"

enum cd_kube_op { CD_KUBE_APPLY, CD_KUBE_DIFF, CD_KUBE_DELETE };

/* Renders an object as text for diffs (YAML, from lua/value*.c). */
typedef int (*cd_kube_text_fn)(void *ud, const json_t *obj,
			       struct cd_buf *out);

struct cd_kube_apply_opts {
	enum cd_kube_op op;
	int force;              /* take over conflicting fields */
	int prune;              /* delete set members no longer present */
	const char *applyset;   /* parent Secret name; NULL: no set */
	const char *namespace_; /* default namespace; NULL: the kubeconfig's */
	const char *field_manager; /* NULL: "cdhost" */
	const char *tooling;    /* "cdhost/<version>" */
	double lock_wait;       /* seconds to wait for the set's Lease */
	const char *propagation; /* delete and prune: Background (default),
				    Foreground, Orphan, in any case */
	int dry_run;            /* delete: every DELETE a server-side dry run
				   (dryRun=All), the Lease not taken; the
				   results say "would delete" */
	int show_secrets;       /* diff: print Secret values */
	cd_kube_text_fn text;   /* diff */
	void *text_ud;
	struct cd_buf *diff;    /* diff output */
};

/* Applies (or diffs, or deletes) objs, a JSON array of objects; sources[i]
 * names where object i came from ("app.yaml:2", may be NULL). *results gets
 * one entry per object in apply order: {apiVersion, kind, namespace, name,
 * uid, generation, resourceVersion, changed, action} plus, for pruned
 * objects, action "pruned"/"deleted"; in diff, `diff` = the object's part of
 * o->diff. *changes counts objects that differ (diff) or changed (apply). */
int cd_kube_apply(struct cd_kube *k, json_t *objs, const char *const *sources,
		  const struct cd_kube_apply_opts *o, json_t **results,
		  unsigned *changes, struct cd_err *err);

/* kubectl's ApplySet id for a parent Secret `name` in `ns`:
 * "applyset-" + base64url(sha256("<name>.<ns>.Secret.")) + "-v1". */
void cd_applyset_id(const char *name, const char *ns, char *out, size_t n);

/* The JSON Patch that moves fields owned by kubectl's client-side apply to
 * `manager` (client-go's csaupgrade), or NULL when there is nothing to do. */
json_t *cd_kube_csa_upgrade_patch(const json_t *live, const char *manager);

/* A copy of obj without the fields diff ignores (managedFields,
 * resourceVersion, generation, uid, creationTimestamp, status, ...), Secret
 * values masked unless show_secrets. */
json_t *cd_kube_diff_clean(const json_t *obj, int show_secrets);

#endif
