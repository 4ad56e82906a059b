#include "gitlibs.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "git.h"
#include "mem.h"

/* ---- the list ---- */

static void lib_free(struct cd_lib *l)
{
	cd_free(l->name);
	cd_free(l->git);
	cd_free(l->ref);
	cd_free(l->path);
	cd_free(l->commit);
	cd_free(l->sha256);
}

void cd_libs_free(struct cd_libs *l)
{
	for (size_t i = 0; i < l->n; i++)
		lib_free(&l->v[i]);
	cd_free(l->v);
	l->v = NULL;
	l->n = 0;
}

static char *dup_or_null(const char *s, int *bad)
{
	char *d = s ? cd_strdup(s) : NULL;
	if (s && !d)
		*bad = 1;
	return d;
}

int cd_libs_add(struct cd_libs *l, const struct cd_lib *lib)
{
	struct cd_lib *v = cd_realloc(l->v, (l->n + 1) * sizeof *v), c;
	int bad = 0;
	if (!v)
		return -1;
	l->v = v;
	c.name = dup_or_null(lib->name, &bad);
	c.git = dup_or_null(lib->git, &bad);
	c.ref = dup_or_null(lib->ref, &bad);
	c.path = dup_or_null(lib->path, &bad);
	c.commit = dup_or_null(lib->commit, &bad);
	c.sha256 = dup_or_null(lib->sha256, &bad);
	if (bad) {
		lib_free(&c);
		return -1;
	}
	l->v[l->n++] = c;
	return 0;
}

const struct cd_lib *cd_libs_find(const struct cd_libs *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

int cd_libs_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || s[0] == '.' || s[n - 1] == '.' ||
	    strstr(s, ".."))
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("_.-", *s))
			return 0;
	return 1;
}

/* ---- the lock ---- */

static int hex64(const char *s)
{
	size_t n = 0;
	while (s[n] && strchr("0123456789abcdef", s[n]))
		n++;
	return n == 64 && s[n] == '\0';
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int cd_libs_lock_read(const char *root, struct cd_libs *out,
		      struct cd_err *err)
{
	char path[4200];
	json_error_t je;
	const char *name;
	json_t *e;
	snprintf(path, sizeof path, "%s/%s", root, CD_LIBS_LOCK);
	memset(out, 0, sizeof *out);
	if (access(path, F_OK) != 0)
		return 0;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		return cd_err_set(err, CD_E_INVALID, "lib",
				  "%s:%d: not valid JSON: %s", CD_LIBS_LOCK,
				  je.line, je.text);
	json_t *libs = json_object_get(j, "libs");
	if (json_integer_value(json_object_get(j, "version")) != 1 ||
	    !json_is_object(libs)) {
		json_decref(j);
		return cd_err_set(err, CD_E_INVALID, "lib",
				  "%s: expected {\"version\":1,\"libs\":{...}}",
				  CD_LIBS_LOCK);
	}
	json_object_foreach(libs, name, e) {
		struct cd_lib l = {(char *)name, (char *)jstr(e, "git"),
				   (char *)jstr(e, "ref"), (char *)jstr(e, "path"),
				   (char *)jstr(e, "commit"),
				   (char *)jstr(e, "sha256")};
		if (!cd_libs_name_valid(name) || !l.git || !l.ref ||
		    !l.commit || !l.sha256 || !hex64(l.sha256)) {
			cd_err_set(err, CD_E_INVALID, "lib",
				   "%s: entry '%s' needs a valid library name, "
				   "git, ref, commit and a 64-hex sha256",
				   CD_LIBS_LOCK, name);
			json_decref(j);
			cd_libs_free(out);
			return -(int)CD_E_INVALID;
		}
		if (cd_libs_add(out, &l) != 0) {
			json_decref(j);
			cd_libs_free(out);
			return cd_err_set(err, CD_E_NOMEM, "lib", "out of memory");
		}
	}
	json_decref(j);
	return 0;
}

int cd_libs_lock_write(const char *root, const struct cd_libs *l,
		       struct cd_err *err)
{
	char path[4200], tmp[4300];
	json_t *libs = json_object(), *j = json_pack("{s:i}", "version", 1);
	for (size_t i = 0; i < l->n; i++) {
		const struct cd_lib *x = &l->v[i];
		json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "git", x->git, "ref",
				      x->ref, "commit", x->commit, "sha256",
				      x->sha256);
		if (x->path)
			json_object_set_new(e, "path", json_string(x->path));
		json_object_set_new(libs, x->name, e);
	}
	json_object_set_new(j, "libs", libs);
	snprintf(path, sizeof path, "%s/%s", root, CD_LIBS_LOCK);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	int rc = json_dump_file(j, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	FILE *f = rc == 0 ? fopen(tmp, "ae") : NULL;
	if (f) {
		fputc('\n', f);
		rc = fflush(f) | fsync(fileno(f));
		rc |= fclose(f);
	}
	if (!f || rc != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return cd_err_set(err, CD_E_IO, "lib", "cannot write %s: %s",
				  path, strerror(errno));
	}
	return 0;
}

/* ---- the tree hash ---- */

struct lines {
	char **v;
	size_t *len;
	size_t n, cap;
};

static int lines_add(struct lines *l, const char *mode, const char *rel,
		     const char *hex)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = cd_realloc(l->v, cap * sizeof *v);
		if (v)
			l->v = v;
		size_t *len = v ? cd_realloc(l->len, cap * sizeof *len) : NULL;
		if (!v || !len)
			return -1;
		l->len = len;
		l->cap = cap;
	}
	size_t rl = strlen(rel), n = 7 + rl + 1 + 64 + 1;
	char *s = cd_malloc(n);
	if (!s)
		return -1;
	memcpy(s, mode, 6);
	s[6] = ' ';
	memcpy(s + 7, rel, rl);
	s[7 + rl] = '\0';
	memcpy(s + 8 + rl, hex, 64);
	s[n - 1] = '\n';
	l->len[l->n] = n;
	l->v[l->n++] = s;
	return 0;
}

static int walk(const char *dir, const char *rel, struct lines *l,
		struct cd_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;
	if (!d)
		return cd_err_set(err, CD_E_HASH_MISMATCH, "lib",
				  "cannot read %s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		char path[4096], sub[4096], digest[CD_DIGEST_MAX];
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "",
			 de->d_name);
		if (lstat(path, &st) != 0)
			rc = cd_err_set(err, CD_E_IO, "lib", "cannot stat %s", path);
		else if (S_ISDIR(st.st_mode))
			rc = walk(path, sub, l, err);
		else if (!S_ISREG(st.st_mode))
			rc = cd_err_set(err, CD_E_HASH_MISMATCH, "lib",
					"%s is not a regular file (symlinks are "
					"not allowed in vendored libraries)",
					sub);
		else if (cd_digest_file(path, digest, NULL, err) != 0)
			rc = -1;
		else if (lines_add(l, st.st_mode & 0111 ? "100755" : "100644",
				   sub, digest + 7) != 0)
			rc = cd_err_set(err, CD_E_NOMEM, "lib", "out of memory");
	}
	closedir(d);
	return rc;
}

static struct lines *sort_ctx;
static int cmp_line(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	size_t n = sort_ctx->len[i] < sort_ctx->len[j] ? sort_ctx->len[i]
						       : sort_ctx->len[j];
	int c = memcmp(sort_ctx->v[i], sort_ctx->v[j], n);
	return c ? c : (sort_ctx->len[i] > sort_ctx->len[j]) -
			       (sort_ctx->len[i] < sort_ctx->len[j]);
}

int cd_libs_tree_hash(const char *dir, char out[CD_LIBS_HASH_HEX],
		      struct cd_err *err)
{
	struct lines l = {0};
	struct cd_sha256 s = {0};
	size_t *idx = NULL;
	int rc = walk(dir, "", &l, err);
	if (rc == 0 && l.n && !(idx = cd_malloc(l.n * sizeof *idx)))
		rc = cd_err_set(err, CD_E_NOMEM, "lib", "out of memory");
	if (rc == 0 && cd_sha256_init(&s) != 0)
		rc = cd_err_set(err, CD_E_NOMEM, "lib", "out of memory");
	if (rc == 0) {
		char d[CD_DIGEST_MAX];
		for (size_t i = 0; i < l.n; i++)
			idx[i] = i;
		sort_ctx = &l; /* single-threaded: the lib command, require */
		if (l.n)
			qsort(idx, l.n, sizeof *idx, cmp_line);
		for (size_t i = 0; i < l.n; i++)
			cd_sha256_update(&s, l.v[idx[i]], l.len[idx[i]]);
		cd_sha256_final(&s, d);
		memcpy(out, d + 7, 65);
	}
	for (size_t i = 0; i < l.n; i++)
		cd_free(l.v[i]);
	cd_free(l.v);
	cd_free(l.len);
	cd_free(idx);
	return rc;
}

int cd_libs_check(const char *root, const struct cd_libs *lock,
		  const char *name, struct cd_err *err)
{
	char dir[4200], hash[CD_LIBS_HASH_HEX];
	const struct cd_lib *e = cd_libs_find(lock, name);
	struct stat st;
	if (!e)
		return cd_err_set(err, CD_E_HASH_MISMATCH, "require",
				  "library '%s' has no entry in %s (run "
				  "'cdhost lib sync')",
				  name, CD_LIBS_LOCK);
	snprintf(dir, sizeof dir, "%s/%s/%s", root, CD_LIBS_DIR, name);
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return cd_err_set(err, CD_E_HASH_MISMATCH, "require",
				  "library '%s' is not vendored under %s/%s "
				  "(run 'cdhost lib sync')",
				  name, CD_LIBS_DIR, name);
	if (cd_libs_tree_hash(dir, hash, err) != 0) {
		err->code = CD_E_HASH_MISMATCH;
		return cd_err_wrap(err, "library '%s'", name);
	}
	if (strcmp(hash, e->sha256) != 0)
		return cd_err_set(err, CD_E_HASH_MISMATCH, "require",
				  "library '%s': the files under %s/%s hash to "
				  "%.12s…, %s says %.12s… (edited or "
				  "tampered; 'cdhost lib sync' restores it)",
				  name, CD_LIBS_DIR, name, hash, CD_LIBS_LOCK,
				  e->sha256);
	return 0;
}

/* ---- sync ---- */

static int rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char sub[4096];
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		rc |= rm_rf(sub);
	}
	closedir(d);
	return rc | rmdir(path);
}

/* Creates root/.cdhost and root/.cdhost/libs; *made gets a bit for each
 * one this call created (1: .cdhost, 2: libs), for unmake_dirs. */
static int mkdirs(const char *root, int *made, struct cd_err *err)
{
	static const char *const dirs[] = {".cdhost", CD_LIBS_DIR};
	char p[4200];
	*made = 0;
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/%s", root, dirs[i]);
		if (mkdir(p, 0755) == 0)
			*made |= 1 << i;
		else if (errno != EEXIST)
			return cd_err_set(err, CD_E_IO, "lib", "cannot create %s: %s",
					  p, strerror(errno));
	}
	return 0;
}

/* A failed sync leaves no directories it made behind (rmdir: only empty
 * ones go). */
static void unmake_dirs(const char *root, int made)
{
	char p[4200];
	if (made & 2) {
		snprintf(p, sizeof p, "%s/%s", root, CD_LIBS_DIR);
		rmdir(p);
	}
	if (made & 1) {
		snprintf(p, sizeof p, "%s/.cdhost", root);
		rmdir(p);
	}
}

static int same_source(const struct cd_lib *a, const struct cd_lib *b)
{
	return strcmp(a->git, b->git) == 0 && strcmp(a->ref, b->ref) == 0 &&
	       ((!a->path && !b->path) ||
		(a->path && b->path && strcmp(a->path, b->path) == 0));
}

/* The URL libgit2 is given: a relative local path (no scheme, not
 * scp-like user@host:path) is relative to the project root. */
static const char *source_url(const char *root, const char *git, char *buf,
			      size_t n)
{
	const char *colon = strchr(git, ':'), *slash = strchr(git, '/');
	if (git[0] == '/' || strstr(git, "://") || (colon && (!slash || colon < slash)))
		return git;
	snprintf(buf, n, "%s/%s", root, git);
	return buf;
}

/* One library's move in the swap: the staged tree (tmp, "" when the
 * library is only removed) goes to dir, the tree that was there to old. */
struct staged {
	char tmp[4300], dir[4300], old[4300];
	int moved_old, moved_new;
};

static void staged_paths(struct staged *st, const char *root, const char *name)
{
	snprintf(st->dir, sizeof st->dir, "%s/%s/%s", root, CD_LIBS_DIR, name);
	snprintf(st->tmp, sizeof st->tmp, "%s/%s/.tmp-%s.%ld", root,
		 CD_LIBS_DIR, name, (long)getpid());
	snprintf(st->old, sizeof st->old, "%s/%s/.old-%s.%ld", root,
		 CD_LIBS_DIR, name, (long)getpid());
}

static int stage(const char *root, struct cd_lib *want, int resolve,
		 struct staged *st, struct cd_report *rep, struct cd_err *err)
{
	char commit[CD_GIT_OID_HEX], hash[CD_LIBS_HASH_HEX], ubuf[4300];
	const char *url = source_url(root, want->git, ubuf, sizeof ubuf);
	staged_paths(st, root, want->name);
	rm_rf(st->tmp);
	if (resolve) {
		if (cd_git_resolve(url, want->ref, NULL, commit, err) != 0)
			return cd_err_wrap(err, "library '%s'", want->name);
		cd_free(want->commit);
		if (!(want->commit = cd_strdup(commit)))
			return cd_err_set(err, CD_E_NOMEM, "lib", "out of memory");
	}
	if (cd_git_export(url, want->commit, want->path, NULL, st->tmp,
			  err) != 0 ||
	    cd_libs_tree_hash(st->tmp, hash, err) != 0) {
		rm_rf(st->tmp);
		st->tmp[0] = '\0';
		return cd_err_wrap(err, "library '%s'", want->name);
	}
	if (!resolve && strcmp(hash, want->sha256) != 0) {
		rm_rf(st->tmp);
		st->tmp[0] = '\0';
		return cd_err_set(err, CD_E_HASH_MISMATCH, "lib",
				  "library '%s': commit %.12s hashes to "
				  "%.12s…, but %s says %.12s…",
				  want->name, want->commit, hash, CD_LIBS_LOCK,
				  want->sha256);
	}
	cd_free(want->sha256);
	if (!(want->sha256 = cd_strdup(hash)))
		return cd_err_set(err, CD_E_NOMEM, "lib", "out of memory");
	cd_report_log(rep, CD_LOG_INFO, "git", "lib: %s %s -> %.12s (%s)",
		      want->name, want->ref, want->commit,
		      resolve ? "resolved" : "installed from the lock");
	return 0;
}

/* Moves the old tree (if any) aside and the staged one in. */
static int swap_in(struct staged *st, struct cd_err *err)
{
	rm_rf(st->old);
	if (access(st->dir, F_OK) == 0) {
		if (rename(st->dir, st->old) != 0)
			return cd_err_set(err, CD_E_IO, "lib", "cannot move %s: %s",
					  st->dir, strerror(errno));
		st->moved_old = 1;
	}
	if (st->tmp[0]) {
		if (rename(st->tmp, st->dir) != 0)
			return cd_err_set(err, CD_E_IO, "lib", "cannot move %s: %s",
					  st->tmp, strerror(errno));
		st->moved_new = 1;
	}
	return 0;
}

/* Undoes swap_in: the staged tree back to tmp, the old one back in. */
static void swap_back(struct staged *st)
{
	if (st->moved_new && rename(st->dir, st->tmp) == 0)
		st->moved_new = 0;
	if (st->moved_old && !st->moved_new && rename(st->old, st->dir) == 0)
		st->moved_old = 0;
}

/* Every staged library in, removed ones aside, then the lock; any failure
 * moves everything back, so the tree and the lock stay as they were. Only
 * then are the old trees deleted. */
static int commit_swap(const char *root, struct staged *st, size_t n,
		       const struct cd_libs *next, struct cd_err *err)
{
	size_t i = 0;
	int rc = 0;
	for (; i < n && rc == 0; i++)
		if (st[i].dir[0])
			rc = swap_in(&st[i], err);
	if (rc == 0)
		rc = cd_libs_lock_write(root, next, err);
	if (rc != 0) {
		while (i-- > 0)
			swap_back(&st[i]);
		return rc;
	}
	for (i = 0; i < n; i++)
		if (st[i].moved_old)
			rm_rf(st[i].old);
	return 0;
}

/* --dry-run: what stage() would do to one library, said; refs are
 * resolved (a read), nothing is fetched or written. */
static int plan(const char *root, const struct cd_lib *want, int resolve,
		struct cd_report *rep, struct cd_err *err)
{
	char commit[CD_GIT_OID_HEX], ubuf[4300];
	if (!resolve) {
		cd_report_log(rep, CD_LOG_INFO, "git",
			      "lib: %s %s -> %.12s (would be installed from the "
			      "lock; --dry-run)",
			      want->name, want->ref, want->commit);
		return 0;
	}
	if (cd_git_resolve(source_url(root, want->git, ubuf, sizeof ubuf),
			   want->ref, NULL, commit, err) != 0)
		return cd_err_wrap(err, "library '%s'", want->name);
	cd_report_log(rep, CD_LOG_INFO, "git",
		      "lib: %s %s -> %.12s (would be resolved and installed; "
		      "--dry-run)",
		      want->name, want->ref, commit);
	return 0;
}

int cd_libs_sync(const char *root, const struct cd_libs *decl, int update,
		 int dry_run, const char *only, struct cd_report *rep,
		 struct cd_err *err)
{
	struct cd_libs lock = {0}, next = {0};
	struct staged *st = NULL;
	size_t n = decl->n;
	int rc = -1, made = 0;
	if (only && !cd_libs_find(decl, only))
		return cd_err_set(err, CD_E_NOT_FOUND, "lib",
				  "no library '%s' in cdhost.libs", only);
	if (cd_libs_lock_read(root, &lock, err) != 0 ||
	    (!dry_run && mkdirs(root, &made, err) != 0))
		goto done;
	if (!(st = cd_calloc(decl->n + lock.n + 1, sizeof *st))) {
		cd_err_set(err, CD_E_NOMEM, "lib", "out of memory");
		goto done;
	}
	for (size_t i = 0; i < decl->n; i++) {
		const struct cd_lib *d = &decl->v[i], *e = cd_libs_find(&lock, d->name);
		int refresh = update && (!only || strcmp(only, d->name) == 0);
		int resolve = !e || !same_source(d, e) || refresh;
		struct cd_lib want = *d;
		want.commit = resolve ? NULL : e->commit;
		want.sha256 = resolve ? NULL : e->sha256;
		if (cd_libs_add(&next, &want) != 0) {
			cd_err_set(err, CD_E_NOMEM, "lib", "out of memory");
			goto done;
		}
		struct cd_lib *w = &next.v[next.n - 1];
		if (!resolve) {
			struct cd_err ignored;
			if (cd_libs_check(root, &lock, d->name, &ignored) == 0) {
				cd_report_log(rep, CD_LOG_INFO, "git",
					      "lib: %s %s at %.12s: up to date",
					      d->name, d->ref, e->commit);
				continue;
			}
		}
		if (dry_run ? plan(root, w, resolve, rep, err) != 0
			    : stage(root, w, resolve, &st[i], rep, err) != 0)
			goto done;
	}
	for (size_t i = 0; i < lock.n; i++)
		if (!cd_libs_find(decl, lock.v[i].name)) {
			staged_paths(&st[n], root, lock.v[i].name);
			st[n++].tmp[0] = '\0'; /* only moved aside */
		}
	if (!dry_run && (rc = commit_swap(root, st, n, &next, err)) != 0)
		goto done;
	rc = 0;
	for (size_t i = decl->n; i < n; i++)
		cd_report_log(rep, CD_LOG_INFO, "git",
			      "lib: %s %s (no longer in cdhost.libs)",
			      strrchr(st[i].dir, '/') + 1,
			      dry_run ? "would be removed" : "removed");
	if (dry_run)
		cd_report_log(rep, CD_LOG_INFO, "git",
			      "lib: --dry-run: nothing fetched or written");
done:
	for (size_t i = 0; st && i < decl->n; i++)
		if (st[i].tmp[0] && rc != 0)
			rm_rf(st[i].tmp);
	if (rc != 0)
		unmake_dirs(root, made);
	cd_free(st);
	cd_libs_free(&lock);
	cd_libs_free(&next);
	return rc;
}

int cd_libs_verify(const char *root, const struct cd_libs *decl,
		   struct cd_report *rep, struct cd_err *err)
{
	struct cd_libs lock = {0};
	int bad = 0;
	struct cd_err first = {0};
	if (cd_libs_lock_read(root, &lock, err) != 0)
		return -1;
	for (size_t i = 0; i < decl->n; i++) {
		const struct cd_lib *d = &decl->v[i], *e = cd_libs_find(&lock, d->name);
		struct cd_err one;
		if (e && !same_source(d, e))
			cd_err_set(&one, CD_E_HASH_MISMATCH, "lib",
				   "library '%s': cdhost.libs changed since "
				   "cdhost.lock was written (run 'cdhost lib "
				   "sync')",
				   d->name);
		else if (cd_libs_check(root, &lock, d->name, &one) == 0) {
			cd_report_log(rep, CD_LOG_INFO, "git", "lib: %s ok (%.12s)",
				      d->name, e->commit);
			continue;
		}
		cd_report_log(rep, CD_LOG_ERROR, "git", "lib: %s [%s]", one.msg,
			      cd_code_name(one.code));
		if (!bad++)
			first = one;
	}
	cd_libs_free(&lock);
	if (bad) {
		*err = first;
		return -(int)first.code;
	}
	return 0;
}

int cd_libs_list(const char *root, const struct cd_libs *decl, FILE *out,
		 struct cd_err *err)
{
	struct cd_libs lock = {0};
	if (cd_libs_lock_read(root, &lock, err) != 0)
		return -1;
	for (size_t i = 0; i < decl->n; i++) {
		const struct cd_lib *d = &decl->v[i], *e = cd_libs_find(&lock, d->name);
		struct cd_err one;
		const char *state = !e ? "not locked"
				    : !same_source(d, e) ? "changed in cdhost.libs"
				    : cd_libs_check(root, &lock, d->name, &one) == 0
					    ? "ok"
					    : "modified or missing";
		fprintf(out, "%s\t%s\t%.12s\t%s\t%s\t%s\n", d->name, d->ref,
			e ? e->commit : "-", d->path ? d->path : ".", d->git,
			state);
	}
	cd_libs_free(&lock);
	return 0;
}
