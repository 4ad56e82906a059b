#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "fs.h"
#include "mem.h"
#include "report.h"
#include "tar.h"
#include "util.h"

#define OP "image.build"

static int nomem(struct cd_err *err)
{
	return cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
}

/* ---- ignore files ---- */

static int ignore_add(struct cd_ignore *ig, const char *p, size_t n)
{
	char **v = cd_realloc(ig->pats, (ig->n + 1) * sizeof *v);
	if (!v)
		return -1;
	ig->pats = v;
	v[ig->n] = cd_strndup(p, n);
	return v[ig->n++] ? 0 : -1;
}

int cd_ignore_parse(const char *text, struct cd_ignore *out, struct cd_err *err)
{
	char line[4096];
	memset(out, 0, sizeof *out);
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		snprintf(line, sizeof line, "%.*s", (int)n, text);
		text += n + (text[n] == '\n');
		char *s = line, *e = line + strlen(line);
		while (*s == ' ' || *s == '\t')
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		*e = '\0';
		if (!*s || *s == '#')
			continue;
		char neg = *s == '!';
		s += neg;
		while (*s == '/' || (s[0] == '.' && s[1] == '/'))
			s += *s == '/' ? 1 : 2;
		e = s + strlen(s);
		while (e > s && e[-1] == '/')
			*--e = '\0';
		if (!*s)
			continue;
		char buf[4100];
		snprintf(buf, sizeof buf, "%s%s", neg ? "!" : "", s);
		if (ignore_add(out, buf, strlen(buf)) != 0) {
			cd_ignore_free(out);
			return nomem(err);
		}
	}
	return 0;
}

void cd_ignore_free(struct cd_ignore *ig)
{
	for (size_t i = 0; ig && i < ig->n; i++)
		cd_free(ig->pats[i]);
	if (ig)
		cd_free(ig->pats);
	if (ig)
		memset(ig, 0, sizeof *ig);
}

/* Segment-wise match: pattern and path as '/'-separated segment lists;
 * "**" takes any number of segments. prefix: the pattern may match a
 * leading part of the path (a parent directory). */
static int match_segs(const char *pat, const char *path)
{
	const char *ps = strchr(pat, '/'), *xs = strchr(path, '/');
	size_t pl = ps ? (size_t)(ps - pat) : strlen(pat);
	char seg[1024], xseg[1024];
	snprintf(seg, sizeof seg, "%.*s", (int)pl, pat);
	if (strcmp(seg, "**") == 0) {
		if (!ps)
			return 1;
		for (const char *p = path;; p = xs + 1) {
			if (match_segs(ps + 1, p))
				return 1;
			xs = strchr(p, '/');
			if (!xs)
				return 0;
		}
	}
	size_t xl = xs ? (size_t)(xs - path) : strlen(path);
	snprintf(xseg, sizeof xseg, "%.*s", (int)xl, path);
	if (fnmatch(seg, xseg, 0) != 0)
		return 0;
	if (!ps)
		return 1; /* the rest of the path is inside what matched */
	return xs ? match_segs(ps + 1, xs + 1) : 0;
}

int cd_ignore_match(const struct cd_ignore *ig, const char *path)
{
	int ignored = 0;
	for (size_t i = 0; ig && i < ig->n; i++) {
		const char *p = ig->pats[i];
		int neg = *p == '!';
		if (match_segs(p + neg, path))
			ignored = !neg;
	}
	return ignored;
}

/* ---- scanning ---- */

static int entry_add(struct cd_layer *l, const char *name, int type,
		     unsigned mode)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct cd_layer_entry *e = cd_realloc(l->e, cap * sizeof *e);
		if (!e)
			return -1;
		l->e = e;
		l->cap = cap;
	}
	struct cd_layer_entry *e = &l->e[l->n];
	memset(e, 0, sizeof *e);
	e->name = cd_strdup(name);
	e->type = type;
	e->mode = mode;
	if (!e->name)
		return -1;
	l->n++;
	return 0;
}

/* The parents of dest ("app/x/y" -> "app/", "app/x/"). */
static int add_parents(struct cd_layer *l, const char *dest)
{
	char buf[4096];
	for (const char *p = strchr(dest, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(buf, sizeof buf, "%.*s/", (int)(p - dest), dest);
		if (entry_add(l, buf, CD_TAR_DIR, 0755) != 0)
			return -1;
	}
	return 0;
}

/* ---- the content-hash cache ----
 *
 * Hashing every file of a large context on each run is what an unchanged
 * re-run spends its time on. As git's index does, the digest of a file is
 * remembered with what stat() says of it (device, inode, size, mtime and
 * ctime in nanoseconds) in $XDG_CACHE_HOME/cdhost/filehash/index.json, and
 * reused while those are the same. A file changed within the last two
 * seconds is always hashed again (its times may not have moved yet: the
 * "racy" case). Losing the cache only costs time. */

struct hashcache {
	json_t *map; /* abs path -> "dev ino size mtime ctime digest" */
	char *path;
	int dirty, tried;
};

static struct hashcache hc;
/* Scans run on the Lua thread today; the lock keeps the cache whole if an
 * offloaded build (cdhost.parallel) ever scans too. */
static pthread_mutex_t hc_mu = PTHREAD_MUTEX_INITIALIZER;

static void stat_line(const struct stat *st, char *out, size_t n)
{
	snprintf(out, n, "%llu %llu %lld %lld.%09ld %lld.%09ld",
		 (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		 (long long)st->st_size, (long long)st->st_mtim.tv_sec,
		 st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
		 st->st_ctim.tv_nsec);
}

static void hc_load(void)
{
	struct cd_err err;
	char *dir = NULL;
	if (hc.tried)
		return;
	hc.tried = 1;
	if (cd_fs_cache_dir("filehash", &dir, &err) != 0)
		return;
	size_t n = strlen(dir) + 16;
	hc.path = cd_malloc(n);
	if (hc.path)
		snprintf(hc.path, n, "%s/index.json", dir);
	cd_free(dir);
	json_error_t je;
	hc.map = hc.path ? json_load_file(hc.path, 0, &je) : NULL;
	if (!json_is_object(hc.map)) {
		json_decref(hc.map);
		hc.map = json_object();
	}
}

/* 1 with out filled when the cache knows this file as it is now. */
static int hc_get(const char *abs, const struct stat *st, char *out)
{
	char line[256];
	hc_load();
	const char *v = json_string_value(json_object_get(hc.map, abs));
	if (!v)
		return 0;
	stat_line(st, line, sizeof line);
	size_t l = strlen(line);
	if (strncmp(v, line, l) != 0 || v[l] != ' ' || !cd_digest_valid(v + l + 1))
		return 0;
	snprintf(out, CD_DIGEST_MAX, "%s", v + l + 1);
	return 1;
}

static void hc_put(const char *abs, const struct stat *st, const char *digest)
{
	char line[512];
	struct timespec now;
	hc_load();
	if (!hc.map)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	double t = (double)now.tv_sec + now.tv_nsec / 1e9;
	double m = (double)st->st_mtim.tv_sec + st->st_mtim.tv_nsec / 1e9;
	double c = (double)st->st_ctim.tv_sec + st->st_ctim.tv_nsec / 1e9;
	if (t - m < 2.0 || t - c < 2.0)
		return; /* racy: may change again within its timestamp */
	stat_line(st, line, sizeof line);
	size_t l = strlen(line);
	snprintf(line + l, sizeof line - l, " %s", digest);
	json_object_set_new(hc.map, abs, json_string(line));
	hc.dirty = 1;
}

/* Writes the cache back (temp file + rename) when it changed. */
static void hc_save(void)
{
	if (!hc.dirty || !hc.path || !hc.map)
		return;
	size_t n = strlen(hc.path) + 32;
	char *tmp = cd_malloc(n);
	if (!tmp)
		return;
	char sfx[64];
	cd_tmp_suffix(sfx, sizeof sfx);
	snprintf(tmp, n, "%s%s", hc.path, sfx);
	if (json_dump_file(hc.map, tmp, JSON_COMPACT) == 0 && rename(tmp, hc.path) == 0)
		hc.dirty = 0;
	else
		unlink(tmp);
	cd_free(tmp);
}

struct scan {
	struct cd_layer *l;
	const struct cd_layer_spec *spec;
	const struct cd_ignore *ignore;
	struct cd_ignore exclude;
	const char *from_rel; /* normalized, "" for the root */
	struct cd_err *err;
};

static int add_file(struct scan *s, const char *abs, const char *name,
		    const struct stat *st)
{
	struct cd_layer *l = s->l;
	if (S_ISLNK(st->st_mode)) {
		char target[4096];
		ssize_t n = readlink(abs, target, sizeof target - 1);
		if (n < 0)
			return cd_err_set(s->err, CD_E_IO, OP,
					  "cannot read the link %s: %s", abs,
					  strerror(errno));
		target[n] = '\0';
		if (entry_add(l, name, CD_TAR_SYMLINK, 0777) != 0)
			return nomem(s->err);
		l->e[l->n - 1].link = cd_strdup(target);
		return l->e[l->n - 1].link ? 0 : nomem(s->err);
	}
	if (!S_ISREG(st->st_mode))
		return cd_err_set(s->err, CD_E_INVALID, OP,
				  "%s is not a regular file, directory or "
				  "symlink",
				  abs);
	unsigned mode = s->spec->mode >= 0 ? (unsigned)s->spec->mode
			: (st->st_mode & 0111) ? 0755 : 0644;
	if (entry_add(l, name, CD_TAR_FILE, mode) != 0)
		return nomem(s->err);
	struct cd_layer_entry *e = &l->e[l->n - 1];
	size_t size = 0;
	stat_line(st, e->seen, sizeof e->seen);
	e->src = cd_strdup(abs);
	if (!e->src)
		return nomem(s->err);
	pthread_mutex_lock(&hc_mu);
	int known = hc_get(abs, st, e->digest);
	pthread_mutex_unlock(&hc_mu);
	if (known) {
		e->size = (uint64_t)st->st_size;
		return 0;
	}
	if (cd_digest_file(abs, e->digest, &size, s->err) != 0) {
		struct cd_err *err = s->err;
		err->code = err->code == CD_E_NOT_FOUND ? CD_E_IO : err->code;
		snprintf(err->op, sizeof err->op, "%s", OP);
		return -1;
	}
	e->size = size;
	if (size == (size_t)st->st_size) {
		pthread_mutex_lock(&hc_mu);
		hc_put(abs, st, e->digest);
		pthread_mutex_unlock(&hc_mu);
	}
	return 0;
}

static int walk(struct scan *s, const char *abs, const char *sub,
		const char *dest)
{
	DIR *d = opendir(abs);
	int rc = -1;
	if (!d)
		return cd_err_set(s->err, CD_E_IO, OP, "cannot read %s: %s",
				  abs, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		char a[4096], sb[4096], ds[4096], rel[4096];
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(a, sizeof a, "%s/%s", abs, de->d_name);
		snprintf(sb, sizeof sb, "%s%s%s", sub, *sub ? "/" : "", de->d_name);
		snprintf(rel, sizeof rel, "%s%s%s", s->from_rel,
			 *s->from_rel ? "/" : "", sb);
		if (cd_ignore_match(s->ignore, rel) ||
		    cd_ignore_match(&s->exclude, sb))
			continue;
		if (lstat(a, &st) != 0) {
			cd_err_set(s->err, CD_E_IO, OP, "cannot stat %s: %s", a,
				   strerror(errno));
			goto done;
		}
		snprintf(ds, sizeof ds, "%s/%s", dest, de->d_name);
		if (S_ISDIR(st.st_mode)) {
			char dn[4100];
			snprintf(dn, sizeof dn, "%s/", ds);
			if (entry_add(s->l, dn, CD_TAR_DIR, 0755) != 0) {
				nomem(s->err);
				goto done;
			}
			if (walk(s, a, sb, ds) != 0)
				goto done;
		} else if (add_file(s, a, ds, &st) != 0) {
			goto done;
		}
	}
	rc = 0;
done:
	closedir(d);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct cd_layer_entry *)a)->name,
		      ((const struct cd_layer_entry *)b)->name);
}

static void entry_free(struct cd_layer_entry *e)
{
	cd_free(e->name);
	cd_free(e->src);
	cd_free(e->link);
}

/* Sorts and drops duplicate directories (parents listed twice). */
static int sort_unique(struct cd_layer *l, struct cd_err *err)
{
	size_t j = 0;
	if (l->n)
		qsort(l->e, l->n, sizeof *l->e, cmp_entry);
	for (size_t i = 0; i < l->n; i++) {
		if (j && strcmp(l->e[j - 1].name, l->e[i].name) == 0) {
			if (l->e[i].type != CD_TAR_DIR ||
			    l->e[j - 1].type != CD_TAR_DIR)
				return cd_err_set(err, CD_E_INVALID, OP,
						  "layer: /%s given twice",
						  l->e[i].name);
			entry_free(&l->e[i]);
			continue;
		}
		l->e[j++] = l->e[i];
	}
	l->n = j;
	return 0;
}

static int layer_key(struct cd_layer *l, uint64_t mtime, struct cd_err *err)
{
	struct cd_sha256 h;
	char line[64];
	if (cd_sha256_init(&h) != 0)
		return nomem(err);
	snprintf(line, sizeof line, "cdhost-layer-v2 gzip-%d/%d mtime-%llu\n",
		 CD_IMAGE_GZIP_LEVEL, CD_IMAGE_GZIP_BLOCK, (unsigned long long)mtime);
	cd_sha256_update(&h, line, strlen(line));
	for (size_t i = 0; i < l->n; i++) {
		const struct cd_layer_entry *e = &l->e[i];
		char meta[96];
		snprintf(meta, sizeof meta, "%c %o %llu ", e->type, e->mode,
			 (unsigned long long)e->size);
		cd_sha256_update(&h, e->name, strlen(e->name) + 1);
		cd_sha256_update(&h, meta, strlen(meta));
		cd_sha256_update(&h, e->link ? e->link : "", e->link ? strlen(e->link) + 1 : 1);
		cd_sha256_update(&h, e->digest, strlen(e->digest) + 1);
	}
	cd_sha256_final(&h, l->key);
	return 0;
}

/* "/app/x/" -> "app/x"; refuses relative paths and "..". */
static int norm_dest(const char *to, char *out, size_t n, struct cd_err *err)
{
	if (!to || to[0] != '/')
		return cd_err_set(err, CD_E_INVALID, OP,
				  "bad layer spec: `to` must be an absolute "
				  "path in the image, got \"%s\"",
				  to ? to : "nil");
	while (*to == '/')
		to++;
	snprintf(out, n, "%s", to);
	size_t len = strlen(out);
	while (len && out[len - 1] == '/')
		out[--len] = '\0';
	for (char *p = out; *p; p++)
		if (p[0] == '/' && p[1] == '/')
			return cd_err_set(err, CD_E_INVALID, OP,
					  "bad layer spec: empty component in "
					  "\"%s\"", to);
	char copy[4096];
	snprintf(copy, sizeof copy, "/%s/", out);
	if (strstr(copy, "/../") || strstr(copy, "/./"))
		return cd_err_set(err, CD_E_INVALID, OP,
				  "bad layer spec: \".\" or \"..\" in `to` "
				  "\"%s\"", to);
	return 0;
}

int cd_layer_scan(const char *root, const struct cd_layer_spec *spec,
		  const struct cd_ignore *ignore, uint64_t mtime,
		  struct cd_layer *layer, struct cd_err *err)
{
	struct scan s = {layer, spec, ignore, {0}, "", err};
	char dest[4096], from_rel[4096];
	char *abs = NULL;
	struct stat st;
	int rc = -1;
	memset(layer, 0, sizeof *layer);
	if (!spec->from || !*spec->from)
		return cd_err_set(err, CD_E_INVALID, OP,
				  "bad layer spec: `from` is missing");
	if (norm_dest(spec->to, dest, sizeof dest, err) != 0)
		return -1;
	for (size_t i = 0; i < spec->nexclude; i++)
		if (ignore_add(&s.exclude, spec->exclude[i],
			       strlen(spec->exclude[i])) != 0)
			goto oom;
	if (cd_fs_resolve(root, spec->from, &abs, err) != 0)
		goto done;
	snprintf(from_rel, sizeof from_rel, "%s", abs + strlen(root));
	s.from_rel = from_rel + (from_rel[0] == '/');
	if (lstat(abs, &st) != 0) {
		cd_err_set(err, errno == ENOENT ? CD_E_NOT_FOUND : CD_E_IO, OP,
			   "layer from %s: %s", spec->from, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		char dn[4100];
		if (add_parents(layer, dest) != 0)
			goto oom;
		snprintf(dn, sizeof dn, "%s/", dest);
		if (*dest && entry_add(layer, dn, CD_TAR_DIR, 0755) != 0)
			goto oom;
		if (walk(&s, abs, "", dest) != 0)
			goto done;
		/* entries of the root directory "" start with '/': drop it */
		if (!*dest)
			for (size_t i = 0; i < layer->n; i++)
				memmove(layer->e[i].name, layer->e[i].name + (layer->e[i].name[0] == '/'),
					strlen(layer->e[i].name));
	} else {
		if (!*dest || spec->to[strlen(spec->to) - 1] == '/') {
			const char *b = strrchr(abs, '/');
			size_t dl = strlen(dest);
			snprintf(dest + dl, sizeof dest - dl, "%s%s", dl ? "/" : "", b + 1);
		}
		if (add_parents(layer, dest) != 0 || add_file(&s, abs, dest, &st) != 0)
			goto done;
	}
	if (sort_unique(layer, err) != 0 || layer_key(layer, mtime, err) != 0)
		goto done;
	pthread_mutex_lock(&hc_mu);
	hc_save();
	pthread_mutex_unlock(&hc_mu);
	rc = 0;
	goto done;
oom:
	nomem(err);
done:
	if (rc != 0 && err->code == CD_E_LIMIT)
		cd_err_wrap(err, "layer from %s", spec->from);
	cd_ignore_free(&s.exclude);
	cd_free(abs);
	if (rc != 0)
		cd_layer_free(layer);
	return rc;
}

void cd_layer_free(struct cd_layer *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		entry_free(&l->e[i]);
	cd_free(l->e);
	cd_free(l->path);
	memset(l, 0, sizeof *l);
}

/* ---- tar -> sha256 -> gzip -> sha256 -> file ----
 *
 * Parallel and reproducible gzip (as pigz does it): the tar stream is cut
 * into CD_IMAGE_GZIP_BLOCK-byte blocks; each block is compressed on its own
 * as raw deflate (the last with Z_FINISH, the others ending on a sync
 * flush, so the pieces concatenate into one deflate stream) and the pieces
 * are written in order between a fixed gzip header and a trailer made of
 * the combined CRC-32 and the length. The bytes depend only on the input,
 * never on how many threads compressed them. */

#define GZIP_MAX_THREADS 16

struct block {
	unsigned char *in;
	size_t in_len;
	unsigned char *out;
	size_t out_len, out_cap;
	int last, failed;
	uLong crc;
};

struct sink {
	struct cd_sha256 diff, comp;
	int fd;
	int64_t size;
	unsigned threads;
	struct block b[GZIP_MAX_THREADS];
	unsigned nb;      /* blocks filled in this round */
	uLong crc;        /* of everything written so far */
	uint64_t total;   /* uncompressed bytes */
};

unsigned cd_image_gzip_threads(void)
{
	const char *v = getenv("CDHOST_GZIP_THREADS");
	long n = v && *v ? strtol(v, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > GZIP_MAX_THREADS ? GZIP_MAX_THREADS : (unsigned)n;
}

static void *compress_block(void *arg)
{
	struct block *b = arg;
	z_stream z;
	memset(&z, 0, sizeof z);
	b->failed = 1;
	b->crc = crc32(0L, b->in, (uInt)b->in_len);
	if (deflateInit2(&z, CD_IMAGE_GZIP_LEVEL, Z_DEFLATED, -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t need = deflateBound(&z, (uLong)b->in_len) + 64;
	if (need > b->out_cap) {
		unsigned char *o = cd_realloc(b->out, need);
		if (!o) {
			deflateEnd(&z);
			return NULL;
		}
		b->out = o;
		b->out_cap = need;
	}
	z.next_in = b->in;
	z.avail_in = (uInt)b->in_len;
	z.next_out = b->out;
	z.avail_out = (uInt)b->out_cap;
	int zr = deflate(&z, b->last ? Z_FINISH : Z_SYNC_FLUSH);
	if ((b->last && zr == Z_STREAM_END) || (!b->last && zr == Z_OK && z.avail_in == 0)) {
		b->out_len = b->out_cap - z.avail_out;
		b->failed = 0;
	}
	deflateEnd(&z);
	return NULL;
}

static int sink_out(struct sink *k, const void *p, size_t n, struct cd_err *err)
{
	cd_sha256_update(&k->comp, p, n);
	k->size += (int64_t)n;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(k->fd, (const char *)p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return cd_err_set(err, CD_E_IO, OP, "cannot write a layer: %s",
					  strerror(errno));
		off += (size_t)w;
	}
	return 0;
}

/* Compresses the filled blocks (in parallel when there are several) and
 * writes them in order. */
static int sink_round(struct sink *k, struct cd_err *err)
{
	pthread_t tid[GZIP_MAX_THREADS];
	int started[GZIP_MAX_THREADS] = {0};
	for (unsigned i = 1; i < k->nb; i++)
		started[i] = pthread_create(&tid[i], NULL, compress_block, &k->b[i]) == 0;
	compress_block(&k->b[0]);
	for (unsigned i = 1; i < k->nb; i++) {
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			compress_block(&k->b[i]); /* no thread: do it here */
	}
	for (unsigned i = 0; i < k->nb; i++) {
		struct block *b = &k->b[i];
		if (b->failed)
			return cd_err_set(err, CD_E_NOMEM, OP, "gzip failed");
		if (sink_out(k, b->out, b->out_len, err) != 0)
			return -1;
		k->crc = crc32_combine(k->crc, b->crc, (z_off_t)b->in_len);
		b->in_len = 0;
	}
	k->nb = 0;
	return 0;
}

static int sink_write(void *ud, const void *p, size_t n, struct cd_err *err)
{
	struct sink *k = ud;
	const unsigned char *c = p;
	cd_sha256_update(&k->diff, p, n);
	k->total += n;
	while (n > 0) {
		if (k->nb == 0 || k->b[k->nb - 1].in_len == CD_IMAGE_GZIP_BLOCK) {
			if (k->nb == k->threads && sink_round(k, err) != 0)
				return -1;
			struct block *b = &k->b[k->nb++];
			if (!b->in && !(b->in = cd_malloc(CD_IMAGE_GZIP_BLOCK)))
				return nomem(err);
			b->in_len = 0;
			b->last = 0;
		}
		struct block *b = &k->b[k->nb - 1];
		size_t take = CD_IMAGE_GZIP_BLOCK - b->in_len;
		if (take > n)
			take = n;
		memcpy(b->in + b->in_len, c, take);
		b->in_len += take;
		c += take;
		n -= take;
	}
	return 0;
}

static int sink_finish(struct sink *k, struct cd_err *err)
{
	if (k->nb == 0) { /* an empty stream still needs its final block */
		struct block *b = &k->b[k->nb++];
		b->in_len = 0;
	}
	k->b[k->nb - 1].last = 1;
	if (sink_round(k, err) != 0)
		return -1;
	unsigned char trailer[8];
	uint64_t len = k->total & 0xffffffffu;
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(k->crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(len >> (8 * i));
	}
	return sink_out(k, trailer, sizeof trailer, err);
}

static void sink_free(struct sink *k)
{
	for (unsigned i = 0; i < GZIP_MAX_THREADS; i++) {
		cd_free(k->b[i].in);
		cd_free(k->b[i].out);
	}
	cd_sha256_abort(&k->diff);
	cd_sha256_abort(&k->comp);
	cd_free(k);
}

/* 0 when the open file is the one the scan saw (device, inode, size,
 * mtime and ctime to the nanosecond): a rewrite of the same size since
 * then, or during the read, would put other bytes in the layer than its
 * input digest says. */
static int same_as_scanned(int fd, const struct cd_layer_entry *e,
			   struct cd_err *err)
{
	struct stat st;
	char now[sizeof e->seen];
	if (!e->seen[0])
		return 0;
	if (fstat(fd, &st) != 0)
		return cd_err_set(err, CD_E_IO, OP, "cannot stat %s: %s",
				  e->src, strerror(errno));
	stat_line(&st, now, sizeof now);
	if (strcmp(now, e->seen) != 0)
		return cd_err_set(err, CD_E_CONFLICT, OP,
				  "%s changed while the layer was written "
				  "(written to since it was read for the "
				  "image's inputs); build again once nothing "
				  "writes to it",
				  e->src);
	return 0;
}

static int tar_file(struct cd_tar *t, const struct cd_layer_entry *e,
		    struct cd_err *err)
{
	char buf[1 << 16];
	uint64_t left = e->size;
	int fd = open(e->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cd_err_set(err, CD_E_IO, OP, "cannot read %s: %s",
				  e->src, strerror(errno));
	if (same_as_scanned(fd, e, err) != 0) {
		close(fd);
		return -1;
	}
	while (left > 0) {
		ssize_t n = read(fd, buf, left < sizeof buf ? left : sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return cd_err_set(err, CD_E_CONFLICT, OP,
					  "%s changed while the layer was "
					  "written",
					  e->src);
		}
		if (cd_tar_data(t, buf, (size_t)n, err) != 0) {
			close(fd);
			return -1;
		}
		left -= (uint64_t)n;
	}
	int rc = same_as_scanned(fd, e, err); /* nothing wrote meanwhile */
	close(fd);
	return rc != 0 ? -1 : cd_tar_pad(t, err);
}

int cd_layer_write(struct cd_layer *l, uint64_t mtime, int fd,
		   struct cd_err *err)
{
	static const unsigned char header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	struct sink *k = cd_calloc(1, sizeof *k);
	struct cd_tar t = {sink_write, k, mtime, 0};
	int rc = -1;
	if (!k)
		return nomem(err);
	k->fd = fd;
	k->threads = cd_image_gzip_threads();
	k->crc = crc32(0L, Z_NULL, 0);
	if (cd_sha256_init(&k->diff) != 0 || cd_sha256_init(&k->comp) != 0) {
		nomem(err);
		goto done;
	}
	if (sink_out(k, header, sizeof header, err) != 0)
		goto done;
	for (size_t i = 0; i < l->n; i++) {
		const struct cd_layer_entry *e = &l->e[i];
		if (cd_tar_header(&t, e->name, e->type, e->mode,
				  e->type == CD_TAR_FILE ? e->size : 0, e->link,
				  err) != 0)
			goto done;
		if (e->type == CD_TAR_FILE && tar_file(&t, e, err) != 0)
			goto done;
	}
	if (cd_tar_finish(&t, err) != 0 || sink_finish(k, err) != 0)
		goto done;
	cd_sha256_final(&k->diff, l->diff_id);
	cd_sha256_final(&k->comp, l->digest);
	l->size = k->size;
	rc = 0;
done:
	sink_free(k);
	return rc;
}



/* The layer cache: layers/<key hex> = "diff_id digest size". */
static int cache_lookup(struct cd_layer *l, const char *cache,
			const char *store)
{
	char p[4200], line[256], diff[CD_DIGEST_MAX], dig[CD_DIGEST_MAX];
	long long size;
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", cache, l->key + 7);
	FILE *f = fopen(p, "re");
	if (!f)
		return 0;
	int got = fgets(line, sizeof line, f) &&
		  sscanf(line, "%79s %79s %lld", diff, dig, &size) == 3;
	fclose(f);
	if (!got || !cd_digest_valid(dig) || !cd_digest_valid(diff))
		return 0;
	snprintf(p, sizeof p, "%s/%s", store, dig + 7);
	if (stat(p, &st) != 0 || st.st_size != size)
		return 0;
	snprintf(l->diff_id, sizeof l->diff_id, "%s", diff);
	snprintf(l->digest, sizeof l->digest, "%s", dig);
	l->size = size;
	l->path = cd_strdup(p);
	l->cached = 1;
	return l->path != NULL;
}

static void cache_store(const struct cd_layer *l, const char *cache)
{
	char p[4200], tmp[4300], sfx[64];
	snprintf(p, sizeof p, "%s/%s", cache, l->key + 7);
	cd_tmp_suffix(sfx, sizeof sfx);
	snprintf(tmp, sizeof tmp, "%s%s", p, sfx);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%s %s %lld\n", l->diff_id, l->digest, (long long)l->size);
	if (fclose(f) != 0 || rename(tmp, p) != 0)
		unlink(tmp);
}

int cd_layer_build(struct cd_layer *l, uint64_t mtime, struct cd_err *err)
{
	char *store = NULL, *cache = NULL, tmp[4200] = "", dst[4200];
	int rc = -1, fd = -1;
	if (cd_fs_cache_dir("blobs/sha256", &store, err) != 0 ||
	    cd_fs_cache_dir("layers", &cache, err) != 0)
		goto done;
	if (cache_lookup(l, cache, store)) {
		rc = 0;
		goto done;
	}
	char sfx[64];
	cd_tmp_suffix(sfx, sizeof sfx);
	snprintf(tmp, sizeof tmp, "%s/layer%s", store, sfx);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		cd_err_set(err, CD_E_IO, OP, "cannot create %s: %s", tmp,
			   strerror(errno));
		goto done;
	}
	if (cd_layer_write(l, mtime, fd, err) != 0)
		goto done;
	if (close(fd) != 0) {
		fd = -1;
		cd_err_set(err, CD_E_IO, OP, "cannot write %s", tmp);
		goto done;
	}
	fd = -1;
	snprintf(dst, sizeof dst, "%s/%s", store, l->digest + 7);
	if (rename(tmp, dst) != 0) {
		cd_err_set(err, CD_E_IO, OP, "cannot store %s", dst);
		goto done;
	}
	l->path = cd_strdup(dst);
	if (!l->path) {
		nomem(err);
		goto done;
	}
	cache_store(l, cache);
	rc = 0;
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	} else if (rc != 0 && tmp[0]) {
		unlink(tmp);
	}
	cd_free(store);
	cd_free(cache);
	return rc;
}
