/* core/fs.h — file access confined to the project root (SPEC section 9).
 *
 * Paths are relative to the root; absolute paths, ".." components and
 * symlinks that lead outside the root are refused with CD_E_LIMIT (a
 * sandbox violation). A path inside the root that does not exist is
 * CD_E_NOT_FOUND. */
#ifndef CD_FS_H
#define CD_FS_H

#include <stddef.h>

#include "err.h"

/* Caps: a single file read, and the number of glob results. */
#define CD_FS_READ_MAX ((size_t)256 << 20)
#define CD_FS_GLOB_MAX 100000
/* Directory levels a glob descends (bounds the C stack it uses). */
#define CD_FS_GLOB_MAX_DEPTH 128

/* Finds the project root of a recipe: the recipe's directory or the nearest
 * parent holding `cdhost.libs` or `.git` (a `.git` of $HOME or of "/" only
 * when the recipe is directly in it). *out is an absolute, resolved path
 * (free with cd_free). */
int cd_fs_project_root(const char *recipe, char **out, struct cd_err *err);

/* Resolves `rel` under `root` (an absolute resolved path) to an absolute
 * path that is guaranteed to stay inside root. */
int cd_fs_resolve(const char *root, const char *rel, char **out,
		  struct cd_err *err);

/* Reads a whole file (at most `max` bytes, 0 = CD_FS_READ_MAX). */
int cd_fs_read(const char *root, const char *rel, size_t max, char **data,
	       size_t *len, struct cd_err *err);
/* Reads a file by absolute path, with the same cap (for the recipe itself). */
int cd_fs_read_path(const char *path, size_t max, char **data, size_t *len,
		    struct cd_err *err);
/* cd_fs_read_path for project content (recipe files, modules, manifests):
 * a FIFO, socket or device is `invalid` at once (a FIFO would block the
 * open until a writer comes); `shown` names it in the message. */
int cd_fs_read_project(const char *path, const char *shown, size_t max,
		       char **data, size_t *len, struct cd_err *err);

/* 1 if rel exists inside the root (0 if not); negative on a violation. */
int cd_fs_exists(const char *root, const char *rel, struct cd_err *err);

/* Glob relative to root: `*`, `?`, `[...]` within a segment, `**` for any
 * number of directories. Results are relative paths, sorted bytewise; files
 * whose resolved path leaves the root are left out. */
struct cd_fs_list {
	char **paths;
	size_t n, cap;
};
int cd_fs_glob(const char *root, const char *pattern, struct cd_fs_list *out,
	       struct cd_err *err);
void cd_fs_list_free(struct cd_fs_list *l);

/* Creates dir and any missing parents, mode 0700. 0, or -1 with errno. */
int cd_fs_mkdirs(const char *dir);
/* The same with another mode (the umask applies). */
int cd_fs_mkdirs_mode(const char *dir, unsigned mode);
/* Writes all n bytes to fd (retrying short writes and EINTR). 0, or -1
 * with errno. */
int cd_fs_write_all(int fd, const void *data, size_t n);
/* cdhost's cache directory `sub` ($XDG_CACHE_HOME/cdhost/SUB, else
 * ~/.cache/cdhost/SUB), created if missing. *out is owned (cd_free). The
 * cache is safe to delete and never holds secrets (DESIGN "State on disk"). */
int cd_fs_cache_dir(const char *sub, char **out, struct cd_err *err);

#endif
