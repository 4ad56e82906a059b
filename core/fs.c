#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "mem.h"

static int is_under(const char *root, const char *path)
{
	size_t n = strlen(root);
	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(root, path, n) == 0 && (path[n] == '/' || path[n] == 0);
}

static int has_dotdot(const char *rel)
{
	for (const char *p = rel; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		while (*p == '/')
			p++;
	}
	return 0;
}

static int check_rel(const char *op, const char *rel, struct cd_err *err)
{
	if (!rel || !*rel)
		return cd_err_set(err, CD_E_INVALID, op, "empty path");
	if (rel[0] == '/')
		return cd_err_set(err, CD_E_LIMIT, op,
				  "absolute path '%s' is outside the project "
				  "root (paths are relative to the root)",
				  rel);
	if (has_dotdot(rel))
		return cd_err_set(err, CD_E_LIMIT, op,
				  "path '%s' uses '..' to leave its directory; "
				  "recipes may only read inside the project "
				  "root",
				  rel);
	if (strlen(rel) >= PATH_MAX)
		return cd_err_set(err, CD_E_INVALID, op, "path too long");
	return 0;
}

static int outside(const char *rel, const char *real, struct cd_err *err)
{
	return cd_err_set(err, CD_E_LIMIT, "fs",
			  "'%s' resolves outside the project root (through a "
			  "symlink) to %s",
			  rel, real);
}

/* A path that does not exist: its longest existing prefix must still be
 * inside the root, or "not found" would answer questions about the world
 * outside (an existence oracle through an outward symlink). */
static int missing(const char *root, const char *rel, char *joined,
		   struct cd_err *err)
{
	char real[PATH_MAX];
	char *slash;
	while ((slash = strrchr(joined, '/')) && slash > joined) {
		*slash = '\0';
		if (!realpath(joined, real))
			continue;
		if (!is_under(root, real))
			return outside(rel, real, err);
		break;
	}
	return cd_err_set(err, CD_E_NOT_FOUND, "fs", "no such file: %s", rel);
}

int cd_fs_resolve(const char *root, const char *rel, char **out,
		  struct cd_err *err)
{
	char joined[PATH_MAX * 2], real[PATH_MAX];
	int rc = check_rel("fs", rel, err);
	if (rc)
		return rc;
	snprintf(joined, sizeof joined, "%s/%s", root, rel);
	if (!realpath(joined, real)) {
		if (errno == ENOENT || errno == ENOTDIR)
			return missing(root, rel, joined, err);
		return cd_err_set(err, CD_E_IO, "fs", "%s: %s", rel,
				  strerror(errno));
	}
	if (!is_under(root, real))
		return outside(rel, real, err);
	*out = cd_strdup(real);
	return *out ? 0 : cd_err_set(err, CD_E_NOMEM, "fs", "out of memory");
}

int cd_fs_read_path(const char *path, size_t max, char **data, size_t *len,
		    struct cd_err *err)
{
	struct cd_buf b = CD_BUF_INIT;
	char chunk[65536];
	int rc = -1;
	ssize_t n;

	b.max = max ? max : CD_FS_READ_MAX;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cd_err_set(err, errno == ENOENT ? CD_E_NOT_FOUND : CD_E_IO,
				  "fs.read", "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = cd_err_set(err, CD_E_INVALID, "fs.read",
				"%s is a directory", path);
		goto done;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cd_err_set(err, CD_E_IO, "fs.read", "%s: %s", path,
					strerror(errno));
			goto done;
		}
		if (cd_buf_append(&b, chunk, (size_t)n) != 0) {
			rc = cd_err_set(err, CD_E_INVALID, "fs.read",
					"%s is larger than the %zu byte limit",
					path, b.max);
			goto done;
		}
	}
	if (cd_buf_append(&b, "", 0) != 0) {
		rc = cd_err_set(err, CD_E_NOMEM, "fs.read", "out of memory");
		goto done;
	}
	*data = cd_buf_steal(&b, len);
	rc = 0;
done:
	close(fd);
	cd_buf_free(&b);
	return rc;
}

int cd_fs_read_project(const char *path, const char *shown, size_t max,
		       char **data, size_t *len, struct cd_err *err)
{
	struct stat st;
	/* A FIFO would block the open until a writer comes (forever, in a
	 * checked-out repository); a device could be endless. */
	if (stat(path, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ||
	     S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode)))
		return cd_err_set(err, CD_E_INVALID, "fs.read",
				  "%s is not a regular file (a FIFO, socket "
				  "or device)", shown);
	return cd_fs_read_path(path, max, data, len, err);
}

int cd_fs_read(const char *root, const char *rel, size_t max, char **data,
	       size_t *len, struct cd_err *err)
{
	char *abs = NULL;
	int rc = cd_fs_resolve(root, rel, &abs, err);
	if (rc == 0)
		rc = cd_fs_read_project(abs, rel, max, data, len, err);
	if (rc && err->code == CD_E_NOT_FOUND)
		cd_err_set(err, CD_E_NOT_FOUND, "fs.read", "no such file: %s",
			   rel);
	cd_free(abs);
	return rc;
}

int cd_fs_exists(const char *root, const char *rel, struct cd_err *err)
{
	char *abs = NULL;
	int rc = cd_fs_resolve(root, rel, &abs, err);
	cd_free(abs);
	if (rc == 0)
		return 1;
	if (err->code == CD_E_NOT_FOUND) {
		cd_err_clear(err);
		return 0;
	}
	return rc;
}

static int has_file(const char *dir, const char *name)
{
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/%s", dir[0] ? dir : "", name);
	return access(p, F_OK) == 0;
}

int cd_fs_project_root(const char *recipe, char **out, struct cd_err *err)
{
	char real[PATH_MAX], home[PATH_MAX];
	if (!realpath(recipe, real))
		return cd_err_set(err,
				  errno == ENOENT ? CD_E_USAGE : CD_E_IO,
				  "recipe", "cannot open recipe %s: %s", recipe,
				  strerror(errno));
	const char *h = getenv("HOME");
	if (!h || !*h || !realpath(h, home))
		home[0] = '\0';
	*strrchr(real, '/') = '\0';
	/* The recipe's directory, or the nearest parent holding cdhost.libs
	 * or .git, climbing no further than the home directory (for a recipe
	 * under it) or "/". A `.git` there is not followed from below: a home
	 * kept in git (dotfiles) would otherwise be the root of every recipe
	 * unpacked under it and open ~/.kube and ~/.docker to them. */
	size_t len = strlen(real);
	char walk[PATH_MAX];
	memcpy(walk, real, len + 1);
	for (int first = 1;; first = 0) {
		int ceiling = !walk[0] || (home[0] && strcmp(walk, home) == 0);
		if (has_file(walk, "cdhost.libs") ||
		    ((first || !ceiling) && has_file(walk, ".git"))) {
			memcpy(real, walk, strlen(walk) + 1);
			break;
		}
		char *slash = strrchr(walk, '/');
		if (!slash || ceiling)
			break;
		*slash = '\0';
	}
	*out = cd_strdup(real[0] ? real : "/");
	return *out ? 0 : cd_err_set(err, CD_E_NOMEM, "recipe", "out of memory");
}

/* ---- glob ---- */

static int list_add(struct cd_fs_list *l, const char *path)
{
	if (l->n >= CD_FS_GLOB_MAX)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **p = cd_realloc(l->paths, cap * sizeof *p);
		if (!p)
			return -1;
		l->paths = p;
		l->cap = cap;
	}
	if (!(l->paths[l->n] = cd_strdup(path)))
		return -1;
	l->n++;
	return 0;
}

void cd_fs_list_free(struct cd_fs_list *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		cd_free(l->paths[i]);
	if (l)
		cd_free(l->paths);
	if (l)
		memset(l, 0, sizeof *l);
}

struct glob_walk {
	const char *root;
	char **segs;
	size_t nseg;
	struct cd_fs_list *out;
	int overflow;
	int depth, too_deep; /* nested walks: bounds the C stack */
};

static int kind_of(const char *root, const char *rel, int *is_dir)
{
	char abs[PATH_MAX * 2], real[PATH_MAX];
	struct stat st;
	snprintf(abs, sizeof abs, "%s/%s", root, rel);
	if (!realpath(abs, real) || !is_under(root, real))
		return -1; /* dangling, or leaves the root: left out */
	if (stat(real, &st) != 0)
		return -1;
	*is_dir = S_ISDIR(st.st_mode);
	return 0;
}

static void walk(struct glob_walk *w, const char *rel, size_t seg);

static int is_symlink(const char *root, const char *rel)
{
	char abs[PATH_MAX * 2];
	struct stat st;
	snprintf(abs, sizeof abs, "%s/%s", root, rel);
	return lstat(abs, &st) == 0 && S_ISLNK(st.st_mode);
}

static void join(char *dst, size_t n, const char *rel, const char *name)
{
	if (*rel)
		snprintf(dst, n, "%s/%s", rel, name);
	else
		snprintf(dst, n, "%s", name);
}

static void match_entries(struct glob_walk *w, const char *rel, size_t seg,
			  int recurse_any)
{
	char dirpath[PATH_MAX * 2], child[PATH_MAX];
	snprintf(dirpath, sizeof dirpath, "%s/%s", w->root, rel);
	DIR *d = opendir(dirpath);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && !w->overflow) {
		if (e->d_name[0] == '.')
			continue; /* hidden files only match explicit names */
		join(child, sizeof child, rel, e->d_name);
		int is_dir;
		if (recurse_any) {
			/* "**" keeps matching, but never through a symlinked
			 * directory: a link cycle would never end. */
			if (!is_symlink(w->root, child) &&
			    kind_of(w->root, child, &is_dir) == 0 && is_dir)
				walk(w, child, seg);
			continue;
		}
		if (fnmatch(w->segs[seg], e->d_name, FNM_PERIOD) != 0)
			continue;
		if (kind_of(w->root, child, &is_dir) != 0)
			continue;
		if (seg + 1 == w->nseg) {
			if (!is_dir && list_add(w->out, child) != 0)
				w->overflow = 1;
		} else if (is_dir) {
			walk(w, child, seg + 1);
		}
	}
	closedir(d);
}

static int is_literal(const char *s)
{
	return strpbrk(s, "*?[\\") == NULL;
}

static void walk_level(struct glob_walk *w, const char *rel, size_t seg);

static void walk(struct glob_walk *w, const char *rel, size_t seg)
{
	if (seg == w->nseg || w->overflow || w->too_deep)
		return;
	/* Each level holds path buffers on the C stack: a tree hundreds of
	 * directories deep (a repository can hold one) would overflow it. */
	if (w->depth >= CD_FS_GLOB_MAX_DEPTH) {
		w->too_deep = 1;
		return;
	}
	w->depth++;
	walk_level(w, rel, seg);
	w->depth--;
}

static void walk_level(struct glob_walk *w, const char *rel, size_t seg)
{
	char child[PATH_MAX];
	int is_dir;

	if (strcmp(w->segs[seg], "**") == 0) {
		walk(w, rel, seg + 1);            /* zero directories */
		match_entries(w, rel, seg, 1);    /* one or more */
		return;
	}
	if (is_literal(w->segs[seg])) {
		join(child, sizeof child, rel, w->segs[seg]);
		if (kind_of(w->root, child, &is_dir) != 0)
			return;
		if (seg + 1 == w->nseg) {
			if (!is_dir && list_add(w->out, child) != 0)
				w->overflow = 1;
		} else if (is_dir) {
			walk(w, child, seg + 1);
		}
		return;
	}
	match_entries(w, rel, seg, 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dedupe(struct cd_fs_list *l)
{
	size_t j = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (j && strcmp(l->paths[j - 1], l->paths[i]) == 0) {
			cd_free(l->paths[i]);
			continue;
		}
		l->paths[j++] = l->paths[i];
	}
	l->n = j;
}

int cd_fs_glob(const char *root, const char *pattern, struct cd_fs_list *out,
	       struct cd_err *err)
{
	char *copy = NULL, *segs[256], *save = NULL;
	struct glob_walk w = {root, segs, 0, out, 0, 0, 0};
	int rc = check_rel("fs.glob", pattern, err);
	if (rc)
		return rc;
	if (!(copy = cd_strdup(pattern)))
		return cd_err_set(err, CD_E_NOMEM, "fs.glob", "out of memory");
	for (char *s = strtok_r(copy, "/", &save); s;
	     s = strtok_r(NULL, "/", &save)) {
		if (strcmp(s, ".") == 0)
			continue;
		/* "**" twice in a row means the same as once; keeping both
		 * would try every way of splitting the depth between them. */
		if (strcmp(s, "**") == 0 && w.nseg &&
		    strcmp(segs[w.nseg - 1], "**") == 0)
			continue;
		if (w.nseg == sizeof segs / sizeof *segs) {
			rc = cd_err_set(err, CD_E_INVALID, "fs.glob",
					"pattern has too many segments");
			goto done;
		}
		segs[w.nseg++] = s;
	}
	walk(&w, "", 0);
	if (w.too_deep) {
		rc = cd_err_set(err, CD_E_INVALID, "fs.glob",
				"pattern '%s' reaches directories more than "
				"%d levels deep",
				pattern, CD_FS_GLOB_MAX_DEPTH);
		cd_fs_list_free(out);
		goto done;
	}
	if (w.overflow) {
		rc = cd_err_set(err, CD_E_INVALID, "fs.glob",
				"pattern '%s' matches more than %d files",
				pattern, CD_FS_GLOB_MAX);
		cd_fs_list_free(out);
		goto done;
	}
	if (out->n) {
		qsort(out->paths, out->n, sizeof *out->paths, cmp_str);
		dedupe(out);
	}
	rc = 0;
done:
	cd_free(copy);
	return rc;
}

/* ---- directories ---- */

int cd_fs_mkdirs_mode(const char *dir, unsigned mode)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		int bad = mkdir(p, (mode_t)mode) != 0 && errno != EEXIST;
		*s = '/';
		if (bad)
			return -1;
	}
	return mkdir(p, (mode_t)mode) != 0 && errno != EEXIST ? -1 : 0;
}

int cd_fs_mkdirs(const char *dir)
{
	return cd_fs_mkdirs_mode(dir, 0700);
}

int cd_fs_write_all(int fd, const void *data, size_t n)
{
	const char *s = data;
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int cd_fs_cache_dir(const char *sub, char **out, struct cd_err *err)
{
	char dir[PATH_MAX];
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(dir, sizeof dir, "%s/cdhost/%s", xdg, sub);
	else if (home && *home)
		snprintf(dir, sizeof dir, "%s/.cache/cdhost/%s", home, sub);
	else
		return cd_err_set(err, CD_E_IO, "cache",
				  "no cache directory: set XDG_CACHE_HOME or "
				  "HOME");
	if (cd_fs_mkdirs(dir) != 0)
		return cd_err_set(err, CD_E_IO, "cache", "cannot create %s: %s",
				  dir, strerror(errno));
	*out = cd_strdup(dir);
	return *out ? 0 : cd_err_set(err, CD_E_NOMEM, "cache", "out of memory");
}
