/* core/auth.h — registry authentication: credentials, challenges, tokens.
 *
 * Credentials come from docker's config.json ($DOCKER_CONFIG/config.json,
 * else ~/.docker/config.json: credHelpers, credsStore, auths), then podman's
 * auth.json ($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
 * ~/.config/containers/auth.json). A 401 carries WWW-Authenticate; Basic
 * sends the credentials on every request, Bearer trades them (or nothing)
 * for a token scoped to the repositories and actions at hand. Tokens live
 * in memory only, per registry and scope set. No secret — password, token,
 * auth string — ever goes into an error message or a log line.
 * See docs/internals/auth.md. */
#ifndef CD_AUTH_H
#define CD_AUTH_H

#include <stddef.h>

#include "ctx.h"
#include "err.h"
#include "http.h"

/* ---- credentials ---- */

struct cd_creds {
	char *username, *password; /* Basic */
	char *identity_token;      /* OAuth2 refresh token (identitytoken) */
	char *registry_token;      /* a bearer token used as is */
	char source[512];          /* where they came from (never a secret) */
};
void cd_creds_free(struct cd_creds *c);
/* 1 when the record holds any credential. */
int cd_creds_any(const struct cd_creds *c);

/* Credentials for a registry host ("docker.io", "127.0.0.1:5000"). Returns
 * 1 and fills out when found, 0 when none (anonymous), negative with err
 * filled when a file is broken or a credential helper failed. */
int cd_auth_lookup(const char *host, struct cd_creds *out, struct cd_err *err);
/* The same for the text of one docker config.json / auth.json (`path`
 * names it in messages and in out->source). */
int cd_auth_from_config(const char *text, size_t len, const char *path,
			const char *host, struct cd_creds *out,
			struct cd_err *err);
/* The hostname of a config.json key: "https://index.docker.io/v1/" ->
 * "index.docker.io"; "http://h:5000/x" -> "h:5000". */
void cd_auth_key_host(const char *key, char *out, size_t n);
/* Parses a credential helper's `get` output ({"Username","Secret"}). A
 * Username of "<token>" makes Secret an identity token. */
int cd_auth_parse_helper(const char *text, size_t len, const char *source,
			 struct cd_creds *out, struct cd_err *err);

/* ---- WWW-Authenticate ---- */

#define CD_AUTH_MAX_PARAMS 8

struct cd_auth_challenge {
	char scheme[16]; /* "Basic", "Bearer" (as sent) */
	struct {
		char *key, *value;
	} params[CD_AUTH_MAX_PARAMS];
	size_t n;
};
/* Parses every challenge of a header value (RFC 7235: several challenges,
 * quoted strings with backslash escapes and commas). Returns the number of
 * challenges filled (at most max), negative on malformed input. Free each
 * with cd_auth_challenge_free. */
int cd_auth_parse_challenges(const char *value, struct cd_auth_challenge *out,
			     size_t max);
void cd_auth_challenge_free(struct cd_auth_challenge *c);
/* A parameter's value (case-insensitive key), or NULL. */
const char *cd_auth_challenge_param(const struct cd_auth_challenge *c,
				    const char *key);

/* ---- token responses ---- */

struct cd_token {
	char *token;       /* token, or access_token */
	char *refresh;     /* refresh_token, if any */
	double expires_in; /* seconds; 60 when absent */
};
int cd_auth_parse_token(const char *body, size_t len, struct cd_token *out,
			struct cd_err *err);
void cd_token_free(struct cd_token *t);

/* Scope strings ("repository:a/b:pull,push repository:c:pull"): the
 * normal form (entries merged by resource, actions and entries sorted),
 * so equal sets compare equal. out is allocated. */
char *cd_auth_scope_normal(const char *scopes);

/* ---- one registry's session ---- */

enum cd_auth_scheme { CD_AUTH_NONE, CD_AUTH_BASIC, CD_AUTH_BEARER };

struct cd_auth_tok {
	char *scope; /* normal form */
	char *token;
	double expires; /* cd_now() value */
};

struct cd_auth {
	char host[256];        /* as in references: "127.0.0.1:5000" */
	int plain_http;        /* an --insecure-registry */
	struct cd_http *http;
	const struct cd_http_tls *tls;
	const struct cd_ctx *ctx;
	int looked_up;
	struct cd_creds creds;
	enum cd_auth_scheme scheme;
	char *realm, *service;
	char *last_scope; /* of the last token asked for after a challenge */
	struct cd_auth_tok *toks;
	size_t ntoks;
	unsigned fetches; /* tokens fetched (tests) */
};

void cd_auth_init(struct cd_auth *a, const char *host, int plain_http,
		  struct cd_http *http, const struct cd_http_tls *tls,
		  const struct cd_ctx *ctx);
void cd_auth_free(struct cd_auth *a);
/* The Authorization header line ("Authorization: ...") for a request that
 * needs `scopes`, or NULL in *line when none is known to be needed yet.
 * May fetch a token. *line is allocated. */
int cd_auth_header(struct cd_auth *a, const char *scopes, char **line,
		   struct cd_err *err);
/* A 401 arrived with this WWW-Authenticate value: learn the scheme, fetch
 * a token covering `scopes` plus the challenge's own scope. 0 means "send
 * the request again"; negative (unauthorized, with a message naming the
 * host and where the credentials came from) means it cannot succeed.
 * `retried` says the request already went out with fresh credentials.
 * With scopes NULL (a ping) it only learns the scheme, realm and service. */
int cd_auth_challenge(struct cd_auth *a, const char *www_authenticate,
		      const char *scopes, int retried, struct cd_err *err);

#endif
