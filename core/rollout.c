#include "rollout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jsonstream.h"
#include "kubeconfig.h"
#include "mem.h"
#include "util.h"

#define OP "rollout.wait"

/* Watch length asked of the server; the wait resumes when it ends. */
#define WATCH_SECONDS 290
#define BACKOFF_FIRST 0.5
#define BACKOFF_MAX 5.0
/* A progress deadline counts after this much slack (the controller says
 * ProgressDeadlineExceeded itself; this is the fallback). */
#define PROGRESS_GRACE 5.0

enum feed_state { F_IDLE, F_LISTING, F_WATCHING, F_BACKOFF, F_DEAD };

struct cd_rollout_feed {
	struct cd_rollout_feed *next;
	struct waiter *w;
	struct cd_kube_mapping m;
	char ns[254];
	char base[1024];   /* the collection's path */
	char one[254];     /* fieldSelector metadata.name=<one>, or "" */
	int items;         /* tracked items on this feed */
	int diag;          /* pods/replicasets kept for diagnosis */
	json_t *objs;      /* name -> object */
	char rv[128];
	enum feed_state state;
	struct cd_kube_async *op;
	struct cd_jstream js;
	double retry_at, backoff, started;
	int gone;          /* 410 seen: list again */
	int synced;        /* a LIST has filled objs */
	int delivered;     /* the current watch delivered events */
	int fruitless;     /* watches in a row that broke before any event */
	char stream_err[256];
};

struct waiter {
	struct cd_kube *k;
	struct cd_http_batch *b;
	struct cd_rollout_feed *feeds;
	struct cd_rollout_item *items;
	size_t n;
	const struct cd_rollout_opts *o;
	struct cd_rollout_stats *st;
	int dirty;
	struct cd_err fatal;
	double start;
};

/* ---- small helpers ---- */

static const char *sget(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static const json_t *jpath(const json_t *o, const char *a, const char *b)
{
	o = json_object_get(o, a);
	return b ? json_object_get(o, b) : o;
}

static void item_ref(const struct cd_rollout_item *it, char *out, size_t n)
{
	if (*it->namespace_)
		snprintf(out, n, "%s %s/%s", it->kind, it->namespace_, it->name);
	else
		snprintf(out, n, "%s %s", it->kind, it->name);
}

int cd_rollout_nothing_to_wait(const char *api_version, const char *kind)
{
	static const char *const core[] = {
		"ConfigMap", "Secret", "ServiceAccount", "LimitRange",
		"ResourceQuota", "Endpoints", "PodTemplate", NULL};
	static const char *const rbac[] = {"Role", "RoleBinding", "ClusterRole",
					   "ClusterRoleBinding", NULL};
	const char *const *list = NULL;
	if (strcmp(api_version, "v1") == 0)
		list = core;
	else if (strncmp(api_version, "rbac.authorization.k8s.io/", 26) == 0)
		list = rbac;
	else if (strncmp(api_version, "networking.k8s.io/", 18) == 0)
		return strcmp(kind, "NetworkPolicy") == 0 ||
		       strcmp(kind, "IngressClass") == 0;
	else if (strncmp(api_version, "scheduling.k8s.io/", 18) == 0)
		return strcmp(kind, "PriorityClass") == 0;
	for (int i = 0; list && list[i]; i++)
		if (strcmp(kind, list[i]) == 0)
			return 1;
	return 0;
}

static const char *rs_revision_of(const json_t *rs)
{
	return sget(jpath(rs, "metadata", "annotations"),
		    "deployment.kubernetes.io/revision");
}

static int is_workload(const char *kind)
{
	return !strcmp(kind, "Deployment") || !strcmp(kind, "StatefulSet") ||
	       !strcmp(kind, "DaemonSet") || !strcmp(kind, "ReplicaSet") ||
	       !strcmp(kind, "Job");
}

/* ---- feeds ---- */

static struct cd_rollout_feed *feed_find(struct waiter *w,
					 const struct cd_kube_mapping *m,
					 const char *ns)
{
	for (struct cd_rollout_feed *f = w->feeds; f; f = f->next)
		if (!strcmp(f->m.group, m->group) &&
		    !strcmp(f->m.version, m->version) &&
		    !strcmp(f->m.resource, m->resource) && !strcmp(f->ns, ns))
			return f;
	return NULL;
}

static struct cd_rollout_feed *feed_get(struct waiter *w,
					const struct cd_kube_mapping *m,
					const char *ns, struct cd_err *err)
{
	struct cd_rollout_feed *f = feed_find(w, m, ns);
	if (f)
		return f;
	f = cd_calloc(1, sizeof *f);
	if (!f || !(f->objs = json_object())) {
		cd_free(f);
		cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
		return NULL;
	}
	f->w = w;
	f->m = *m;
	snprintf(f->ns, sizeof f->ns, "%s", ns);
	if (cd_kube_path(m, *ns ? ns : NULL, NULL, f->base, sizeof f->base) != 0) {
		json_decref(f->objs);
		cd_free(f);
		cd_err_set(err, CD_E_INVALID, OP, "path too long for %s", m->resource);
		return NULL;
	}
	cd_jstream_init(&f->js);
	f->backoff = BACKOFF_FIRST;
	f->next = w->feeds;
	w->feeds = f;
	return f;
}

static void feeds_free(struct waiter *w)
{
	struct cd_rollout_feed *f = w->feeds, *next;
	for (; f; f = next) {
		next = f->next;
		cd_kube_async_free(f->op);
		json_decref(f->objs);
		cd_jstream_free(&f->js);
		cd_free(f);
	}
	w->feeds = NULL;
}

static void selector(const struct cd_rollout_feed *f, char *out, size_t n)
{
	char esc[800];
	out[0] = '\0';
	if (*f->one && cd_url_escape(f->one, esc, sizeof esc) == 0)
		snprintf(out, n, "fieldSelector=metadata.name%%3D%s", esc);
}

static void feed_list(struct waiter *w, struct cd_rollout_feed *f)
{
	char sel[400], path[1600];
	struct cd_err err;
	selector(f, sel, sizeof sel);
	snprintf(path, sizeof path, "%s%s%s", f->base, *sel ? "?" : "", sel);
	f->op = cd_kube_async_start(w->k, w->b, path, 60, NULL, NULL, &err);
	if (!f->op) {
		w->fatal = err;
		return;
	}
	f->state = F_LISTING;
	f->started = cd_now();
	w->st->lists++;
}

static json_t *slim(json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_object_del(meta, "managedFields");
	return obj;
}

static const char *name_of(const json_t *obj)
{
	return sget(json_object_get(obj, "metadata"), "name");
}

static int on_event(void *ud, json_t *ev)
{
	struct cd_rollout_feed *f = ud;
	struct waiter *w = f->w;
	const char *type = sget(ev, "type");
	json_t *obj = json_object_get(ev, "object");

	if (!*type) { /* an error body: a Status */
		long code = (long)json_integer_value(json_object_get(ev, "code"));
		if (code == 410)
			f->gone = 1;
		else
			snprintf(f->stream_err, sizeof f->stream_err, "%s",
				 sget(ev, "message"));
		return 1;
	}
	if (!strcmp(type, "ERROR")) {
		long code = (long)json_integer_value(json_object_get(obj, "code"));
		if (code == 410 || !strcmp(sget(obj, "reason"), "Expired") ||
		    !strcmp(sget(obj, "reason"), "Gone"))
			f->gone = 1;
		else
			snprintf(f->stream_err, sizeof f->stream_err, "%s",
				 sget(obj, "message"));
		return 1;
	}
	const char *rv = sget(json_object_get(obj, "metadata"), "resourceVersion");
	if (*rv)
		snprintf(f->rv, sizeof f->rv, "%s", rv);
	w->st->events++;
	f->delivered = 1;
	if (!strcmp(type, "BOOKMARK"))
		return 0;
	const char *name = name_of(obj);
	if (!*name || !json_is_object(obj))
		return 0;
	if (!strcmp(type, "DELETED"))
		json_object_del(f->objs, name);
	else
		json_object_set(f->objs, name, slim(obj));
	w->dirty = 1;
	return 0;
}

static int on_watch_data(void *ud, const char *p, size_t n)
{
	struct cd_rollout_feed *f = ud;
	struct cd_err err;
	int rc = cd_jstream_feed(&f->js, p, n, on_event, f, &err);
	if (rc < 0)
		snprintf(f->stream_err, sizeof f->stream_err, "%s", err.msg);
	return rc != 0;
}

static void feed_watch(struct waiter *w, struct cd_rollout_feed *f)
{
	char sel[400], path[1800];
	struct cd_err err;
	selector(f, sel, sizeof sel);
	snprintf(path, sizeof path,
		 "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s"
		 "&timeoutSeconds=%d%s%s",
		 f->base, f->rv, WATCH_SECONDS, *sel ? "&" : "", sel);
	cd_jstream_reset(&f->js);
	f->gone = 0;
	f->delivered = 0;
	f->stream_err[0] = '\0';
	f->op = cd_kube_async_start(w->k, w->b, path, WATCH_SECONDS + 15,
				 on_watch_data, f, &err);
	if (!f->op) {
		w->fatal = err;
		return;
	}
	f->state = F_WATCHING;
	f->started = cd_now();
	w->st->watches++;
}

static void feed_backoff(struct cd_rollout_feed *f)
{
	f->state = F_BACKOFF;
	f->retry_at = cd_now() + f->backoff;
	f->backoff = f->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : f->backoff * 2;
}

/* An error that ends the wait: the API refuses (403), the kind is gone
 * (404: its CRD was deleted), or a credential problem. Diagnosis feeds
 * are only dropped. */
static int fatal_status(struct waiter *w, struct cd_rollout_feed *f,
			long status, const struct cd_err *err)
{
	if (status != 401 && status != 403 && status != 404)
		return 0;
	if (!f->items) {
		f->state = F_DEAD;
		return 1;
	}
	w->fatal = *err;
	cd_err_wrap(&w->fatal, "watching %s%s%s", f->m.resource,
		    *f->ns ? " in namespace " : "", f->ns);
	f->state = F_DEAD;
	return 1;
}

static void list_done(struct waiter *w, struct cd_rollout_feed *f)
{
	json_t *body = NULL, *it;
	long status = 0;
	struct cd_err err;
	size_t i;
	int rc = cd_kube_async_result(f->op, &body, &status, &err);
	cd_kube_async_free(f->op);
	f->op = NULL;
	if (rc != 0) {
		json_decref(body);
		if (status == 401 && cd_kubeconfig_expire(w->k->kc, &err)) {
			feed_list(w, f);
			return;
		}
		if (!fatal_status(w, f, status, &err))
			feed_backoff(f);
		return;
	}
	char api[300];
	snprintf(api, sizeof api, "%s%s%s", f->m.group, *f->m.group ? "/" : "",
		 f->m.version);
	json_object_clear(f->objs);
	json_array_foreach(json_object_get(body, "items"), i, it) {
		if (!*name_of(it))
			continue;
		/* List items carry no apiVersion/kind; the rules need them. */
		json_object_set_new(it, "apiVersion", json_string(api));
		json_object_set_new(it, "kind", json_string(f->m.kind));
		json_object_set(f->objs, name_of(it), slim(it));
	}
	snprintf(f->rv, sizeof f->rv, "%s",
		 sget(json_object_get(body, "metadata"), "resourceVersion"));
	json_decref(body);
	f->synced = 1;
	f->fruitless = 0;
	f->backoff = BACKOFF_FIRST;
	w->dirty = 1;
	feed_watch(w, f);
}

static void watch_done(struct waiter *w, struct cd_rollout_feed *f)
{
	json_t *body = NULL;
	long status = 0;
	struct cd_err err;
	int rc = cd_kube_async_result(f->op, &body, &status, &err);
	json_decref(body);
	cd_kube_async_free(f->op);
	f->op = NULL;
	if (f->gone || status == 410) {
		w->st->relists++;
		feed_list(w, f);
		return;
	}
	if (rc != 0 && status >= 400) {
		if (fatal_status(w, f, status, &err))
			return;
		feed_backoff(f);
		return;
	}
	if (f->delivered) {
		f->backoff = BACKOFF_FIRST;
		f->fruitless = 0;
	}
	if (status == 200 && !f->stream_err[0] && cd_now() - f->started > 1.0) {
		feed_watch(w, f); /* the server's timeoutSeconds: resume */
		return;
	}
	w->st->reconnects++;
	/* A broken watch resumes from the last resourceVersion, but twice in
	 * a row broken before its first event is no progress (an event that
	 * never gets through whole, a stream cut early every time): list
	 * again, which shows the objects as they are now. */
	if (!f->delivered && ++f->fruitless >= 2)
		f->synced = 0;
	feed_backoff(f);
}

static void feed_resume(struct waiter *w, struct cd_rollout_feed *f)
{
	if (f->synced)
		feed_watch(w, f);
	else
		feed_list(w, f);
}

/* ---- judging ---- */

struct related_ns {
	const char *ns;
	json_t *pods, *rs;
};

static json_t *values_of(const struct cd_rollout_feed *f)
{
	json_t *a = json_array(), *v;
	const char *key;
	if (!f || !a)
		return a;
	json_object_foreach((json_t *)f->objs, key, v)
		json_array_append(a, v);
	return a;
}

static struct cd_rollout_feed *diag_feed(struct waiter *w, const char *group,
					 const char *resource, const char *ns)
{
	for (struct cd_rollout_feed *f = w->feeds; f; f = f->next)
		if (f->diag && !strcmp(f->m.group, group) &&
		    !strcmp(f->m.resource, resource) && !strcmp(f->ns, ns))
			return f;
	return NULL;
}

static void related_for(struct waiter *w, struct related_ns *cache,
			size_t *nc, size_t cap, const char *ns,
			struct cd_status_related *rel)
{
	size_t i;
	for (i = 0; i < *nc; i++)
		if (!strcmp(cache[i].ns, ns))
			break;
	if (i == *nc && *nc < cap) {
		cache[i].ns = ns;
		cache[i].pods = values_of(diag_feed(w, "", "pods", ns));
		cache[i].rs = values_of(diag_feed(w, "apps", "replicasets", ns));
		(*nc)++;
	}
	if (i < *nc) {
		rel->pods = cache[i].pods;
		rel->replicasets = cache[i].rs;
	}
}

/* Progress of a Deployment for its own deadline: the counts moving. */
static void track_progress(struct cd_rollout_item *it, const json_t *obj,
			   double now)
{
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *st = json_object_get(obj, "status");
	char mark[128];
	if (strcmp(it->kind, "Deployment") != 0)
		return;
	json_int_t pds = json_integer_value(json_object_get(spec, "progressDeadlineSeconds"));
	it->progress_deadline = pds > 0 ? (double)pds : 0;
	snprintf(mark, sizeof mark, "%lld/%lld/%lld/%lld/%lld",
		 (long long)json_integer_value(json_object_get(st, "observedGeneration")),
		 (long long)json_integer_value(json_object_get(st, "updatedReplicas")),
		 (long long)json_integer_value(json_object_get(st, "readyReplicas")),
		 (long long)json_integer_value(json_object_get(st, "availableReplicas")),
		 (long long)json_integer_value(json_object_get(st, "replicas")));
	if (strcmp(mark, it->progress_mark) != 0) {
		snprintf(it->progress_mark, sizeof it->progress_mark, "%s", mark);
		it->last_progress = now;
	}
}

static long long jint(const json_t *o, const char *a, const char *b,
		      long long def)
{
	const json_t *v = jpath(o, a, b);
	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

/* ready/desired for the live table. */
static void ready_count(struct cd_rollout_item *it, const json_t *obj)
{
	long long ready = -1, want = -1;
	const char *k = it->kind;
	if (!strcmp(k, "Deployment") || !strcmp(k, "StatefulSet") ||
	    !strcmp(k, "ReplicaSet")) {
		ready = jint(obj, "status", "readyReplicas", 0);
		want = jint(obj, "spec", "replicas", 1);
	} else if (!strcmp(k, "DaemonSet")) {
		ready = jint(obj, "status", "numberReady", 0);
		want = jint(obj, "status", "desiredNumberScheduled", 0);
	} else if (!strcmp(k, "Job")) {
		ready = jint(obj, "status", "succeeded", 0);
		want = jint(obj, "spec", "completions", 1);
	}
	if (ready >= 0)
		snprintf(it->ready, sizeof it->ready, "%lld/%lld", ready, want);
}

static void judge_one(struct waiter *w, struct cd_rollout_item *it,
		      const struct cd_status_related *rel, double now)
{
	const struct cd_rollout_opts *o = w->o;
	const json_t *obj = json_object_get(it->feed->objs, it->name);
	struct cd_status_result r;
	struct cd_status_opts so = {o->status_flags, 0, it->generation};
	int suspended = 0;

	if (obj) {
		it->seen = 1;
		ready_count(it, obj);
	}
	if (o->deletion) {
		if (!obj) {
			memset(&r, 0, sizeof r);
			r.status = CD_STATUS_NOT_FOUND;
			snprintf(r.reason, sizeof r.reason, "Deleted");
			snprintf(r.message, sizeof r.message, "deleted");
			it->res = r;
			it->done = 1;
			return;
		}
		cd_status_compute(obj, rel, &so, &r);
		if (r.status != CD_STATUS_TERMINATING) {
			r.status = CD_STATUS_IN_PROGRESS;
			snprintf(r.reason, sizeof r.reason, "Deleting");
			snprintf(r.message, sizeof r.message,
				 "waiting for the deletion to be observed");
		}
		it->res = r;
		return;
	}
	if (obj && o->judge && o->judge(o->judge_ud, obj, &r, &suspended)) {
		/* a health script decided */
	} else {
		suspended = 0;
		cd_status_compute(obj, rel, &so, &r);
	}
	if (!obj && it->seen) {
		r.status = CD_STATUS_FAILED;
		snprintf(r.reason, sizeof r.reason, "Deleted");
		snprintf(r.message, sizeof r.message,
			 "the object was deleted while waiting for it");
	}
	it->res = r;
	it->suspended = suspended;
	if (suspended) {
		if (o->suspended == CD_SUSPENDED_DONE)
			it->done = 1;
		else if (o->suspended == CD_SUSPENDED_FAIL)
			it->failed = 1;
		return;
	}
	if (r.status == CD_STATUS_CURRENT) {
		it->done = 1;
		return;
	}
	if (r.status == CD_STATUS_FAILED) {
		it->failed = 1;
		return;
	}
	if (obj) {
		track_progress(it, obj, now);
		if (it->progress_deadline > 0 &&
		    now - it->last_progress > it->progress_deadline + PROGRESS_GRACE) {
			it->timed_out = 1;
			snprintf(it->res.reason, sizeof it->res.reason,
				 "ProgressDeadline");
			size_t l = strlen(it->res.message);
			snprintf(it->res.message + l, sizeof it->res.message - l,
				 " (no progress for %.0fs: progressDeadlineSeconds)",
				 it->progress_deadline);
		}
	}
}

static int ended(const struct cd_rollout_item *it)
{
	return it->done || it->failed || it->timed_out;
}

static void judge_all(struct waiter *w)
{
	struct related_ns cache[16];
	size_t nc = 0;
	double now = cd_now();
	for (size_t i = 0; i < w->n; i++) {
		struct cd_rollout_item *it = &w->items[i];
		struct cd_status_related rel = {0};
		if (ended(it) || !it->feed->synced)
			continue;
		struct cd_status_result before = it->res;
		related_for(w, cache, &nc, sizeof cache / sizeof *cache,
			    it->namespace_, &rel);
		judge_one(w, it, &rel, now);
		if (ended(it))
			it->seconds = now - w->start;
		if (w->o->progress &&
		    (before.status != it->res.status || ended(it) ||
		     strcmp(before.reason, it->res.reason) ||
		     strcmp(before.message, it->res.message)))
			w->o->progress(w->o->progress_ud, w->items, w->n, i, 0);
	}
	for (size_t i = 0; i < nc; i++) {
		json_decref(cache[i].pods);
		json_decref(cache[i].rs);
	}
}

/* ---- diagnosis (after the wait) ---- */

static int get_json(struct cd_kube *k, const char *path, json_t **out)
{
	struct cd_kube_req r = {.method = "GET", .path = path, .what = path};
	struct cd_err err;
	long status;
	return cd_kube_call(k, &r, out, &status, &err);
}

static double event_ts(const json_t *e)
{
	static const char *const f[] = {"lastTimestamp", "eventTime",
					"firstTimestamp", NULL};
	for (int i = 0; f[i]; i++) {
		double t = cd_status_parse_time(sget(e, f[i]));
		if (t >= 0)
			return t;
	}
	return cd_status_parse_time(
		sget(json_object_get(e, "metadata"), "creationTimestamp"));
}

static int by_time(const void *a, const void *b)
{
	double ta = event_ts(*(json_t *const *)a), tb = event_ts(*(json_t *const *)b);
	return ta < tb ? 1 : ta > tb ? -1 : 0;
}

/* The warning events about the item, its pod, or objects it owns (its
 * ReplicaSets' names start with its name): the 3 latest. */
static void add_events(struct cd_rollout_item *it, const json_t *events,
		       struct cd_buf *d)
{
	json_t *pick[64];
	size_t np = 0, i;
	const json_t *e;
	size_t nl = strlen(it->name);
	json_array_foreach(events, i, e) {
		const json_t *io = json_object_get(e, "involvedObject");
		const char *name = sget(io, "name");
		if (strcmp(sget(e, "type"), "Warning") != 0)
			continue;
		if (strcmp(name, it->name) != 0 &&
		    !(*it->res.pod && !strcmp(name, it->res.pod)) &&
		    !(strncmp(name, it->name, nl) == 0 && name[nl] == '-'))
			continue;
		if (np < sizeof pick / sizeof *pick)
			pick[np++] = (json_t *)e;
	}
	qsort(pick, np, sizeof *pick, by_time);
	for (i = 0; i < np && i < 3; i++) {
		const json_t *io = json_object_get(pick[i], "involvedObject");
		json_int_t count = json_integer_value(json_object_get(pick[i], "count"));
		cd_buf_printf(d, "    event: %s %s/%s: %s", sget(pick[i], "reason"),
			      sget(io, "kind"), sget(io, "name"),
			      sget(pick[i], "message"));
		if (count > 1)
			cd_buf_printf(d, " (x%lld)", (long long)count);
		cd_buf_printf(d, "\n");
	}
}

int cd_rollout_log_tail(const char *text, size_t len, int lines,
			const char *indent, struct cd_buf *out)
{
	size_t start = len, seen = 0;
	if (lines <= 0)
		return 0;
	/* Find where the last `lines` lines begin (a final newline does not
	 * start an empty line). */
	size_t end = len;
	if (end > 0 && text[end - 1] == '\n')
		end--;
	start = end;
	while (start > 0) {
		if (text[start - 1] == '\n' && ++seen == (size_t)lines)
			break;
		start--;
	}
	while (start < end) {
		const char *nl = memchr(text + start, '\n', end - start);
		size_t l = nl ? (size_t)(nl - (text + start)) : end - start;
		size_t kept = 0;
		if (cd_buf_printf(out, "%s", indent) != 0)
			return -1;
		for (size_t i = 0; i < l && kept < 512; i++) {
			unsigned char c = (unsigned char)text[start + i];
			if (c == 0x1b) { /* ANSI escape: ESC [ ... final byte */
				if (i + 1 < l && text[start + i + 1] == '[') {
					i += 2;
					while (i < l && !((unsigned char)text[start + i] >= 0x40 &&
							  (unsigned char)text[start + i] <= 0x7e))
						i++;
				}
				continue;
			}
			if (c < 0x20 && c != '\t')
				continue;
			if (c == 0x7f)
				continue;
			if (cd_buf_append(out, (const char *)&c, 1) != 0)
				return -1;
			kept++;
		}
		if (kept >= 512 && cd_buf_printf(out, " [...]") != 0)
			return -1;
		if (cd_buf_printf(out, "\n") != 0)
			return -1;
		start += l + 1;
	}
	return 0;
}

static void add_log(struct cd_kube *k, struct cd_rollout_item *it, int lines,
		    struct cd_buf *d)
{
	char path[1600], c[800], pod[800], ns[200];
	struct cd_buf text = {0};
	struct cd_err err;
	long status = 0;
	if (cd_url_escape(it->res.container, c, sizeof c) != 0 ||
	    cd_url_escape(it->res.pod, pod, sizeof pod) != 0 ||
	    cd_url_escape(*it->res.namespace_ ? it->res.namespace_ : it->namespace_,
			  ns, sizeof ns) != 0)
		return;
	snprintf(path, sizeof path,
		 "/api/v1/namespaces/%s/pods/%s/log?container=%s&tailLines=%d%s",
		 ns, pod, c, lines, it->res.previous ? "&previous=true" : "");
	text.max = 256 << 10;
	if (cd_kube_get_text(k, path, 5, &text, &status, &err) != 0) {
		cd_buf_printf(d, "    log of %s/%s: not available (%s)\n",
			      it->res.pod, it->res.container, err.msg);
	} else if (text.len == 0) {
		cd_buf_printf(d, "    log of %s/%s%s: empty\n", it->res.pod,
			      it->res.container,
			      it->res.previous ? " (previous run)" : "");
	} else {
		cd_buf_printf(d, "    log of %s/%s%s (last %d lines):\n",
			      it->res.pod, it->res.container,
			      it->res.previous ? " (previous run)" : "", lines);
		cd_rollout_log_tail(text.data, text.len, lines, "      | ", d);
	}
	cd_buf_free(&text);
}

static int owns(const json_t *o, const char *uid)
{
	const json_t *r;
	size_t i;
	json_array_foreach(jpath(o, "metadata", "ownerReferences"), i, r) {
		if (!strcmp(sget(r, "uid"), uid))
			return 1;
	}
	return 0;
}

static int pod_ready(const json_t *pod)
{
	const json_t *c;
	size_t i;
	json_array_foreach(jpath(pod, "status", "conditions"), i, c) {
		if (!strcmp(sget(c, "type"), "Ready"))
			return !strcmp(sget(c, "status"), "True");
	}
	return 0;
}

/* One line on why a pod is not ready: its first container that is not. */
static void explain_pod(const json_t *pod, struct cd_rollout_item *it,
			struct cd_buf *d)
{
	static const char *const lists[] = {"initContainerStatuses",
					    "containerStatuses"};
	const json_t *st = json_object_get(pod, "status"), *cs, *c;
	size_t i;
	const char *name = name_of(pod);
	cd_buf_printf(d, "    pod %s (%s%s%s)", name, sget(st, "phase"),
		      *sget(json_object_get(pod, "spec"), "nodeName") ? " on " : "",
		      sget(json_object_get(pod, "spec"), "nodeName"));
	for (int l = 0; l < 2; l++)
		json_array_foreach(json_object_get(st, lists[l]), i, cs) {
			if (json_is_true(json_object_get(cs, "ready")) ||
			    (l == 0 && json_object_get(jpath(cs, "state", NULL), "terminated")))
				continue;
			const json_t *state = json_object_get(cs, "state");
			const json_t *wt = json_object_get(state, "waiting");
			const json_t *tm = json_object_get(state, "terminated");
			cd_buf_printf(d, ": %scontainer %s (image %s) ",
				      l == 0 ? "init " : "", sget(cs, "name"),
				      sget(cs, "image"));
			if (wt)
				cd_buf_printf(d, "waiting: %s%s%s", sget(wt, "reason"),
					      *sget(wt, "message") ? ": " : "",
					      sget(wt, "message"));
			else if (tm)
				cd_buf_printf(d, "terminated: %s, exit code %lld",
					      sget(tm, "reason"),
					      (long long)json_integer_value(
						      json_object_get(tm, "exitCode")));
			else
				cd_buf_printf(d, "running, not ready");
			cd_buf_printf(d, "\n");
			if (!*it->res.pod) {
				snprintf(it->res.pod, sizeof it->res.pod, "%s", name);
				snprintf(it->res.container, sizeof it->res.container,
					 "%s", sget(cs, "name"));
			}
			return;
		}
	json_array_foreach(json_object_get(st, "conditions"), i, c) {
		if (!strcmp(sget(c, "status"), "False") && *sget(c, "message")) {
			cd_buf_printf(d, ": %s: %s\n", sget(c, "reason"),
				      sget(c, "message"));
			return;
		}
	}
	cd_buf_printf(d, ": not ready\n");
}

/* The pods behind an unfinished workload that are not ready: those of a
 * Deployment's newest ReplicaSet, or owned by the object itself. */
static void explain_not_ready(struct waiter *w, struct cd_rollout_item *it,
			      struct cd_buf *d)
{
	const json_t *obj = json_object_get(it->feed->objs, it->name), *v;
	struct cd_rollout_feed *pods = diag_feed(w, "", "pods", it->namespace_);
	char owner[128];
	const char *key;
	int shown = 0, total = 0;
	if (!obj || !pods || !is_workload(it->kind))
		return;
	snprintf(owner, sizeof owner, "%s",
		 sget(json_object_get(obj, "metadata"), "uid"));
	if (!strcmp(it->kind, "Deployment")) {
		struct cd_rollout_feed *rs = diag_feed(w, "apps", "replicasets",
						       it->namespace_);
		long long best = -1;
		char uid[128] = "";
		json_object_foreach(rs ? rs->objs : NULL, key, v) {
			long long rev = atoll(rs_revision_of(v));
			if (owns(v, owner) && rev > best) {
				best = rev;
				snprintf(uid, sizeof uid, "%s",
					 sget(json_object_get(v, "metadata"), "uid"));
			}
		}
		snprintf(owner, sizeof owner, "%s", uid);
	}
	if (!*owner)
		return;
	json_object_foreach(pods->objs, key, v) {
		if (!owns(v, owner) || pod_ready(v) ||
		    json_object_get(json_object_get(v, "metadata"), "deletionTimestamp"))
			continue;
		if (total++ < 3) {
			explain_pod(v, it, d);
			shown++;
		}
	}
	if (total > shown)
		cd_buf_printf(d, "    ... and %d more pod(s) not ready\n",
			      total - shown);
}

static void diagnose(struct waiter *w)
{
	const char *done_ns[16];
	json_t *events[16];
	size_t nns = 0;
	int lines = w->o->log_lines > 0 ? w->o->log_lines : 20;
	for (size_t i = 0; i < w->n; i++) {
		struct cd_rollout_item *it = &w->items[i];
		struct cd_buf d = {0};
		json_t *ev = NULL;
		if (it->done)
			continue;
		if (*it->namespace_) {
			size_t j;
			for (j = 0; j < nns; j++)
				if (!strcmp(done_ns[j], it->namespace_))
					break;
			if (j == nns && nns < 16) {
				char path[600];
				snprintf(path, sizeof path,
					 "/api/v1/namespaces/%s/events?fieldSelector=type%%3DWarning&limit=500",
					 it->namespace_);
				events[nns] = NULL;
				get_json(w->k, path, &events[nns]);
				done_ns[nns++] = it->namespace_;
			}
			if (j < nns)
				ev = json_object_get(events[j], "items");
		}
		if (!*it->res.pod)
			explain_not_ready(w, it, &d);
		add_events(it, ev, &d);
		if (it->failed && *it->res.pod && *it->res.container)
			add_log(w->k, it, lines, &d);
		if (d.len) {
			it->detail = cd_strndup(d.data, d.len);
		}
		cd_buf_free(&d);
	}
	for (size_t j = 0; j < nns; j++)
		json_decref(events[j]);
}

/* ---- the wait ---- */

static int wake(void *ud)
{
	return ((struct waiter *)ud)->dirty;
}

static int setup(struct waiter *w, struct cd_err *err)
{
	for (size_t i = 0; i < w->n; i++) {
		struct cd_rollout_item *it = &w->items[i];
		struct cd_kube_mapping m;
		if (cd_kube_map(w->k, it->api_version, it->kind, &m, err) != 0) {
			char ref[700];
			item_ref(it, ref, sizeof ref);
			return cd_err_wrap(err, "%s", ref);
		}
		if (m.namespaced && !*it->namespace_)
			snprintf(it->namespace_, sizeof it->namespace_, "%s",
				 cd_kube_namespace(w->k));
		if (!m.namespaced)
			it->namespace_[0] = '\0';
		it->feed = feed_get(w, &m, it->namespace_, err);
		if (!it->feed)
			return -1;
		it->feed->items++;
		snprintf(it->feed->one, sizeof it->feed->one, "%s", it->name);
		it->last_progress = cd_now();
		memset(&it->res, 0, sizeof it->res);
		it->res.status = CD_STATUS_UNKNOWN;
		snprintf(it->res.message, sizeof it->res.message, "not seen yet");
	}
	/* Pods and ReplicaSets of the namespaces holding workloads. */
	for (size_t i = 0; i < w->n && !w->o->deletion; i++) {
		struct cd_rollout_item *it = &w->items[i];
		static const struct cd_kube_mapping pods = {"", "v1", "Pod", "pods", 1};
		static const struct cd_kube_mapping rs = {"apps", "v1", "ReplicaSet",
							  "replicasets", 1};
		if (!is_workload(it->kind) || !*it->namespace_)
			continue;
		struct cd_rollout_feed *f = feed_get(w, &pods, it->namespace_, err);
		if (!f)
			return -1;
		f->diag = 1;
		if (!strcmp(it->kind, "Deployment")) {
			if (!(f = feed_get(w, &rs, it->namespace_, err)))
				return -1;
			f->diag = 1;
		}
	}
	/* A feed with one tracked object and no diagnosis role asks for that
	 * name only. */
	for (struct cd_rollout_feed *f = w->feeds; f; f = f->next)
		if (f->items != 1 || f->diag)
			f->one[0] = '\0';
	return 0;
}

static double overall_deadline(const struct waiter *w)
{
	double d = w->o->timeout > 0 ? w->start + w->o->timeout : 0;
	double run = cd_ctx_deadline(w->k->ctx);
	if (run > 0 && (d == 0 || run < d))
		d = run;
	return d;
}

static void first_of(struct waiter *w, int (*pred)(const struct cd_rollout_item *),
		     char *out, size_t n, size_t *count)
{
	out[0] = '\0';
	*count = 0;
	for (size_t i = 0; i < w->n; i++) {
		struct cd_rollout_item *it = &w->items[i];
		if (!pred(it))
			continue;
		if ((*count)++ == 0) {
			char ref[700];
			item_ref(it, ref, sizeof ref);
			snprintf(out, n, "%s: %s%s%s", ref,
				 *it->res.reason ? it->res.reason : cd_status_name(it->res.status),
				 *it->res.message ? ": " : "", it->res.message);
		}
	}
}

static int is_failed(const struct cd_rollout_item *it)
{
	return it->failed;
}

static int is_unfinished(const struct cd_rollout_item *it)
{
	return !it->done && !it->failed;
}

static void describe_time(double s, char *out, size_t n)
{
	if (s >= 60)
		snprintf(out, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
	else
		snprintf(out, n, "%.1fs", s);
}

static int conclude(struct waiter *w, int timed_out, struct cd_err *err)
{
	char first[1400], took[32];
	size_t count;
	diagnose(w);
	describe_time(cd_now() - w->start, took, sizeof took);
	char more[48] = "";
	first_of(w, is_failed, first, sizeof first, &count);
	if (count > 1)
		snprintf(more, sizeof more, " (and %zu more failed)", count - 1);
	if (count)
		return cd_err_set(err, CD_E_ROLLOUT_FAILED, OP, "%s%s", first, more);
	first_of(w, is_unfinished, first, sizeof first, &count);
	if (count > 1)
		snprintf(more, sizeof more, " (and %zu more)", count - 1);
	if (count || timed_out) {
		double rd = cd_ctx_deadline(w->k->ctx);
		int run = rd > 0 && cd_now() >= rd - 0.01;
		return cd_err_set(err, CD_E_TIMEOUT, OP,
				  "%s after %s; still waiting for %s%s",
				  run ? cd_deadline_why() : "timed out",
				  took, first, more);
	}
	return 0;
}

int cd_rollout_wait(struct cd_kube *k, struct cd_rollout_item *items, size_t n,
		    const struct cd_rollout_opts *o, struct cd_rollout_stats *st,
		    struct cd_err *err)
{
	struct waiter w = {.k = k, .items = items, .n = n, .o = o, .st = st};
	unsigned long req0 = k->requests;
	int rc = 0, timed_out = 0;
	double next_tick = 0;

	memset(st, 0, sizeof *st);
	cd_err_clear(&w.fatal);
	w.start = cd_now();
	if (n == 0)
		return 0;
	if (setup(&w, err) != 0) {
		feeds_free(&w);
		return -(int)err->code;
	}
	w.b = cd_http_batch_new(k->http, CD_HTTP_MAX_STREAMS);
	if (!w.b) {
		feeds_free(&w);
		return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
	}
	cd_http_batch_set_wake(w.b, wake, &w);
	for (struct cd_rollout_feed *f = w.feeds; f && !w.fatal.code; f = f->next)
		feed_list(&w, f);
	double deadline = overall_deadline(&w);
	for (;;) {
		double now = cd_now();
		if (w.dirty || now >= next_tick) {
			w.dirty = 0;
			judge_all(&w);
			next_tick = now + 1.0;
		}
		size_t left = 0, failed = 0;
		for (size_t i = 0; i < n; i++) {
			left += !ended(&items[i]);
			failed += items[i].failed || items[i].timed_out;
		}
		if (w.fatal.code || left == 0 || (o->fail_fast && failed))
			break;
		if ((deadline > 0 && now >= deadline) ||
		    atomic_load(&cd_stop_signal)) {
			timed_out = 1;
			break;
		}
		double wait = next_tick - now;
		for (struct cd_rollout_feed *f = w.feeds; f; f = f->next) {
			if (f->state != F_BACKOFF)
				continue;
			if (f->retry_at <= now)
				feed_resume(&w, f);
			else if (f->retry_at - now < wait)
				wait = f->retry_at - now;
		}
		if (deadline > 0 && deadline - now < wait)
			wait = deadline - now;
		void *tag = NULL;
		if (!cd_http_batch_pending(w.b)) {
			/* every feed waits out its backoff: nothing to drive
			 * (a step would return at once, the loop would spin);
			 * in slices, so that a signal is seen at once */
			double until = now + wait;
			while (!atomic_load(&cd_stop_signal) && cd_now() < until)
				cd_sleep(until - cd_now() < 0.1 ? until - cd_now() : 0.1);
			continue;
		}
		while (cd_http_batch_step(w.b, wait > 0 ? wait : 0, &tag) && tag) {
			for (struct cd_rollout_feed *f = w.feeds; f; f = f->next) {
				if (f->op != tag)
					continue;
				if (f->state == F_LISTING)
					list_done(&w, f);
				else
					watch_done(&w, f);
				break;
			}
			wait = 0;
		}
	}
	/* Stop the watches before anything else goes out. */
	cd_http_batch_free(w.b);
	w.b = NULL;
	for (struct cd_rollout_feed *f = w.feeds; f; f = f->next) {
		cd_kube_async_free(f->op);
		f->op = NULL;
	}
	if (w.fatal.code) {
		*err = w.fatal;
		snprintf(err->op, sizeof err->op, "%s", OP);
		rc = -(int)err->code;
	} else {
		for (size_t i = 0; i < n; i++)
			if (!ended(&items[i]) && timed_out)
				items[i].seconds = cd_now() - w.start;
		rc = conclude(&w, timed_out, err);
	}
	if (o->progress)
		o->progress(o->progress_ud, items, n, n, 1);
	feeds_free(&w);
	st->seconds = cd_now() - w.start;
	st->requests = k->requests - req0;
	return rc;
}

void cd_rollout_items_clear(struct cd_rollout_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cd_free(items[i].detail);
		items[i].detail = NULL;
	}
}

/* ---- rollback ---- */

static const json_t *owned_latest(const json_t *list, const char *uid,
				  long long below, long long *rev,
				  const char *(*revision)(const json_t *))
{
	const json_t *best = NULL, *it;
	size_t i;
	*rev = 0;
	json_array_foreach(json_object_get(list, "items"), i, it) {
		const json_t *refs = jpath(it, "metadata", "ownerReferences"), *r;
		size_t j;
		int owned = 0;
		json_array_foreach(refs, j, r) owned |= !strcmp(sget(r, "uid"), uid);
		if (!owned)
			continue;
		long long v = atoll(revision(it));
		if (v > 0 && v < below && v > *rev) {
			*rev = v;
			best = it;
		}
	}
	return best;
}


static const char *cr_revision(const json_t *cr)
{
	static char buf[32];
	snprintf(buf, sizeof buf, "%lld",
		 (long long)json_integer_value(json_object_get(cr, "revision")));
	return buf;
}

int cd_rollout_undo(struct cd_kube *k, struct cd_rollout_item *it,
		    char *what, size_t n, struct cd_err *err)
{
	struct cd_kube_mapping m;
	char path[1200], list[1200], ref[700];
	json_t *live = NULL, *all = NULL, *tmpl = NULL, *patch = NULL, *out = NULL;
	long status;
	int rc = -1;
	const int deploy = !strcmp(it->kind, "Deployment");

	item_ref(it, ref, sizeof ref);
	if (!deploy && strcmp(it->kind, "StatefulSet") && strcmp(it->kind, "DaemonSet"))
		return cd_err_set(err, CD_E_INVALID, "rollout.rollback",
				  "%s: only Deployments, StatefulSets and DaemonSets roll back",
				  ref);
	if (cd_kube_map(k, it->api_version, it->kind, &m, err) != 0 ||
	    cd_kube_path(&m, it->namespace_, it->name, path, sizeof path) != 0)
		goto done;
	struct cd_kube_req get = {.method = "GET", .path = path, .what = ref};
	if (cd_kube_call(k, &get, &live, &status, err) != 0)
		goto done;
	const char *uid = sget(json_object_get(live, "metadata"), "uid");
	long long current, rev;
	const json_t *prev;
	if (deploy) {
		snprintf(list, sizeof list, "/apis/apps/v1/namespaces/%s/replicasets",
			 it->namespace_);
		current = atoll(rs_revision_of(live));
	} else {
		snprintf(list, sizeof list,
			 "/apis/apps/v1/namespaces/%s/controllerrevisions",
			 it->namespace_);
		current = 1LL << 62; /* the latest is the current one */
	}
	struct cd_kube_req lr = {.method = "GET", .path = list, .what = ref};
	if (cd_kube_call(k, &lr, &all, &status, err) != 0)
		goto done;
	if (!deploy) {
		owned_latest(all, uid, current, &current, cr_revision);
		if (!current) {
			cd_err_set(err, CD_E_NOT_FOUND, "rollout.rollback",
				   "%s has no revisions to roll back to", ref);
			goto done;
		}
	}
	prev = owned_latest(all, uid, current, &rev, deploy ? rs_revision_of : cr_revision);
	if (!prev) {
		cd_err_set(err, CD_E_NOT_FOUND, "rollout.rollback",
			   "%s has no previous revision to roll back to", ref);
		goto done;
	}
	if (deploy) {
		tmpl = json_deep_copy(jpath(prev, "spec", "template"));
		json_object_del(json_object_get(json_object_get(tmpl, "metadata"),
						"labels"),
				"pod-template-hash");
	} else {
		tmpl = json_deep_copy(jpath(jpath(prev, "data", "spec"), "template", NULL));
		json_object_del(tmpl, "$patch");
	}
	if (!json_is_object(tmpl)) {
		cd_err_set(err, CD_E_INVALID, "rollout.rollback",
			   "%s: revision %lld has no pod template", ref, rev);
		goto done;
	}
	patch = json_pack("[{s:s, s:s, s:O}]", "op", "replace", "path",
			  "/spec/template", "value", tmpl);
	char *body = patch ? json_dumps(patch, JSON_COMPACT) : NULL;
	char ppath[1300];
	snprintf(ppath, sizeof ppath, "%s?fieldManager=cdhost-rollback", path);
	struct cd_kube_req pr = {.method = "PATCH", .path = ppath,
				 .ctype = "application/json-patch+json",
				 .body = body, .what = ref};
	if (!body)
		cd_err_set(err, CD_E_NOMEM, "rollout.rollback", "out of memory");
	else if (cd_kube_call(k, &pr, &out, &status, err) == 0) {
		snprintf(what, n, "revision %lld", rev);
		it->generation = (long long)json_integer_value(
			json_object_get(json_object_get(out, "metadata"), "generation"));
		rc = 0;
	}
	free(body);
done:
	json_decref(live);
	json_decref(all);
	json_decref(tmpl);
	json_decref(patch);
	json_decref(out);
	return rc;
}
