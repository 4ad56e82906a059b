/* core/gitlibs.h — shared recipe libraries (SPEC section 8): cdhost.lock,
 * the vendored trees under .cdhost/libs/<name>/ and their tree hash.
 *
 * The declarations come from cdhost.libs, a Lua chunk the host evaluates
 * (lua/lib_cmd.c); this module never sees Lua. Writes to the project happen
 * only here and only from the `lib` commands: every library is exported to
 * a temporary directory and hashed first, then swapped in with rename(2);
 * cdhost.lock is written to a temporary file and renamed last. See
 * docs/libraries.md and docs/internals/git.md. */
#ifndef CD_GITLIBS_H
#define CD_GITLIBS_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "report.h"

#define CD_LIBS_DIR ".cdhost/libs"
#define CD_LIBS_LOCK "cdhost.lock"
#define CD_LIBS_HASH_HEX 65

struct cd_lib {
	char *name, *git, *ref, *path; /* path NULL: the whole repository */
	char *commit, *sha256;         /* lock only */
};

struct cd_libs {
	struct cd_lib *v;
	size_t n;
};

/* 1 when s is a library name (a dotted module prefix: letters, digits,
 * '_', '-', '.'; no leading, trailing or double '.'; 1 to 200 bytes), so
 * CD_LIBS_DIR/<name> stays inside CD_LIBS_DIR. */
int cd_libs_name_valid(const char *s);

void cd_libs_free(struct cd_libs *l);
/* Appends a copy of the strings (NULL fields stay NULL). */
int cd_libs_add(struct cd_libs *l, const struct cd_lib *lib);
const struct cd_lib *cd_libs_find(const struct cd_libs *l, const char *name);

/* Reads root/cdhost.lock; a missing file is an empty lock. CD_E_INVALID
 * for a malformed file, an invalid library name or an entry without git,
 * ref, commit and a 64-hex-digit sha256. */
int cd_libs_lock_read(const char *root, struct cd_libs *out,
		      struct cd_err *err);
/* Writes root/cdhost.lock atomically (temp file + rename), sorted by name. */
int cd_libs_lock_write(const char *root, const struct cd_libs *l,
		       struct cd_err *err);

/* The tree hash of a directory: sha256 over the bytewise-sorted lines
 * "<mode> <path>\0<sha256 hex of content>\n" of every regular file below
 * it; mode is "100755" if any execute bit is set, else "100644"; path is
 * relative with '/' separators. Symlinks or other special files are
 * refused (`hash_mismatch`). out: 64 lower-case hex digits. */
int cd_libs_tree_hash(const char *dir, char out[CD_LIBS_HASH_HEX],
		      struct cd_err *err);

/* Checks root/.cdhost/libs/<name> against its lock entry; `hash_mismatch`
 * naming the library when the entry is missing or the hash differs. */
int cd_libs_check(const char *root, const struct cd_libs *lock,
		  const char *name, struct cd_err *err);

/* lib sync (update = 0) or lib update (update = 1; only = one name or NULL
 * for all): makes the vendored trees and the lock match `decl`. Progress
 * goes to rep (phase "git"). dry_run: says what would change (refs are
 * resolved, a read), fetches and writes nothing. A failed sync leaves the
 * trees, the lock and the directories as they were. */
int cd_libs_sync(const char *root, const struct cd_libs *decl, int update,
		 int dry_run, const char *only, struct cd_report *rep,
		 struct cd_err *err);
/* lib verify: re-hashes every vendored library, one line each to rep. 0
 * when all match. */
int cd_libs_verify(const char *root, const struct cd_libs *decl,
		   struct cd_report *rep, struct cd_err *err);
/* lib list: name, ref, commit, path and state, one line each (stdout). */
int cd_libs_list(const char *root, const struct cd_libs *decl, FILE *out,
		 struct cd_err *err);

#endif
