/* core/rollout.c and core/jsonstream.c without a cluster: the watch-stream
 * framer (objects split across chunks anywhere, whitespace between them,
 * malformed input), the log-tail formatting of the diagnosis (fed with a
 * recorded /log response: the test control plane has no kubelet to serve
 * logs), and the kinds there is nothing to wait for. */
#include <string.h>

#include "../../core/jsonstream.h"
#include "../../core/rollout.h"
#include "t.h"

struct seen {
	char types[512];
	int n, stop_at;
};

static int collect(void *ud, json_t *obj)
{
	struct seen *s = ud;
	const char *type = json_string_value(json_object_get(obj, "type"));
	const char *name = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "object"), "metadata"), "name"));
	size_t l = strlen(s->types);
	snprintf(s->types + l, sizeof s->types - l, "%s:%s,", type ? type : "?",
		 name ? name : "?");
	return ++s->n == s->stop_at;
}

static const char stream[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"}{\\\"\"}}}\n"
	"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\u00e9\"},\"list\":[1,{\"x\":[]}]}}\r\n"
	"  {\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"name\":\"\",\"resourceVersion\":\"42\"}}}"
	"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"c\\\\\"}}}\n";
static const char want[] = "ADDED:a,MODIFIED:b\u00e9,BOOKMARK:,DELETED:c\\,";

static void stream_whole_and_split_everywhere(void)
{
	size_t len = strlen(stream);
	/* every split point, and one byte at a time */
	for (size_t cut = 0; cut <= len; cut++) {
		struct cd_jstream js;
		struct seen s = {{0}, 0, 0};
		struct cd_err e;
		cd_jstream_init(&js);
		T_EQ_INT(cd_jstream_feed(&js, stream, cut, collect, &s, &e), 0);
		T_EQ_INT(cd_jstream_feed(&js, stream + cut, len - cut, collect, &s, &e), 0);
		T_EQ_STR(s.types, want);
		cd_jstream_free(&js);
	}
	struct cd_jstream js;
	struct seen s = {{0}, 0, 0};
	struct cd_err e;
	cd_jstream_init(&js);
	for (size_t i = 0; i < len; i++)
		T_EQ_INT(cd_jstream_feed(&js, stream + i, 1, collect, &s, &e), 0);
	T_EQ_STR(s.types, want);
	cd_jstream_free(&js);
}

static void stream_stop_and_reset(void)
{
	struct cd_jstream js;
	struct seen s = {{0}, 0, 2};
	struct cd_err e;
	cd_jstream_init(&js);
	T_EQ_INT(cd_jstream_feed(&js, stream, strlen(stream), collect, &s, &e), 1);
	T_EQ_INT(s.n, 2);
	/* a new connection: the partial object is forgotten */
	cd_jstream_reset(&js);
	s.stop_at = 0;
	T_EQ_INT(cd_jstream_feed(&js, "{\"type\":\"ADD", 12, collect, &s, &e), 0);
	cd_jstream_reset(&js);
	T_EQ_INT(cd_jstream_feed(&js, "{\"type\":\"ERROR\"}", 16, collect, &s, &e), 0);
	T_EQ_INT(s.n, 3);
	cd_jstream_free(&js);
}

static void stream_malformed(void)
{
	static const char *const bad[] = {
		"[1,2]", "garbage", "{\"a\":tru}", "{\"a\":1}}", "{\"a\" 1}\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct cd_jstream js;
		struct seen s = {{0}, 0, 0};
		struct cd_err e;
		cd_jstream_init(&js);
		T_EQ_INT(cd_jstream_feed(&js, bad[i], strlen(bad[i]), collect, &s, &e), -1);
		T_EQ_INT(e.code, CD_E_INVALID);
		T_CHECK(strstr(e.msg, "malformed stream") != NULL);
		/* and it stays failed */
		T_EQ_INT(cd_jstream_feed(&js, "{}", 2, collect, &s, &e), -1);
		cd_jstream_free(&js);
	}
	/* a NUL byte inside an object (jansson alone would skip it) */
	{
		static const char nul[] = "{\"a\":[5\0,1]}\n{}";
		struct cd_jstream js;
		struct seen s = {{0}, 0, 0};
		struct cd_err e;
		cd_jstream_init(&js);
		T_EQ_INT(cd_jstream_feed(&js, nul, sizeof nul - 1, collect, &s, &e), -1);
		T_CHECK(strstr(e.msg, "NUL") != NULL);
		T_EQ_INT(s.n, 0);
		cd_jstream_free(&js);
	}
	/* an object over the cap */
	struct cd_jstream js;
	struct seen s = {{0}, 0, 0};
	struct cd_err e;
	cd_jstream_init(&js);
	js.max_frame = 64;
	char big[200];
	memset(big, ' ', sizeof big);
	memcpy(big, "{\"a\":\"", 6);
	T_EQ_INT(cd_jstream_feed(&js, big, sizeof big, collect, &s, &e), -1);
	T_CHECK(strstr(e.msg, "size cap") != NULL);
	cd_jstream_free(&js);
	/* at the cap exactly: taken; one byte over: refused, in one chunk or
	 * byte by byte (found by fuzz_jsonstream: 65 bytes were taken) */
	char at[65] = "{\"a\":\"", over[66] = "{\"a\":\"";
	memset(at + 6, 'x', 56);
	memcpy(at + 62, "\"}", 3);
	memset(over + 6, 'x', 57);
	memcpy(over + 63, "\"}", 3);
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct seen s2 = {{0}, 0, 0};
		int rc = 0;
		cd_jstream_init(&js);
		js.max_frame = 64;
		T_EQ_INT(cd_jstream_feed(&js, at, 64, collect, &s2, &e), 0);
		T_EQ_INT(s2.n, 1);
		for (size_t i = 0; i < 65 && rc == 0; i += bytewise ? 1 : 65)
			rc = cd_jstream_feed(&js, over + i, bytewise ? 1 : 65,
					     collect, &s2, &e);
		T_EQ_INT(rc, -1);
		T_EQ_INT(s2.n, 1);
		T_CHECK(strstr(e.msg, "size cap") != NULL);
		cd_jstream_free(&js);
	}
}

/* A recorded `GET .../pods/P/log?container=C&tailLines=N` body: plain
 * text with colours, a carriage return and a very long line. */
static void log_tail(void)
{
	struct cd_buf out = {0};
	char longline[1200];
	memset(longline, 'x', sizeof longline - 1);
	longline[sizeof longline - 1] = '\0';
	struct cd_buf rec = {0};
	cd_buf_printf(&rec, "starting\n\033[31mERROR\033[0m: cannot connect to db:5432\r\n"
			    "%s\npanic: exit\n", longline);
	T_EQ_INT(cd_rollout_log_tail(rec.data, rec.len, 3, "  | ", &out), 0);
	const char *s = out.data;
	T_CHECK(strncmp(s, "  | ERROR: cannot connect to db:5432\n  | xxx", 44) == 0);
	T_CHECK(strstr(s, "starting") == NULL); /* only the last 3 lines */
	T_CHECK(strstr(s, "\033") == NULL && strstr(s, "\r") == NULL);
	T_CHECK(strstr(s, "x [...]\n  | panic: exit\n") != NULL);
	/* fewer lines than asked, no final newline, empty */
	cd_buf_reset(&out);
	T_EQ_INT(cd_rollout_log_tail("one\ntwo", 7, 20, "> ", &out), 0);
	T_EQ_STR(out.data, "> one\n> two\n");
	cd_buf_reset(&out);
	T_EQ_INT(cd_rollout_log_tail("", 0, 20, "> ", &out), 0);
	T_EQ_INT((int)out.len, 0);
	cd_buf_free(&out);
	cd_buf_free(&rec);
}

static void nothing_to_wait(void)
{
	T_CHECK(cd_rollout_nothing_to_wait("v1", "ConfigMap"));
	T_CHECK(cd_rollout_nothing_to_wait("v1", "Secret"));
	T_CHECK(cd_rollout_nothing_to_wait("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"));
	T_CHECK(cd_rollout_nothing_to_wait("networking.k8s.io/v1", "NetworkPolicy"));
	T_CHECK(!cd_rollout_nothing_to_wait("v1", "Service"));
	T_CHECK(!cd_rollout_nothing_to_wait("v1", "Pod"));
	T_CHECK(!cd_rollout_nothing_to_wait("apps/v1", "Deployment"));
	T_CHECK(!cd_rollout_nothing_to_wait("example.com/v1", "ConfigMap"));
}

int main(void)
{
	T_RUN(stream_whole_and_split_everywhere);
	T_RUN(stream_stop_and_reset);
	T_RUN(stream_malformed);
	T_RUN(log_tail);
	T_RUN(nothing_to_wait);
	return T_DONE();
}
