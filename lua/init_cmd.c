/* `cdhost init [DIR]` (issue #8): writes a commented recipe using the
 * pipeline helper, its manifests, a page for its image and an empty
 * cdhost.libs — the files of stdlib/scaffold, embedded at build time. Every
 * target is checked before the first is written: an existing file (or
 * symlink, or directory) stops the command and nothing is written. With
 * --dry-run the same checks run and the files are only listed. */
#include "init_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/fs.h"
#include "stdlib_embed.h"

#define APP_MARK "@APP@"

void cd_init_app_name(const char *dir, char out[41])
{
	char real[PATH_MAX];
	size_t end, n = 0;
	if (realpath(dir, real)) /* "." and ".." name a real directory */
		dir = real;
	end = strlen(dir);
	while (end > 1 && dir[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && dir[start - 1] != '/')
		start--;
	for (size_t i = start; i < end && n < 40; i++) {
		char c = dir[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[n++] = c;
		else if (n > 0 && out[n - 1] != '-')
			out[n++] = '-';
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
	if (n == 0 || out[0] < 'a' || out[0] > 'z') { /* DNS-1035: a letter first */
		char tmp[41];
		snprintf(tmp, sizeof tmp, "app%s%s", n ? "-" : "", out);
		while (strlen(tmp) > 0 && tmp[strlen(tmp) - 1] == '-')
			tmp[strlen(tmp) - 1] = '\0';
		memcpy(out, tmp, strlen(tmp) + 1);
	}
}

static int target(char *out, size_t cap, const char *dir, const char *rel)
{
	if (strcmp(dir, ".") == 0)
		return snprintf(out, cap, "%s", rel) < (int)cap ? 0 : -1;
	return snprintf(out, cap, "%s%s%s", dir,
			dir[strlen(dir) - 1] == '/' ? "" : "/", rel) < (int)cap
		       ? 0
		       : -1;
}

/* Creates the parent directories of path (umask applies). */
static int make_parents(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	snprintf(dir, sizeof dir, "%s", path);
	if (!(slash = strrchr(dir, '/')) || slash == dir)
		return 0;
	*slash = '\0';
	return cd_fs_mkdirs_mode(dir, 0777);
}

/* Writes e's text to path (which must not exist) with @APP@ replaced. */
static int write_file(const char *path, const struct cd_embedded *e,
		      const char *app)
{
	const char *s = e->source, *end = e->source + e->len, *m;
	int fd, rc = 0;
	if (make_parents(path) != 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return -1;
	while (rc == 0 && (m = strstr(s, APP_MARK)) && m < end) {
		rc = cd_fs_write_all(fd, s, (size_t)(m - s));
		if (rc == 0)
			rc = cd_fs_write_all(fd, app, strlen(app));
		s = m + strlen(APP_MARK);
	}
	if (rc == 0)
		rc = cd_fs_write_all(fd, s, (size_t)(end - s));
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static void print_next(const char *dir, const char *app)
{
	int here = strcmp(dir, ".") == 0;
	printf("\nNext:\n");
	if (!here)
		printf("  cd %s\n", dir);
	printf("  cdhost check deploy.lua        # lint: render mode, offline\n"
	       "  cdhost --dry-run deploy.lua    # preview the manifests\n"
	       "  cdhost run deploy.lua --set registry=REGISTRY   # build, push, "
	       "apply, wait\n"
	       "Edit deploy.lua and k8s/ to make them %s's own (docs/pipeline.md, "
	       "docs/recipes.md).\n",
	       app);
}

int cd_init_cmd(struct cd_cli *cli)
{
	const char *dir = cli->nrest > 0 ? cli->rest[0] : ".";
	char path[PATH_MAX], app[41];
	struct stat st;
	int existing = 0;

	if (cli->nrest > 1) {
		fprintf(stderr, "cdhost: unexpected argument '%s': usage: cdhost "
				"init [DIR] [usage]\n",
			cli->rest[1]);
		return 2;
	}
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "cdhost: init: %s exists and is not a directory; "
				"nothing was written\n",
			dir);
		return 1;
	}
	for (const struct cd_embedded *e = cd_scaffold; e->module; e++) {
		if (target(path, sizeof path, dir, e->module) != 0) {
			fprintf(stderr, "cdhost: init: path too long: %s\n", dir);
			return 1;
		}
		if (lstat(path, &st) == 0) {
			fprintf(stderr, "cdhost: init: %s already exists\n", path);
			existing++;
		}
	}
	if (existing) {
		fprintf(stderr, "cdhost: init: nothing was written (%d file(s) "
				"would be overwritten; move them away or pick "
				"another directory)\n",
			existing);
		return 1;
	}
	cd_init_app_name(dir, app);
	for (const struct cd_embedded *e = cd_scaffold; e->module; e++) {
		target(path, sizeof path, dir, e->module);
		if (cli->dry_run) { /* the checks above, then the plan */
			printf("would create %s\n", path);
			continue;
		}
		if (write_file(path, e, app) != 0) {
			fprintf(stderr, "cdhost: init: cannot write %s: %s\n", path,
				strerror(errno));
			return 1;
		}
		printf("created %s\n", path);
	}
	if (cli->dry_run)
		printf("(--dry-run: nothing was written; application name "
		       "'%s')\n", app);
	else
		print_next(dir, app);
	return 0;
}
