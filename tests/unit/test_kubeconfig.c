/* tests/unit/test_kubeconfig.c — core/kubeconfig.c from fixtures in
 * tests/fixtures/kube (cwd is tests/fixtures): files, KUBECONFIG merging,
 * contexts, namespaces, TLS and credential forms, exec plugins (with the
 * test plugin tests/fixtures/kube/exec-plugin.sh), in-cluster config, and
 * that no secret ever reaches a message. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kubeconfig.h"
#include "l_kube_cluster.h"
#include "t.h"
#include "value.h"

static lua_State *L;

static struct cd_kubeconfig_opts opts(const char *file, const char *env)
{
	struct cd_kubeconfig_opts o = {.kubeconfig = file, .env_kubeconfig = env,
				       .parse = cd_l_kube_parse_yaml, .parse_ud = L};
	return o;
}

static struct cd_kubeconfig *load(struct cd_kubeconfig_opts o)
{
	struct cd_kubeconfig *kc = NULL;
	struct cd_err err;
	if (cd_kubeconfig_load(&o, &kc, &err) != 0)
		fprintf(stderr, "load: %s\n", err.msg);
	return kc;
}

/* No secret of the fixtures may appear in a message. */
static int leaks(const char *msg)
{
	return strstr(msg, "s3cr3t") != NULL;
}

static void test_single_file(void)
{
	struct cd_kubeconfig *kc = load(opts("kube/kubeconfig/a.yaml", NULL));
	T_CHECK(kc != NULL);
	if (!kc)
		return;
	T_EQ_STR(kc->context, "alpha");
	T_EQ_STR(kc->server, "https://127.0.0.1:6443");
	T_EQ_STR(kc->namespace_, "team-a");
	T_EQ_STR(kc->token, "TOKEN-s3cr3t-a");
	T_EQ_STR(kc->tls_server_name, "kubernetes.internal");
	T_EQ_STR(kc->proxy_url, "http://proxy.example:3128");
	T_CHECK(kc->ca_pem && strstr(kc->ca_pem, "FAKECA"));
	T_EQ_INT(kc->ca_pem_len, strlen(kc->ca_pem));
	T_EQ_INT(kc->insecure, 0);
	cd_kubeconfig_free(kc);
}

static void test_namespace_precedence(void)
{
	struct cd_kubeconfig_opts o = opts("kube/kubeconfig/a.yaml", NULL);
	o.namespace_ = "flag-ns";
	struct cd_kubeconfig *kc = load(o);
	T_EQ_STR(kc ? kc->namespace_ : NULL, "flag-ns");
	cd_kubeconfig_free(kc);
	o.namespace_ = NULL;
	o.context = "nons";
	kc = load(o);
	T_EQ_STR(kc ? kc->namespace_ : NULL, "default");
	cd_kubeconfig_free(kc);
}

static void test_missing_context(void)
{
	struct cd_kubeconfig_opts o = opts("kube/kubeconfig/a.yaml", NULL);
	struct cd_kubeconfig *kc = NULL;
	struct cd_err err;
	o.context = "nope";
	T_CHECK(cd_kubeconfig_load(&o, &kc, &err) < 0);
	T_EQ_STR(err.msg, "context 'nope' not found in kube/kubeconfig/a.yaml");
	o.context = "broken";
	T_CHECK(cd_kubeconfig_load(&o, &kc, &err) < 0);
	T_EQ_STR(err.msg, "context 'broken': cluster 'nowhere' not found in "
			  "kube/kubeconfig/a.yaml");
	T_EQ_INT(err.code, CD_E_INVALID);
	o.kubeconfig = "kube/kubeconfig/none.yaml";
	T_CHECK(cd_kubeconfig_load(&o, &kc, &err) < 0);
	T_EQ_INT(err.code, CD_E_NOT_FOUND);
}

static void test_merge(void)
{
	/* first file wins per name and for current-context */
	struct cd_kubeconfig_opts o = opts(
		NULL, "kube/kubeconfig/missing.yaml:kube/kubeconfig/a.yaml:"
		      "kube/kubeconfig/sub/b.yaml");
	struct cd_kubeconfig *kc = load(o);
	T_EQ_STR(kc ? kc->context : NULL, "alpha");
	T_EQ_STR(kc ? kc->namespace_ : NULL, "team-a");
	cd_kubeconfig_free(kc);
	o.context = "sharedctx"; /* context only in b; cluster+user in both */
	kc = load(o);
	T_EQ_STR(kc ? kc->server : NULL, "https://from-a.example");
	T_EQ_STR(kc ? kc->token : NULL, "TOKEN-from-a");
	cd_kubeconfig_free(kc);
	o.env_kubeconfig = "kube/kubeconfig/sub/b.yaml:kube/kubeconfig/a.yaml";
	o.context = NULL;
	kc = load(o);
	T_EQ_STR(kc ? kc->context : NULL, "beta");
	cd_kubeconfig_free(kc);
	o.context = "sharedctx";
	kc = load(o);
	T_EQ_STR(kc ? kc->server : NULL, "https://from-b.example");
	cd_kubeconfig_free(kc);
	/* --kubeconfig wins over KUBECONFIG: no merge */
	o.kubeconfig = "kube/kubeconfig/a.yaml";
	o.context = "beta";
	struct cd_err err;
	T_CHECK(cd_kubeconfig_load(&o, &kc, &err) < 0);
}

static void test_relative_paths(void)
{
	struct cd_kubeconfig_opts o = opts("kube/kubeconfig/sub/b.yaml", NULL);
	struct cd_kubeconfig *kc = load(o);
	T_EQ_STR(kc ? kc->ca_file : NULL, "kube/kubeconfig/sub/ca.crt");
	T_EQ_STR(kc ? kc->cert_file : NULL, "kube/kubeconfig/sub/client.crt");
	T_EQ_STR(kc ? kc->key_file : NULL, "/abs/client.key");
	T_EQ_INT(kc ? kc->insecure : -1, 1);
	cd_kubeconfig_free(kc);
	o.context = "tokfile";
	kc = load(o);
	T_EQ_STR(kc ? kc->token : NULL, "FILE-TOKEN-s3cr3t");
	T_EQ_STR(kc ? kc->token_file : NULL, "kube/kubeconfig/sub/token.txt");
	T_EQ_INT(kc ? cd_kubeconfig_expire(kc, NULL) : -1, 0); /* unchanged */
	cd_kubeconfig_free(kc);
}

static void test_data_and_basic(void)
{
	struct cd_kubeconfig_opts o = opts("kube/kubeconfig/sub/b.yaml", NULL);
	o.context = "keydata";
	struct cd_kubeconfig *kc = load(o);
	T_EQ_STR(kc ? kc->key_pem : NULL, "PRIVATE-KEY-s3cr3t");
	T_CHECK(kc && kc->cert_pem && strstr(kc->cert_pem, "BEGIN CERTIFICATE"));
	cd_kubeconfig_free(kc);
	o.context = "basic";
	kc = load(o);
	T_EQ_STR(kc ? kc->username : NULL, "admin");
	T_EQ_STR(kc ? kc->password : NULL, "PASSWORD-s3cr3t");
	cd_kubeconfig_free(kc);
}

static void test_bad_base64(void)
{
	char path[] = "/tmp/cdhost-kc-XXXXXX";
	int fd = mkstemp(path);
	const char *text =
		"current-context: x\nclusters: [{name: c, cluster: {server: "
		"'https://h'}}]\ncontexts: [{name: x, context: {cluster: c, user: "
		"u}}]\nusers: [{name: u, user: {client-key-data: "
		"'!!s3cr3t-not-base64!!'}}]\n";
	T_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	struct cd_kubeconfig_opts o = opts(path, NULL);
	struct cd_kubeconfig *kc = NULL;
	struct cd_err err;
	T_CHECK(cd_kubeconfig_load(&o, &kc, &err) < 0);
	T_EQ_STR(err.msg, "user 'u': 'client-key-data' is not valid base64");
	T_CHECK(!leaks(err.msg));
	unlink(path);
}

/* Lines in a file (how often the test plugin ran); 0 if absent. */
static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int runs = 0;
	char line[64];
	while (f && fgets(line, sizeof line, f))
		runs++;
	if (f)
		fclose(f);
	return runs;
}

static void test_exec_v1(void)
{
	struct cd_kubeconfig_opts o = opts("kube/kubeconfig/exec.yaml", NULL);
	struct cd_kubeconfig *kc = load(o);
	const char *tok, *crt, *key;
	struct cd_err err;
	char info[4096] = "";
	unlink("/tmp/cdhost-kubeconfig-test.count");
	T_CHECK(kc && kc->exec);
	if (!kc)
		return;
	T_CHECK(strstr(kc->exec->command, "kube/kubeconfig/../exec-plugin.sh") != NULL);
	T_EQ_INT(cd_kubeconfig_credential(kc, 0, &tok, &crt, &key, &err), 0);
	T_EQ_STR(tok, "EXEC-TOKEN-s3cr3t");
	T_CHECK(crt == NULL && key == NULL);
	T_EQ_INT(cd_kubeconfig_credential(kc, 0, &tok, &crt, &key, &err), 0);
	T_EQ_STR(tok, "EXEC-TOKEN-s3cr3t");
	T_EQ_INT(count_lines("/tmp/cdhost-kubeconfig-test.count"), 1); /* cached */
	FILE *f = fopen("/tmp/cdhost-kubeconfig-test.count.info", "r");
	if (f) {
		size_t n = fread(info, 1, sizeof info - 1, f);
		info[n] = '\0';
		fclose(f);
	}
	T_CHECK(strstr(info, "\"kind\":\"ExecCredential\"") != NULL);
	T_CHECK(strstr(info, "\"apiVersion\":\"client.authentication.k8s.io/v1\"") != NULL);
	T_CHECK(strstr(info, "\"interactive\":false") != NULL);
	T_CHECK(strstr(info, "\"server\":\"https://127.0.0.1:6443\"") != NULL);
	/* a 401 forgets the cached credential: the plugin runs again */
	T_EQ_INT(cd_kubeconfig_expire(kc, &err), 1);
	T_EQ_INT(cd_kubeconfig_credential(kc, 0, &tok, &crt, &key, &err), 0);
	T_EQ_INT(count_lines("/tmp/cdhost-kubeconfig-test.count"), 2);
	cd_kubeconfig_free(kc);
	unlink("/tmp/cdhost-kubeconfig-test.count");
	unlink("/tmp/cdhost-kubeconfig-test.count.info");
}

static void test_exec_v1beta1_and_expiry(void)
{
	struct cd_kubeconfig_opts o = opts("kube/kubeconfig/exec.yaml", NULL);
	const char *tok, *crt, *key;
	struct cd_err err;
	o.context = "v1beta1";
	struct cd_kubeconfig *kc = load(o);
	T_EQ_INT(kc ? cd_kubeconfig_credential(kc, 0, &tok, &crt, &key, &err) : -1, 0);
	T_EQ_STR(tok, "BETA-TOKEN-s3cr3t");
	cd_kubeconfig_free(kc);
	/* an expired credential is fetched again on every use */
	o.context = "expired";
	unlink("/tmp/cdhost-kubeconfig-test.count2");
	kc = load(o);
	T_EQ_INT(kc ? cd_kubeconfig_credential(kc, 0, &tok, &crt, &key, &err) : -1, 0);
	T_EQ_INT(kc ? cd_kubeconfig_credential(kc, 0, &tok, &crt, &key, &err) : -1, 0);
	T_EQ_INT(count_lines("/tmp/cdhost-kubeconfig-test.count2"), 2);
	cd_kubeconfig_free(kc);
	unlink("/tmp/cdhost-kubeconfig-test.count2");
	unlink("/tmp/cdhost-kubeconfig-test.count2.info");
}

static void exec_error(const char *context, const char *want, enum cd_code code)
{
	struct cd_kubeconfig_opts o = opts("kube/kubeconfig/exec.yaml", NULL);
	const char *tok, *crt, *key;
	struct cd_err err;
	struct cd_kubeconfig *kc = NULL;
	o.context = context;
	if (cd_kubeconfig_load(&o, &kc, &err) == 0) {
		T_CHECK(cd_kubeconfig_credential(kc, 0, &tok, &crt, &key, &err) < 0);
		cd_kubeconfig_free(kc);
	}
	T_EQ_INT(err.code, code);
	if (!strstr(err.msg, want))
		fprintf(stderr, "message: %s\n", err.msg);
	T_CHECK(strstr(err.msg, want) != NULL);
	T_CHECK(!leaks(err.msg));
	T_CHECK(strstr(err.msg, "GARBAGE") == NULL);
}

static void test_exec_errors(void)
{
	exec_error("fail", "exit status 3: plugin: you need to log in first",
		   CD_E_UNAUTHORIZED);
	exec_error("garbage", "printed something that is not an ExecCredential",
		   CD_E_UNAUTHORIZED);
	exec_error("missing", "install it from example.com", CD_E_UNAUTHORIZED);
	exec_error("badapi", "exec apiVersion 'client.authentication.k8s.io/v1alpha1' "
			     "is not supported",
		   CD_E_INVALID);
}

static void test_in_cluster(void)
{
	struct cd_kubeconfig_opts o = {.service_host = "10.96.0.1",
				       .service_port = "443", .sa_dir = "kube/sa",
				       .parse = cd_l_kube_parse_yaml, .parse_ud = L};
	struct cd_kubeconfig *kc = load(o);
	T_EQ_STR(kc ? kc->server : NULL, "https://10.96.0.1:443");
	T_EQ_STR(kc ? kc->token : NULL, "SA-TOKEN-s3cr3t");
	T_EQ_STR(kc ? kc->ca_file : NULL, "kube/sa/ca.crt");
	T_EQ_STR(kc ? kc->namespace_ : NULL, "sa-ns");
	cd_kubeconfig_free(kc);
	o.service_host = "fd00::1";
	o.namespace_ = "flag";
	kc = load(o);
	T_EQ_STR(kc ? kc->server : NULL, "https://[fd00::1]:443");
	T_EQ_STR(kc ? kc->namespace_ : NULL, "flag");
	cd_kubeconfig_free(kc);
	/* a kubeconfig file wins over in-cluster */
	o.kubeconfig = "kube/kubeconfig/a.yaml";
	kc = load(o);
	T_EQ_STR(kc ? kc->server : NULL, "https://127.0.0.1:6443");
	cd_kubeconfig_free(kc);
}

static void test_time(void)
{
	T_CHECK(cd_kubeconfig_time("1970-01-01T00:00:10Z") == 10);
	T_CHECK(cd_kubeconfig_time("1970-01-01T01:00:10.123456+01:00") == 10);
	T_CHECK(cd_kubeconfig_time("1970-01-01T00:00:10") == -1);
	T_CHECK(cd_kubeconfig_time("yesterday") == -1);
}

int main(void)
{
	L = luaL_newstate();
	cd_value_init(L);
	T_RUN(test_single_file);
	T_RUN(test_namespace_precedence);
	T_RUN(test_missing_context);
	T_RUN(test_merge);
	T_RUN(test_relative_paths);
	T_RUN(test_data_and_basic);
	T_RUN(test_bad_base64);
	T_RUN(test_exec_v1);
	T_RUN(test_exec_v1beta1_and_expiry);
	T_RUN(test_exec_errors);
	T_RUN(test_in_cluster);
	T_RUN(test_time);
	lua_close(L);
	return T_DONE();
}
