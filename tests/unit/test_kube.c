/* tests/unit/test_kube.c — the Lua-free pieces of core/kube*.c and
 * core/diff.c: ApplySet ids (checked against kubectl's formula), the
 * client-side-apply take-over patch (client-go's csaupgrade), diff
 * cleaning and Secret masking, API Status messages, unified diffs. */
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "kube.h"
#include "kube_apply.h"
#include "t.h"

static void test_applyset_id(void)
{
	char id[128];
	/* base64url(sha256("demo.kt1.Secret.")), as kubectl computes it */
	cd_applyset_id("demo", "kt1", id, sizeof id);
	T_EQ_STR(id, "applyset-YWbbCNfwgEK4DO6icMVVQQTvbuW1DIrjPHS2k-0Svgw-v1");
}

static json_t *parse(const char *s)
{
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	if (!j)
		fprintf(stderr, "bad test json: %s\n", je.text);
	return j;
}

static void test_csa_upgrade(void)
{
	json_t *live = parse(
		"{\"metadata\":{\"resourceVersion\":\"7\",\"managedFields\":["
		"{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
		"\"apiVersion\":\"v1\",\"fieldsV1\":{\"f:data\":{\"f:a\":{},\"f:b\":{}}}},"
		"{\"manager\":\"other\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
		"\"fieldsV1\":{\"f:data\":{\"f:c\":{}}}}]}}");
	json_t *p = cd_kube_csa_upgrade_patch(live, "cdhost");
	char *s = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	T_EQ_STR(s, "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\","
		    "\"value\":\"7\"},{\"op\":\"replace\",\"path\":"
		    "\"/metadata/managedFields\",\"value\":[{\"apiVersion\":\"v1\","
		    "\"fieldsV1\":{\"f:data\":{\"f:a\":{},\"f:b\":{}}},\"manager\":"
		    "\"cdhost\",\"operation\":\"Apply\"},{\"apiVersion\":\"v1\","
		    "\"fieldsV1\":{\"f:data\":{\"f:c\":{}}},\"manager\":\"other\","
		    "\"operation\":\"Update\"}]}]");
	free(s);
	json_decref(p);
	json_decref(live);
	/* an existing cdhost Apply entry absorbs the client-side fields */
	live = parse(
		"{\"metadata\":{\"resourceVersion\":\"8\",\"managedFields\":["
		"{\"manager\":\"cdhost\",\"operation\":\"Apply\",\"apiVersion\":\"v1\","
		"\"fieldsV1\":{\"f:data\":{\"f:z\":{}}}},"
		"{\"manager\":\"kubectl-client-side-apply\",\"operation\":\"Update\","
		"\"apiVersion\":\"v1\",\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]}}");
	p = cd_kube_csa_upgrade_patch(live, "cdhost");
	json_t *mf = json_object_get(json_array_get(p, 1), "value");
	T_EQ_INT(json_array_size(mf), 1);
	json_t *data = json_object_get(json_object_get(json_array_get(mf, 0), "fieldsV1"),
				       "f:data");
	T_CHECK(json_object_get(data, "f:a") && json_object_get(data, "f:z"));
	json_decref(p);
	json_decref(live);
	/* nothing client-side applied: no patch */
	live = parse("{\"metadata\":{\"managedFields\":[{\"manager\":\"cdhost\","
		     "\"operation\":\"Apply\"}]}}");
	T_CHECK(cd_kube_csa_upgrade_patch(live, "cdhost") == NULL);
	json_decref(live);
}

static void test_diff_clean(void)
{
	json_t *o = parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":"
			  "{\"name\":\"s\",\"uid\":\"u\",\"resourceVersion\":\"1\","
			  "\"generation\":2,\"creationTimestamp\":\"t\","
			  "\"managedFields\":[]},\"data\":{\"k\":\"czNjcjN0\"},"
			  "\"status\":{}}");
	json_t *c = cd_kube_diff_clean(o, 0);
	char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	T_EQ_STR(s, "{\"apiVersion\":\"v1\",\"data\":{\"k\":\"***\"},\"kind\":"
		    "\"Secret\",\"metadata\":{\"name\":\"s\"}}");
	free(s);
	json_decref(c);
	c = cd_kube_diff_clean(o, 1);
	T_EQ_STR(json_string_value(json_object_get(json_object_get(c, "data"), "k")),
		 "czNjcjN0");
	json_decref(c);
	json_decref(o);
}

static void test_status_err(void)
{
	struct cd_err err;
	json_t *b = parse("{\"kind\":\"Status\",\"message\":\"Deployment.apps \\\"w\\\" "
			  "is invalid: spec.replicas: Invalid value: -1\",\"reason\":"
			  "\"Invalid\",\"details\":{\"causes\":[{\"field\":"
			  "\"spec.replicas\",\"message\":\"Invalid value: -1\"},"
			  "{\"field\":\"spec.x\",\"message\":\"Required value\"}]},"
			  "\"code\":422}");
	cd_kube_status_err(422, b, "apply Deployment ns/w (app.yaml:3)", &err);
	T_EQ_INT(err.code, CD_E_INVALID);
	T_EQ_STR(err.msg, "apply Deployment ns/w (app.yaml:3): Deployment.apps \"w\" "
			  "is invalid: spec.replicas: Invalid value: -1; spec.x: "
			  "Required value (HTTP 422)");
	json_decref(b);
	b = parse("{\"kind\":\"Status\",\"message\":\"Apply failed with 1 conflict\","
		  "\"reason\":\"Conflict\",\"details\":{\"causes\":[{\"reason\":"
		  "\"FieldManagerConflict\",\"message\":\"conflict with \\\"kubectl\\\" "
		  "using v1\",\"field\":\".data.a\"}]},\"code\":409}");
	cd_kube_status_err(409, b, "apply ConfigMap ns/c", &err);
	T_EQ_INT(err.code, CD_E_CONFLICT);
	T_EQ_STR(err.msg, "apply ConfigMap ns/c: conflict with another field manager: "
			  ".data.a (conflict with \"kubectl\" using v1); set force = "
			  "true to take these fields over");
	json_decref(b);
	cd_kube_status_err(403, NULL, "list", &err);
	T_EQ_INT(err.code, CD_E_FORBIDDEN);
	T_EQ_STR(err.msg, "list: HTTP 403 (HTTP 403)");
}

static void test_unified(void)
{
	struct cd_buf b = CD_BUF_INIT;
	T_EQ_INT(cd_diff_unified("a\nb\n", "a\nb\n", "x", "y", 3, &b), 0);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(cd_diff_unified("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nD\ne\nf\ng\nh\n",
				 "live", "merged", 1, &b),
		 1);
	T_EQ_STR(b.data, "--- live\n+++ merged\n@@ -3,3 +3,3 @@\n c\n-d\n+D\n e\n");
	cd_buf_free(&b);
	T_EQ_INT(cd_diff_unified("x\n", "", "a", "b", 3, &b), 1);
	T_EQ_STR(b.data, "--- a\n+++ b\n@@ -1,1 +0,0 @@\n-x\n");
	cd_buf_free(&b);
	T_EQ_INT(cd_diff_unified("", "n\n", "a", "b", 3, &b), 1);
	T_EQ_STR(b.data, "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+n\n");
	cd_buf_free(&b);
}

static void test_path(void)
{
	struct cd_kube_mapping m = {"apps", "v1", "Deployment", "deployments", 1};
	char p[256];
	cd_kube_path(&m, "ns", "web", p, sizeof p);
	T_EQ_STR(p, "/apis/apps/v1/namespaces/ns/deployments/web");
	struct cd_kube_mapping c = {"", "v1", "Namespace", "namespaces", 0};
	cd_kube_path(&c, "ignored", NULL, p, sizeof p);
	T_EQ_STR(p, "/api/v1/namespaces");
}

static void test_propagation(void)
{
	T_EQ_STR(cd_kube_propagation("orphan"), "Orphan");
	T_EQ_STR(cd_kube_propagation("FOREGROUND"), "Foreground");
	T_EQ_STR(cd_kube_propagation("Background"), "Background");
	T_CHECK(cd_kube_propagation("sideways") == NULL);
	T_CHECK(cd_kube_propagation("") == NULL);
	T_CHECK(cd_kube_propagation(NULL) == NULL);
}

int main(void)
{
	T_RUN(test_applyset_id);
	T_RUN(test_csa_upgrade);
	T_RUN(test_diff_clean);
	T_RUN(test_status_err);
	T_RUN(test_unified);
	T_RUN(test_path);
	T_RUN(test_propagation);
	return T_DONE();
}
