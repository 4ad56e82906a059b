/* core/status.c — kstatus's rules plus cdhost's fail-fast diagnosis.
 *
 * Read docs/internals/status.md first: it lists every rule in order, and
 * which ones are kstatus's and which are cdhost's. The structure follows
 * kstatus: generic checks (deletion, generation, Reconciling/Stalled), then
 * one rule per group/kind from the table at the bottom, then the Ready
 * condition, then Current. */
#include "status.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* One judgement in progress. */
struct judge {
	const json_t *obj;
	const struct cd_status_related *rel;
	struct cd_status_opts opts;
	int kstatus; /* CD_STATUS_KSTATUS */
	struct cd_status_result *out;
};

static const char *const status_names[CD_STATUS_COUNT] = {
	"Current", "InProgress", "Failed", "Terminating", "NotFound", "Unknown"};

const char *cd_status_name(enum cd_status s)
{
	return s < CD_STATUS_COUNT ? status_names[s] : "Unknown";
}

enum cd_status cd_status_from_name(const char *name)
{
	for (int i = 0; i < CD_STATUS_COUNT; i++)
		if (name && strcmp(name, status_names[i]) == 0)
			return (enum cd_status)i;
	return CD_STATUS_COUNT;
}

/* ---- reading unstructured JSON ---- */

/* The value at a dotted path ("status.conditions"), or NULL. */
static const json_t *at(const json_t *o, const char *path)
{
	char key[128];
	while (o && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof key || !json_is_object(o))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		o = json_object_get(o, key);
		path += n + (path[n] == '.');
	}
	return o;
}

static const char *str_at(const json_t *o, const char *path, const char *def)
{
	const json_t *v = at(o, path);
	return json_is_string(v) ? json_string_value(v) : def;
}

/* Integer-typed fields only, as kstatus reads them; else def. */
static long long int_at(const json_t *o, const char *path, long long def)
{
	const json_t *v = at(o, path);
	return json_is_integer(v) ? json_integer_value(v) : def;
}

/* A string member whose key may contain dots (labels, annotations). */
static const char *member(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int has_int(const json_t *o, const char *path)
{
	return json_is_integer(at(o, path));
}

static int bool_at(const json_t *o, const char *path, int def)
{
	const json_t *v = at(o, path);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

/* The first condition of `type` (and `status`, unless NULL), in order. */
static const json_t *condition(const json_t *o, const char *type,
			       const char *status)
{
	const json_t *cs = at(o, "status.conditions"), *c;
	size_t i;
	json_array_foreach(cs, i, c) {
		if (strcmp(str_at(c, "type", ""), type) == 0 &&
		    (!status || strcmp(str_at(c, "status", ""), status) == 0))
			return c;
	}
	return NULL;
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

double cd_status_parse_time(const char *s)
{
	struct tm tm;
	int n = 0;
	double frac = 0;
	memset(&tm, 0, sizeof tm);
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year,
			 &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &n) != 6)
		return -1;
	s += n;
	if (*s == '.') {
		char *end;
		frac = strtod(s, &end);
		s = end;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	double t = (double)timegm(&tm) + frac;
	if (*s == 'Z' || *s == 'z')
		return s[1] ? -1 : t;
	int oh, om;
	if ((*s == '+' || *s == '-') && sscanf(s + 1, "%2d:%2d", &oh, &om) == 2)
		return t - (*s == '+' ? 1 : -1) * (oh * 3600.0 + om * 60.0);
	return -1;
}

/* ---- results ---- */

/* Control characters (line breaks, escapes) of the object's text become
 * spaces: reason and message are one line of plain text. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

__attribute__((format(printf, 4, 5))) static void
set(struct judge *j, enum cd_status st, const char *reason, const char *fmt,
    ...)
{
	va_list ap;
	j->out->status = st;
	snprintf(j->out->reason, sizeof j->out->reason, "%s", reason);
	va_start(ap, fmt);
	vsnprintf(j->out->message, sizeof j->out->message, fmt, ap);
	va_end(ap);
	one_line(j->out->reason);
	one_line(j->out->message);
}

/* Appends to the message (cut at the buffer's end). */
__attribute__((format(printf, 2, 3))) static void append(struct judge *j,
							 const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(j->out->message);
	va_start(ap, fmt);
	vsnprintf(j->out->message + n, sizeof j->out->message - n, fmt, ap);
	va_end(ap);
	one_line(j->out->message + n);
}

/* One count check of a kind rule: InProgress when more > less. */
struct step {
	long long more, less;
	const char *reason, *fmt; /* fmt takes x and y */
	long long x, y;
};

/* Sets InProgress from the first step that holds; 1 if one did. */
static int first_step(struct judge *j, const struct step *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].more <= s[i].less)
			continue;
		j->out->status = CD_STATUS_IN_PROGRESS;
		snprintf(j->out->reason, sizeof j->out->reason, "%s",
			 s[i].reason);
		snprintf(j->out->message, sizeof j->out->message, s[i].fmt,
			 s[i].x, s[i].y);
		return 1;
	}
	return 0;
}
#define NSTEPS(a) (sizeof(a) / sizeof *(a))

static const char *kind_of(const json_t *o)
{
	return str_at(o, "kind", "");
}

/* ---- pods: cdhost's fail-fast diagnosis ---- */

/* Waiting reasons that will not fix themselves (kubelet's images/types.go
 * and kuberuntime_container.go names). */
static const char *const fatal_waiting[] = {
	"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull",
	"InvalidImageName", "ImageInspectError", "CreateContainerConfigError",
	"CreateContainerError", "RunContainerError", "PreStartHookError",
	"PostStartHookError", "CrashLoopBackOff", NULL};

static int is_fatal_waiting(const char *reason)
{
	for (int i = 0; reason && fatal_waiting[i]; i++)
		if (strcmp(reason, fatal_waiting[i]) == 0)
			return 1;
	return 0;
}

/* One container's fail-fast problem, as "reason" + detail. */
struct problem {
	char reason[CD_STATUS_REASON_MAX];
	char detail[768];
	char container[CD_STATUS_NAME_MAX];
	int previous; /* the container has exited before: its last log */
};

/* Records which pod and container the failure is about (the waiter fetches
 * that container's log tail). */
static void set_culprit(struct judge *j, const json_t *pod,
			const struct problem *p)
{
	snprintf(j->out->pod, sizeof j->out->pod, "%s",
		 str_at(pod, "metadata.name", ""));
	snprintf(j->out->namespace_, sizeof j->out->namespace_, "%s",
		 str_at(pod, "metadata.namespace", ""));
	snprintf(j->out->container, sizeof j->out->container, "%s",
		 p->container);
	j->out->previous = p->previous;
}

static const char *pod_name(const json_t *pod)
{
	return str_at(pod, "metadata.name", "?");
}

/* The image of a container: its status, else its spec. */
static const char *image_of(const json_t *pod, const char *list,
			    const json_t *cs)
{
	const char *img = str_at(cs, "image", NULL);
	const json_t *specs = at(pod, list), *c;
	size_t i;
	if (img && *img)
		return img;
	json_array_foreach(specs, i, c) {
		if (streq(str_at(c, "name", NULL), str_at(cs, "name", "")))
			return str_at(c, "image", "?");
	}
	return "?";
}

/* " (last exit: OOMKilled, exit code 137)" from lastState, or "". */
static void last_exit(const json_t *cs, char *buf, size_t n)
{
	const json_t *t = at(cs, "lastState.terminated");
	buf[0] = '\0';
	if (t)
		snprintf(buf, n, "; last exit: %s, exit code %lld",
			 str_at(t, "reason", "?"), int_at(t, "exitCode", -1));
}

/* Checks one container status; fills p and returns 1 on a problem. */
static int container_problem(const json_t *pod, const json_t *cs,
			     const char *what, const char *speclist,
			     struct problem *p)
{
	const char *name = str_at(cs, "name", "?");
	const char *img = image_of(pod, speclist, cs);
	const json_t *w = at(cs, "state.waiting");
	const json_t *t = at(cs, "state.terminated");
	const json_t *lt = at(cs, "lastState.terminated");
	char last[128];

	snprintf(p->container, sizeof p->container, "%s", name);
	p->previous = lt != NULL;
	last_exit(cs, last, sizeof last);
	if (w && is_fatal_waiting(str_at(w, "reason", NULL))) {
		snprintf(p->reason, sizeof p->reason, "%s",
			 str_at(w, "reason", ""));
		snprintf(p->detail, sizeof p->detail,
			 "%s %s (image %s): %s%s%s%s", what, name, img,
			 p->reason, *str_at(w, "message", "") ? ": " : "",
			 str_at(w, "message", ""), last);
		return 1;
	}
	const json_t *oom = streq(str_at(t, "reason", NULL), "OOMKilled") ? t
			    : streq(str_at(lt, "reason", NULL), "OOMKilled") &&
					    !bool_at(cs, "ready", 0)
				    ? lt
				    : NULL;
	if (oom) {
		snprintf(p->reason, sizeof p->reason, "OOMKilled");
		snprintf(p->detail, sizeof p->detail,
			 "%s %s (image %s): OOMKilled: out of memory (exit "
			 "code %lld, %lld restart(s)); raise its memory limit",
			 what, name, img, int_at(oom, "exitCode", -1),
			 int_at(cs, "restartCount", 0));
		return 1;
	}
	return 0;
}

/* How long the pod has been unschedulable, or -1 if it is not. */
static double unschedulable_for(const json_t *pod, double now)
{
	const json_t *c = condition(pod, "PodScheduled", "False");
	if (!c || !streq(str_at(c, "reason", NULL), "Unschedulable"))
		return -1;
	double since = cd_status_parse_time(str_at(c, "lastTransitionTime",
						   NULL));
	if (since < 0)
		since = cd_status_parse_time(
			str_at(pod, "metadata.creationTimestamp", NULL));
	return since < 0 ? 1e9 : now - since; /* kstatus: zero time */
}

/* The first fail-fast problem of a pod: init containers first, then the
 * containers, then scheduling. Pods that have ended or are being deleted
 * have none (their controller replaces them). */
static int pod_problem(const json_t *pod, double now, struct problem *p)
{
	static const struct {
		const char *statuses, *specs, *what;
	} lists[] = {
		{"status.initContainerStatuses", "spec.initContainers",
		 "init container"},
		{"status.containerStatuses", "spec.containers", "container"},
	};
	const char *phase = str_at(pod, "status.phase", "");
	const json_t *cs;
	size_t i;

	if (at(pod, "metadata.deletionTimestamp") || streq(phase, "Succeeded") ||
	    streq(phase, "Failed"))
		return 0;
	for (size_t l = 0; l < sizeof lists / sizeof *lists; l++)
		json_array_foreach(at(pod, lists[l].statuses), i, cs) {
			if (container_problem(pod, cs, lists[l].what,
					      lists[l].specs, p))
				return 1;
		}
	double age = unschedulable_for(pod, now);
	if (age >= CD_STATUS_SCHEDULE_WINDOW) {
		const json_t *c = condition(pod, "PodScheduled", "False");
		snprintf(p->reason, sizeof p->reason, "PodUnschedulable");
		p->container[0] = '\0';
		p->previous = 0;
		if (age >= 1e9)
			snprintf(p->detail, sizeof p->detail,
				 "unschedulable: %s", str_at(c, "message", ""));
		else
			snprintf(p->detail, sizeof p->detail,
				 "unschedulable for %.0fs: %s", age,
				 str_at(c, "message", ""));
		return 1;
	}
	return 0;
}

/* The time of an event: lastTimestamp, eventTime, series, creation. */
static double event_time(const json_t *e)
{
	static const char *const fields[] = {
		"lastTimestamp", "series.lastObservedTime", "eventTime",
		"deprecatedLastTimestamp", "metadata.creationTimestamp", NULL};
	for (int i = 0; fields[i]; i++) {
		double t = cd_status_parse_time(str_at(e, fields[i], NULL));
		if (t >= 0)
			return t;
	}
	return 0;
}

/* The latest Warning event about kind/name (core/v1 involvedObject or
 * events.k8s.io/v1 regarding). */
static const json_t *last_warning(const struct cd_status_related *rel,
				  const char *kind, const char *name)
{
	const json_t *best = NULL, *e;
	double best_t = -1;
	size_t i;
	if (!rel)
		return NULL;
	json_array_foreach(rel->events, i, e) {
		const json_t *o = at(e, "involvedObject");
		if (!o)
			o = at(e, "regarding");
		if (!streq(str_at(e, "type", NULL), "Warning") ||
		    !streq(str_at(o, "kind", NULL), kind) ||
		    !streq(str_at(o, "name", NULL), name))
			continue;
		double t = event_time(e);
		if (t >= best_t) {
			best = e;
			best_t = t;
		}
	}
	return best;
}

static void append_event(struct judge *j, const char *kind, const char *name)
{
	const json_t *e = last_warning(j->rel, kind, name);
	if (!e)
		return;
	const char *msg = str_at(e, "message", NULL);
	if (!msg)
		msg = str_at(e, "note", "");
	append(j, " (last warning event: %s: %s)", str_at(e, "reason", "?"),
	       msg);
}

/* ---- ownership ---- */

/* 1 if o has an ownerReference to owner (by uid when both have one, else
 * by kind and name). */
static int owned_by(const json_t *o, const json_t *owner)
{
	const char *uid = str_at(owner, "metadata.uid", NULL);
	const json_t *refs = at(o, "metadata.ownerReferences"), *r;
	size_t i;
	json_array_foreach(refs, i, r) {
		const char *ruid = str_at(r, "uid", NULL);
		if (uid && ruid) {
			if (strcmp(uid, ruid) == 0)
				return 1;
		} else if (streq(str_at(r, "kind", NULL), kind_of(owner)) &&
			   streq(str_at(r, "name", NULL),
				 str_at(owner, "metadata.name", ""))) {
			return 1;
		}
	}
	return 0;
}

/* Looks through the pods of `owner` (and, when label/value are given,
 * only those carrying that label) for a fail-fast problem; on one, sets a
 * Failed result "<prefix>pod P: <detail>" and returns 1. */
static int fail_from_pods(struct judge *j, const json_t *owner,
			  const char *label, const char *value,
			  const char *prefix)
{
	const json_t *pod, *first = NULL;
	struct problem p, first_p;
	int failing = 0, total = 0;
	size_t i;
	if (!j->rel)
		return 0;
	json_array_foreach(j->rel->pods, i, pod) {
		if (!owned_by(pod, owner))
			continue;
		if (label) {
			const json_t *labels = at(pod, "metadata.labels");
			if (!streq(member(labels, label), value))
				continue;
		}
		total++;
		if (pod_problem(pod, j->opts.now, &p) && failing++ == 0) {
			first = pod;
			first_p = p;
		}
	}
	if (!first)
		return 0;
	set(j, CD_STATUS_FAILED, first_p.reason, "%spod %s: %s", prefix,
	    pod_name(first), first_p.detail);
	set_culprit(j, first, &first_p);
	if (failing > 1)
		append(j, " (%d of %d pods failing)", failing, total);
	append_event(j, "Pod", pod_name(first));
	return 1;
}

/* ---- generic rules (kstatus generic.go, status.go) ---- */

static int is_workload(const char *kind)
{
	static const char *const k[] = {"Deployment", "StatefulSet",
					"DaemonSet", "ReplicaSet", NULL};
	for (int i = 0; k[i]; i++)
		if (strcmp(kind, k[i]) == 0)
			return 1;
	return 0;
}

/* cdhost: the generation the apply returned must be observed. */
static int check_expected_generation(struct judge *j)
{
	long long want = j->opts.expected_generation;
	const json_t *o = j->obj;
	if (j->kstatus || want <= 0)
		return 0;
	if (has_int(o, "metadata.generation") &&
	    int_at(o, "metadata.generation", 0) < want) {
		set(j, CD_STATUS_IN_PROGRESS, "StaleObject",
		    "%s generation is %lld, older than the applied generation "
		    "%lld",
		    kind_of(o), int_at(o, "metadata.generation", 0), want);
		return 1;
	}
	if (has_int(o, "status.observedGeneration")) {
		long long seen = int_at(o, "status.observedGeneration", 0);
		if (seen >= want)
			return 0;
		set(j, CD_STATUS_IN_PROGRESS, "LatestGenerationNotObserved",
		    "%s applied generation is %lld, but latest observed "
		    "generation is %lld",
		    kind_of(o), want, seen);
		return 1;
	}
	if (is_workload(kind_of(o))) {
		set(j, CD_STATUS_IN_PROGRESS, "LatestGenerationNotObserved",
		    "%s applied generation is %lld, not observed by its "
		    "controller yet",
		    kind_of(o), want);
		return 1;
	}
	return 0;
}

static int check_generic(struct judge *j)
{
	const json_t *o = j->obj, *c;
	size_t i;
	if (*str_at(o, "metadata.deletionTimestamp", "")) {
		set(j, CD_STATUS_TERMINATING, "", "Resource scheduled for "
						  "deletion");
		return 1;
	}
	if (check_expected_generation(j))
		return 1;
	if (has_int(o, "metadata.generation") &&
	    has_int(o, "status.observedGeneration")) {
		long long g = int_at(o, "metadata.generation", 0);
		long long og = int_at(o, "status.observedGeneration", 0);
		if (g != og) {
			set(j, CD_STATUS_IN_PROGRESS,
			    "LatestGenerationNotObserved",
			    "%s generation is %lld, but latest observed "
			    "generation is %lld",
			    kind_of(o), g, og);
			return 1;
		}
	}
	json_array_foreach(at(o, "status.conditions"), i, c) {
		const char *type = str_at(c, "type", "");
		if (!streq(str_at(c, "status", NULL), "True"))
			continue;
		if (strcmp(type, "Reconciling") == 0) {
			set(j, CD_STATUS_IN_PROGRESS, str_at(c, "reason", ""),
			    "%s", str_at(c, "message", ""));
			return 1;
		}
		if (strcmp(type, "Stalled") == 0) {
			set(j, CD_STATUS_FAILED, str_at(c, "reason", ""), "%s",
			    str_at(c, "message", ""));
			return 1;
		}
	}
	return 0;
}

/* kstatus checkReadyCondition; cdhost also ignores a Ready=True that
 * describes an older generation (as kubectl wait does). */
static int check_ready(struct judge *j)
{
	const json_t *c;
	size_t i;
	json_array_foreach(at(j->obj, "status.conditions"), i, c) {
		if (!streq(str_at(c, "type", NULL), "Ready"))
			continue;
		const char *st = str_at(c, "status", "");
		if (strcmp(st, "True") == 0) {
			long long cg = int_at(c, "observedGeneration", 0);
			long long g = int_at(j->obj, "metadata.generation", 0);
			if (!j->kstatus && cg > 0 && cg < g) {
				set(j, CD_STATUS_IN_PROGRESS,
				    "LatestGenerationNotObserved",
				    "Ready condition describes generation "
				    "%lld, the object is at generation %lld",
				    cg, g);
				return 1;
			}
			set(j, CD_STATUS_CURRENT, "", "Resource is Ready");
			return 1;
		}
		if (strcmp(st, "False") == 0 || strcmp(st, "Unknown") == 0) {
			set(j, CD_STATUS_IN_PROGRESS, str_at(c, "reason", ""),
			    "%s", str_at(c, "message", ""));
			return 1;
		}
	}
	return 0;
}

/* ---- kind rules (kstatus core.go, then cdhost's additions) ---- */

static void always_ready(struct judge *j)
{
	set(j, CD_STATUS_CURRENT, "", "Resource is always ready");
}

static void pdb_rule(struct judge *j)
{
	set(j, CD_STATUS_CURRENT, "", "AllowedDisruptions has been computed.");
}

/* The ReplicaSet of a Deployment whose revision is the Deployment's. */
static const json_t *new_replicaset(struct judge *j)
{
	static const char rev[] = "deployment.kubernetes.io/revision";
	const json_t *ann = at(j->obj, "metadata.annotations"), *rs;
	const char *want = member(ann, rev);
	size_t i;
	if (!j->rel || !want)
		return NULL;
	json_array_foreach(j->rel->replicasets, i, rs) {
		if (owned_by(rs, j->obj) &&
		    streq(member(at(rs, "metadata.annotations"), rev), want))
			return rs;
	}
	return NULL;
}

/* cdhost: a Deployment fails from its new ReplicaSet: its pods' fail-fast
 * problems, or a ReplicaFailure (quota, admission webhook) older than the
 * schedule window. */
static int deployment_from_new_rs(struct judge *j)
{
	char prefix[256];
	const json_t *rs = new_replicaset(j);
	if (!rs)
		return 0;
	const char *rsname = str_at(rs, "metadata.name", "?");
	snprintf(prefix, sizeof prefix, "new ReplicaSet %s (revision %s): ",
		 rsname,
		 member(at(rs, "metadata.annotations"),
			"deployment.kubernetes.io/revision"));
	if (fail_from_pods(j, rs, NULL, NULL, prefix))
		return 1;
	const json_t *c = condition(rs, "ReplicaFailure", "True");
	double since = cd_status_parse_time(str_at(c, "lastTransitionTime", ""));
	if (c && since >= 0 &&
	    j->opts.now - since >= CD_STATUS_SCHEDULE_WINDOW) {
		set(j, CD_STATUS_FAILED, "ReplicaFailure", "%s%s: %s", prefix,
		    str_at(c, "reason", "ReplicaFailure"),
		    str_at(c, "message", ""));
		append_event(j, "ReplicaSet", rsname);
		return 1;
	}
	return 0;
}

static void deployment_counts(struct judge *j, int progressing, int available)
{
	const json_t *o = j->obj;
	long long spec = int_at(o, "spec.replicas", 1);
	long long st = int_at(o, "status.replicas", 0);
	long long upd = int_at(o, "status.updatedReplicas", 0);
	long long ready = int_at(o, "status.readyReplicas", 0);
	long long avail = int_at(o, "status.availableReplicas", 0);
	const struct step steps[] = {
		{spec, st, "LessReplicas", "Replicas: %lld/%lld", st, spec},
		{spec, upd, "LessUpdated", "Updated: %lld/%lld", upd, spec},
		{st, spec, "ExtraPods", "Pending termination: %lld", st - spec, 0},
		{upd, avail, "LessAvailable", "Available: %lld/%lld", avail, upd},
		{spec, ready, "LessReady", "Ready: %lld/%lld", ready, spec},
		{!progressing, 0, "ReplicaSetNotAvailable",
		 "ReplicaSet not Available", 0, 0},
		{!available, 0, "DeploymentNotAvailable",
		 "Deployment not Available", 0, 0},
	};
	if (!first_step(j, steps, NSTEPS(steps)))
		set(j, CD_STATUS_CURRENT, "",
		    "Deployment is available. Replicas: %lld", st);
}

static void deployment_rule(struct judge *j)
{
	const json_t *o = j->obj, *c;
	int progressing = int_at(o, "spec.progressDeadlineSeconds", INT_MAX) ==
			  INT_MAX;
	int available = 0;
	size_t i;

	json_array_foreach(at(o, "status.conditions"), i, c) {
		const char *type = str_at(c, "type", "");
		int is_true = streq(str_at(c, "status", NULL), "True");
		const char *reason = str_at(c, "reason", "");
		if (strcmp(type, "Progressing") == 0) {
			if (strcmp(reason, "ProgressDeadlineExceeded") == 0) {
				set(j, CD_STATUS_FAILED, reason,
				    "Progress deadline exceeded");
				if (!j->kstatus && *str_at(c, "message", ""))
					append(j, ": %s",
					       str_at(c, "message", ""));
				if (!j->kstatus) {
					struct cd_status_result keep = *j->out;
					if (deployment_from_new_rs(j))
						return;
					*j->out = keep;
				}
				return;
			}
			if (is_true &&
			    strcmp(reason, "NewReplicaSetAvailable") == 0)
				progressing = 1;
		} else if (strcmp(type, "Available") == 0 && is_true) {
			available = 1;
		}
	}
	deployment_counts(j, progressing, available);
	if (j->kstatus || j->out->status == CD_STATUS_CURRENT)
		return;
	if (deployment_from_new_rs(j))
		return;
	if (bool_at(o, "spec.paused", 0)) {
		char was[CD_STATUS_MESSAGE_MAX];
		snprintf(was, sizeof was, "%s", j->out->message);
		set(j, CD_STATUS_IN_PROGRESS, "DeploymentPaused",
		    "Deployment is paused (spec.paused): the rollout does not "
		    "progress until it is resumed; %s",
		    was);
	}
}

static void statefulset_rule(struct judge *j)
{
	const json_t *o = j->obj;
	if (streq(str_at(o, "spec.updateStrategy.type", ""), "OnDelete")) {
		set(j, CD_STATUS_CURRENT, "",
		    "StatefulSet is using the ondelete update strategy");
		return;
	}
	long long spec = int_at(o, "spec.replicas", 1);
	long long ready = int_at(o, "status.readyReplicas", 0);
	long long cur = int_at(o, "status.currentReplicas", 0);
	long long upd = int_at(o, "status.updatedReplicas", 0);
	long long st = int_at(o, "status.replicas", 0);
	long long part = int_at(o, "spec.updateStrategy.rollingUpdate.partition",
				-1);
	const struct step steps[] = {
		{spec, st, "LessReplicas", "Replicas: %lld/%lld", st, spec},
		{spec, ready, "LessReady", "Ready: %lld/%lld", ready, spec},
		{st, spec, "ExtraPods", "Pending termination: %lld", st - spec, 0},
		/* kstatus decides partitioned rollouts before the revisions */
		{part != -1 ? spec - part : 0, upd, "PartitionRollout",
		 "updated: %lld/%lld", upd, spec - part},
	};
	const struct step unpartitioned[] = {
		{spec, cur, "LessCurrent", "current: %lld/%lld", cur, spec},
		{!streq(str_at(o, "status.currentRevision", ""),
			str_at(o, "status.updateRevision", "")),
		 0, "RevisionMismatch",
		 "Waiting for updated revision to match current", 0, 0},
	};
	if (first_step(j, steps, NSTEPS(steps)))
		;
	else if (part != -1)
		set(j, CD_STATUS_CURRENT, "",
		    "Partition rollout complete. updated: %lld", upd);
	else if (!first_step(j, unpartitioned, NSTEPS(unpartitioned)))
		set(j, CD_STATUS_CURRENT, "",
		    "All replicas scheduled as expected. Replicas: %lld", st);
	if (j->kstatus || j->out->status == CD_STATUS_CURRENT)
		return;
	/* cdhost: pods of the update revision decide failure. */
	const char *rev = str_at(o, "status.updateRevision", NULL);
	fail_from_pods(j, o, rev ? "controller-revision-hash" : NULL, rev, "");
}

static void replicaset_rule(struct judge *j)
{
	const json_t *o = j->obj;
	if (condition(o, "ReplicaFailure", "True")) {
		set(j, CD_STATUS_IN_PROGRESS, "ReplicaFailure",
		    "Replica Failure condition. Check Pods");
		if (!j->kstatus)
			fail_from_pods(j, o, NULL, NULL, "");
		return;
	}
	long long spec = int_at(o, "spec.replicas", 1);
	long long st = int_at(o, "status.replicas", 0);
	long long ready = int_at(o, "status.readyReplicas", 0);
	long long avail = int_at(o, "status.availableReplicas", 0);
	long long lab = int_at(o, "status.fullyLabeledReplicas", 0);
	const struct step steps[] = {
		{spec, lab, "LessLabelled", "Labelled: %lld/%lld", lab, spec},
		{spec, avail, "LessAvailable", "Available: %lld/%lld", avail, spec},
		{spec, ready, "LessReady", "Ready: %lld/%lld", ready, spec},
		{st, spec, "ExtraPods", "Pending termination: %lld", st - spec, 0},
	};
	if (!first_step(j, steps, NSTEPS(steps)))
		set(j, CD_STATUS_CURRENT, "",
		    "ReplicaSet is available. Replicas: %lld", st);
	if (!j->kstatus && j->out->status != CD_STATUS_CURRENT)
		fail_from_pods(j, o, NULL, NULL, "");
}

static void daemonset_rule(struct judge *j)
{
	const json_t *o = j->obj;
	enum cd_status ip = CD_STATUS_IN_PROGRESS;
	if (!has_int(o, "metadata.generation")) {
		set(j, ip, "NoGeneration", "%s metadata.generation not found",
		    kind_of(o));
		return;
	}
	if (!has_int(o, "status.observedGeneration")) {
		set(j, ip, "NoObservedGeneration",
		    "%s status.observedGeneration not found", kind_of(o));
		return;
	}
	long long want = int_at(o, "status.desiredNumberScheduled", -1);
	long long cur = int_at(o, "status.currentNumberScheduled", 0);
	long long upd = int_at(o, "status.updatedNumberScheduled", 0);
	long long avail = int_at(o, "status.numberAvailable", 0);
	long long ready = int_at(o, "status.numberReady", 0);
	const struct step steps[] = {
		{want == -1, 0, "NoDesiredNumber",
		 "Missing .status.desiredNumberScheduled", 0, 0},
		{want, cur, "LessCurrent", "Current: %lld/%lld", cur, want},
		{want, upd, "LessUpdated", "Updated: %lld/%lld", upd, want},
		{want, avail, "LessAvailable", "Available: %lld/%lld", avail, want},
		{want, ready, "LessReady", "Ready: %lld/%lld", ready, want},
	};
	if (!first_step(j, steps, NSTEPS(steps)))
		set(j, CD_STATUS_CURRENT, "",
		    "All replicas scheduled as expected. Replicas: %lld", want);
	if (!j->kstatus && j->out->status != CD_STATUS_CURRENT)
		fail_from_pods(j, o, NULL, NULL, "");
}

static void pvc_rule(struct judge *j)
{
	const char *phase = str_at(j->obj, "status.phase", "unknown");
	if (strcmp(phase, "Bound") == 0) {
		set(j, CD_STATUS_CURRENT, "", "PVC is Bound");
		return;
	}
	set(j, CD_STATUS_IN_PROGRESS, "NotBound", "PVC is not Bound. phase: %s",
	    phase);
	if (j->kstatus)
		return;
	if (strcmp(phase, "Lost") == 0) {
		set(j, CD_STATUS_FAILED, "ClaimLost",
		    "PVC is Lost: its PersistentVolume is gone");
		return;
	}
	/* WaitForFirstConsumer is a Normal event: binding waits for a pod. */
	const json_t *ev;
	size_t i;
	json_array_foreach(j->rel ? j->rel->events : NULL, i, ev) {
		const json_t *io = at(ev, "involvedObject");
		if (!io)
			io = at(ev, "regarding");
		if (streq(str_at(ev, "reason", NULL), "WaitForFirstConsumer") &&
		    streq(str_at(io, "kind", NULL), "PersistentVolumeClaim") &&
		    streq(str_at(io, "name", NULL),
			  str_at(j->obj, "metadata.name", ""))) {
			set(j, CD_STATUS_CURRENT, "WaitForFirstConsumer",
			    "PVC waits for its first consumer (volumeBindingMode "
			    "WaitForFirstConsumer)");
			return;
		}
	}
	append_event(j, "PersistentVolumeClaim",
		     str_at(j->obj, "metadata.name", ""));
}

static void pod_failed_message(struct judge *j)
{
	const json_t *o = j->obj, *cs;
	const char *reason = str_at(o, "status.reason", "");
	const char *msg = str_at(o, "status.message", "");
	size_t i;
	set(j, CD_STATUS_FAILED, *reason ? reason : "PodFailed",
	    "Pod has completed, but not successfully");
	if (*reason || *msg) {
		append(j, ": %s%s%s", reason, *reason && *msg ? ": " : "", msg);
		return;
	}
	json_array_foreach(at(o, "status.containerStatuses"), i, cs) {
		const json_t *t = at(cs, "state.terminated");
		if (t && int_at(t, "exitCode", 0) != 0) {
			append(j, ": container %s (image %s) exited with %s, "
				  "exit code %lld",
			       str_at(cs, "name", "?"),
			       image_of(o, "spec.containers", cs),
			       str_at(t, "reason", "?"),
			       int_at(t, "exitCode", -1));
			return;
		}
	}
}

static void pod_rule(struct judge *j)
{
	const json_t *o = j->obj, *cs;
	const char *phase = str_at(o, "status.phase", "");
	struct problem p;
	size_t i;

	if (strcmp(phase, "Succeeded") == 0) {
		set(j, CD_STATUS_CURRENT, "", "Pod has completed successfully");
		return;
	}
	if (strcmp(phase, "Failed") == 0) {
		if (j->kstatus)
			set(j, CD_STATUS_CURRENT, "",
			    "Pod has completed, but not successfully");
		else
			pod_failed_message(j);
		return;
	}
	if (strcmp(phase, "Running") == 0 && condition(o, "Ready", "True")) {
		set(j, CD_STATUS_CURRENT, "", "Pod is Ready");
		return;
	}
	if (!j->kstatus && (*phase == '\0' || strcmp(phase, "Running") == 0 ||
			    strcmp(phase, "Pending") == 0) &&
	    pod_problem(o, j->opts.now, &p)) {
		set(j, CD_STATUS_FAILED, p.reason, "%s", p.detail);
		set_culprit(j, o, &p);
		append_event(j, "Pod", pod_name(o));
		return;
	}
	if (strcmp(phase, "Running") == 0) {
		char names[512] = "";
		json_array_foreach(at(o, "status.containerStatuses"), i, cs) {
			if (!streq(str_at(cs, "state.waiting.reason", NULL),
				   "CrashLoopBackOff"))
				continue;
			size_t n = strlen(names);
			snprintf(names + n, sizeof names - n, "%s%s",
				 n ? "," : "", str_at(cs, "name", ""));
		}
		if (*names)
			set(j, CD_STATUS_FAILED, "ContainerCrashLooping",
			    "Containers in CrashLoop state: %s", names);
		else
			set(j, CD_STATUS_IN_PROGRESS, "PodRunningNotReady",
			    "Pod is running but is not Ready");
	} else if (strcmp(phase, "Pending") == 0) {
		double age = unschedulable_for(o, j->opts.now);
		if (j->kstatus && age >= 0) {
			/* kstatus measures from creationTimestamp */
			double c = cd_status_parse_time(
				str_at(o, "metadata.creationTimestamp", NULL));
			age = c < 0 ? 1e9 : j->opts.now - c;
		}
		if (age >= CD_STATUS_SCHEDULE_WINDOW)
			set(j, CD_STATUS_FAILED, "PodUnschedulable",
			    "Pod could not be scheduled");
		else if (age >= 0)
			set(j, CD_STATUS_IN_PROGRESS, "PodNotScheduled",
			    "Pod has not been scheduled");
		else
			set(j, CD_STATUS_IN_PROGRESS, "PodPending",
			    "Pod is in the Pending phase");
	} else if (*phase == '\0') {
		set(j, CD_STATUS_IN_PROGRESS, "PodNotObserved",
		    "Pod phase not available");
	} else {
		set(j, CD_STATUS_UNKNOWN, "UnknownPhase", "unknown phase %s",
		    phase);
		return;
	}
	if (!j->kstatus && j->out->status == CD_STATUS_IN_PROGRESS) {
		const json_t *c = condition(o, "Ready", "False");
		if (c && *str_at(c, "message", ""))
			append(j, ": %s", str_at(c, "message", ""));
		append_event(j, "Pod", pod_name(o));
	}
}

/* A failed Job: which pod and container ended it, how, and the
 * container's termination message. */
static void job_failed_pod(struct judge *j)
{
	const json_t *pod, *cs, *best = NULL, *best_cs = NULL;
	size_t i, k;
	if (!j->rel)
		return;
	json_array_foreach(j->rel->pods, i, pod) {
		if (!owned_by(pod, j->obj) ||
		    !streq(str_at(pod, "status.phase", NULL), "Failed"))
			continue;
		json_array_foreach(at(pod, "status.containerStatuses"), k, cs) {
			const json_t *t = at(cs, "state.terminated");
			if (t && int_at(t, "exitCode", 0) != 0) {
				best = pod;
				best_cs = cs;
				break;
			}
		}
	}
	if (!best)
		return;
	const json_t *t = at(best_cs, "state.terminated");
	struct problem p;
	memset(&p, 0, sizeof p);
	snprintf(p.container, sizeof p.container, "%s",
		 str_at(best_cs, "name", ""));
	append(j, "; pod %s: container %s (image %s) exited with code %lld (%s)",
	       pod_name(best), p.container,
	       image_of(best, "spec.containers", best_cs),
	       int_at(t, "exitCode", -1), str_at(t, "reason", "?"));
	if (*str_at(t, "message", ""))
		append(j, ": %s", str_at(t, "message", ""));
	set_culprit(j, best, &p);
}

static void job_rule(struct judge *j)
{
	const json_t *o = j->obj, *c;
	long long par = int_at(o, "spec.parallelism", 1);
	long long compl = int_at(o, "spec.completions", par);
	long long ok = int_at(o, "status.succeeded", 0);
	long long active = int_at(o, "status.active", 0);
	long long failed = int_at(o, "status.failed", 0);
	size_t i;

	json_array_foreach(at(o, "status.conditions"), i, c) {
		const char *type = str_at(c, "type", "");
		if (!streq(str_at(c, "status", NULL), "True"))
			continue;
		if (strcmp(type, "Complete") == 0) {
			set(j, CD_STATUS_CURRENT, "",
			    "Job Completed. succeeded: %lld/%lld", ok, compl);
			return;
		}
		if (strcmp(type, "Failed") == 0 ||
		    (!j->kstatus && strcmp(type, "FailureTarget") == 0)) {
			set(j, CD_STATUS_FAILED, "JobFailed",
			    "Job Failed. failed: %lld/%lld", failed, compl);
			if (!j->kstatus && *str_at(c, "reason", ""))
				append(j, ": %s: %s", str_at(c, "reason", ""),
				       str_at(c, "message", ""));
			if (!j->kstatus)
				job_failed_pod(j);
			return;
		}
		if (strcmp(type, "Suspended") == 0 &&
		    bool_at(o, "spec.suspend", 0)) {
			set(j, CD_STATUS_CURRENT, j->kstatus ? "" : "JobSuspended",
			    "Job is suspended");
			return;
		}
	}
	if (!*str_at(o, "status.startTime", "")) {
		set(j, CD_STATUS_IN_PROGRESS, "JobNotStarted", "Job not started");
	} else if (j->kstatus) {
		set(j, CD_STATUS_CURRENT, "",
		    "Job in progress. success:%lld, active: %lld, failed: %lld",
		    ok, active, failed);
		return;
	} else {
		/* cdhost: a Job is done when it is Complete. */
		set(j, CD_STATUS_IN_PROGRESS, "JobRunning",
		    "Job in progress. succeeded: %lld/%lld, active: %lld, "
		    "failed: %lld",
		    ok, compl, active, failed);
	}
	if (!j->kstatus)
		fail_from_pods(j, o, NULL, NULL, "");
}

static void service_rule(struct judge *j)
{
	const json_t *o = j->obj;
	if (streq(str_at(o, "spec.type", "ClusterIP"), "LoadBalancer")) {
		if (!*str_at(o, "spec.clusterIP", "")) {
			set(j, CD_STATUS_IN_PROGRESS, "NoIPAssigned",
			    "ClusterIP not set. Service type: LoadBalancer");
			return;
		}
		if (!j->kstatus && (j->opts.flags & CD_STATUS_LB_INGRESS) &&
		    json_array_size(at(o, "status.loadBalancer.ingress")) == 0) {
			set(j, CD_STATUS_IN_PROGRESS, "NoIngress",
			    "Waiting for the load balancer: "
			    "status.loadBalancer.ingress is empty");
			append_event(j, "Service",
				     str_at(o, "metadata.name", ""));
			return;
		}
	}
	set(j, CD_STATUS_CURRENT, "", "Service is ready");
}

static void crd_rule(struct judge *j)
{
	const json_t *c;
	size_t i;
	json_array_foreach(at(j->obj, "status.conditions"), i, c) {
		const char *type = str_at(c, "type", "");
		const char *st = str_at(c, "status", "");
		if (strcmp(type, "NamesAccepted") == 0 &&
		    strcmp(st, "False") == 0) {
			set(j, CD_STATUS_FAILED, str_at(c, "reason", ""), "%s",
			    str_at(c, "message", ""));
			return;
		}
		if (strcmp(type, "Established") != 0)
			continue;
		if (strcmp(st, "False") == 0 &&
		    !streq(str_at(c, "reason", NULL), "Installing")) {
			set(j, CD_STATUS_FAILED, str_at(c, "reason", ""), "%s",
			    str_at(c, "message", ""));
			return;
		}
		if (strcmp(st, "True") == 0) {
			set(j, CD_STATUS_CURRENT, "", "CRD is established");
			return;
		}
	}
	set(j, CD_STATUS_IN_PROGRESS, "Installing", "Install in progress");
}

/* kstatus's legacyTypes: "group/Kind", or "Kind" for the core group. */
static const struct {
	const char *key;
	void (*rule)(struct judge *j);
} kind_rules[] = {
	{"Service", service_rule},
	{"Pod", pod_rule},
	{"Secret", always_ready},
	{"PersistentVolumeClaim", pvc_rule},
	{"apps/StatefulSet", statefulset_rule},
	{"apps/DaemonSet", daemonset_rule},
	{"extensions/DaemonSet", daemonset_rule},
	{"apps/Deployment", deployment_rule},
	{"extensions/Deployment", deployment_rule},
	{"apps/ReplicaSet", replicaset_rule},
	{"extensions/ReplicaSet", replicaset_rule},
	{"policy/PodDisruptionBudget", pdb_rule},
	{"batch/CronJob", always_ready},
	{"ConfigMap", always_ready},
	{"batch/Job", job_rule},
	{"apiextensions.k8s.io/CustomResourceDefinition", crd_rule},
};

static void (*find_rule(const json_t *o))(struct judge *)
{
	char key[256];
	const char *api = str_at(o, "apiVersion", "");
	const char *slash = strchr(api, '/');
	if (slash)
		snprintf(key, sizeof key, "%.*s/%s", (int)(slash - api), api,
			 kind_of(o));
	else
		snprintf(key, sizeof key, "%s", kind_of(o));
	for (size_t i = 0; i < sizeof kind_rules / sizeof *kind_rules; i++)
		if (strcmp(kind_rules[i].key, key) == 0)
			return kind_rules[i].rule;
	return NULL;
}

void cd_status_compute(const json_t *obj, const struct cd_status_related *rel,
		       const struct cd_status_opts *opts,
		       struct cd_status_result *out)
{
	struct judge j = {obj, rel, {0, 0, 0}, 0, out};
	if (opts)
		j.opts = *opts;
	if (j.opts.now <= 0)
		j.opts.now = cd_wall();
	j.kstatus = (j.opts.flags & CD_STATUS_KSTATUS) != 0;
	memset(out, 0, sizeof *out);
	if (!obj) {
		set(&j, CD_STATUS_NOT_FOUND, "NotFound", "Resource not found");
		return;
	}
	if (!json_is_object(obj)) {
		set(&j, CD_STATUS_UNKNOWN, "NotAnObject",
		    "cannot judge a JSON %s: expected an object",
		    json_is_array(obj) ? "array" : "scalar");
		return;
	}
	if (check_generic(&j))
		return;
	void (*rule)(struct judge *) = find_rule(obj);
	if (rule) {
		rule(&j);
		return;
	}
	if (check_ready(&j))
		return;
	set(&j, CD_STATUS_CURRENT, "", "Resource is current");
}
