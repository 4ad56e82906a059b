/* core/tar, core/image (ignore files, layers, config, manifest), core/tag,
 * core/artifacts. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/artifacts.h"
#include "../../core/image.h"
#include "../../core/mem.h"
#include "../../core/tag.h"
#include "../../core/tar.h"
#include "t.h"

static int to_buf(void *ud, const void *p, size_t n, struct cd_err *err)
{
	(void)err;
	return cd_buf_append(ud, p, n);
}

static void test_tar_headers(void)
{
	struct cd_buf b = CD_BUF_INIT;
	struct cd_tar t = {to_buf, &b, 0, 0};
	struct cd_err err;
	char longname[300];
	memset(longname, 'a', 200);
	strcpy(longname + 200, "/b");
	T_EQ_INT(cd_tar_header(&t, "app/", CD_TAR_DIR, 0755, 0, NULL, &err), 0);
	T_EQ_INT(b.len, 512);
	T_CHECK(memcmp(b.data, "app/", 5) == 0);
	T_CHECK(memcmp(b.data + 257, "ustar\0" "00", 8) == 0);
	T_EQ_STR(b.data + 100, "0000755");
	T_EQ_STR(b.data + 136, "00000000000"); /* mtime 0 */
	T_EQ_INT(b.data[265], 0);              /* empty uname */
	/* a name that fits no ustar split: a PAX header with a fixed name */
	T_EQ_INT(cd_tar_header(&t, longname, CD_TAR_FILE, 0644, 0, NULL, &err), 0);
	T_EQ_STR(b.data + 512, "PaxHeaders/b");
	T_EQ_INT(b.data[512 + 156], 'x');
	T_CHECK(strstr(b.data + 1024, "path=aaaa") != NULL);
	T_EQ_INT(cd_tar_finish(&t, &err), 0);
	T_EQ_INT(b.len % 512, 0);
	cd_buf_free(&b);
}

static void test_ignore(void)
{
	struct cd_ignore ig;
	struct cd_err err;
	T_EQ_INT(cd_ignore_parse("# c\n*.log\n/build/\n**/*.tmp\n!keep.log\n"
				 "docs/**/draft\n",
				 &ig, &err),
		 0);
	T_EQ_INT(ig.n, 5);
	T_EQ_INT(cd_ignore_match(&ig, "a.log"), 1);
	T_EQ_INT(cd_ignore_match(&ig, "sub/a.log"), 0); /* docker: root only */
	T_EQ_INT(cd_ignore_match(&ig, "keep.log"), 0);
	T_EQ_INT(cd_ignore_match(&ig, "build/x/y"), 1);
	T_EQ_INT(cd_ignore_match(&ig, "x/y/z.tmp"), 1);
	T_EQ_INT(cd_ignore_match(&ig, "docs/draft"), 1);
	T_EQ_INT(cd_ignore_match(&ig, "docs/a/b/draft/f"), 1);
	T_EQ_INT(cd_ignore_match(&ig, "src/main.c"), 0);
	cd_ignore_free(&ig);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* Two trees with the same content but other mtimes and modes give the same
 * diff_id and digest. */
static void build_in(const char *root, char *diff, char *digest, mode_t m)
{
	char p[512];
	struct cd_layer l;
	struct cd_err err;
	struct cd_layer_spec spec = {"src", "/app", -1, NULL, 0};
	snprintf(p, sizeof p, "%s/src", root);
	mkdir(p, m | 0700);
	snprintf(p, sizeof p, "%s/src/a.txt", root);
	write_file(p, "alpha\n", 0600 | (m & 0044));
	snprintf(p, sizeof p, "%s/src/run", root);
	write_file(p, "#!/bin/sh\n", 0700 | (m & 0055));
	T_EQ_INT(cd_layer_scan(root, &spec, NULL, 0, &l, &err), 0);
	T_EQ_INT(l.n, 3);
	T_EQ_STR(l.e[0].name, "app/");
	T_EQ_STR(l.e[1].name, "app/a.txt");
	T_EQ_INT(l.e[1].mode, 0644);
	T_EQ_INT(l.e[2].mode, 0755);
	int fd = open("/dev/null", O_WRONLY);
	T_EQ_INT(cd_layer_write(&l, 0, fd, &err), 0);
	close(fd);
	strcpy(diff, l.diff_id);
	strcpy(digest, l.digest);
	cd_layer_free(&l);
}

static void test_layer_determinism(void)
{
	char d1[CD_DIGEST_MAX], g1[CD_DIGEST_MAX], d2[CD_DIGEST_MAX],
		g2[CD_DIGEST_MAX];
	char r1[] = "/tmp/cdhost-layer-XXXXXX", r2[] = "/tmp/cdhost-layer-XXXXXX";
	T_CHECK(mkdtemp(r1) && mkdtemp(r2));
	char *a = realpath(r1, NULL), *b = realpath(r2, NULL);
	build_in(a, d1, g1, 0755);
	build_in(b, d2, g2, 0700);
	T_EQ_STR(d1, d2);
	T_EQ_STR(g1, g2);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", a, b);
	T_EQ_INT(system(cmd), 0);
	free(a);
	free(b);
}

/* A file rewritten with the same size after the scan (its digest is in the
 * layer's key) is refused when the layer is written: conflict. */
static void test_layer_rewrite_same_size(void)
{
	char r[] = "/tmp/cdhost-layer-XXXXXX", p[512];
	T_CHECK(mkdtemp(r) != NULL);
	char *root = realpath(r, NULL);
	struct cd_layer l;
	struct cd_err err;
	struct cd_layer_spec spec = {"src", "/app", -1, NULL, 0};
	snprintf(p, sizeof p, "%s/src", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/src/a.txt", root);
	write_file(p, "alpha\n", 0644);
	T_EQ_INT(cd_layer_scan(root, &spec, NULL, 0, &l, &err), 0);
	write_file(p, "omega\n", 0644); /* same size, other bytes */
	int fd = open("/dev/null", O_WRONLY);
	T_CHECK(cd_layer_write(&l, 0, fd, &err) != 0);
	close(fd);
	T_EQ_INT(err.code, CD_E_CONFLICT);
	T_CHECK(strstr(err.msg, "a.txt changed while the layer was written") != NULL);
	cd_layer_free(&l);
	/* scanned again, it is written */
	T_EQ_INT(cd_layer_scan(root, &spec, NULL, 0, &l, &err), 0);
	fd = open("/dev/null", O_WRONLY);
	T_EQ_INT(cd_layer_write(&l, 0, fd, &err), 0);
	close(fd);
	cd_layer_free(&l);
	snprintf(p, sizeof p, "rm -rf %s", root);
	T_EQ_INT(system(p), 0);
	free(root);
}

static void test_config_manifest(void)
{
	static const char *const ep[] = {"/app/run"};
	static const struct cd_kv env[] = {{"PATH", "/app"}, {"PORT", "80"}};
	struct cd_image_config c = {0};
	struct cd_layer l = {0};
	struct cd_layer *ls[] = {&l};
	struct cd_err err;
	char *out = NULL;
	size_t len;
	c.entrypoint = ep;
	c.nentrypoint = 1;
	c.set_entrypoint = 1;
	c.env = env;
	c.nenv = 2;
	c.os = "linux";
	c.arch = "amd64";
	strcpy(l.diff_id, "sha256:d1");
	strcpy(l.digest, "sha256:g1");
	strcpy(l.key, "sha256:k1");
	l.size = 42;
	const char *base = "{\"config\":{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/bin\"]},"
			   "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:b0\"]},"
			   "\"x-unknown\":1}";
	T_EQ_INT(cd_image_config_json(base, strlen(base), &c, ls, 1, &out, &len, &err), 0);
	T_EQ_STR(out, "{\"architecture\":\"amd64\",\"config\":{\"Entrypoint\":[\"/app/run\"],"
		      "\"Env\":[\"PATH=/app\",\"PORT=80\"]},\"created\":\"1970-01-01T00:00:00Z\","
		      "\"history\":[{\"comment\":\"sha256:k1\",\"created\":\"1970-01-01T00:00:00Z\","
		      "\"created_by\":\"cdhost native layer\"}],\"os\":\"linux\",\"rootfs\":"
		      "{\"diff_ids\":[\"sha256:b0\",\"sha256:d1\"],\"type\":\"layers\"},\"x-unknown\":1}");
	free(out);
	char mt[128];
	T_EQ_INT(cd_image_manifest_json(NULL, 0, NULL, "sha256:c", 7, ls, 1, "sha256:in",
					&out, &len, mt, &err), 0);
	T_EQ_STR(mt, CD_MT_OCI_MANIFEST);
	T_EQ_STR(out, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		      "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		      "\"digest\":\"sha256:c\",\"size\":7},\"layers\":[{\"mediaType\":"
		      "\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:g1\","
		      "\"size\":42}],\"annotations\":{\"dev.cdhost.input-digest\":\"sha256:in\"}}");
	free(out);
}

static void test_tags(void)
{
	char out[CD_TAG_MAX], name[512];
	struct cd_err err;
	T_EQ_INT(cd_tag_sanitize("feature/x+y", out, &err), 0);
	T_EQ_STR(out, "feature-x-y");
	T_EQ_INT(cd_tag_sanitize(".hidden", out, &err), 0);
	T_EQ_STR(out, "_hidden");
	T_EQ_INT(cd_tag_sanitize("", out, &err), -CD_E_INVALID);
	char big[300];
	memset(big, 'a', 299);
	big[299] = 0;
	T_EQ_INT(cd_tag_sanitize(big, out, &err), 0);
	T_EQ_INT(strlen(out), 128);
	T_EQ_INT(cd_tag_template("v1-{{input}}-{{datetime}}", "abc", "2024", NULL, name, sizeof name, &err), 0);
	T_EQ_STR(name, "v1-abc-2024");
	T_EQ_INT(cd_tag_template("{{git}}", "abc", "d", NULL, name, sizeof name, &err), -CD_E_INVALID);
	T_EQ_INT(cd_tag_template("{{git}}-{{input}}", "abc", "d", "v1.2-3-gabc1234", name, sizeof name, &err), 0);
	T_EQ_STR(name, "v1.2-3-gabc1234-abc");
	T_EQ_INT(cd_tag_template("{{nope}}", "abc", "d", "g", name, sizeof name, &err), -CD_E_INVALID);
	T_EQ_STR(err.msg, "tag.template: unknown field {{nope}} (known: input, datetime, git)");
	T_EQ_INT(cd_tag_datetime("%Y-%m-%d", 86400, name, sizeof name, &err), 0);
	T_EQ_STR(name, "1970-01-02");
}

#define SHA "sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883"
#define AWS "aws_account_id.dkr.ecr.region.amazonaws.com"
#define LONG_NAME "gcr.io/herewehaveanincrediblylongregistryname/herewealsohaveanabnormallylongimagename/doubtyouveseenanimagethislong/butyouneverknowdoyouimeanpeopledosomecrazystuffoutthere/goodluckpushingthistoanyregistrymyfriend"

/* --default-repo. The first rows are Skaffold's own cases with its
 * answers (pkg/skaffold/docker/default_repo_test.go, TestImageReplaceDefault
 * Repo, and the examples of docs.skaffold.dev/docs/environment/
 * image-registries/); Skaffold's ko:// rows are left out (no ko builder). */
static const struct {
	const char *repo;
	int multi;
	const char *image, *want;
} dr_cases[] = {
	/* GCR / AR: concatenated */
	{"gcr.io/default", 0, "gcr.io/some/registry", "gcr.io/default/gcr.io/some/registry"},
	{"us-central1-docker.pkg.dev/default", 0, "github.com/org/app",
	 "us-central1-docker.pkg.dev/default/github.com/org/app"},
	{"gcr.io/myproject/myimage", 0, "gcr.io/k8s-skaffold/skaffold-example1",
	 "gcr.io/myproject/myimage/gcr.io/k8s-skaffold/skaffold-example1"},
	{"gcr.io/myproject", 0, "gcr.io/k8s-skaffold/example", "gcr.io/myproject/gcr.io/k8s-skaffold/example"},
	/* ... unless the name is already under the repo */
	{NULL, 0, "gcr.io/some/registry", "gcr.io/some/registry"},
	{"gcr.io/default", 0, "gcr.io/default/registry", "gcr.io/default/registry"},
	{"eu.gcr.io/project", 0, "eu.gcr.io/project/registry", "eu.gcr.io/project/registry"},
	{"gcr.io/k8s-skaffold", 0, "gcr.io/k8s-skaffold/skaffold-example", "gcr.io/k8s-skaffold/skaffold-example"},
	{"myrepo", 0, "myrepo/skaffold-example", "myrepo/skaffold-example"},
	/* ... or shares its project: what follows the project goes under the repo */
	{"gcr.io/default/repository", 0, "gcr.io/default/example/registry",
	 "gcr.io/default/repository/example/registry"},
	{"gcr.io/k8s-skaffold/myimage", 0, "gcr.io/k8s-skaffold/skaffold-example1",
	 "gcr.io/k8s-skaffold/myimage/skaffold-example1"},
	/* other registries: escaped into one component, cut to 255 */
	{AWS, 0, "gcr.io/some/registry", AWS "/gcr_io_some_registry"},
	{AWS, 0, "gcr.io/k8s-skaffold/skaffold-example1", AWS "/gcr_io_k8s-skaffold_skaffold-example1"},
	{AWS, 0, LONG_NAME,
	 AWS "/gcr_io_herewehaveanincrediblylongregistryname_herewealsohaveanabnormallylongimagename_doubtyouveseenanimagethislong_butyouneverknowdoyouimeanpeopledosomecrazystuffoutthere_goodluckpushingthistoanyregistrymyfrien"},
	/* multi-level-repo: any registry takes the path as it is */
	{AWS, 1, "gcr.io/some/registry", AWS "/gcr.io/some/registry"},
	/* tags and digests are kept */
	{"gcr.io/default", 0, "img:tag", "gcr.io/default/img:tag"},
	{"gcr.io/default", 0, "img@" SHA, "gcr.io/default/img@" SHA},
	{"gcr.io/default", 0, "img:tag@" SHA, "gcr.io/default/img:tag@" SHA},

	/* cdhost's own: the review's case and local registries */
	{"myreg.io/team", 0, "r.example.com/a/b", "myreg.io/team/r_example_com_a_b"},
	{"localhost:5000/me", 0, "example", "localhost:5000/me/example"},
	{"localhost:5000/me", 0, "gcr.io/k8s-skaffold/example", "localhost:5000/me/gcr_io_k8s-skaffold_example"},
	{"localhost:5000/me", 0, "localhost:5000/me/x", "localhost:5000/me/x"},
	{"localhost:5000/me", 1, "gcr.io/k8s-skaffold/example", "localhost:5000/me/gcr.io/k8s-skaffold/example"},
	{"localhost:5000", 0, "localhost:5001/a:v1", "localhost:5000/localhost_5001_a:v1"},
	/* a tag a build rewrote is kept by deploy -a (idempotent) */
	{"myreg.io/team", 0, "myreg.io/team/r_example_com_a_b:v1@" SHA, "myreg.io/team/r_example_com_a_b:v1@" SHA},
	{"gcr.io/default/repository", 0, "gcr.io/default/repository/example/registry:v1",
	 "gcr.io/default/repository/example/registry:v1"},
	/* Skaffold's project-ID pattern decides GCR: "gcr.io/abc" has too
	 * short a project ID to count, so it escapes as any registry */
	{"gcr.io/abc", 0, "r.example.com/a/b", "gcr.io/abc/r_example_com_a_b"},
	/* where cdhost differs: a whole component must match (Skaffold keeps
	 * gcr.io/myteam-b/web, outside the repo), a trailing '/' is dropped */
	{"gcr.io/myteam", 0, "gcr.io/myteam-b/web", "gcr.io/myteam/gcr.io/myteam-b/web"},
	{"myrepo", 0, "myrepo2/web", "myrepo/myrepo2_web"},
	{"reg.example.com/team/", 0, "web", "reg.example.com/team/web"},
};

static void test_default_repo(void)
{
	char out[1100];
	struct cd_err err;
	for (size_t i = 0; i < sizeof dr_cases / sizeof *dr_cases; i++) {
		T_EQ_INT(cd_tag_default_repo(dr_cases[i].repo, dr_cases[i].multi,
					     dr_cases[i].image, out, sizeof out, &err), 0);
		T_EQ_STR(out, dr_cases[i].want);
	}
	T_EQ_INT(cd_tag_default_repo(AWS, 0, LONG_NAME ":v1", out, sizeof out, &err), 0);
	T_EQ_INT(strlen(out), 255 + 3); /* the name is cut, not the tag */
	T_EQ_INT(cd_tag_default_repo("r.io/x", 0, LONG_NAME, out, 64, &err), -CD_E_INVALID);
	T_EQ_INT(cd_tag_name_len("h:5000/a/b:t@" SHA), 10);
	T_EQ_INT(cd_tag_name_len("h:5000/a"), 8);
}

static void test_default_repo_check(void)
{
	static const char *good[] = {
		"localhost:5000", "localhost:5000/me", "myrepo", "gcr.io/my-project",
		"reg.example.com/team/", "127.0.0.1:5000", "[::1]:5000/x", "a.b/c__d/e-f",
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{"", "\"\" is empty"},
		{"/", "is empty"},
		{"Reg.example.com/team", "upper-case"},
		{"reg.example.com/Team", "upper-case"},
		{"reg.example.com/team:v1", "has a tag"},
		{"myrepo:v1", "has a tag"},
		{"reg.example.com/team@" SHA, "has a digest"},
		{"reg..example.com/team", "not a registry or repository name"},
		{"reg.example.com/../team", "not a registry or repository name"},
		{"reg.example.com//team", "not a registry or repository name"},
		{"..", "not a registry or repository name"},
		{"reg.example.com/te_", "not a registry or repository name"},
		{"host:/x", "not a registry or repository name"},
	};
	struct cd_err err;
	T_EQ_INT(cd_tag_default_repo_check(NULL, &err), 0);
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		int rc = cd_tag_default_repo_check(good[i], &err);
		if (rc)
			fprintf(stderr, "%s: %s\n", good[i], err.msg);
		T_EQ_INT(rc, 0);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&err, 0, sizeof err);
		T_EQ_INT(cd_tag_default_repo_check(bad[i].in, &err), -CD_E_USAGE);
		if (!strstr(err.msg, bad[i].why))
			fprintf(stderr, "%s: %s\n", bad[i].in, err.msg);
		T_CHECK(strstr(err.msg, bad[i].why) != NULL);
	}
}

/* The children of a base index for the platforms asked (fuzz_oci_index
 * checks the same against a model; these are the exact answers). */
static void test_index_pick(void)
{
	static const char ix[] =
		"{\"manifests\":["
		"{\"digest\":\"%s\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
		"{\"digest\":\"%s\",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
		"{\"digest\":\"%s\",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}]}";
	char a[72] = "sha256:", b[72] = "sha256:", text[1024];
	memset(a + 7, 'a', 64);
	memset(b + 7, 'b', 64);
	a[71] = b[71] = '\0';
	struct cd_image_platform out[4];
	struct cd_err e;
	size_t n;
	const char *arm[] = {"linux/arm64"}, *v7[] = {"linux/arm64/v7"};
	/* the attestation entry has no valid digest, but is never picked */
	snprintf(text, sizeof text, ix, a, b, "not-a-digest");
	T_EQ_INT(cd_image_index_pick(text, strlen(text), "base:1", NULL, 0, out,
				     4, &n, &e), 0);
	T_EQ_INT(n, 2);
	T_EQ_STR(out[1].variant, "v8");
	T_EQ_INT(cd_image_index_pick(text, strlen(text), "base:1", arm, 1, out,
				     4, &n, &e), 0);
	T_EQ_INT(n, 1);
	T_EQ_STR(out[0].digest, b);
	T_EQ_INT(cd_image_index_pick(text, strlen(text), "base:1", v7, 1, out,
				     4, &n, &e), -(int)CD_E_NOT_FOUND);
	T_EQ_STR(e.msg, "base base:1 has no image for the platforms asked (it "
			"has linux/amd64, linux/arm64/v8, unknown/unknown)");
	/* a picked child without a valid digest: refused before any request */
	snprintf(text, sizeof text, ix, a, "../../../x", "");
	T_EQ_INT(cd_image_index_pick(text, strlen(text), "base:1", arm, 1, out,
				     4, &n, &e), -(int)CD_E_INVALID);
	T_CHECK(strstr(e.msg, "manifests[1] has no valid digest") != NULL);
	T_EQ_INT(n, 0);
}

static void test_artifacts(void)
{
	struct cd_artifacts a;
	struct cd_err err;
	struct cd_buf b = CD_BUF_INIT;
	/* as Skaffold writes it (with fields cdhost does not use) */
	const char *sk = "{\"builds\":[{\"imageName\":\"web\",\"tag\":\"r/web:v1@sha256:ab\","
			 "\"platforms\":[\"linux/amd64\"]}],\"extra\":true}";
	T_EQ_INT(cd_artifacts_parse(sk, strlen(sk), &a, &err), 0);
	T_EQ_INT(a.n, 1);
	T_EQ_STR(cd_artifacts_find(&a, "web")->tag, "r/web:v1@sha256:ab");
	T_CHECK(cd_artifacts_find(&a, "api") == NULL);
	T_EQ_INT(cd_artifacts_add(&a, "api", "r/api:2"), 0);
	T_EQ_INT(cd_artifacts_write(&a, &b), 0);
	T_EQ_STR(b.data, "{\"builds\":[{\"imageName\":\"web\",\"tag\":\"r/web:v1@sha256:ab\"},"
			 "{\"imageName\":\"api\",\"tag\":\"r/api:2\"}]}");
	cd_artifacts_free(&a);
	cd_buf_free(&b);
	T_EQ_INT(cd_artifacts_parse("{}", 2, &a, &err), -CD_E_INVALID);
	T_EQ_INT(cd_artifacts_parse("{\"builds\":[{\"imageName\":1}]}", 27, &a, &err), -CD_E_INVALID);
	T_EQ_INT(cd_artifacts_parse("nope", 4, &a, &err), -CD_E_INVALID);
}

int main(void)
{
	T_RUN(test_tar_headers);
	T_RUN(test_ignore);
	T_RUN(test_layer_determinism);
	T_RUN(test_layer_rewrite_same_size);
	T_RUN(test_config_manifest);
	T_RUN(test_tags);
	T_RUN(test_default_repo);
	T_RUN(test_default_repo_check);
	T_RUN(test_index_pick);
	T_RUN(test_artifacts);
	return T_DONE();
}
