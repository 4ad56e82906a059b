/* core/http.c against a real loopback server (tests/helpers/http_server.py):
 * statuses, retries and backoff, Retry-After, dropped connections, redirects
 * without leaking credentials, body caps, deadlines, uploads, parallel
 * requests, TLS with a private CA and client certificates. */
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/http.h"
#include "../../core/mem.h"
#include "../../core/util.h"
#include "t.h"

extern char **environ;

static char dir[64], base[128], tls_base[128];
static pid_t servers[2];
static struct cd_http H;

static pid_t start_server(const char *portfile, int tls, char *url, size_t n)
{
	char cert[128], key[128], ca[128];
	snprintf(cert, sizeof cert, "%s/server.pem", dir);
	snprintf(key, sizeof key, "%s/server.key", dir);
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	char *argv_plain[] = {"python3", "../helpers/http_server.py",
			      (char *)portfile, NULL};
	char *argv_tls[] = {"python3", "../helpers/http_server.py",
			    (char *)portfile, "--tls", cert, key, ca, NULL};
	pid_t pid;
	if (posix_spawnp(&pid, "python3", NULL, NULL,
			 tls ? argv_tls : argv_plain, environ) != 0) {
		fprintf(stderr, "cannot start python3 (install python3)\n");
		exit(1);
	}
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(portfile, "r");
		int port;
		if (f && fscanf(f, "%d", &port) == 1) {
			fclose(f);
			snprintf(url, n, "%s://127.0.0.1:%d",
				 tls ? "https" : "http", port);
			return pid;
		}
		if (f)
			fclose(f);
		cd_sleep(0.05);
	}
	fprintf(stderr, "the test server did not start\n");
	exit(1);
}

static void make_certs(void)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "cd %s && exec >openssl.log 2>&1 && "
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key "
		 "-out ca.pem -days 2 -subj /CN=test-ca && "
		 "openssl req -newkey rsa:2048 -nodes -keyout server.key "
		 "-out server.csr -subj /CN=127.0.0.1 && "
		 "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san && "
		 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
		 "-CAcreateserial -out server.pem -days 2 -extfile san && "
		 "openssl req -newkey rsa:2048 -nodes -keyout client.key "
		 "-out client.csr -subj /CN=client && "
		 "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
		 "-CAcreateserial -out client.pem -days 2",
		 dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "openssl failed: see %s/openssl.log\n", dir);
		exit(1);
	}
}

static int get(const char *path, struct cd_http_resp *r, struct cd_err *e,
	       int idempotent)
{
	char url[256];
	snprintf(url, sizeof url, "%s%s", base, path);
	struct cd_http_req q = {.method = "GET", .url = url,
				.idempotent = idempotent};
	return cd_http_do(&H, &q, r, e);
}

static void plain_get(void)
{
	struct cd_http_resp r;
	struct cd_err e;
	char v[64];
	T_EQ_INT(get("/ok", &r, &e, 1), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_STR(r.body.data, "hello");
	T_EQ_STR(cd_http_header(&r, "content-length", v, sizeof v), "5");
	T_CHECK(cd_http_header(&r, "X-Absent", v, sizeof v) == NULL);
	cd_http_resp_free(&r);
	T_EQ_INT(get("/status/404", &r, &e, 1), 0); /* a response is a response */
	T_EQ_INT(r.status, 404);
	T_EQ_INT(cd_http_status_code(r.status), CD_E_NOT_FOUND);
	cd_http_resp_free(&r);
}

static void retries_5xx_then_succeeds(void)
{
	struct cd_http_resp r;
	struct cd_err e;
	T_EQ_INT(get("/flaky/a/2", &r, &e, 1), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_STR(r.body.data, "recovered");
	T_EQ_INT(r.attempts, 3);
	cd_http_resp_free(&r);
	/* not idempotent: no retry, the 503 is the answer */
	T_EQ_INT(get("/flaky/b/1", &r, &e, 0), 0);
	T_EQ_INT(r.status, 503);
	T_EQ_INT(r.attempts, 1);
	cd_http_resp_free(&r);
}

static void retries_are_bounded(void)
{
	struct cd_http_resp r;
	struct cd_err e;
	T_EQ_INT(get("/flaky/c/100", &r, &e, 1), 0);
	T_EQ_INT(r.status, 503);
	T_EQ_INT(r.attempts, CD_HTTP_MAX_RETRIES + 1);
	cd_http_resp_free(&r);
}

static void honours_retry_after(void)
{
	struct cd_http_resp r;
	struct cd_err e;
	double t0 = cd_now();
	T_EQ_INT(get("/ratelimit/a", &r, &e, 1), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_INT(r.attempts, 2);
	T_CHECK(cd_now() - t0 >= 0.9); /* waited the server's Retry-After: 1 */
	cd_http_resp_free(&r);
	/* a 429 is a refusal: even a request that is not idempotent goes
	 * again (a plain 503 does not: retries_5xx_then_succeeds) */
	t0 = cd_now();
	T_EQ_INT(get("/ratelimit/b", &r, &e, 0), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_INT(r.attempts, 2);
	T_CHECK(cd_now() - t0 >= 0.9);
	cd_http_resp_free(&r);
	/* so is a 503 that says when to come back */
	T_EQ_INT(get("/busy/a", &r, &e, 0), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_INT(r.attempts, 2);
	cd_http_resp_free(&r);
	T_CHECK(cd_http_retry_after("7", 0) == 7);
	T_CHECK(cd_http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
				    1445412480 - 10) == 10);
	T_CHECK(cd_http_retry_after("soon", 0) < 0);
}

static void survives_dropped_connections(void)
{
	struct cd_http_resp r;
	struct cd_err e;
	T_EQ_INT(get("/drop/a/2", &r, &e, 1), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_STR(r.body.data, "survived");
	cd_http_resp_free(&r);
	/* Not idempotent: no retries of ours (libcurl itself may resend once
	 * on a reused connection that died before any response). */
	T_CHECK(get("/drop/b/5", &r, &e, 0) != 0);
	T_EQ_INT(e.code, CD_E_UNREACHABLE);
	T_EQ_INT(r.attempts, 1);
	T_CHECK(strstr(e.msg, "/drop/b/5") != NULL);
	cd_http_resp_free(&r);
}

static void redirects_keep_credentials_home(void)
{
	char url[256];
	const char *auth[] = {"Authorization: Bearer s3cret-token", NULL};
	struct cd_http_resp r;
	struct cd_err e;
	snprintf(url, sizeof url, "%s/redirect-other", base);
	struct cd_http_req q = {.url = url, .headers = auth, .follow = 1};
	T_EQ_INT(cd_http_do(&H, &q, &r, &e), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_STR(r.body.data, "none"); /* not sent to localhost */
	cd_http_resp_free(&r);
	snprintf(url, sizeof url, "%s/redirect-same", base);
	T_EQ_INT(cd_http_do(&H, &q, &r, &e), 0);
	T_EQ_STR(r.body.data, "Bearer s3cret-token");
	cd_http_resp_free(&r);
	q.follow = 0;
	T_EQ_INT(cd_http_do(&H, &q, &r, &e), 0);
	T_EQ_INT(r.status, 302);
	cd_http_resp_free(&r);
}

static void body_cap(void)
{
	char url[256];
	struct cd_http_resp r;
	struct cd_err e;
	snprintf(url, sizeof url, "%s/big", base);
	struct cd_http_req q = {.url = url, .max_body = 1 << 20, .idempotent = 1};
	T_CHECK(cd_http_do(&H, &q, &r, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	T_CHECK(strstr(e.msg, "larger than 1048576 bytes") != NULL);
	T_EQ_INT(r.attempts, 1); /* a cap is not retried */
	cd_http_resp_free(&r);
}

static void deadline(void)
{
	struct cd_ctx ctx = {0};
	struct cd_http h2;
	struct cd_err e;
	struct cd_http_resp r;
	char url[256];
	ctx.deadline = cd_now() + 1.0;
	T_EQ_INT(cd_http_init(&h2, &ctx, &e), 0);
	snprintf(url, sizeof url, "%s/slow", base);
	struct cd_http_req q = {.url = url, .idempotent = 1};
	double t0 = cd_now();
	T_CHECK(cd_http_do(&h2, &q, &r, &e) != 0);
	T_EQ_INT(e.code, CD_E_TIMEOUT);
	T_CHECK(cd_now() - t0 < 2.0);
	cd_http_resp_free(&r);
	/* a Retry-After past the deadline: a timeout at once, saying so */
	ctx.deadline = cd_now() + 0.5;
	snprintf(url, sizeof url, "%s/ratelimit/deadline", base);
	t0 = cd_now();
	T_CHECK(cd_http_do(&h2, &q, &r, &e) != 0);
	T_EQ_INT(e.code, CD_E_TIMEOUT);
	T_CHECK(strstr(e.msg, "HTTP 429, retry in 1 s, past the run's --timeout") != NULL);
	T_EQ_INT(r.attempts, 1);
	T_CHECK(cd_now() - t0 < 0.5);
	cd_http_resp_free(&r);
	cd_http_free(&h2);
}

static void offline_refuses(void)
{
	struct cd_ctx ctx = {0};
	struct cd_http h2;
	struct cd_err e;
	struct cd_http_resp r;
	ctx.offline = 1;
	T_EQ_INT(cd_http_init(&h2, &ctx, &e), 0);
	struct cd_http_req q = {.url = "http://127.0.0.1:1/x"};
	T_CHECK(cd_http_do(&h2, &q, &r, &e) != 0);
	T_EQ_INT(e.code, CD_E_UNREACHABLE);
	T_CHECK(strstr(e.msg, "--offline") != NULL);
	cd_http_resp_free(&r);
	cd_http_free(&h2);
}

static void unreachable(void)
{
	struct cd_http_resp r;
	struct cd_err e;
	struct cd_http_req q = {.url = "http://127.0.0.1:1/nothing-listens",
				.idempotent = 1, .what = "ping"};
	T_CHECK(cd_http_do(&H, &q, &r, &e) != 0);
	T_EQ_INT(e.code, CD_E_UNREACHABLE);
	T_CHECK(strstr(e.msg, "127.0.0.1:1") != NULL);
	T_CHECK(strstr(e.msg, "ping") != NULL);
	cd_http_resp_free(&r);
}

static void uploads(void)
{
	char url[256], path[128];
	struct cd_http_resp r;
	struct cd_err e;
	snprintf(url, sizeof url, "%s/echo", base);
	struct cd_http_req q = {.method = "PUT", .url = url, .body = "abc",
				.body_len = 3};
	T_EQ_INT(cd_http_do(&H, &q, &r, &e), 0);
	T_EQ_STR(r.body.data, "PUT 3 abc");
	cd_http_resp_free(&r);
	snprintf(path, sizeof path, "%s/blob", dir);
	FILE *f = fopen(path, "w");
	fputs("from a file", f);
	fclose(f);
	struct cd_http_req p = {.method = "POST", .url = url, .body_path = path};
	T_EQ_INT(cd_http_do(&H, &p, &r, &e), 0);
	T_EQ_STR(r.body.data, "POST 11 from a file");
	cd_http_resp_free(&r);
	struct cd_http_req d = {.method = "DELETE", .url = url};
	T_EQ_INT(cd_http_do(&H, &d, &r, &e), 0);
	T_EQ_STR(r.body.data, "DELETE 0 ");
	cd_http_resp_free(&r);
}

static void parallel(void)
{
	enum { N = 24 };
	struct cd_http_req q[N];
	struct cd_http_resp r[N];
	struct cd_err e[N];
	char urls[N][256];
	for (int i = 0; i < N; i++) {
		snprintf(urls[i], sizeof urls[i], "%s/%s", base,
			 i % 3 ? "ok" : "flaky/p/3");
		q[i] = (struct cd_http_req){.url = urls[i], .idempotent = 1};
	}
	T_EQ_INT(cd_http_do_all(&H, q, r, e, N, 6), 0);
	for (int i = 0; i < N; i++) {
		T_EQ_INT(r[i].status, 200);
		cd_http_resp_free(&r[i]);
	}
}

static void tls_with_client_cert(void)
{
	char url[256], ca[128], cert[128], key[128];
	struct cd_http_resp r;
	struct cd_err e;
	snprintf(ca, sizeof ca, "%s/ca.pem", dir);
	snprintf(cert, sizeof cert, "%s/client.pem", dir);
	snprintf(key, sizeof key, "%s/client.key", dir);
	snprintf(url, sizeof url, "%s/ok", tls_base);
	struct cd_http_tls tls = {.ca_file = ca, .cert_file = cert,
				  .key_file = key};
	struct cd_http_req q = {.url = url, .tls = &tls};
	T_EQ_INT(cd_http_do(&H, &q, &r, &e), 0);
	T_EQ_INT(r.status, 200);
	T_EQ_STR(r.body.data, "hello");
	cd_http_resp_free(&r);

	/* the same, from PEM data (kubeconfig *-data fields) */
	char *ca_pem = NULL, *cert_pem = NULL, *key_pem = NULL;
	size_t ca_len, cert_len, key_len;
	FILE *f;
	struct { const char *path; char **out; size_t *len; } files[] = {
		{ca, &ca_pem, &ca_len}, {cert, &cert_pem, &cert_len},
		{key, &key_pem, &key_len}};
	for (int i = 0; i < 3; i++) {
		f = fopen(files[i].path, "r");
		*files[i].out = cd_calloc(1, 16384);
		*files[i].len = fread(*files[i].out, 1, 16383, f);
		fclose(f);
	}
	struct cd_http_tls blobs = {.ca_pem = ca_pem, .ca_pem_len = ca_len,
				    .cert_pem = cert_pem, .cert_pem_len = cert_len,
				    .key_pem = key_pem, .key_pem_len = key_len};
	q.tls = &blobs;
	T_EQ_INT(cd_http_do(&H, &q, &r, &e), 0);
	T_EQ_INT(r.status, 200);
	cd_http_resp_free(&r);

	/* verification is on by default: no CA, no connection */
	struct cd_http_tls nocert = {.cert_file = cert, .key_file = key};
	q.tls = &nocert;
	T_CHECK(cd_http_do(&H, &q, &r, &e) != 0);
	T_EQ_INT(e.code, CD_E_UNREACHABLE);
	cd_http_resp_free(&r);
	/* insecure only when asked */
	nocert.insecure = 1;
	T_EQ_INT(cd_http_do(&H, &q, &r, &e), 0);
	T_EQ_INT(r.status, 200);
	cd_http_resp_free(&r);
	/* the server wants a client certificate */
	struct cd_http_tls noclient = {.ca_file = ca};
	q.tls = &noclient;
	T_CHECK(cd_http_do(&H, &q, &r, &e) != 0);
	cd_http_resp_free(&r);
	cd_free(ca_pem);
	cd_free(cert_pem);
	cd_free(key_pem);
}

int main(void)
{
	struct cd_err e;
	char pf[128];
	snprintf(dir, sizeof dir, "/tmp/cdhost-test-http.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	make_certs();
	snprintf(pf, sizeof pf, "%s/port", dir);
	servers[0] = start_server(pf, 0, base, sizeof base);
	snprintf(pf, sizeof pf, "%s/tls-port", dir);
	servers[1] = start_server(pf, 1, tls_base, sizeof tls_base);
	if (cd_http_init(&H, NULL, &e) != 0)
		return 1;
	H.backoff = 0.02; /* the schedule's shape is what is tested, not its pace */
	T_RUN(plain_get);
	T_RUN(retries_5xx_then_succeeds);
	T_RUN(retries_are_bounded);
	T_RUN(honours_retry_after);
	T_RUN(survives_dropped_connections);
	T_RUN(redirects_keep_credentials_home);
	T_RUN(body_cap);
	T_RUN(deadline);
	T_RUN(offline_refuses);
	T_RUN(unreachable);
	T_RUN(uploads);
	T_RUN(parallel);
	T_RUN(tls_with_client_cert);
	cd_http_free(&H);
	for (int i = 0; i < 2; i++) {
		kill(servers[i], SIGTERM);
		waitpid(servers[i], NULL, 0);
	}
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return T_DONE();
}
