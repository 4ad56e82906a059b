/* core/gitrev.c — what the project's own work tree says about HEAD, for
 * cdhost.tag.git (docs/images.md): commit, abbreviated commit, describe
 * --tags, tree, branch, and whether files differ from HEAD. Local only. */
#include <git2.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "git.h"

#define OP "tag.git"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static void lib_init(void) { git_libgit2_init(); }

static int lib_error(struct cd_err *err, const char *what)
{
	const git_error *e = git_error_last();
	return cd_err_set(err, CD_E_IO, OP, "%s: %s", what,
			  e && e->message ? e->message : "unknown libgit2 error");
}

/* `abs` relative to the work tree `wd`, '/'-separated; "" for the root. */
static int rel_to(const char *wd, const char *abs, char *out, size_t n,
		  struct cd_err *err)
{
	char real[PATH_MAX];
	size_t wl;
	if (!realpath(wd, real))
		return cd_err_set(err, CD_E_IO, OP, "cannot resolve %s", wd);
	wl = strlen(real);
	if (strncmp(abs, real, wl) != 0 || (abs[wl] != '/' && abs[wl] != '\0'))
		return cd_err_set(err, CD_E_INVALID, OP,
				  "%s is not inside the work tree %s", abs, real);
	snprintf(out, n, "%s", abs[wl] ? abs + wl + 1 : "");
	return 0;
}

/* 1 when something under `rel` ("" = everywhere) differs from HEAD. */
static int is_dirty(git_repository *repo, const char *rel, struct cd_err *err)
{
	git_status_options so;
	git_status_list *list = NULL;
	char *spec[] = {(char *)rel};
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
		   GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		   GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
	if (rel[0]) {
		so.pathspec.strings = spec;
		so.pathspec.count = 1;
	}
	if (git_status_list_new(&list, repo, &so) != 0)
		return lib_error(err, "cannot read the work tree's status");
	int dirty = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return dirty;
}

static int tree_id(git_commit *head, const char *rel, char *out, size_t n,
		   struct cd_err *err)
{
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	int rc = -1;
	if (git_commit_tree(&root, head) != 0) {
		lib_error(err, "cannot read HEAD's tree");
		goto done;
	}
	if (!rel[0]) {
		git_oid_tostr(out, n, git_tree_id(root));
		rc = 0;
	} else if (git_tree_entry_bypath(&e, root, rel) != 0) {
		cd_err_set(err, CD_E_NOT_FOUND, OP,
			   "path '%s' is not in HEAD (commit it first)", rel);
	} else {
		git_oid_tostr(out, n, git_tree_entry_id(e));
		rc = 0;
	}
done:
	git_tree_entry_free(e);
	git_tree_free(root);
	return rc;
}

static int describe_tags(git_commit *head, char *out, size_t n,
			 struct cd_err *err)
{
	git_describe_options o;
	git_describe_format_options f;
	git_describe_result *res = NULL;
	git_buf b = {0};
	int rc;
	git_describe_options_init(&o, GIT_DESCRIBE_OPTIONS_VERSION);
	git_describe_format_options_init(&f, GIT_DESCRIBE_FORMAT_OPTIONS_VERSION);
	o.describe_strategy = GIT_DESCRIBE_TAGS;
	o.show_commit_oid_as_fallback = 1; /* no tag: the abbreviated commit */
	rc = git_describe_commit(&res, (git_object *)head, &o);
	if (rc == 0)
		rc = git_describe_format(&b, res, &f);
	if (rc == 0)
		snprintf(out, n, "%s", b.ptr);
	else
		lib_error(err, "cannot describe HEAD");
	git_buf_dispose(&b);
	git_describe_result_free(res);
	return rc == 0 ? 0 : -1;
}

static int branch_name(git_repository *repo, git_commit *head, char *out,
		       size_t n, struct cd_err *err)
{
	git_reference *ref = NULL;
	char id[CD_GIT_OID_HEX];
	if (git_repository_head_detached(repo) == 1) {
		git_oid_tostr(id, sizeof id, git_commit_id(head));
		return cd_err_set(err, CD_E_INVALID, OP,
				  "HEAD is detached (at %.12s): variant=\"branch\" "
				  "needs a checked-out branch (use variant="
				  "\"abbrev\" or \"tags\" on detached checkouts)",
				  id);
	}
	if (git_repository_head(&ref, repo) != 0)
		return lib_error(err, "cannot read HEAD");
	snprintf(out, n, "%s", git_reference_shorthand(ref));
	git_reference_free(ref);
	return 0;
}

static int describe(git_repository *repo, git_commit *head,
		    enum cd_git_rev variant, const char *rel, char *out,
		    size_t n, struct cd_err *err)
{
	git_buf b = {0};
	switch (variant) {
	case CD_GIT_REV_COMMIT:
		git_oid_tostr(out, n, git_commit_id(head));
		return 0;
	case CD_GIT_REV_ABBREV:
		if (git_object_short_id(&b, (git_object *)head) != 0)
			return lib_error(err, "cannot abbreviate HEAD");
		snprintf(out, n, "%s", b.ptr);
		git_buf_dispose(&b);
		return 0;
	case CD_GIT_REV_TREE:
		return tree_id(head, rel, out, n, err);
	case CD_GIT_REV_BRANCH:
		return branch_name(repo, head, out, n, err);
	case CD_GIT_REV_TAGS:
		break;
	}
	return describe_tags(head, out, n, err);
}

int cd_git_describe(const char *start, enum cd_git_rev variant,
		    const char *path, int dirty, char *out, size_t n,
		    struct cd_err *err)
{
	git_repository *repo = NULL;
	git_object *obj = NULL;
	char rel[PATH_MAX] = "";
	int rc = -1, d = 0;
	pthread_once(&init_once, lib_init);
	out[0] = '\0';
	int orc = git_repository_open_ext(&repo, path ? path : start, 0, NULL);
	if (orc == GIT_ENOTFOUND) {
		cd_err_set(err, CD_E_NOT_FOUND, OP,
			   "%s is not in a git work tree (no .git here or in "
			   "any parent)",
			   path ? path : start);
		goto done;
	}
	if (orc != 0) {
		lib_error(err, "cannot open the git repository");
		goto done;
	}
	if (git_repository_is_bare(repo)) {
		cd_err_set(err, CD_E_INVALID, OP,
			   "%s is a bare repository (no work tree)",
			   git_repository_path(repo));
		goto done;
	}
	if (path && rel_to(git_repository_workdir(repo), path, rel, sizeof rel,
			   err) != 0)
		goto done;
	if (git_repository_head_unborn(repo) == 1) {
		cd_err_set(err, CD_E_NOT_FOUND, OP,
			   "the repository %s has no commits yet",
			   git_repository_workdir(repo));
		goto done;
	}
	if (git_revparse_single(&obj, repo, "HEAD^{commit}") != 0) {
		lib_error(err, "cannot read HEAD");
		goto done;
	}
	if (describe(repo, (git_commit *)obj, variant, rel, out, n, err) != 0)
		goto done;
	if (dirty && (d = is_dirty(repo, rel, err)) < 0)
		goto done;
	if (d && strlen(out) + 7 > n) {
		cd_err_set(err, CD_E_INVALID, OP, "tag too long");
		goto done;
	}
	if (d)
		strcat(out, "-dirty");
	rc = 0;
done:
	git_object_free(obj);
	git_repository_free(repo);
	return rc;
}
