/* core/fs.c: confinement to the project root, glob, project root search. */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/fs.h"
#include "../../core/mem.h"
#include "t.h"

static char root[PATH_MAX];

static void put(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void mk(const char *rel)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	mkdir(p, 0755);
}

static void link_to(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	T_EQ_INT(symlink(target, p), 0);
}

static void setup(void)
{
	char tmpl[] = "/tmp/cdhost-test-fs.XXXXXX";
	char *d = mkdtemp(tmpl);
	T_CHECK(d != NULL);
	T_CHECK(realpath(d, root) != NULL);
	mk("k8s");
	mk("k8s/base");
	mk("k8s/base/deep");
	mk(".hidden");
	put("k8s/a.yaml", "a: 1\n");
	put("k8s/b.yaml", "b: 2\n");
	put("k8s/notes.txt", "n\n");
	put("k8s/base/c.yaml", "c: 3\n");
	put("k8s/base/deep/d.yaml", "d: 4\n");
	put(".hidden/e.yaml", "e: 5\n");
	put("cdhost.libs", "return {}\n");
	link_to("/etc", "outside");
	link_to("k8s/a.yaml", "inside.yaml");
	link_to("/etc/hostname", "k8s/leak.yaml");
}

static void reads_inside(void)
{
	struct cd_err e;
	char *data = NULL;
	size_t len = 0;
	T_EQ_INT(cd_fs_read(root, "k8s/a.yaml", 0, &data, &len, &e), 0);
	T_EQ_STR(data, "a: 1\n");
	T_EQ_INT(len, 5);
	cd_free(data);
	T_EQ_INT(cd_fs_read(root, "./inside.yaml", 0, &data, &len, &e), 0);
	T_EQ_STR(data, "a: 1\n");
	cd_free(data);
}

static void refuses_escapes(void)
{
	struct cd_err e;
	char *data = NULL;
	size_t len;
	static const char *const bad[] = {"../etc/passwd", "/etc/passwd",
					  "k8s/../../x", "outside/passwd",
					  "k8s/leak.yaml", ".."};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		T_CHECK(cd_fs_read(root, bad[i], 0, &data, &len, &e) != 0);
		T_EQ_INT(e.code, CD_E_LIMIT);
	}
	T_CHECK(cd_fs_exists(root, "outside/passwd", &e) < 0);
	T_EQ_INT(e.code, CD_E_LIMIT);
}

static void missing_and_caps(void)
{
	struct cd_err e;
	char *data = NULL;
	size_t len;
	T_CHECK(cd_fs_read(root, "k8s/none.yaml", 0, &data, &len, &e) != 0);
	T_EQ_INT(e.code, CD_E_NOT_FOUND);
	T_CHECK(strstr(e.msg, "k8s/none.yaml") != NULL);
	T_EQ_INT(cd_fs_exists(root, "k8s/none.yaml", &e), 0);
	T_EQ_INT(cd_fs_exists(root, "k8s/a.yaml", &e), 1);
	T_CHECK(cd_fs_read(root, "k8s/a.yaml", 3, &data, &len, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	T_CHECK(cd_fs_read(root, "k8s", 0, &data, &len, &e) != 0);
	T_CHECK(cd_fs_read(root, "", 0, &data, &len, &e) != 0);
}

static void glob_matches(const char *pattern, const char *const *want,
			 size_t n)
{
	struct cd_err e;
	struct cd_fs_list l = {0};
	T_EQ_INT(cd_fs_glob(root, pattern, &l, &e), 0);
	T_EQ_INT(l.n, n);
	for (size_t i = 0; i < n && i < l.n; i++)
		T_EQ_STR(l.paths[i], want[i]);
	cd_fs_list_free(&l);
}

static void globs(void)
{
	static const char *const yamls[] = {"k8s/a.yaml", "k8s/b.yaml"};
	glob_matches("k8s/*.yaml", yamls, 2);
	static const char *const all[] = {"k8s/a.yaml", "k8s/b.yaml",
					  "k8s/base/c.yaml",
					  "k8s/base/deep/d.yaml"};
	glob_matches("k8s/**/*.yaml", all, 4); /* leak.yaml leaves the root */
	static const char *const one[] = {"k8s/base/c.yaml"};
	glob_matches("k8s/base/c.yaml", one, 1);
	glob_matches("k8s/*.json", NULL, 0);
	static const char *const q[] = {"k8s/a.yaml"};
	glob_matches("k8s/[a].y?ml", q, 1);

	struct cd_err e;
	struct cd_fs_list l = {0};
	T_CHECK(cd_fs_glob(root, "../*", &l, &e) != 0);
	T_EQ_INT(e.code, CD_E_LIMIT);
	T_CHECK(cd_fs_glob(root, "/etc/*", &l, &e) != 0);
	T_EQ_INT(e.code, CD_E_LIMIT);
}

/* A chain of `levels` directories "d/a/a/.../a" holding x.txt. */
static void deep_tree(const char *top, int levels)
{
	char rel[PATH_MAX];
	size_t n = (size_t)snprintf(rel, sizeof rel, "%s", top);
	mk(rel);
	for (int i = 0; i < levels && n + 3 < sizeof rel; i++) {
		n += (size_t)snprintf(rel + n, sizeof rel - n, "/a");
		mk(rel);
	}
	snprintf(rel + n, sizeof rel - n, "/x.txt");
	put(rel, "x\n");
}

/* A repository can hold a tree 600 directories deep; `**` over it used to
 * recurse once per level with path buffers on the C stack, and crashed. */
static void glob_deep_tree(void)
{
	struct cd_err e;
	struct cd_fs_list l = {0};
	deep_tree("deep600", 600);
	T_CHECK(cd_fs_glob(root, "deep600/**/x.txt", &l, &e) != 0);
	T_EQ_INT(e.code, CD_E_INVALID);
	T_CHECK(strstr(e.msg, "more than 128 levels deep") != NULL);
	T_EQ_INT(l.n, 0);
	deep_tree("deep100", 100);
	T_EQ_INT(cd_fs_glob(root, "deep100/**/x.txt", &l, &e), 0);
	T_EQ_INT(l.n, 1);
	cd_fs_list_free(&l);
}

static void project_root(void)
{
	struct cd_err e;
	char recipe[PATH_MAX * 2], *found = NULL;
	snprintf(recipe, sizeof recipe, "%s/k8s/base/deep/d.yaml", root);
	T_EQ_INT(cd_fs_project_root(recipe, &found, &e), 0);
	T_EQ_STR(found, root); /* the parent holding cdhost.libs */
	cd_free(found);
	T_CHECK(cd_fs_project_root("/nonexistent/recipe.lua", &found, &e) != 0);
	T_EQ_INT(e.code, CD_E_USAGE);
}

int main(void)
{
	setup();
	T_RUN(reads_inside);
	T_RUN(refuses_escapes);
	T_RUN(missing_and_caps);
	T_RUN(globs);
	T_RUN(glob_deep_tree);
	T_RUN(project_root);
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return T_DONE();
}
