#include "http.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "util.h"

/* One request in flight (or waiting for its retry). */
struct xfer {
	const struct cd_http_req *req;
	struct cd_http_resp *resp;
	struct cd_err *err;
	CURL *easy;
	struct curl_slist *hdrs;
	CURLU *url;            /* tls-server-name: the URL curl is given */
	struct curl_slist *connect_to;
	FILE *upload;          /* body_path */
	size_t upload_off;     /* body in memory */
	size_t delivered;      /* bytes passed to on_data */
	int overflow, stopped;
	double cut_wait;       /* > 0: a retry the deadline ruled out */
	double start_at;       /* cd_now() when it may (re)start */
	double t0;
	int state;             /* 0 waiting, 1 running, 2 done */
	void *tag;             /* batch: what cd_http_batch_step hands back */
	uint64_t seen_up, seen_down; /* progress already reported (this attempt) */
	struct cd_http *h;
	struct xfer *next;     /* batch: pending list, then done queue */
	char errbuf[CURL_ERROR_SIZE];
};

/* A set of transfers on the run's multi handle, driven step by step: the
 * blocking calls below are one batch run to completion; the waiter keeps
 * one open and adds watches as it goes. */
struct cd_http_batch {
	struct cd_http *h;
	unsigned parallel;
	size_t running;
	struct xfer *pending;      /* waiting or running */
	struct xfer *done, **done_tail;
	int (*wake)(void *ud); /* polled after each round of I/O */
	void *wake_ud;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cd_http_init(struct cd_http *h, const struct cd_ctx *ctx, struct cd_err *err)
{
	memset(h, 0, sizeof *h);
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return cd_err_set(err, CD_E_IO, "http", "libcurl: %s",
				  curl_easy_strerror(global_rc));
	h->ctx = ctx;
	h->max_retries = CD_HTTP_MAX_RETRIES;
	h->backoff = 0.25;
	h->connect_timeout = 10;
	h->verbose = ctx && ctx->report && ctx->report->verbosity > 0;
	h->share = curl_share_init();
	h->multi = curl_multi_init();
	if (!h->share || !h->multi) {
		cd_http_free(h);
		return cd_err_set(err, CD_E_NOMEM, "http", "out of memory");
	}
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	/* 8 connections per host; HTTP/2 multiplexes many streams (the
	 * waiter's watches) over them, HTTP/1.1 needs one each: up to 64. */
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
	return 0;
}

void cd_http_free(struct cd_http *h)
{
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->share)
		curl_share_cleanup(h->share);
	h->multi = h->share = NULL;
}

void cd_http_resp_free(struct cd_http_resp *r)
{
	if (!r)
		return;
	cd_buf_free(&r->body);
	cd_buf_free(&r->headers);
}

/* ---- callbacks ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	if (x->req->on_data) {
		if (x->req->on_data(x->req->ud, p, len) != 0) {
			x->stopped = 1;
			return 0;
		}
		x->delivered += len;
		return len;
	}
	if (cd_buf_append(&x->resp->body, p, len) != 0) {
		x->overflow = 1;
		return 0;
	}
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		cd_buf_reset(&x->resp->headers); /* a new response (redirect, 100) */
	if (cd_buf_append(&x->resp->headers, p, len) != 0)
		return 0;
	return len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t want = size * n;
	if (x->upload)
		return fread(p, 1, want, x->upload);
	size_t left = x->req->body_len - x->upload_off;
	if (want > left)
		want = left;
	memcpy(p, (const char *)x->req->body + x->upload_off, want);
	x->upload_off += want;
	return want;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
	struct xfer *x = ud;
	if (origin != SEEK_SET)
		return CURL_SEEKFUNC_CANTSEEK;
	if (x->upload)
		return fseeko(x->upload, (off_t)off, SEEK_SET) == 0
			       ? CURL_SEEKFUNC_OK
			       : CURL_SEEKFUNC_FAIL;
	if ((size_t)off > x->req->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->upload_off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* ---- setting up one transfer ---- */

static void set_blob(CURL *e, CURLoption opt, const char *data, size_t len)
{
	struct curl_blob b = {(void *)data, len, CURL_BLOB_COPY};
	curl_easy_setopt(e, opt, &b);
}

static void set_tls(CURL *e, const struct cd_http_tls *t)
{
	if (!t)
		return;
	if (t->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
	if (t->ca_pem)
		set_blob(e, CURLOPT_CAINFO_BLOB, t->ca_pem, t->ca_pem_len);
	if (t->cert_file)
		curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert_file);
	if (t->cert_pem)
		set_blob(e, CURLOPT_SSLCERT_BLOB, t->cert_pem, t->cert_pem_len);
	if (t->key_file)
		curl_easy_setopt(e, CURLOPT_SSLKEY, t->key_file);
	if (t->key_pem)
		set_blob(e, CURLOPT_SSLKEY_BLOB, t->key_pem, t->key_pem_len);
	if (t->cert_file || t->cert_pem)
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
	if (t->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static void set_method(CURL *e, struct xfer *x)
{
	const struct cd_http_req *r = x->req;
	const char *m = r->method ? r->method : "GET";
	int has_body = r->body || r->body_path;
	if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	if (has_body || strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0 ||
	    strcmp(m, "PATCH") == 0) {
		curl_off_t len = (curl_off_t)r->body_len;
		if (x->upload) {
			fseeko(x->upload, 0, SEEK_END);
			len = (curl_off_t)ftello(x->upload);
			fseeko(x->upload, 0, SEEK_SET);
		}
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, len);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
	}
}

/* Seconds the request may still take (deadline and its own timeout). */
static double time_left(struct cd_http *h, const struct cd_http_req *r)
{
	double left = r->timeout > 0 ? r->timeout : 0;
	double deadline = cd_ctx_deadline(h->ctx);
	if (r->cleanup)
		return left > 0 && left < CD_HTTP_CLEANUP_SECONDS
			       ? left : CD_HTTP_CLEANUP_SECONDS;
	if (deadline > 0) {
		double d = deadline - cd_now();
		if (left == 0 || d < left)
			left = d > 0.001 ? d : 0.001;
	}
	return left;
}

/* kubeconfig's tls-server-name: the name TLS sends (SNI) and verifies is
 * not the host connected to. libcurl takes both from the URL, so the URL
 * given to curl names server_name, CURLOPT_CONNECT_TO sends the connection
 * to the real host and port, and the Host header keeps the real host
 * (client-go changes only TLS). -1 when the URL cannot be parsed; -2 with
 * x->err filled for a name that is not a host name. */
static int set_server_name(CURL *e, struct xfer *x, const char *name)
{
	char *host = NULL, *port = NULL, *given = NULL, line[1024];
	int rc = -1;
	x->url = curl_url();
	if (!x->url || curl_url_set(x->url, CURLUPART_URL, x->req->url, 0) ||
	    curl_url_get(x->url, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(x->url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT))
		goto done;
	int explicit_port = !curl_url_get(x->url, CURLUPART_PORT, &given, 0);
	snprintf(line, sizeof line, "Host: %s%s%s", host,
		 explicit_port ? ":" : "", explicit_port ? port : "");
	x->hdrs = curl_slist_append(x->hdrs, line);
	snprintf(line, sizeof line, "%s:%s:%s:%s", name, port, host, port);
	x->connect_to = curl_slist_append(NULL, line);
	if (!x->hdrs || !x->connect_to)
		goto done;
	if (curl_url_set(x->url, CURLUPART_HOST, name, 0)) {
		cd_err_set(x->err, CD_E_INVALID, "http",
			   "tls-server-name '%.200s' is not a host name", name);
		rc = -2;
		goto done;
	}
	curl_easy_setopt(e, CURLOPT_CURLU, x->url);
	curl_easy_setopt(e, CURLOPT_CONNECT_TO, x->connect_to);
	rc = 0;
done:
	curl_free(host);
	curl_free(port);
	curl_free(given);
	return rc;
}

static int on_xferinfo(void *ud, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = ud;
	struct cd_http *h = x->h;
	(void)dltotal;
	(void)ultotal;
	uint64_t up = ulnow > 0 ? (uint64_t)ulnow : 0, down = dlnow > 0 ? (uint64_t)dlnow : 0;
	uint64_t du = up > x->seen_up ? up - x->seen_up : 0;
	uint64_t dd = down > x->seen_down ? down - x->seen_down : 0;
	x->seen_up = up > x->seen_up ? up : x->seen_up;
	x->seen_down = down > x->seen_down ? down : x->seen_down;
	if ((du || dd) && h && h->progress)
		h->progress(h->progress_ud, du, dd);
	return 0;
}

static int setup(struct cd_http *h, struct xfer *x)
{
	const struct cd_http_req *r = x->req;
	CURL *e = curl_easy_init();
	if (!e)
		return -1;
	x->easy = e;
	x->hdrs = curl_slist_append(NULL, "Expect:");
	for (const char *const *hl = r->headers; hl && *hl; hl++)
		x->hdrs = curl_slist_append(x->hdrs, *hl);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	int rc = r->tls && r->tls->server_name && !r->tls->insecure
			 ? set_server_name(e, x, r->tls->server_name)
			 : 0;
	if (rc != 0)
		return rc;
	curl_easy_setopt(e, CURLOPT_SHARE, h->share);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "cdhost/" CDHOST_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(h->connect_timeout * 1000));
	double left = time_left(h, r);
	if (left > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ceil(left * 1000));
	if (r->follow) {
		curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
		curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
	}
	if (r->proxy) { /* kubeconfig's proxy-url: NO_PROXY does not apply,
			   as in client-go */
		curl_easy_setopt(e, CURLOPT_PROXY, r->proxy);
		curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	}
	set_tls(e, r->tls);
	set_method(e, x);
	x->h = h;
	x->seen_up = x->seen_down = 0;
	if (r->on_data) /* a stream: wait to share an HTTP/2 connection */
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	if (h->progress) {
		curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
		curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	}
	x->resp->body.max = r->max_body ? r->max_body : CD_HTTP_MAX_BODY;
	x->resp->headers.max = 256 << 10;
	return 0;
}

static void teardown(struct cd_http *h, struct xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(h->multi, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	curl_slist_free_all(x->connect_to);
	x->connect_to = NULL;
	curl_url_cleanup(x->url);
	x->url = NULL;
}

/* ---- retry policy ---- */

static int retryable_status(long s)
{
	return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 ||
	       s == 504;
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

double cd_http_retry_after(const char *v, double now_wall)
{
	char *end;
	if (!v || !*v)
		return -1;
	double s = strtod(v, &end);
	if (end != v && (*end == '\0' || *end == ' ' || *end == '\r'))
		return s >= 0 ? s : -1;
	time_t t = curl_getdate(v, NULL);
	if (t < 0)
		return -1;
	double d = (double)t - now_wall;
	return d > 0 ? d : 0;
}

/* A 429, or a 503 with Retry-After, says the server did not act on the
 * request and when to come back: any method may be sent again then (as
 * client-go does), a POST included. */
static int declined(struct xfer *x, CURLcode rc)
{
	char v[64];
	return rc == CURLE_OK &&
	       (x->resp->status == 429 ||
		(x->resp->status == 503 &&
		 cd_http_header(x->resp, "Retry-After", v, sizeof v)));
}

/* The delay before the next attempt, or -1 to give up. */
static double retry_delay(struct cd_http *h, struct xfer *x, CURLcode rc)
{
	const struct cd_http_req *r = x->req;
	long status = x->resp->status;
	if ((!r->idempotent && !declined(x, rc)) ||
	    x->resp->attempts > h->max_retries || x->delivered || x->stopped ||
	    x->overflow)
		return -1;
	if (rc != CURLE_OK ? !retryable_curl(rc) : !retryable_status(status))
		return -1;
	/* A preview (render, check, diff) does not wait for a server that
	 * refuses connections: its reads degrade to plan warnings at once. */
	if (rc == CURLE_COULDNT_CONNECT && h->ctx && !cd_ctx_writes(h->ctx))
		return -1;
	double delay = h->backoff * pow(2, x->resp->attempts - 1);
	char v[128];
	if (rc == CURLE_OK && cd_http_header(x->resp, "Retry-After", v, sizeof v)) {
		double ra = cd_http_retry_after(v, cd_wall());
		if (ra >= 0)
			delay = ra;
	}
	if (delay > 30)
		delay = 30;
	double deadline = cd_ctx_deadline(h->ctx);
	if (r->cleanup)
		return -1; /* one try: the run is ending */
	if (deadline > 0 && cd_now() + delay >= deadline) {
		x->cut_wait = delay > 0 ? delay : 0.001; /* no time for a try */
		return -1;
	}
	return delay;
}

/* ---- outcome ---- */

static void fail(struct cd_http *h, struct xfer *x, CURLcode rc)
{
	const struct cd_http_req *r = x->req;
	const char *m = r->method ? r->method : "GET";
	const char *what = r->what ? r->what : "request";
	const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	if (x->overflow)
		cd_err_set(x->err, CD_E_INVALID, "http",
			   "%s %s: response larger than %zu bytes (%s)", m,
			   r->url, x->resp->body.max, what);
	else if (x->stopped)
		cd_err_set(x->err, CD_E_INVALID, "http", "%s %s: stopped (%s)",
			   m, r->url, what);
	else if (rc == CURLE_OPERATION_TIMEDOUT &&
		 cd_ctx_deadline(h->ctx) > 0 &&
		 cd_now() >= cd_ctx_deadline(h->ctx) - 0.01)
		cd_err_set(x->err, CD_E_TIMEOUT, "http", "%s %s: %s (%s)", m,
			   r->url, cd_deadline_why(), what);
	else
		cd_err_set(x->err, CD_E_UNREACHABLE, "http",
			   "%s %s: %s (%s%s)", m, r->url, why, what,
			   x->resp->attempts > 1 ? ", after retries" : "");
}

static void log_done(struct cd_http *h, struct xfer *x, CURLcode rc)
{
	if (!h->verbose || !h->ctx || !h->ctx->report)
		return;
	const char *m = x->req->method ? x->req->method : "GET";
	if (rc == CURLE_OK)
		cd_report_log(h->ctx->report, CD_LOG_DEBUG, "http",
			      "%s %s -> %ld (%zu bytes, %.3fs, attempt %d)", m,
			      x->req->url, x->resp->status, x->resp->body.len,
			      cd_now() - x->t0, x->resp->attempts);
	else
		cd_report_log(h->ctx->report, CD_LOG_DEBUG, "http",
			      "%s %s -> %s (attempt %d)", m, x->req->url,
			      curl_easy_strerror(rc), x->resp->attempts);
}

/* A transfer ended: done, or scheduled again. Returns 1 when done. */
static int finished(struct cd_http *h, struct xfer *x, CURLcode rc)
{
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	x->resp->status = rc == CURLE_OK ? status : 0;
	x->resp->seconds = cd_now() - x->t0;
	log_done(h, x, rc);
	double delay = retry_delay(h, x, rc);
	teardown(h, x);
	if (delay >= 0) {
		h->retries++;
		cd_buf_reset(&x->resp->body);
		cd_buf_reset(&x->resp->headers);
		x->upload_off = 0;
		x->errbuf[0] = '\0';
		x->start_at = cd_now() + delay;
		x->state = 0;
		return 0;
	}
	if (rc != CURLE_OK || x->overflow || x->stopped) {
		x->resp->status = 0;
		fail(h, x, rc);
	} else if (x->cut_wait > 0) {
		/* The server would have had us back, the run's deadline (or a
		 * stop signal) not: a timeout, not the server's answer. */
		const char *m = x->req->method ? x->req->method : "GET";
		const char *what = x->req->what ? x->req->what : "request";
		if (atomic_load(&cd_stop_signal))
			cd_err_set(x->err, CD_E_TIMEOUT, "http",
				   "%s %s: HTTP %ld, %s (%s)", m, x->req->url,
				   x->resp->status, cd_deadline_why(), what);
		else
			cd_err_set(x->err, CD_E_TIMEOUT, "http",
				   "%s %s: HTTP %ld, retry in %.0f s, past the "
				   "run's --timeout (%s)", m, x->req->url,
				   x->resp->status, x->cut_wait, what);
		x->resp->status = 0;
	}
	x->state = 2;
	return 1;
}

static int start(struct cd_http *h, struct xfer *x)
{
	if (x->req->body_path && !x->upload) {
		x->upload = fopen(x->req->body_path, "rb");
		if (!x->upload) {
			cd_err_set(x->err, CD_E_IO, "http", "cannot read %s",
				   x->req->body_path);
			x->state = 2;
			return -1;
		}
	}
	if (x->upload)
		fseeko(x->upload, 0, SEEK_SET);
	int rc = setup(h, x);
	if (rc != 0 || curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		teardown(h, x);
		if (rc != -2)
			cd_err_set(x->err, CD_E_NOMEM, "http", "cannot start a request");
		x->state = 2;
		return -1;
	}
	x->resp->attempts++;
	x->t0 = cd_now();
	x->state = 1;
	h->requests++;
	return 0;
}

/* ---- the loop ---- */

static int precheck(struct cd_http *h, struct xfer *x)
{
	if (h->ctx && h->ctx->offline) {
		cd_err_set(x->err, CD_E_UNREACHABLE, "http",
			   "%s %s: not allowed with --offline",
			   x->req->method ? x->req->method : "GET", x->req->url);
		x->state = 2;
		return -1;
	}
	return 0;
}

struct cd_http_batch *cd_http_batch_new(struct cd_http *h, unsigned parallel)
{
	struct cd_http_batch *b = cd_calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->h = h;
	b->parallel = parallel && parallel <= CD_HTTP_MAX_STREAMS
			      ? parallel
			      : CD_HTTP_MAX_PARALLEL;
	b->done_tail = &b->done;
	return b;
}

static void unlink_xfer(struct cd_http_batch *b, struct xfer *x)
{
	for (struct xfer **p = &b->pending; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			break;
		}
	x->next = NULL;
	*b->done_tail = x;
	b->done_tail = &x->next;
}

int cd_http_batch_add(struct cd_http_batch *b, const struct cd_http_req *req,
		      struct cd_http_resp *resp, struct cd_err *err, void *tag)
{
	struct xfer *x = cd_calloc(1, sizeof *x);
	memset(resp, 0, sizeof *resp);
	cd_err_clear(err);
	if (!x)
		return cd_err_set(err, CD_E_NOMEM, "http", "out of memory");
	*x = (struct xfer){.req = req, .resp = resp, .err = err, .tag = tag};
	x->next = b->pending;
	b->pending = x;
	if (precheck(b->h, x) != 0)
		unlink_xfer(b, x);
	return 0;
}

static void xfer_free(struct cd_http_batch *b, struct xfer *x)
{
	if (x->state == 1)
		b->running--;
	teardown(b->h, x);
	if (x->upload)
		fclose(x->upload);
	cd_free(x);
}

static void drain(struct cd_http_batch *b)
{
	CURLMsg *msg;
	int q;
	while ((msg = curl_multi_info_read(b->h->multi, &q))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct xfer *x;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		b->running--;
		if (finished(b->h, x, msg->data.result))
			unlink_xfer(b, x);
	}
}

static void launch(struct cd_http_batch *b)
{
	double now = cd_now();
	struct xfer *x = b->pending, *next;
	for (; x && b->running < b->parallel; x = next) {
		next = x->next;
		if (x->state != 0 || x->start_at > now)
			continue;
		if (start(b->h, x) == 0)
			b->running++;
		else
			unlink_xfer(b, x);
	}
}

/* Seconds until the next waiting retry may start (at most `cap`). */
static double next_wake(const struct cd_http_batch *b, double cap)
{
	double now = cd_now(), wake = cap;
	for (const struct xfer *x = b->pending; x; x = x->next)
		if (x->state == 0 && x->start_at - now < wake)
			wake = x->start_at - now;
	return wake > 0 ? wake : 0;
}

static void *pop_done(struct cd_http_batch *b)
{
	struct xfer *x = b->done;
	if (!x)
		return NULL;
	b->done = x->next;
	if (!b->done)
		b->done_tail = &b->done;
	void *tag = x->tag;
	if (x->upload)
		fclose(x->upload);
	cd_free(x);
	return tag;
}

/* A stop signal (SIGINT, SIGTERM): every transfer of the batch ends now,
 * running or waiting, as a timeout saying so. */
static void interrupt_all(struct cd_http_batch *b)
{
	struct xfer *x = b->pending, *next;
	for (; x; x = next) {
		next = x->next;
		if (x->req->cleanup || x->state == 2)
			continue;
		if (x->state == 1)
			b->running--;
		teardown(b->h, x);
		x->resp->status = 0;
		cd_err_set(x->err, CD_E_TIMEOUT, "http", "%s %s: %s (%s)",
			   x->req->method ? x->req->method : "GET", x->req->url,
			   cd_deadline_why(),
			   x->req->what ? x->req->what : "request");
		x->state = 2;
		unlink_xfer(b, x);
	}
}

int cd_http_batch_step(struct cd_http_batch *b, double wait, void **done)
{
	int still;
	double until = cd_now() + (wait > 0 ? wait : 0);
	*done = pop_done(b);
	if (*done)
		return 1;
	for (;;) {
		if (atomic_load(&cd_stop_signal) && b->pending)
			interrupt_all(b); /* cleanups go on */
		launch(b);
		if (b->running) {
			curl_multi_perform(b->h->multi, &still);
			drain(b);
		}
		if ((*done = pop_done(b)))
			return 1;
		if (b->wake && b->wake(b->wake_ud))
			return 0;
		double left = until - cd_now();
		if (!b->pending || left <= 0)
			return 0;
		double w = next_wake(b, left);
		if (b->running)
			curl_multi_poll(b->h->multi, NULL, 0, (int)(w * 1000) + 1,
					NULL);
		else
			cd_sleep(w);
		/* the top of the loop performs, hands back and asks wake() */
	}
}

void cd_http_batch_set_wake(struct cd_http_batch *b, int (*wake)(void *ud),
			    void *ud)
{
	b->wake = wake;
	b->wake_ud = ud;
}

size_t cd_http_batch_pending(const struct cd_http_batch *b)
{
	size_t n = 0;
	for (const struct xfer *x = b->pending; x; x = x->next)
		n++;
	for (const struct xfer *x = b->done; x; x = x->next)
		n++;
	return n;
}

void cd_http_batch_cancel(struct cd_http_batch *b, void *tag)
{
	for (struct xfer **p = &b->pending; *p; p = &(*p)->next)
		if ((*p)->tag == tag) {
			struct xfer *x = *p;
			*p = x->next;
			xfer_free(b, x);
			return;
		}
}

void cd_http_batch_free(struct cd_http_batch *b)
{
	if (!b)
		return;
	while (b->pending) {
		struct xfer *x = b->pending;
		b->pending = x->next;
		xfer_free(b, x);
	}
	while (b->done)
		pop_done(b);
	cd_free(b);
}

int cd_http_do_all(struct cd_http *h, const struct cd_http_req *reqs,
		   struct cd_http_resp *resps, struct cd_err *errs, size_t n,
		   unsigned parallel)
{
	struct cd_http_batch *b = cd_http_batch_new(
		h, parallel && parallel <= CD_HTTP_MAX_PARALLEL ? parallel
								: CD_HTTP_MAX_PARALLEL);
	size_t left = 0;
	int rc = 0;
	void *tag;

	if (!b)
		return cd_err_set(&errs[0], CD_E_NOMEM, "http", "out of memory");
	/* In order: the list is LIFO, so add from the end. */
	for (size_t i = n; i-- > 0;) {
		if (cd_http_batch_add(b, &reqs[i], &resps[i], &errs[i], &errs[i]) != 0)
			continue;
		left++;
	}
	while (left > 0)
		if (cd_http_batch_step(b, 1.0, &tag))
			left--;
	cd_http_batch_free(b);
	for (size_t i = 0; i < n; i++)
		if (errs[i].code && !rc)
			rc = -(int)errs[i].code;
	return rc;
}

int cd_http_do(struct cd_http *h, const struct cd_http_req *req,
	       struct cd_http_resp *resp, struct cd_err *err)
{
	return cd_http_do_all(h, req, resp, err, 1, 1);
}

/* ---- helpers ---- */

const char *cd_http_header(const struct cd_http_resp *r, const char *name,
			   char *buf, size_t n)
{
	size_t nl = strlen(name);
	const char *p = r->headers.data;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			const char *end = p + len;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == '\r' || end[-1] == ' '))
				end--;
			snprintf(buf, n, "%.*s", (int)(end - v), v);
			return buf;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

enum cd_code cd_http_status_code(long s)
{
	if (s == 401)
		return CD_E_UNAUTHORIZED;
	if (s == 403)
		return CD_E_FORBIDDEN;
	if (s == 404 || s == 410)
		return CD_E_NOT_FOUND;
	if (s == 409)
		return CD_E_CONFLICT;
	if (s >= 500 || s == 429 || s == 408)
		return CD_E_SERVER;
	if (s >= 400)
		return CD_E_INVALID;
	return CD_OK;
}
