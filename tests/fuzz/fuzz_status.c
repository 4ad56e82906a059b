/* The status engine (cd_status_compute, core/status.c) over arbitrary
 * JSON in the shape of tests/fixtures/status/NAME.json: {"object": ...,
 * "related": {"replicasets": [...], "pods": [...], "events": [...]},
 * "now": RFC 3339, "options": {...}}. A bare object is judged as well.
 *
 * Invariants: a status in range whose name maps back to it; reason and
 * message NUL-terminated within their buffers and on one line; the same
 * input gives the same result (no hidden state); kstatus mode also
 * terminates; cd_status_parse_time gives -1 or a finite time. */
#include <jansson.h>
#include <math.h>

#include "../../core/status.h"
#include "fuzz.h"

static void check(const struct cd_status_result *r)
{
	FUZZ_CHECK(r->status >= 0 && r->status < CD_STATUS_COUNT, "status %d",
		   (int)r->status);
	FUZZ_CHECK(cd_status_from_name(cd_status_name(r->status)) == r->status,
		   "name of %d", (int)r->status);
	FUZZ_CHECK(memchr(r->reason, '\0', sizeof r->reason) &&
			   memchr(r->message, '\0', sizeof r->message),
		   "unterminated");
	FUZZ_CHECK(fuzz_none_of(r->reason, "\n") &&
			   fuzz_none_of(r->message, "\n"),
		   "line break: %s / %s", r->reason, r->message);
}

static const json_t *array_or_null(const json_t *v)
{
	return json_is_array(v) ? v : NULL;
}

static void judge(const json_t *obj, const json_t *fx)
{
	const json_t *related = json_object_get(fx, "related");
	const json_t *o = json_object_get(fx, "options");
	struct cd_status_related rel = {
		array_or_null(json_object_get(related, "replicasets")),
		array_or_null(json_object_get(related, "pods")),
		array_or_null(json_object_get(related, "events"))};
	struct cd_status_opts opts = {0, 1714557600.0, 0};
	struct cd_status_result r1, r2;

	const char *now = json_string_value(json_object_get(fx, "now"));
	if (now) {
		double t = cd_status_parse_time(now);
		FUZZ_CHECK(t == -1 || isfinite(t), "time '%s' -> %g", now, t);
		if (t > 0)
			opts.now = t;
	}
	if (json_is_true(json_object_get(o, "lb_ingress")))
		opts.flags |= CD_STATUS_LB_INGRESS;
	opts.expected_generation =
		json_integer_value(json_object_get(o, "expected_generation"));

	cd_status_compute(obj, &rel, &opts, &r1);
	check(&r1);
	cd_status_compute(obj, &rel, &opts, &r2);
	FUZZ_CHECK(r1.status == r2.status && !strcmp(r1.reason, r2.reason) &&
			   !strcmp(r1.message, r2.message),
		   "not deterministic");
	opts.flags |= CD_STATUS_KSTATUS;
	cd_status_compute(obj, NULL, &opts, &r2);
	check(&r2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *fx = json_loadb((const char *)data, size, 0, NULL);
	if (!fx)
		return 0;
	judge(json_object_get(fx, "object"), fx);
	judge(fx, fx);
	json_decref(fx);
	return 0;
}
