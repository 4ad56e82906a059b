/* core/registry.c and core/digest.c without a network: image references
 * (docker's normalisation), media types, digests. The protocol itself is
 * tested end to end against real registries (tests/e2e/registry). */
#include "../../core/digest.h"
#include "../../core/registry.h"
#include "t.h"

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	const char *in, *domain, *path, *tag, *digest, *str;
} good[] = {
	{"nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
	{"nginx:1.25", "docker.io", "library/nginx", "1.25", "", "docker.io/library/nginx:1.25"},
	{"user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest"},
	{"docker.io/nginx", "docker.io", "library/nginx", "latest", "", NULL},
	{"index.docker.io/library/nginx:x", "docker.io", "library/nginx", "x", "", NULL},
	{"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest"},
	{"localhost:5000/a/b:T_1", "localhost:5000", "a/b", "T_1", "", NULL},
	{"127.0.0.1:5000/x@" D64, "127.0.0.1:5000", "x", "", D64, "127.0.0.1:5000/x@" D64},
	{"ghcr.io/o/r:v1@" D64, "ghcr.io", "o/r", "v1", D64, "ghcr.io/o/r:v1@" D64},
	{"reg.example.com:443/team/sub/app", "reg.example.com:443", "team/sub/app", "latest", "", NULL},
	{"a.b/c__d/e-f--g.h", "a.b", "c__d/e-f--g.h", "latest", "", NULL},
	{"Registry.Example.com/x", "Registry.Example.com", "x", "latest", "", NULL},
	{"[::1]:5000/x", "[::1]:5000", "x", "latest", "", NULL},
	{"[fe80::1]/x", "[fe80::1]", "x", "latest", "", NULL},
};

static void refs_good(void)
{
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		struct cd_ref r;
		struct cd_err e;
		char s[800];
		int rc = cd_ref_parse(good[i].in, &r, &e);
		if (rc != 0)
			fprintf(stderr, "%s: %s\n", good[i].in, e.msg);
		T_EQ_INT(rc, 0);
		T_EQ_STR(r.domain, good[i].domain);
		T_EQ_STR(r.path, good[i].path);
		T_EQ_STR(r.tag, good[i].tag);
		T_EQ_STR(r.digest, good[i].digest);
		if (good[i].str) {
			cd_ref_string(&r, s, sizeof s);
			T_EQ_STR(s, good[i].str);
		}
	}
	struct cd_ref r;
	struct cd_err e;
	char s[800];
	T_EQ_INT(cd_ref_parse("nginx", &r, &e), 0);
	T_EQ_INT(r.tag_given, 0);
	cd_ref_name(&r, s, sizeof s);
	T_EQ_STR(s, "docker.io/library/nginx");
	T_EQ_INT(cd_ref_parse("nginx:latest", &r, &e), 0);
	T_EQ_INT(r.tag_given, 1);
}

static const struct {
	const char *in, *why;
} bad[] = {
	{"", "empty"},
	{"Nginx", "lower-case"},
	{"a//b", "lower-case"},
	{"a/b/", "lower-case"},
	{"-a", "lower-case"},
	{"a..b", "lower-case"},
	{"a___b", "lower-case"},
	{"x:", "invalid tag"},
	{"x:-bad", "invalid tag"},
	{"x:a/b", "invalid registry host"},
	{"h:/x", "invalid registry host"},
	{"x@sha256:abc", "invalid digest"},
	{"x@md5:0123", "invalid digest"},
	{"ho st/x", "lower-case"},
	{"h.io:5000:1/x", "invalid registry host"},
	{"a..b/x", "invalid registry host"},
	{"a.b-/x", "invalid registry host"},
	{"a.b.:5000/x", "invalid registry host"},
	{"[]:5000/x", "invalid registry host"},
	{"[::1]x/y", "invalid registry host"},
	{"example.io/", "lower-case"}, /* a registry, no repository (fuzzing) */
	{"localhost/", "lower-case"},
	{"h:5000/", "lower-case"},
};

static void refs_bad(void)
{
	char longname[400];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct cd_ref r;
		struct cd_err e = {0};
		T_CHECK(cd_ref_parse(bad[i].in, &r, &e) < 0);
		T_EQ_INT(e.code, CD_E_INVALID);
		if (!strstr(e.msg, bad[i].why))
			fprintf(stderr, "%s: %s\n", bad[i].in, e.msg);
		T_CHECK(strstr(e.msg, bad[i].why) != NULL);
	}
	struct cd_ref r;
	struct cd_err e;
	T_CHECK(cd_ref_parse(longname, &r, &e) < 0);
	T_CHECK(strstr(e.msg, "longer than 255") != NULL);
}

static void media_types(void)
{
	T_CHECK(cd_mt_is_index(CD_MT_OCI_INDEX));
	T_CHECK(cd_mt_is_index(CD_MT_DOCKER_LIST));
	T_CHECK(!cd_mt_is_index(CD_MT_OCI_MANIFEST));
	T_CHECK(!cd_mt_is_index(CD_MT_DOCKER_MANIFEST));
}

static void digests(void)
{
	char d[CD_DIGEST_MAX];
	struct cd_sha256 s;
	T_EQ_INT(cd_digest_bytes("", 0, d), 0);
	T_EQ_STR(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	T_EQ_INT(cd_sha256_init(&s), 0);
	cd_sha256_update(&s, "ab", 2);
	cd_sha256_update(&s, "c", 1);
	cd_sha256_final(&s, d);
	T_EQ_STR(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cd_sha256_abort(&s); /* safe after final */
	T_CHECK(cd_digest_valid(D64));
	T_CHECK(!cd_digest_valid("sha256:0123"));
	T_CHECK(!cd_digest_valid("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	T_CHECK(!cd_digest_valid("md5:0123456789abcdef0123456789abcdef"));
	FILE *f = fopen("registry-digest.tmp", "wb");
	T_CHECK(f != NULL);
	if (f) {
		fputs("abc", f);
		fclose(f);
	}
	size_t n = 0;
	struct cd_err e;
	T_EQ_INT(cd_digest_file("registry-digest.tmp", d, &n, &e), 0);
	T_EQ_INT(n, 3);
	T_EQ_STR(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	remove("registry-digest.tmp");
	T_CHECK(cd_digest_file("absent.tmp", d, &n, &e) < 0);
	T_EQ_INT(e.code, CD_E_IO);
}

/* The next page from a Link header (cd_registry_next_link). */
static void link_next(void)
{
	const char *b = "https://r.example";
	char u[2048], small[24];
	T_EQ_INT(cd_registry_next_link(b, "</v2/a/tags/list?last=x&n=2>; rel=\"next\"", u, sizeof u), 1);
	T_EQ_STR(u, "https://r.example/v2/a/tags/list?last=x&n=2");
	T_EQ_INT(cd_registry_next_link(b, "<http://o.example/v2/x>; rel=next", u, sizeof u), 1);
	T_EQ_STR(u, "http://o.example/v2/x");
	T_EQ_INT(cd_registry_next_link(b, "<v2/x?last=a>; REL=\"Next last\"", u, sizeof u), 1);
	T_EQ_STR(u, "https://r.example/v2/x?last=a");
	/* the rel="next" of the second link-value: the second URL (the first
	 * one, the previous page, was taken before) */
	T_EQ_INT(cd_registry_next_link(b, "</v2/a/tags/list?last=a>; rel=\"prev\", </v2/a/tags/list?last=z>; rel=\"next\"", u, sizeof u), 1);
	T_EQ_STR(u, "https://r.example/v2/a/tags/list?last=z");
	/* commas and "next" inside quoted strings belong to their parameter */
	T_EQ_INT(cd_registry_next_link(b, "</p>; title=\"a, rel=next\", </n>; rel=next", u, sizeof u), 1);
	T_EQ_STR(u, "https://r.example/n");
	T_EQ_INT(cd_registry_next_link(b, "</p>; rel=\"prev\"; title=\"next\"", u, sizeof u), 0);
	T_EQ_INT(cd_registry_next_link(b, "</p>; rel=\"nextish\"", u, sizeof u), 0);
	T_EQ_INT(cd_registry_next_link(b, "</p>; rel=\"next", u, sizeof u), 0);
	T_EQ_INT(cd_registry_next_link(b, "/v2/x; rel=\"next\"", u, sizeof u), 0);
	T_EQ_INT(cd_registry_next_link(b, "<>; rel=\"next\"", u, sizeof u), 0);
	/* a URL with a space or a control character, or one that would not
	 * fit, is no next page (it was taken, truncated) */
	T_EQ_INT(cd_registry_next_link(b, "</v2/a b>; rel=\"next\"", u, sizeof u), 0);
	T_EQ_INT(cd_registry_next_link(b, "</v2/a\tb>; rel=\"next\"", u, sizeof u), 0);
	T_EQ_INT(cd_registry_next_link(b, "</v2/a/tags/list?last=x>; rel=next", small, sizeof small), 0);
}

int main(void)
{
	T_RUN(refs_good);
	T_RUN(link_next);
	T_RUN(refs_bad);
	T_RUN(media_types);
	T_RUN(digests);
	return T_DONE();
}
