/* core/builder.c: the argv of every builder (docker and kaniko are not on
 * these machines, so this is where their adapters are tested), digests
 * from recorded digest/metadata files, and failure excerpts from recorded
 * build output. */
#include <string.h>

#include "../../core/builder.h"
#include "t.h"

static const struct cd_kv args[] = {{"BASE", "reg/base:1"}, {"V", "a b"}};
static const char *const one[] = {"linux/arm64"};
static const char *const two[] = {"linux/amd64", "linux/arm64"};

static void join(const struct cd_builder_argv *a, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < a->n; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? " " : "", a->v[i]);
}

static struct cd_builder_req req(enum cd_builder_kind k)
{
	struct cd_builder_req r = {
		.kind = k, .context = "/p/ctx", .dockerfile = "/p/ctx/Dockerfile",
		.target = "prod", .args = args, .nargs = 2, .platforms = one,
		.nplatforms = 1, .ref = "reg:5000/shop/web:abc",
		.digest_file = "/tmp/d", .insecure = 1};
	return r;
}

static void argv_each_builder(void)
{
	struct cd_builder_argv a;
	struct cd_err e;
	char s[2048];
	struct cd_builder_req r = req(CD_BUILDER_BUILDAH);
	T_EQ_INT(cd_builder_argv(&r, 0, &a, &e), 0);
	join(&a, s, sizeof s);
	T_EQ_STR(s, "buildah bud -f /p/ctx/Dockerfile -t reg:5000/shop/web:abc "
		    "--build-arg BASE=reg/base:1 --build-arg V=a b --target prod "
		    "--platform linux/arm64 --tls-verify=false /p/ctx");
	T_EQ_STR(a.v[9], "V=a b"); /* one argument, no shell */
	cd_builder_argv_free(&a);
	T_EQ_INT(cd_builder_argv(&r, 1, &a, &e), 0);
	join(&a, s, sizeof s);
	T_EQ_STR(s, "buildah push --digestfile /tmp/d --tls-verify=false "
		    "reg:5000/shop/web:abc docker://reg:5000/shop/web:abc");
	cd_builder_argv_free(&a);

	r = req(CD_BUILDER_PODMAN);
	r.insecure = 0;
	T_EQ_INT(cd_builder_argv(&r, 0, &a, &e), 0);
	T_EQ_STR(a.v[0], "podman");
	T_EQ_STR(a.v[1], "build");
	join(&a, s, sizeof s);
	T_CHECK(strstr(s, "tls-verify") == NULL);
	cd_builder_argv_free(&a);

	r = req(CD_BUILDER_DOCKER);
	r.platforms = two;
	r.nplatforms = 2;
	T_EQ_INT(cd_builder_argv(&r, 0, &a, &e), 0);
	join(&a, s, sizeof s);
	T_EQ_STR(s, "docker buildx build --push --metadata-file /tmp/d -f "
		    "/p/ctx/Dockerfile -t reg:5000/shop/web:abc --build-arg "
		    "BASE=reg/base:1 --build-arg V=a b --target prod --platform "
		    "linux/amd64,linux/arm64 /p/ctx");
	cd_builder_argv_free(&a);
	T_EQ_INT(cd_builder_argv(&r, 1, &a, &e), 0);
	T_EQ_INT((int)a.n, 0); /* buildx pushes while building */

	r = req(CD_BUILDER_KANIKO);
	T_EQ_INT(cd_builder_argv(&r, 0, &a, &e), 0);
	join(&a, s, sizeof s);
	T_CHECK(strstr(s, "executor --context dir:///p/ctx --dockerfile "
			  "/p/ctx/Dockerfile --destination reg:5000/shop/web:abc "
			  "--digest-file /tmp/d --build-arg BASE=reg/base:1") != NULL);
	T_CHECK(strstr(s, "--custom-platform linux/arm64 --insecure --skip-tls-verify") != NULL);
	cd_builder_argv_free(&a);

	r = req(CD_BUILDER_BUILDAH);
	r.platforms = two;
	r.nplatforms = 2;
	T_CHECK(cd_builder_argv(&r, 0, &a, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
}

static void kinds(void)
{
	enum cd_builder_kind k;
	struct cd_err e;
	T_EQ_INT(cd_builder_kind_of("podman", &k, &e), 0);
	T_EQ_INT(k, CD_BUILDER_PODMAN);
	T_EQ_INT(cd_builder_kind_of("kaniko", &k, &e), 0);
	T_EQ_INT(k, CD_BUILDER_KANIKO);
	T_CHECK(cd_builder_kind_of("bazel", &k, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	T_CHECK(strstr(e.msg, "\"bazel\"") != NULL);
}

static void digests(void)
{
	char d[80];
	struct cd_err e;
	const char *ok = "sha256:" "0123456789abcdef0123456789abcdef"
			 "0123456789abcdef0123456789abcdef";
	char text[200];
	snprintf(text, sizeof text, "%s\n", ok);
	T_EQ_INT(cd_builder_digest(CD_BUILDER_BUILDAH, text, strlen(text), d, sizeof d, &e), 0);
	T_EQ_STR(d, ok);
	/* docker buildx --metadata-file */
	snprintf(text, sizeof text,
		 "{\"buildx.build.ref\":\"b/x\",\"containerimage.digest\":\"%s\"}", ok);
	T_EQ_INT(cd_builder_digest(CD_BUILDER_DOCKER, text, strlen(text), d, sizeof d, &e), 0);
	T_EQ_STR(d, ok);
	static const char *const bad[] = {"", "sha256:abc", "md5:0123",
					  "sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		T_CHECK(cd_builder_digest(CD_BUILDER_KANIKO, bad[i], strlen(bad[i]), d, sizeof d, &e) != 0);
		T_EQ_INT(e.code, CD_E_BUILD_FAILED);
	}
	T_CHECK(cd_builder_digest(CD_BUILDER_DOCKER, "{}", 2, d, sizeof d, &e) != 0);
}

/* Recorded output of failing builds. */
static void failures(void)
{
	char m[512];
	const char *buildah = "STEP 1/3: FROM reg/base:1\nSTEP 2/3: RUN make\n"
			      "make: *** No rule to make target.  Stop.\n"
			      "error building at STEP \"RUN make\": exit status 2\n";
	cd_builder_failure(CD_BUILDER_BUILDAH, buildah, strlen(buildah), m, sizeof m);
	T_EQ_STR(m, "at STEP 2/3: RUN make: error building at STEP \"RUN make\": exit status 2");
	const char *docker = "#5 [1/3] FROM docker.io/library/alpine\n#5 DONE 0.1s\n"
			     "#7 [2/3] RUN make\n#7 0.301 make: not found\n"
			     "#7 ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 127\r\n";
	cd_builder_failure(CD_BUILDER_DOCKER, docker, strlen(docker), m, sizeof m);
	T_CHECK(strncmp(m, "at #7 ERROR", 11) == 0 || strncmp(m, "at #7 [2/3] RUN make", 20) == 0);
	T_CHECK(strstr(m, "exit code: 127") != NULL);
	const char *kaniko = "INFO[0000] Retrieving image manifest alpine\n"
			     "INFO[0001] RUN make                              \n"
			     "/bin/sh: make: not found\n"
			     "error building image: error building stage: failed to execute command: waiting for process to exit: exit status 127\n";
	cd_builder_failure(CD_BUILDER_KANIKO, kaniko, strlen(kaniko), m, sizeof m);
	T_CHECK(strncmp(m, "at INFO[0001] RUN make: error building image", 44) == 0);
	cd_builder_failure(CD_BUILDER_PODMAN, "", 0, m, sizeof m);
	T_EQ_STR(m, "no output");
}

int main(void)
{
	T_RUN(argv_each_builder);
	T_RUN(kinds);
	T_RUN(digests);
	T_RUN(failures);
	return T_DONE();
}
