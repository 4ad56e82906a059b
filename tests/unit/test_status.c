/* tests/unit/test_status.c — the status engine against recorded objects.
 *
 * Every tests/fixtures/status/NAME.json holds an object (plus optional
 * related ReplicaSets, pods and events, a fixed `now` and options) and the
 * exact {status, reason, message} expected from cdhost's rules ("expect")
 * and from kstatus's rules alone ("expect_kstatus", CD_STATUS_KSTATUS). The
 * working directory is tests/fixtures. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "t.h"

#define DIR_ "status"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.json names of the fixture directory; returns the count. */
static size_t list_fixtures(char ***out)
{
	DIR *d = opendir(DIR_);
	struct dirent *e;
	size_t n = 0;
	char **v = NULL;
	T_CHECK(d != NULL);
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		v = realloc(v, (n + 1) * sizeof *v);
		v[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof *v, cmp_names);
	*out = v;
	return n;
}

static int check_one(const char *file, const json_t *fx, const char *key,
		     unsigned flags)
{
	struct cd_status_opts opts = {flags, 0, 0};
	struct cd_status_related rel = {0};
	struct cd_status_result r;
	const json_t *o = json_object_get(fx, "options");
	const json_t *related = json_object_get(fx, "related");
	const json_t *want = json_object_get(fx, key);
	int ok = 1;

	opts.now = cd_status_parse_time(
		json_string_value(json_object_get(fx, "now")));
	if (json_is_true(json_object_get(o, "lb_ingress")))
		opts.flags |= CD_STATUS_LB_INGRESS;
	opts.expected_generation = json_integer_value(
		json_object_get(o, "expected_generation"));
	rel.replicasets = json_object_get(related, "replicasets");
	rel.pods = json_object_get(related, "pods");
	rel.events = json_object_get(related, "events");
	cd_status_compute(json_object_get(fx, "object"), &rel, &opts, &r);

	const char *ws = json_string_value(json_object_get(want, "status"));
	const char *wr = json_string_value(json_object_get(want, "reason"));
	const char *wm = json_string_value(json_object_get(want, "message"));
	if (!ws || strcmp(cd_status_name(r.status), ws) != 0 || !wr ||
	    strcmp(r.reason, wr) != 0 || !wm || strcmp(r.message, wm) != 0) {
		fprintf(stderr,
			"%s (%s):\n  got  %s / %s / %s\n  want %s / %s / %s\n",
			file, key, cd_status_name(r.status), r.reason,
			r.message, ws ? ws : "?", wr ? wr : "?",
			wm ? wm : "?");
		ok = 0;
	}
	return ok;
}

static void test_fixtures(void)
{
	char **names, path[512];
	size_t n = list_fixtures(&names);
	int bad = 0;
	T_CHECK(n >= 50);
	for (size_t i = 0; i < n; i++) {
		json_error_t jerr;
		snprintf(path, sizeof path, "%s/%s", DIR_, names[i]);
		json_t *fx = json_load_file(path, 0, &jerr);
		if (!fx) {
			fprintf(stderr, "%s: %s\n", path, jerr.text);
			bad++;
		} else {
			bad += !check_one(names[i], fx, "expect", 0);
			bad += !check_one(names[i], fx, "expect_kstatus",
					  CD_STATUS_KSTATUS);
		}
		json_decref(fx);
		free(names[i]);
	}
	free(names);
	T_EQ_INT(bad, 0);
}

static void test_names(void)
{
	T_EQ_STR(cd_status_name(CD_STATUS_CURRENT), "Current");
	T_EQ_STR(cd_status_name(CD_STATUS_IN_PROGRESS), "InProgress");
	T_EQ_STR(cd_status_name(CD_STATUS_NOT_FOUND), "NotFound");
	T_EQ_INT(cd_status_from_name("Terminating"), CD_STATUS_TERMINATING);
	T_EQ_INT(cd_status_from_name("Healthy"), CD_STATUS_COUNT);
	T_EQ_INT(cd_status_from_name(NULL), CD_STATUS_COUNT);
}

static void test_parse_time(void)
{
	T_CHECK(cd_status_parse_time("1970-01-01T00:00:00Z") == 0);
	T_CHECK(cd_status_parse_time("2024-05-01T10:05:00Z") == 1714557900);
	T_CHECK(cd_status_parse_time("2024-05-01T12:05:00+02:00") ==
		1714557900);
	T_CHECK(cd_status_parse_time("2024-05-01T10:05:00.5Z") ==
		1714557900.5);
	T_CHECK(cd_status_parse_time("2024-05-01") < 0);
	T_CHECK(cd_status_parse_time("2024-05-01T10:05:00") < 0);
	T_CHECK(cd_status_parse_time("2024-05-01T10:05:00Zjunk") < 0);
	T_CHECK(cd_status_parse_time(NULL) < 0);
}

static void expect(const json_t *obj, const struct cd_status_opts *opts,
		   const char *status, const char *reason, const char *msg)
{
	struct cd_status_result r;
	cd_status_compute(obj, NULL, opts, &r);
	T_EQ_STR(cd_status_name(r.status), status);
	T_EQ_STR(r.reason, reason);
	T_EQ_STR(r.message, msg);
}

static void test_edges(void)
{
	json_t *arr = json_array(), *o;
	expect(NULL, NULL, "NotFound", "NotFound", "Resource not found");
	expect(arr, NULL, "Unknown", "NotAnObject",
	       "cannot judge a JSON array: expected an object");
	json_decref(arr);

	/* No kind at all: the generic rules, then Current. */
	o = json_pack("{s:{s:s}}", "metadata", "name", "x");
	expect(o, NULL, "Current", "", "Resource is current");
	json_decref(o);

	/* Integer fields that are not integers fall back to the defaults,
	 * as kstatus's GetIntField does: replicas "3" reads as 1. */
	o = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:i}, s:{s:i, s:i, s:i, "
		      "s:i, s:[{s:s, s:s, s:s}, {s:s, s:s}]}}",
		      "apiVersion", "apps/v1", "kind", "Deployment", "metadata",
		      "name", "web", "spec", "replicas", "3",
		      "progressDeadlineSeconds", 600, "status", "replicas", 1,
		      "updatedReplicas", 1, "readyReplicas", 1,
		      "availableReplicas", 1, "conditions", "type",
		      "Progressing", "status", "True", "reason",
		      "NewReplicaSetAvailable", "type", "Available", "status",
		      "True");
	expect(o, NULL, "Current", "", "Deployment is available. Replicas: 1");
	json_decref(o);

	/* A ProgressDeadlineExceeded condition counts whatever its status. */
	o = json_pack("{s:s, s:s, s:{s:[{s:s, s:s, s:s}]}}", "apiVersion",
		      "apps/v1", "kind", "Deployment", "status", "conditions",
		      "type", "Progressing", "status", "Unknown", "reason",
		      "ProgressDeadlineExceeded");
	struct cd_status_opts k = {CD_STATUS_KSTATUS, 1, 0};
	expect(o, &k, "Failed", "ProgressDeadlineExceeded",
	       "Progress deadline exceeded");
	json_decref(o);

	/* The core group is "Kind" only: a v1 "Deployment" is not apps. */
	o = json_pack("{s:s, s:s}", "apiVersion", "v1", "kind", "Deployment");
	expect(o, NULL, "Current", "", "Resource is current");
	json_decref(o);
}

/* Messages are cut, never overflowed. */
static void test_long_message(void)
{
	char big[4000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	json_t *o = json_pack("{s:s, s:s, s:{s:[{s:s, s:s, s:s, s:s}]}}",
			      "apiVersion", "example.com/v1", "kind", "Widget",
			      "status", "conditions", "type", "Stalled",
			      "status", "True", "reason", "Broken", "message",
			      big);
	struct cd_status_result r;
	cd_status_compute(o, NULL, NULL, &r);
	T_EQ_INT(r.status, CD_STATUS_FAILED);
	T_EQ_INT(strlen(r.message), CD_STATUS_MESSAGE_MAX - 1);
	json_decref(o);
}

int main(void)
{
	T_RUN(test_fixtures);
	T_RUN(test_names);
	T_RUN(test_parse_time);
	T_RUN(test_edges);
	T_RUN(test_long_message);
	return T_DONE();
}
