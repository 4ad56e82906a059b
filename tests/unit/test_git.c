/* core/git.c and core/gitlibs.c: paths, redaction, the tree hash (a vector
 * computed independently in Python from docs/libraries.md), the lock file,
 * and commits into a local bare repository (checked with libgit2 directly). */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../core/git.h"
#include "../../core/gitlibs.h"
#include "t.h"

static char tmp[256];

static void put(const char *rel, const char *data, int mode)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	FILE *f = fopen(p, "w");
	fputs(data, f);
	fclose(f);
	chmod(p, (mode_t)mode);
}

static void paths(void)
{
	struct cd_err e;
	static const char *const ok[] = {"a.yaml", "ns/kind-x.yaml", "a/b/c",
					 ".hidden", "x..y"};
	static const char *const bad[] = {"/etc/passwd", "../x", "a/../b", "a//b",
					  "./a", ".git/config", "a/.GIT/x",
					  "a\\b", "a/."};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		T_EQ_INT(cd_git_check_path(ok[i], 0, &e), 0);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		T_CHECK(cd_git_check_path(bad[i], 0, &e) != 0);
		T_EQ_INT(e.code, CD_E_INVALID);
	}
	T_CHECK(cd_git_check_path("", 0, &e) != 0);
	T_EQ_INT(cd_git_check_path("", 1, &e), 0);
}

static void redact(void)
{
	char b[256];
	cd_git_redact("https://user:s3cret@git.example.com/a.git", b, sizeof b);
	T_EQ_STR(b, "https://git.example.com/a.git");
	cd_git_redact("ssh://git@host:2222/x.git", b, sizeof b);
	T_EQ_STR(b, "ssh://host:2222/x.git");
	cd_git_redact("git@host:team/x.git", b, sizeof b);
	T_EQ_STR(b, "git@host:team/x.git");
	cd_git_redact("/srv/a@b/x.git", b, sizeof b);
	T_EQ_STR(b, "/srv/a@b/x.git");
}

/* git-credential-store lines (cd_git_credential_line). */
static void credential_lines(void)
{
	char line[256], u[16], pw[16];
	const char *url = "https://me@git.example.com:8443/org/x.git";
#define CRED(l) (snprintf(line, sizeof line, "%s", l), \
		 cd_git_credential_line(url, line, u, sizeof u, pw, sizeof pw))
	T_EQ_INT(CRED("https://al%40ce:p%3Aw%25@git.example.com%3a8443/org"), 1);
	T_EQ_STR(u, "al@ce");
	T_EQ_STR(pw, "p:w%");
	T_EQ_INT(CRED("https://alice:pw@git.example.com:8443"), 1);
	T_EQ_INT(CRED("https://alice:pw@git.example.com"), 0);       /* port */
	T_EQ_INT(CRED("http://alice:pw@git.example.com:8443"), 0);   /* scheme */
	T_EQ_INT(CRED("https://alice:pw@xgit.example.com:8443"), 0);
	T_EQ_INT(CRED("https://alice@git.example.com:8443"), 0);     /* no : */
	T_EQ_INT(CRED("https://alice:0123456789abcdefXYZ@git.example.com:8443"), 1);
	T_EQ_STR(pw, "0123456789abcde"); /* truncated to its buffer */
#undef CRED
	T_EQ_INT(cd_git_credential_line("/srv/x.git", line, u, sizeof u, pw,
					sizeof pw), 0);
}

/* known_hosts text (cd_git_known_hosts_match). */
static const unsigned char kh_key[] = "\0\0\0\x0bssh-ed25519\0\0\0 "
				      "0123456789abcdef0123456789abcdef";
#define KH_B64 "AAAAC3NzaC1lZDI1NTE5AAAAIDAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm"
/* another ed25519 key ("...abcdeg") */
#define KH_OTHER "AAAAC3NzaC1lZDI1NTE5AAAAIDAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVn"
static int kh(const char *text, const char *want)
{
	return cd_git_known_hosts_match(text, strlen(text), want, kh_key,
					sizeof kh_key - 1);
}

static void known_hosts(void)
{
	char t[20000];
	T_EQ_INT(kh("# x\n\n  a.example,[h.example]:2222 ssh-ed25519 " KH_B64 " c\r\n",
		    "[h.example]:2222"), 2);
	T_EQ_INT(kh("a.example,[h.example]:2222 ssh-ed25519 " KH_B64 "\n",
		    "a.example"), 2);
	T_EQ_INT(kh("a.example,[h.example]:2222 ssh-ed25519 " KH_B64 "\n",
		    "h.example"), 0);
	T_EQ_INT(kh("a.example ssh-ed25519 " KH_OTHER "\n", "a.example"), 1);
	T_EQ_INT(kh("a.example\tssh-ed25519 \t" KH_B64 "\n", "a.example"), 2);
	/* hashed: |1|base64(salt)|base64(HMAC-SHA1(salt, "a.example")) */
	const char *hashed = "|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|+Z2RGtXRIiVpHt0j0ullJX9PUBU= ssh-ed25519 " KH_B64 "\n";
	T_EQ_INT(kh(hashed, "a.example"), 2);
	T_EQ_INT(kh(hashed, "b.example"), 0);
	/* a comment longer than the line buffer: its tail is no entry (it
	 * was read as a line of its own) */
	memset(t, 'x', 8200);
	t[0] = '#';
	snprintf(t + 8191, sizeof t - 8191, "a.example ssh-ed25519 %s\n", KH_B64);
	T_EQ_INT(kh(t, "a.example"), 0);
}

/* Lines naming `host` with the key and with another key. */
#define KL(host) host " ssh-ed25519 " KH_B64 "\n"
#define KO(host) host " ssh-ed25519 " KH_OTHER "\n"

struct kh_case {
	const char *text, *want;
	int rc;
};

static void kh_cases(const struct kh_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = kh(c[i].text, c[i].want);
		if (rc != c[i].rc)
			fprintf(stderr, "'%s' in\n%s-> %d, expected %d\n",
				c[i].want, c[i].text, rc, c[i].rc);
		T_CHECK(rc == c[i].rc);
	}
}

/* Wildcards, negation and case as OpenSSH's match_hostname. */
static void known_hosts_patterns(void)
{
	static const struct kh_case c[] = {
		{KL("*.example"), "a.example", 2},
		{KL("*.example"), "a.b.example", 2}, /* '*' crosses dots */
		{KL("*.example"), "example", 0},
		{KL("*.example"), "a.example.org", 0},
		{KL("h?.example"), "h1.example", 2},
		{KL("h?.example"), "h.example", 0},
		{KL("h?.example"), "h12.example", 0},
		/* a matching negation wins over the positives of its line,
		 * before or after it, and of its line only */
		{KL("*.example,!bad.example"), "good.example", 2},
		{KL("*.example,!bad.example"), "bad.example", 0},
		{KL("!bad.example,bad.example"), "bad.example", 0},
		{KL("!b*,*.example") KO("bad.example"), "bad.example", 1},
		{KL("!nothing"), "a.example", 0},
		/* case-insensitive, plain and hashed (of "a.example") */
		{KL("A.EXAMPLE"), "a.example", 2},
		{KL("a.example"), "A.Example", 2},
		{KL("!A.*,*.example"), "a.EXAMPLE", 0},
		{KL("|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|+Z2RGtXRIiVpHt0j0ullJX9PUBU="),
		 "A.EXAMPLE", 2},
		/* a port's entries are the string "[host]:port", wildcards too */
		{KL("[*.example]:2222"), "[h.example]:2222", 2},
		{KL("[*.example]:2222"), "[h.example]:2223", 0},
		{KL("[*.example]:2222"), "h.example", 0},
		{KL("[h.example]:*"), "[H.example]:2", 2},
	};
	kh_cases(c, sizeof c / sizeof *c);
}

/* Many stars against a long host: linear backtracking, not exponential. */
static void known_hosts_hostile(void)
{
	char t[2000], host[1000];
	memset(t, '*', 200);
	snprintf(t + 200, sizeof t - 200, "x ssh-ed25519 %s\n", KH_B64);
	memset(host, 'a', sizeof host - 1);
	host[sizeof host - 1] = '\0';
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	T_EQ_INT(kh(t, host), 0);
	for (size_t i = 0; i < 200; i += 2) /* "*a*a*a...*ax" */
		t[i + 1] = 'a';
	T_EQ_INT(kh(t, host), 0);
	host[sizeof host - 2] = 'x';
	T_EQ_INT(kh(t, host), 2);
	clock_gettime(CLOCK_MONOTONIC, &b);
	T_CHECK(b.tv_sec - a.tv_sec < 2); /* milliseconds in practice */
	/* a host name longer than any names nothing, not even "*" */
	char big[1100];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	T_EQ_INT(kh("* ssh-ed25519 " KH_B64 "\n", big), 0);
}

/* @revoked wins for its key; @cert-authority and bad markers say nothing. */
static void known_hosts_markers(void)
{
	static const struct kh_case c[] = {
		{"@revoked " KL("a.example") KL("a.example"), "a.example", 3},
		{KL("a.example") "@revoked\t" KL("*"), "a.example", 3},
		{"@revoked " KL("a.example") "a.example ssh-rsa AAAA\n", "a.example", 3},
		{"@revoked " KL("a.example"), "a.example", 3},
		/* another key revoked, or this key revoked for another host */
		{"@revoked " KO("a.example") KL("a.example"), "a.example", 2},
		{"@revoked " KO("a.example"), "a.example", 0},
		{"@revoked " KL("b.example,!a.example") KL("a.example"), "a.example", 2},
		/* a CA's key is not a host key: a host known only through it
		 * is unknown (host certificates are not supported) */
		{"@cert-authority " KL("*.example"), "a.example", 0},
		{"@cert-authority " KL("*.example") KO("a.example"), "a.example", 1},
		/* unknown, doubled or case-changed markers make no entry */
		{"@trusted " KL("a.example"), "a.example", 0},
		{"@Revoked " KL("a.example") KL("a.example"), "a.example", 2},
		{"@revoked @revoked " KL("a.example") KL("a.example"), "a.example", 2},
		{"@revoked\n", "a.example", 0},
	};
	kh_cases(c, sizeof c / sizeof *c);
}

static void tree_hash(void)
{
	struct cd_err e;
	char h[CD_LIBS_HASH_HEX], p[512];
	snprintf(p, sizeof p, "%s/lib", tmp);
	mkdir(p, 0755);
	T_EQ_INT(cd_libs_tree_hash(p, h, &e), 0); /* empty: sha256("") */
	T_EQ_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	put("lib/a.txt", "A\n", 0644);
	snprintf(p, sizeof p, "%s/lib/sub", tmp);
	mkdir(p, 0755);
	put("lib/sub/b.sh", "B\n", 0755);
	put("lib/.hidden", "", 0644);
	snprintf(p, sizeof p, "%s/lib/empty", tmp);
	mkdir(p, 0755); /* empty directories do not count */
	snprintf(p, sizeof p, "%s/lib", tmp);
	T_EQ_INT(cd_libs_tree_hash(p, h, &e), 0);
	T_EQ_STR(h, "4c91e024c4258aeec804b23e41f6ee0aa69ff588927bbac8fb2d104dc6b3c465");
	put("lib/sub/b.sh", "B\n", 0644); /* the mode is part of the hash */
	T_EQ_INT(cd_libs_tree_hash(p, h, &e), 0);
	T_CHECK(strcmp(h, "4c91e024c4258aeec804b23e41f6ee0aa69ff588927bbac8fb2d104dc6b3c465") != 0);
	char link[512];
	snprintf(link, sizeof link, "%s/lib/link", tmp);
	T_EQ_INT(symlink("/etc/passwd", link), 0);
	T_CHECK(cd_libs_tree_hash(p, h, &e) != 0);
	T_EQ_INT(e.code, CD_E_HASH_MISMATCH);
	unlink(link);
}

static void lock_file(void)
{
	struct cd_err e;
	struct cd_libs l = {0}, r = {0};
	struct cd_lib a = {"acme.deploy", "git://h/x.git", "v1", "lib",
			   "0123456789012345678901234567890123456789",
			   "4c91e024c4258aeec804b23e41f6ee0aa69ff588927bbac8fb2d104dc6b3c465"};
	T_EQ_INT(cd_libs_lock_read(tmp, &r, &e), 0); /* missing: empty */
	T_EQ_INT(r.n, 0);
	T_EQ_INT(cd_libs_add(&l, &a), 0);
	a.name = "b";
	a.path = NULL;
	T_EQ_INT(cd_libs_add(&l, &a), 0);
	T_EQ_INT(cd_libs_lock_write(tmp, &l, &e), 0);
	T_EQ_INT(cd_libs_lock_read(tmp, &r, &e), 0);
	T_EQ_INT(r.n, 2);
	const struct cd_lib *x = cd_libs_find(&r, "acme.deploy");
	T_CHECK(x && strcmp(x->path, "lib") == 0 && strcmp(x->ref, "v1") == 0);
	x = cd_libs_find(&r, "b");
	T_CHECK(x && x->path == NULL);
	/* hash check against the lock: dir missing, then present and equal */
	T_CHECK(cd_libs_check(tmp, &r, "nope", &e) != 0);
	T_EQ_INT(e.code, CD_E_HASH_MISMATCH);
	T_CHECK(strstr(e.msg, "'nope' has no entry") != NULL);
	T_CHECK(cd_libs_check(tmp, &r, "b", &e) != 0);
	T_CHECK(strstr(e.msg, "not vendored") != NULL);
	cd_libs_free(&l);
	cd_libs_free(&r);
	put("cdhost.lock", "{\"version\":2,\"libs\":{}}", 0644);
	T_CHECK(cd_libs_lock_read(tmp, &r, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	put("cdhost.lock", "{", 0644);
	T_CHECK(cd_libs_lock_read(tmp, &r, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	put("cdhost.lock", "{\"version\":1,\"libs\":{\"x\":{\"git\":\"u\"}}}", 0644);
	T_CHECK(cd_libs_lock_read(tmp, &r, &e) != 0);
	T_CHECK(strstr(e.msg, "'x'") != NULL);
	/* a name that leaves .cdhost/libs (`lib sync` removes the directory of
	 * every lock entry cdhost.libs no longer declares), a sha256 that is
	 * not hex: refused (found by fuzz_libs_lock) */
	static const char *const names[] = {"../../victim", "x"};
	static const char *const sha[] = {
		"4c91e024c4258aeec804b23e41f6ee0aa69ff588927bbac8fb2d104dc6b3c465",
		"4c91e024c4258aeec804b23e41f6ee0aa69ff588927bbac8fb2d104dc6b3c46z"};
	char text[300];
	for (size_t i = 0; i < 2; i++) {
		snprintf(text, sizeof text,
			 "{\"version\":1,\"libs\":{\"%s\":{\"git\":\"u\","
			 "\"ref\":\"m\",\"commit\":\"c\",\"sha256\":\"%s\"}}}",
			 names[i], sha[i]);
		put("cdhost.lock", text, 0644);
		T_CHECK(cd_libs_lock_read(tmp, &r, &e) != 0);
		T_EQ_INT(e.code, CD_E_INVALID);
		T_EQ_INT(r.n, 0);
	}
	T_CHECK(!cd_libs_name_valid("../x") && !cd_libs_name_valid("a/b") &&
		!cd_libs_name_valid(".a") && cd_libs_name_valid("acme.deploy"));
}

/* The file list at `path` on the branch of a bare repository. */
static int tree_count(const char *repo, const char *branch)
{
	git_repository *r = NULL;
	git_object *o = NULL;
	char spec[256];
	int n = -1;
	snprintf(spec, sizeof spec, "refs/heads/%s^{tree}", branch);
	if (git_repository_open_bare(&r, repo) == 0 &&
	    git_revparse_single(&o, r, spec) == 0)
		n = (int)git_tree_entrycount((git_tree *)o);
	git_object_free(o);
	git_repository_free(r);
	return n;
}

static void commits(void)
{
	struct cd_err e;
	struct cd_git_commit_result res;
	char repo[512];
	git_repository *r = NULL;
	snprintf(repo, sizeof repo, "%s/remote.git", tmp);
	T_EQ_INT(git_repository_init(&r, repo, 1), 0);
	git_repository_free(r);
	struct cd_git_file files[] = {{"ns/b.yaml", "b: 1\n", 5},
				      {"ns/a.yaml", "a: 1\n", 5}};
	struct cd_git_commit_opts o = {.repo = repo, .branch = "main",
				       .path = "prod", .message = "m",
				       .files = files, .nfiles = 2, .push = 1};
	/* an empty repository: the first commit is a root commit */
	T_EQ_INT(cd_git_commit(&o, &res, &e), 0);
	T_CHECK(res.changed && res.pushed && res.attempts == 1);
	T_EQ_INT(tree_count(repo, "main"), 1);
	char first[CD_GIT_OID_HEX];
	memcpy(first, res.commit, sizeof first);
	T_EQ_INT(cd_git_commit(&o, &res, &e), 0); /* unchanged */
	T_CHECK(!res.changed && !res.pushed && res.attempts == 0);
	T_EQ_STR(res.commit, first);
	o.branch = "env/prod"; /* missing branch, no base */
	T_CHECK(cd_git_commit(&o, &res, &e) != 0);
	T_EQ_INT(e.code, CD_E_NOT_FOUND);
	o.base = "main"; /* same tree: the branch is created at main's tip */
	T_EQ_INT(cd_git_commit(&o, &res, &e), 0);
	T_CHECK(!res.changed && res.pushed);
	T_EQ_STR(res.commit, first);
	o.nfiles = 0; /* no files: path/ disappears */
	o.branch = "main";
	T_EQ_INT(cd_git_commit(&o, &res, &e), 0);
	T_CHECK(res.changed);
	T_EQ_INT(tree_count(repo, "main"), 0);
	struct cd_git_file clash[] = {{"a", "x", 1}, {"a/b", "y", 1}};
	o.files = clash;
	o.nfiles = 2;
	T_CHECK(cd_git_commit(&o, &res, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	char out[CD_GIT_OID_HEX];
	T_CHECK(cd_git_resolve(repo, "no-such-tag", NULL, out, &e) != 0);
	T_EQ_INT(e.code, CD_E_NOT_FOUND);
	T_EQ_INT(cd_git_resolve(repo, "env/prod", NULL, out, &e), 0);
	T_EQ_STR(out, first);
	char dir[512];
	snprintf(dir, sizeof dir, "%s/export", tmp);
	T_CHECK(cd_git_export(repo, first, "nope", NULL, dir, &e) != 0);
	T_EQ_INT(e.code, CD_E_NOT_FOUND);
	T_EQ_INT(cd_git_export(repo, first, "prod", NULL, dir, &e), 0);
	snprintf(dir, sizeof dir, "%s/export/ns/a.yaml", tmp);
	T_EQ_INT(access(dir, F_OK), 0);
}

int main(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/cdhost-test-git.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	setenv("XDG_CACHE_HOME", tmp, 1);
	git_libgit2_init();
	T_RUN(paths);
	T_RUN(redact);
	T_RUN(credential_lines);
	T_RUN(known_hosts);
	T_RUN(known_hosts_patterns);
	T_RUN(known_hosts_hostile);
	T_RUN(known_hosts_markers);
	T_RUN(tree_hash);
	T_RUN(lock_file);
	T_RUN(commits);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	git_libgit2_shutdown();
	return T_DONE();
}
