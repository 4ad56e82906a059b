/* core/kube.h — the Kubernetes client over core/http (SPEC section 6).
 *
 * struct cd_kube = kubeconfig (server, TLS, credentials, namespace) + the
 * run's HTTP layer + a RESTMapper filled lazily from discovery: the
 * resource list of one group version at a time, cached on disk under
 * $XDG_CACHE_HOME/cdhost/discovery/<hash of the server URL>/ (never
 * credentials) and fetched again when a kind is not in the cached copy (a
 * CRD created by the same apply). API errors (`kind: Status`) become one
 * clear line with the server's message and, for 422, its causes. See
 * docs/internals/kube.md. */
#ifndef CD_KUBE_H
#define CD_KUBE_H

#include <jansson.h>

#include "ctx.h"
#include "err.h"
#include "http.h"
#include "kubeconfig.h"

struct cd_kube {
	struct cd_http *http;      /* borrowed: the run's HTTP layer */
	const struct cd_ctx *ctx;
	struct cd_kubeconfig *kc;  /* owned */
	struct cd_http_tls tls;
	json_t *gv;                /* "group/version" -> resource list */
	char *cache_dir;           /* NULL: no disk cache */
	double cache_ttl;          /* seconds a cached list is trusted */
	unsigned long requests;
};

struct cd_kube_mapping {
	char group[128], version[64], kind[128], resource[128];
	int namespaced;
};

/* Opens a client for the configuration o describes. http and ctx are
 * borrowed. CD_E_INVALID/NOT_FOUND from the kubeconfig. */
int cd_kube_open(struct cd_kube **out, struct cd_http *http,
		 const struct cd_ctx *ctx, const struct cd_kubeconfig_opts *o,
		 struct cd_err *err);
void cd_kube_free(struct cd_kube *k);
/* The namespace objects without one go to (flag > context > default). */
const char *cd_kube_namespace(const struct cd_kube *k);
/* A DeleteOptions propagationPolicy by name, in any case ("orphan" ->
 * "Orphan"); NULL when it is none of Background, Foreground, Orphan. */
const char *cd_kube_propagation(const char *name);

/* One API request. body is JSON text (or NULL), ctype its content type
 * (NULL: application/json). *out gets the parsed response body (owned; NULL
 * if not JSON) and *status the HTTP status. Returns 0 for 2xx; else fills
 * err from the API Status (what names the object for the message). */
struct cd_kube_req {
	const char *method, *path, *ctype, *body, *what;
	int ok404; /* a 404 is not an error (returns 0, *status 404) */
	int cleanup; /* see struct cd_http_req: runs after a stop or the deadline */
};
int cd_kube_call(struct cd_kube *k, const struct cd_kube_req *r, json_t **out,
		 long *status, struct cd_err *err);
/* n requests at once (bounded parallelism), each with its own result. On
 * 401 the credential is refreshed (exec plugin, tokenFile) and the request
 * sent once more. Returns 0 when every request succeeded. */
int cd_kube_call_all(struct cd_kube *k, const struct cd_kube_req *r,
		     json_t **out, long *status, struct cd_err *errs, size_t n);

/* A streaming GET (watches): chunks of the body go to on_data, which
 * returns non-zero to stop the transfer; timeout bounds the request
 * (seconds). Returns what cd_http_do returns (a stop by on_data counts as a
 * failure: the caller knows it asked for it); *status is the HTTP status. */
int cd_kube_stream(struct cd_kube *k, const char *path, double timeout,
		   int (*on_data)(void *ud, const char *p, size_t n), void *ud,
		   long *status, struct cd_err *err);

/* A GET whose body is text (a container log): appended to out (its max
 * caps the body). API errors as cd_kube_call. */
int cd_kube_get_text(struct cd_kube *k, const char *path, double timeout,
		     struct cd_buf *out, long *status, struct cd_err *err);

/* A GET on a batch (core/http.h), for the waiter: many lists and watches
 * in flight at once on the run's multi handle. With on_data the body is
 * streamed there (a watch; an error body too, so the callback must accept
 * a `kind: Status` object); without, it is buffered. cd_http_batch_step
 * hands the op back as its tag; cd_kube_async_result then parses the body
 * (*out owned) and maps an API error into err. Free the op after the batch
 * handed it back, cancelled it, or was freed. */
struct cd_kube_async;
struct cd_kube_async *cd_kube_async_start(struct cd_kube *k, struct cd_http_batch *b,
				    const char *path, double timeout,
				    int (*on_data)(void *ud, const char *p,
						   size_t n),
				    void *ud, struct cd_err *err);
int cd_kube_async_result(struct cd_kube_async *op, json_t **out, long *status,
		      struct cd_err *err);
void cd_kube_async_free(struct cd_kube_async *op);

/* apiVersion + kind -> resource and scope (discovery, cached, refreshed
 * once when the kind is unknown). CD_E_NOT_FOUND: no such kind. */
int cd_kube_map(struct cd_kube *k, const char *api_version, const char *kind,
		struct cd_kube_mapping *m, struct cd_err *err);
/* Same from group + kind (the group's preferred version). */
int cd_kube_map_gk(struct cd_kube *k, const char *group, const char *kind,
		   struct cd_kube_mapping *m, struct cd_err *err);
/* The server's version (gitVersion of /version, e.g. "v1.20.2"). */
int cd_kube_server_version(struct cd_kube *k, char *out, size_t n,
			   struct cd_err *err);
/* Every group version the server serves and every "group/version/Kind" in
 * it, as Helm's .Capabilities.APIVersions lists them (subresources left
 * out); *out is an owned JSON array of strings. */
int cd_kube_api_versions(struct cd_kube *k, json_t **out, struct cd_err *err);
/* Forget what discovery said about this group version (after CRDs). */
void cd_kube_forget(struct cd_kube *k, const char *group, const char *version);

/* The API path of an object or collection: name and ns may be NULL. */
int cd_kube_path(const struct cd_kube_mapping *m, const char *ns,
		 const char *name, char *out, size_t n);

/* Fills err from a failed response: the Status message, causes for 422,
 * the SPEC code for the HTTP status. */
int cd_kube_status_err(long status, const json_t *body, const char *what,
		       struct cd_err *err);

#endif
