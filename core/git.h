/* core/git.h — git over libgit2: GitOps commits and library vendoring.
 *
 * No `git` subprocess: libgit2 does the transports (local path, file://,
 * git://, smart HTTP(S) with basic credentials, SSH with a key file or an
 * agent and a checked host key). Every remote is mirrored into a bare
 * repository in the cache ($XDG_CACHE_HOME/cdhost/git/<sha256(url)[:16]>.git)
 * and trees are built in memory, so there is no work tree that could hold
 * junk. Never force-pushes. Secrets (passwords, keys) are never put in
 * messages. See docs/internals/git.md. */
#ifndef CD_GIT_H
#define CD_GIT_H

#include <stddef.h>

#include "err.h"

#define CD_GIT_OID_HEX 41
#define CD_GIT_MAX_RETRIES 5

struct cd_git_auth {
	const char *username, *password; /* HTTP basic (borrowed; may be NULL) */
	const char *credentials_file;    /* git-credential-store format; NULL:
					    $CDHOST_GIT_CREDENTIALS, else none */
	const char *ssh_key;             /* private key file; NULL:
					    $CDHOST_GIT_SSH_KEY, else the agent */
	const char *ssh_passphrase;
	const char *known_hosts;         /* NULL: $CDHOST_KNOWN_HOSTS, else
					    ~/.ssh/known_hosts */
	const char *host_key;            /* pinned "TYPE BASE64" (overrides
					    known_hosts) */
};

struct cd_git_file {
	const char *path; /* relative to the commit's `path`, '/'-separated */
	const char *data;
	size_t len;
};

struct cd_git_commit_opts {
	const char *repo;    /* URL or local path */
	const char *branch;
	const char *base;    /* branch to start `branch` from; NULL: none */
	const char *path;    /* directory in the repository; "" = the root */
	const char *message;
	const char *author;  /* "Name <email>"; NULL: cdhost <cdhost@localhost> */
	const struct cd_git_file *files;
	size_t nfiles;
	int push;
	int max_retries;     /* 0: CD_GIT_MAX_RETRIES */
	struct cd_git_auth auth;
};

struct cd_git_commit_result {
	char commit[CD_GIT_OID_HEX]; /* the branch tip after the call */
	int changed;                 /* a new commit was made */
	int pushed;
	unsigned attempts;           /* pushes tried */
};

/* Validates a file path for a commit (relative, no "..", no ".git", no
 * empty segments). 0 or an `invalid` error. */
int cd_git_check_path(const char *path, int allow_empty, struct cd_err *err);

/* Commit `files` as the whole contents of `path` on `branch` and push. */
int cd_git_commit(const struct cd_git_commit_opts *o,
		  struct cd_git_commit_result *res, struct cd_err *err);

/* Resolves `ref` (a tag, a branch or a full commit id) of the remote to a
 * commit id, fetching into the cache. */
int cd_git_resolve(const char *url, const char *ref,
		   const struct cd_git_auth *auth, char out[CD_GIT_OID_HEX],
		   struct cd_err *err);

/* Writes the tree of `commit` (only `subpath` when non-NULL) as files into
 * `dir` (created; must not exist). Fetches when the commit is not cached.
 * Symlinks and submodules are refused (`invalid`). */
int cd_git_export(const char *url, const char *commit, const char *subpath,
		  const struct cd_git_auth *auth, const char *dir,
		  struct cd_err *err);

/* --offline: every later fetch fails with `unreachable` instead of
 * connecting (what the cache already holds stays usable). */
void cd_git_set_offline(int on);

/* ---- the project's own work tree (cdhost.tag.git; core/gitrev.c) ---- */

enum cd_git_rev {
	CD_GIT_REV_TAGS,   /* `git describe --tags --always` */
	CD_GIT_REV_COMMIT, /* HEAD's commit id, 40 hex */
	CD_GIT_REV_ABBREV, /* the shortest unique prefix, at least 7 hex */
	CD_GIT_REV_TREE,   /* the tree id of HEAD (or of HEAD:path) */
	CD_GIT_REV_BRANCH, /* the checked-out branch's short name */
};

/* Describes HEAD of the work tree holding `start` (an absolute directory;
 * parents are searched for .git) as `variant`. `path` (absolute, inside
 * that work tree; NULL: the whole tree) narrows the tree id and the dirty
 * check. With `dirty`, "-dirty" is appended when a file under `path`
 * differs from HEAD (staged, modified, deleted or untracked; ignored files
 * do not count). Local only: nothing is fetched. Errors: `not_found` (not
 * a git work tree, no commits yet, path not in HEAD), `invalid` (variant
 * "branch" on a detached HEAD). The result is not sanitized. */
int cd_git_describe(const char *start, enum cd_git_rev variant,
		    const char *path, int dirty, char *out, size_t n,
		    struct cd_err *err);

/* Removes credentials from a URL for messages: scheme://user:pw@h -> h. */
void cd_git_redact(const char *url, char *out, size_t n);

/* ---- the parsers of outside input (pure; tests and tests/fuzz) ---- */

/* One git-credential-store line `proto://user:pass@host[:port][/path]`
 * (percent-encoded, a port as "host%3a8443"): 1 when its scheme and
 * host[:port] are exactly those of `url`, with user and password decoded
 * into user/pass (truncated to un/pn bytes); 0 otherwise. `line` is
 * changed in place. */
int cd_git_credential_line(const char *url, char *line, char *user,
			   size_t un, char *pass, size_t pn);

/* Looks for `want` ("host", or "[host]:port" for a port other than 22)
 * in the text of a known_hosts file, as OpenSSH reads it (sshd(8)):
 * blank-separated fields, comma-separated host patterns that are plain
 * with '*' and '?' wildcards, hashed (|1|salt|hash) or negated ("!p": a
 * line whose negated pattern matches does not apply, whatever its other
 * patterns say), a port's entries matched as the string "[host]:port"
 * (so "[*.example]:2222" works); host names and patterns compared in ASCII
 * lowercase (hashes are of the lowercased name). Comments, lines over 8 KB and lines
 * with an unknown or doubled marker are skipped, and so are
 * @cert-authority lines: host certificates are not supported (the SSH
 * transport presents plain keys), so a host known only through a CA is
 * unknown and a CA's key is not accepted as a host key.
 * 3 when a @revoked line names `want` with the key blob key[0..keylen)
 * (whatever other lines say), else 2 when a plain line names `want` with
 * that key, 1 when plain lines name it only with other keys, 0 when none
 * names it (a @revoked line of another key changes nothing). A `want` of
 * 1 KB or more is named by nothing. */
int cd_git_known_hosts_match(const char *text, size_t len, const char *want,
			     const unsigned char *key, size_t keylen);

#endif
