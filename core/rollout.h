/* core/rollout.h — waiting for applied objects to roll out (SPEC section 7).
 *
 * One LIST + WATCH per (resource, namespace), never one request per object
 * and never a polling loop: the objects waited for, plus the Pods and
 * ReplicaSets of the namespaces that hold workloads (for the fail-fast
 * diagnosis). Watches ask for bookmarks, resume from the last
 * resourceVersion when the server ends them, re-list on 410 Gone/Expired
 * and reconnect with backoff when the connection drops (an API server
 * restart). Every change re-judges the objects of that namespace through
 * core/status.c (or a custom judge: Argo CD health scripts); a timer re-judges
 * the time-based rules (unschedulable > 15 s, progress deadlines) when no
 * event comes. All of it runs on one batch of the run's HTTP multi handle.
 *
 * The end: every object done (Current; gone in deletion mode; Suspended by
 * policy) → 0; the first Failed with fail_fast → CD_E_ROLLOUT_FAILED at
 * once, with a diagnosis (pod, container, image, reason, message, the last
 * warning events, the container's log tail when the API server can serve
 * it); a deadline → CD_E_TIMEOUT naming what was still in progress and why.
 * See docs/internals/rollout.md. */
#ifndef CD_ROLLOUT_H
#define CD_ROLLOUT_H

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "kube.h"
#include "status.h"

enum cd_rollout_suspended {
	CD_SUSPENDED_DONE, /* done, with a warning (default) */
	CD_SUSPENDED_WAIT, /* keep waiting */
	CD_SUSPENDED_FAIL  /* counts as Failed */
};

struct cd_rollout_feed;

struct cd_rollout_item {
	/* in */
	char api_version[128], kind[128], namespace_[254], name[254];
	long long generation; /* metadata.generation the apply returned; 0 none */
	const char *source;   /* "app.yaml:3" for messages (borrowed), or NULL */
	/* out */
	struct cd_status_result res;
	int done;       /* finished well (Current, gone, Suspended by policy) */
	int failed;     /* Failed (or Suspended with CD_SUSPENDED_FAIL) */
	int timed_out;  /* its own deadline passed (progressDeadlineSeconds) */
	int suspended;  /* a health script said Suspended */
	int seen;       /* the object was seen at least once */
	char ready[32]; /* "2/3" ready/desired for workloads, else "" */
	double seconds; /* from the start of the wait to its end */
	char *detail;   /* diagnosis lines (events, log tail), owned; or NULL */
	/* private */
	struct cd_rollout_feed *feed;
	double progress_deadline; /* seconds of no progress allowed; 0 none */
	double last_progress;     /* cd_now() of the last observed progress */
	char progress_mark[128];  /* what counted as progress */
};

struct cd_rollout_opts {
	double timeout;         /* seconds; 0: only the run's --timeout */
	int fail_fast;          /* end at the first Failed */
	int deletion;           /* wait until the objects are gone */
	unsigned status_flags;  /* CD_STATUS_LB_INGRESS, CD_STATUS_KSTATUS */
	enum cd_rollout_suspended suspended;
	int log_lines;          /* log tail of a failed container; 0: 20 */
	/* Custom judge (health scripts): 1 when it decided *res (and
	 * *suspended), 0 to use the status engine. */
	int (*judge)(void *ud, const json_t *obj, struct cd_status_result *res,
		     int *suspended);
	void *judge_ud;
	/* Called when an item's status, reason or message changes and when it
	 * ends; `final` is set for the last call of the wait. */
	void (*progress)(void *ud, const struct cd_rollout_item *items,
			 size_t n, size_t changed, int final);
	void *progress_ud;
};

struct cd_rollout_stats {
	unsigned lists, watches, relists, reconnects, events;
	unsigned long requests;
	double seconds;
};

/* Waits for items[0..n). Items of kinds that have nothing to wait for
 * (ConfigMap, Secret, RBAC, ...) should be left out by the caller or are
 * judged Current from their first LIST. Returns 0, or a negative status
 * with err filled: CD_E_ROLLOUT_FAILED, CD_E_TIMEOUT, or the error that
 * stopped the wait (unknown kind, forbidden, --offline). */
int cd_rollout_wait(struct cd_kube *k, struct cd_rollout_item *items, size_t n,
		    const struct cd_rollout_opts *o, struct cd_rollout_stats *st,
		    struct cd_err *err);
/* Frees what the wait left in items (detail). */
void cd_rollout_items_clear(struct cd_rollout_item *items, size_t n);

/* Rolls a failed Deployment, StatefulSet or DaemonSet back to its previous
 * revision, as `kubectl rollout undo` does: the pod template of the
 * previous ReplicaSet / ControllerRevision replaces spec.template (a JSON
 * patch by field manager "cdhost-rollback"). `what` gets a description
 * ("revision 2") and it->generation the patched object's generation.
 * CD_E_NOT_FOUND when there is no previous revision;
 * CD_E_INVALID for other kinds. */
int cd_rollout_undo(struct cd_kube *k, struct cd_rollout_item *it,
		    char *what, size_t n, struct cd_err *err);

/* The last `lines` lines of a container log as diagnosis text: control
 * characters (ANSI escapes included) dropped, each line cut at 512 bytes,
 * every line prefixed with `indent`. */
int cd_rollout_log_tail(const char *text, size_t len, int lines,
			const char *indent, struct cd_buf *out);

/* Kinds for which a successful apply is the whole story (ConfigMap,
 * Secret, ServiceAccount, RBAC, ...): 1 when waiting would only cost a
 * watch. */
int cd_rollout_nothing_to_wait(const char *api_version, const char *kind);

#endif
