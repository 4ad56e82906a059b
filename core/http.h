/* core/http.h — the one HTTP layer (libcurl) for registries and Kubernetes.
 *
 * Every request goes through one multi handle and one share handle per run
 * (connection reuse, HTTP/2 when offered), with TLS verification on by
 * default, bounded retries with backoff for idempotent requests (connection
 * loss, 408, 429, 5xx; Retry-After honoured, capped at 30 s) and for any
 * request a server declined (429, or 503 with Retry-After), a hard cap on
 * every response body, and
 * the run's deadline honoured by every wait. Redirects are followed only
 * when asked, over http(s) only, and credentials never go to another host
 * (libcurl drops Authorization across hosts). */
#ifndef CD_HTTP_H
#define CD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "ctx.h"
#include "err.h"

struct cd_http_tls {
	const char *ca_file;               /* PEM bundle file */
	const char *ca_pem;                /* or PEM data */
	size_t ca_pem_len;
	const char *cert_file, *key_file;  /* client certificate */
	const char *cert_pem, *key_pem;    /* or PEM data */
	size_t cert_pem_len, key_pem_len;
	int insecure;                      /* skip verification (explicit opt-in) */
	const char *server_name;           /* expected name (kubeconfig tls-server-name) */
};

struct cd_http_req {
	const char *method;         /* "GET", "HEAD", "PUT", ... */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" lines */
	const void *body;           /* request body in memory, or */
	size_t body_len;
	const char *body_path;      /* a file to send (spooled blobs) */
	const struct cd_http_tls *tls;
	const char *proxy;          /* NULL: HTTPS_PROXY/NO_PROXY from the
				       environment; else this one, always */
	int follow;                 /* follow redirects */
	int idempotent;             /* may be retried (else only when
				       declined: 429, 503 + Retry-After) */
	int cleanup;                /* undoes something of the run (a lock):
				       still sent after a stop signal or the
				       deadline, within CD_HTTP_CLEANUP_SECONDS */
	size_t max_body;            /* response cap; 0 = CD_HTTP_MAX_BODY */
	double timeout;             /* whole request, seconds; 0 = only the deadline */
	/* Streaming: chunks go here instead of resp->body; return non-zero to
	 * stop the transfer. A request that delivered data is not retried. */
	int (*on_data)(void *ud, const char *p, size_t n);
	void *ud;
	const char *what;           /* for messages: "pull manifest", ... */
};

struct cd_http_resp {
	long status;           /* 0 when no response arrived */
	struct cd_buf body;
	struct cd_buf headers; /* header lines of the final response */
	int attempts;
	double seconds;
};

#define CD_HTTP_MAX_BODY ((size_t)64 << 20)
#define CD_HTTP_MAX_RETRIES 4
#define CD_HTTP_CLEANUP_SECONDS 5.0
#define CD_HTTP_MAX_PARALLEL 16
/* A batch holding long-lived streams (watches) may run this many at once. */
#define CD_HTTP_MAX_STREAMS 256

struct cd_http {
	void *share;       /* CURLSH */
	void *multi;       /* CURLM */
	const struct cd_ctx *ctx; /* deadline, offline, report */
	int max_retries;
	double backoff;    /* first retry delay, seconds (doubles each time) */
	double connect_timeout;
	int verbose;       /* log each request at debug level */
	unsigned long requests, retries;
	/* Progress of the transfers in flight (NULL: none): bytes sent and
	 * received since the last call, summed over every transfer. Called
	 * from inside a step of the loop, often: keep it cheap. */
	void (*progress)(void *ud, uint64_t up, uint64_t down);
	void *progress_ud;
};

/* ctx may be NULL (no deadline, not offline, no logging). */
int cd_http_init(struct cd_http *h, const struct cd_ctx *ctx, struct cd_err *err);
void cd_http_free(struct cd_http *h);

/* One request. 0 when a response arrived (any status: the caller decides),
 * negative with err filled when none did (unreachable, TLS, timeout, cap). */
int cd_http_do(struct cd_http *h, const struct cd_http_req *req,
	       struct cd_http_resp *resp, struct cd_err *err);
/* n requests at once, at most `parallel` in flight (0 = default). Each gets
 * its own response and error; returns 0 if every request got a response,
 * else the status of the first that did not. */
int cd_http_do_all(struct cd_http *h, const struct cd_http_req *reqs,
		   struct cd_http_resp *resps, struct cd_err *errs, size_t n,
		   unsigned parallel);
void cd_http_resp_free(struct cd_http_resp *r);

/* A batch: transfers on the run's multi handle driven step by step, so a
 * caller can keep some open (watches) while it adds and finishes others.
 * cd_http_do_all is one batch run to completion. req, resp and err of an
 * added transfer must stay valid until it is handed back or cancelled. */
struct cd_http_batch;
struct cd_http_batch *cd_http_batch_new(struct cd_http *h, unsigned parallel);
/* Queues a request (started by the next step); resp and err are cleared.
 * With --offline it completes at once with its error. */
int cd_http_batch_add(struct cd_http_batch *b, const struct cd_http_req *req,
		      struct cd_http_resp *resp, struct cd_err *err, void *tag);
/* Drives the transfers for at most `wait` seconds. Returns 1 with *done =
 * the tag of a finished transfer (its resp/err filled, retries included),
 * or 0 when the time passed, nothing is pending, or the wake hook asked to
 * return (it is polled after each round of I/O; streaming callbacks set
 * what it reads). */
int cd_http_batch_step(struct cd_http_batch *b, double wait, void **done);
void cd_http_batch_set_wake(struct cd_http_batch *b, int (*wake)(void *ud),
			    void *ud);
/* Transfers not yet handed back. */
size_t cd_http_batch_pending(const struct cd_http_batch *b);
/* Stops one transfer without handing it back. */
void cd_http_batch_cancel(struct cd_http_batch *b, void *tag);
/* Stops every transfer still open and frees the batch. */
void cd_http_batch_free(struct cd_http_batch *b);

/* The value of a response header (case-insensitive name), copied into buf;
 * NULL if absent. */
const char *cd_http_header(const struct cd_http_resp *r, const char *name,
			   char *buf, size_t n);
/* The error code an HTTP status stands for (401 unauthorized, 403
 * forbidden, 404 not_found, 409 conflict, 4xx invalid, 5xx server). */
enum cd_code cd_http_status_code(long status);
/* Seconds to wait from a Retry-After value (seconds or HTTP date); -1 if
 * unparsable. */
double cd_http_retry_after(const char *value, double now_wall);

#endif
