/* core/status.h — the status engine: one Kubernetes object in, one status out.
 *
 * Pure and table-driven (no I/O, no clock unless asked): the waiter, the
 * `health` command and `cdhost.rollout.status` all go through here, and the
 * unit tests feed it recorded JSON. The words are kstatus's (SPEC section 7):
 * Current, InProgress, Failed, Terminating, NotFound, Unknown.
 *
 * The rules are kstatus's algorithm (kubernetes-sigs/cli-utils pkg/kstatus)
 * plus cdhost's improvements (docs/internals/status.md): a Deployment fails
 * from the pods of its new ReplicaSet, init containers count, image pull
 * errors / CrashLoopBackOff / CreateContainerConfigError / OOMKilled and
 * friends fail fast, a pod unschedulable for more than 15 s fails with the
 * scheduler's message, Jobs wait for Complete, LoadBalancer Services can
 * wait for an ingress, and the generation recorded at apply time must be
 * observed. CD_STATUS_KSTATUS turns the improvements off (kstatus exactly). */
#ifndef CD_STATUS_H
#define CD_STATUS_H

#include <jansson.h>

enum cd_status {
	CD_STATUS_CURRENT = 0,
	CD_STATUS_IN_PROGRESS,
	CD_STATUS_FAILED,
	CD_STATUS_TERMINATING,
	CD_STATUS_NOT_FOUND,
	CD_STATUS_UNKNOWN,
	CD_STATUS_COUNT
};

enum {
	CD_STATUS_KSTATUS = 1 << 0,    /* kstatus exactly: no improvements */
	CD_STATUS_LB_INGRESS = 1 << 1, /* LoadBalancer Services wait for
					  status.loadBalancer.ingress */
};

/* How long a pod may stay unschedulable (and a ReplicaSet fail to create
 * pods) before it counts as Failed; kstatus's ScheduleWindow. */
#define CD_STATUS_SCHEDULE_WINDOW 15.0

struct cd_status_opts {
	unsigned flags;
	double now;          /* seconds since the epoch; 0 = the wall clock */
	long long expected_generation; /* metadata.generation the apply
					  returned; 0 = none recorded */
};

/* Objects related to the one being judged, for diagnosis (all borrowed,
 * each a JSON array or NULL): the ReplicaSets of a Deployment, the pods of
 * a workload, and events (core/v1 Event or events.k8s.io/v1). */
struct cd_status_related {
	const json_t *replicasets;
	const json_t *pods;
	const json_t *events;
};

#define CD_STATUS_REASON_MAX 64
#define CD_STATUS_MESSAGE_MAX 1024

#define CD_STATUS_NAME_MAX 254

struct cd_status_result {
	enum cd_status status;
	char reason[CD_STATUS_REASON_MAX];   /* CamelCase; "" when none */
	char message[CD_STATUS_MESSAGE_MAX]; /* one line */
	/* When a pod's problem decided a Failed: that pod, and the container
	 * ("" for scheduling); previous = it has exited before (its log tail
	 * is the previous instance's). */
	char pod[CD_STATUS_NAME_MAX], namespace_[64];
	char container[CD_STATUS_NAME_MAX];
	int previous;
};

/* Computes the status of obj (NULL = the object does not exist: NotFound).
 * related and opts may be NULL. Never fails: what cannot be judged (an
 * object that is not a JSON object, an unknown pod phase) is Unknown with a
 * message saying why. */
void cd_status_compute(const json_t *obj, const struct cd_status_related *rel,
		       const struct cd_status_opts *opts,
		       struct cd_status_result *out);

/* "Current", "InProgress", ... */
const char *cd_status_name(enum cd_status s);
/* Inverse of cd_status_name; CD_STATUS_COUNT when unknown. */
enum cd_status cd_status_from_name(const char *name);

/* RFC 3339 timestamp ("2024-05-01T10:00:00Z", fractions and offsets
 * allowed) -> seconds since the epoch; -1 when it does not parse. */
double cd_status_parse_time(const char *s);

#endif
