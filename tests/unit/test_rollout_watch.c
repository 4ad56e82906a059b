/* core/rollout.c's stream handling against recorded API responses
 * (tests/helpers/watch_server.py): a watch that ends with an ERROR 410
 * event, one answered with HTTP 410, one whose connection drops after
 * a BOOKMARK, and watches that always break in their first event. The
 * waiter must re-list after a 410, resume from the last resourceVersion
 * (the bookmark's) after a drop, list again after two fruitless watches —
 * and still see the Deployment become Current. The waiter's e2e tests (tests/e2e/kube/
 * test_rollout*.sh) run against the real API server. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../core/http.h"
#include "../../core/kube.h"
#include "../../core/rollout.h"
#include "../../core/util.h"
#include "t.h"

extern char **environ;
static char dir[64];

static int parse_json(void *ud, const char *path, const char *text, size_t n,
		      json_t **out, struct cd_err *err)
{
	json_error_t je;
	(void)ud;
	*out = json_loadb(text, n, 0, &je);
	return *out ? 0 : cd_err_set(err, CD_E_INVALID, "test", "%s: %s", path, je.text);
}

static pid_t start(const char *scenario, int *port)
{
	char pf[128];
	snprintf(pf, sizeof pf, "%s/port-%s", dir, scenario);
	char *argv[] = {"python3", "../helpers/watch_server.py", pf, (char *)scenario, NULL};
	pid_t pid;
	if (posix_spawnp(&pid, "python3", NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "FAIL: cannot start python3\n");
		exit(1);
	}
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(pf, "r");
		if (f && fscanf(f, "%d", port) == 1) {
			fclose(f);
			return pid;
		}
		if (f)
			fclose(f);
		cd_sleep(0.05);
	}
	fprintf(stderr, "FAIL: watch_server.py did not start\n");
	exit(1);
}

/* Runs one wait against the scenario; returns the server's request log. */
static json_t *wait_on(const char *scenario, int *rc, struct cd_rollout_stats *st,
		       struct cd_rollout_item *it)
{
	int port;
	pid_t pid = start(scenario, &port);
	char kc[256], text[1024];
	snprintf(kc, sizeof kc, "%s/kubeconfig-%s.json", dir, scenario);
	snprintf(text, sizeof text,
		 "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"current-context\":\"x\","
		 "\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"http://127.0.0.1:%d\"}}],"
		 "\"users\":[{\"name\":\"u\",\"user\":{}}],"
		 "\"contexts\":[{\"name\":\"x\",\"context\":{\"cluster\":\"c\",\"user\":\"u\",\"namespace\":\"ns\"}}]}",
		 port);
	FILE *f = fopen(kc, "w");
	fputs(text, f);
	fclose(f);
	struct cd_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	struct cd_http h;
	struct cd_err err;
	struct cd_kube *k = NULL;
	T_EQ_INT(cd_http_init(&h, &ctx, &err), 0);
	struct cd_kubeconfig_opts o = {.kubeconfig = kc, .parse = parse_json};
	if (cd_kube_open(&k, &h, &ctx, &o, &err) != 0) {
		fprintf(stderr, "FAIL: kube open: %s\n", err.msg);
		exit(1);
	}
	memset(it, 0, sizeof *it);
	snprintf(it->api_version, sizeof it->api_version, "apps/v1");
	snprintf(it->kind, sizeof it->kind, "Deployment");
	snprintf(it->namespace_, sizeof it->namespace_, "ns");
	snprintf(it->name, sizeof it->name, "web");
	it->generation = 1;
	struct cd_rollout_opts ro = {.timeout = 20, .fail_fast = 1};
	*rc = cd_rollout_wait(k, it, 1, &ro, st, &err);
	if (*rc != 0)
		fprintf(stderr, "wait (%s): %s\n", scenario, err.msg);
	/* the server's account of what the client asked */
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/log", port);
	struct cd_http_req q = {.method = "GET", .url = url};
	struct cd_http_resp resp;
	json_t *log = NULL;
	if (cd_http_do(&h, &q, &resp, &err) == 0 && resp.status == 200) {
		json_error_t je;
		log = json_loadb(resp.body.data, resp.body.len, 0, &je);
	}
	cd_http_resp_free(&resp);
	cd_rollout_items_clear(it, 1);
	cd_kube_free(k);
	cd_http_free(&h);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return log;
}

static char *joined(const json_t *log)
{
	static char buf[1024];
	const json_t *v;
	size_t i;
	buf[0] = '\0';
	json_array_foreach(json_object_get(log, "log"), i, v)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s|", json_string_value(v));
	return buf;
}

/* LIST, the watch that got 410, a new LIST (which already shows the
 * Deployment Current, so the wait may end before its watch goes out; if
 * it went out, it started from the new list's resourceVersion). */
static void check_relisted(const json_t *log)
{
	const char *j = joined(log);
	T_CHECK(strcmp(j, "LIST|WATCH rv=100|LIST|") == 0 ||
		strcmp(j, "LIST|WATCH rv=100|LIST|WATCH rv=200|") == 0);
}

static void gone_event_relists(void)
{
	int rc;
	struct cd_rollout_stats st;
	struct cd_rollout_item it;
	json_t *log = wait_on("gone", &rc, &st, &it);
	T_EQ_INT(rc, 0);
	T_EQ_INT(it.res.status, CD_STATUS_CURRENT);
	T_EQ_INT((int)st.relists, 1);
	check_relisted(log);
	json_decref(log);
}

static void gone_http_relists(void)
{
	int rc;
	struct cd_rollout_stats st;
	struct cd_rollout_item it;
	json_t *log = wait_on("http410", &rc, &st, &it);
	T_EQ_INT(rc, 0);
	T_EQ_INT(it.res.status, CD_STATUS_CURRENT);
	T_EQ_INT((int)st.relists, 1);
	check_relisted(log);
	json_decref(log);
}

static void dropped_resumes_from_bookmark(void)
{
	int rc;
	struct cd_rollout_stats st;
	struct cd_rollout_item it;
	json_t *log = wait_on("cut", &rc, &st, &it);
	T_EQ_INT(rc, 0);
	T_EQ_INT(it.res.status, CD_STATUS_CURRENT);
	T_EQ_INT((int)st.relists, 0);
	T_CHECK(st.reconnects >= 1);
	/* no second LIST: it resumed from the bookmark's resourceVersion */
	T_EQ_STR(joined(log), "LIST|WATCH rv=100|WATCH rv=160|");
	json_decref(log);
}

/* Every watch breaks in the middle of its first event: resuming from the
 * same resourceVersion would never get further; after two such watches
 * the waiter lists again and sees the Deployment available. While every
 * feed waits out its backoff the waiter sleeps (it spun, a core busy). */
static void fruitless_watches_relist(void)
{
	int rc;
	struct cd_rollout_stats st;
	struct cd_rollout_item it;
	double t0 = cd_now();
	clock_t c0 = clock();
	json_t *log = wait_on("stuck", &rc, &st, &it);
	double wall = cd_now() - t0, cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
	T_EQ_INT(rc, 0);
	T_EQ_INT(it.res.status, CD_STATUS_CURRENT);
	T_CHECK(st.reconnects >= 2);
	const char *j = joined(log);
	T_CHECK(strcmp(j, "LIST|WATCH rv=100|WATCH rv=100|LIST|") == 0 ||
		strcmp(j, "LIST|WATCH rv=100|WATCH rv=100|LIST|WATCH rv=200|") == 0);
	if (cpu > 0.1 + wall / 4)
		fprintf(stderr, "cpu %.2fs in %.2fs\n", cpu, wall);
	T_CHECK(cpu <= 0.1 + wall / 4);
	json_decref(log);
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/cdhost-watch.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	setenv("XDG_CACHE_HOME", dir, 1);
	T_RUN(gone_event_relists);
	T_RUN(gone_http_relists);
	T_RUN(dropped_resumes_from_bookmark);
	T_RUN(fruitless_watches_relist);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return T_DONE();
}
