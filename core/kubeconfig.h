/* core/kubeconfig.h — kubeconfig as kubectl reads it (SPEC section 6).
 *
 * Files: --kubeconfig alone, else every file of KUBECONFIG merged the way
 * client-go does (the first file that sets a cluster, user or context name,
 * or current-context, wins), else ~/.kube/config, else the in-cluster
 * service account. The chosen context gives the server, TLS material,
 * credentials and namespace (flag > context > "default"). Relative paths
 * are resolved against the directory of the file that named them.
 *
 * YAML parsing is the caller's (lua/value_*.c, through the parse callback):
 * this module only sees json_t. Credentials (tokens, keys, passwords, exec
 * plugin output) never appear in an error message. See
 * docs/internals/kubeconfig.md. */
#ifndef CD_KUBECONFIG_H
#define CD_KUBECONFIG_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Parses one kubeconfig file's text into a JSON object (*out, owned). */
typedef int (*cd_kubeconfig_parse_fn)(void *ud, const char *path,
				      const char *text, size_t n, json_t **out,
				      struct cd_err *err);

struct cd_kubeconfig_opts {
	const char *kubeconfig;     /* --kubeconfig; NULL = not given */
	const char *env_kubeconfig; /* $KUBECONFIG; NULL = unset */
	const char *home;           /* $HOME, for ~/.kube/config */
	const char *context;        /* --kube-context */
	const char *namespace_;     /* --namespace */
	/* In-cluster fallback: $KUBERNETES_SERVICE_HOST/PORT and the service
	 * account directory (NULL = /var/run/secrets/kubernetes.io/
	 * serviceaccount). */
	const char *service_host, *service_port, *sa_dir;
	cd_kubeconfig_parse_fn parse;
	void *parse_ud;
};

struct cd_kube_exec {
	char *command;
	char **args;        /* NULL-terminated */
	char **env;         /* "NAME=VALUE", NULL-terminated */
	char *api_version;  /* client.authentication.k8s.io/v1 or v1beta1 */
	char *install_hint;
	int provide_cluster_info;
	/* in-memory cache of the last credential */
	int cached;
	char *token, *cert_pem, *key_pem;
	double expires;     /* cd_wall() seconds; 0 = no expiry */
};

struct cd_kubeconfig {
	char *source;       /* "FILE" or "in-cluster", for messages */
	char *context, *cluster, *user;
	char *server;       /* https://host:port[/path], no trailing '/' */
	char *namespace_;
	char *ca_file, *ca_pem;
	size_t ca_pem_len;
	int insecure;
	char *tls_server_name, *proxy_url;
	char *cert_file, *key_file, *cert_pem, *key_pem;
	size_t cert_pem_len, key_pem_len;
	char *token, *token_file;
	char *username, *password;
	struct cd_kube_exec *exec;
};

/* Loads the configuration o describes into *out (owned; free with
 * cd_kubeconfig_free). CD_E_INVALID for a malformed file or a missing
 * context/cluster/user, CD_E_NOT_FOUND when there is no configuration at
 * all, CD_E_IO for unreadable files. */
int cd_kubeconfig_load(const struct cd_kubeconfig_opts *o,
		       struct cd_kubeconfig **out, struct cd_err *err);
void cd_kubeconfig_free(struct cd_kubeconfig *kc);

/* The credential to send now. token (borrowed, may be NULL) is a bearer
 * token; cert and key (borrowed PEM, may be NULL) a client certificate from an
 * exec plugin. Runs the exec plugin when there is no unexpired cached
 * result (deadline: cd_now() value, 0 = none). */
int cd_kubeconfig_credential(struct cd_kubeconfig *kc, double deadline,
			     const char **token, const char **cert,
			     const char **key, struct cd_err *err);
/* The server said 401: forget cached exec output and re-read tokenFile.
 * Returns 1 if a retry may help (something was refreshed), else 0. */
int cd_kubeconfig_expire(struct cd_kubeconfig *kc, struct cd_err *err);

/* Reads an exec plugin's stdout (n bytes, an ExecCredential of
 * e->api_version) into e's cache: token and/or client certificate and key,
 * expiry. CD_E_UNAUTHORIZED naming e->command when it is not one; the
 * message never quotes the output. */
int cd_kubeconfig_exec_parse(struct cd_kube_exec *e, const char *out,
			     size_t n, struct cd_err *err);

/* Parses an RFC 3339 timestamp ("2024-01-02T03:04:05Z", fractions and
 * offsets allowed) to Unix seconds; -1 if malformed. */
double cd_kubeconfig_time(const char *s);

/* Standard base64 (padding optional, whitespace ignored) into *out (owned,
 * NUL-terminated). 0, or -1 when malformed. */
int cd_base64_decode(const char *s, size_t n, char **out, size_t *len);

#endif
