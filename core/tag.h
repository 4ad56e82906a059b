/* core/tag.h — image tag policies (SPEC section 4) and the --default-repo
 * rewrite. Tags are sanitized to the OCI grammar
 * [A-Za-z0-9_][A-Za-z0-9._-]{0,127}. See docs/internals/image.md. */
#ifndef CD_TAG_H
#define CD_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define CD_TAG_MAX 129

/* Anything else than [A-Za-z0-9._-] becomes '-', a leading '.' or '-'
 * becomes '_', cut to 128; invalid when nothing is left. */
int cd_tag_sanitize(const char *in, char *out, struct cd_err *err);
/* strftime(fmt) of t in UTC ("%Y%m%d-%H%M%S" when fmt is NULL). */
int cd_tag_datetime(const char *fmt, int64_t t, char *out, size_t n,
		    struct cd_err *err);
/* Expands {{input}} (input digest hex), {{datetime}} and {{git}} (`git`;
 * NULL when the caller has none: then {{git}} is invalid); other names
 * are invalid. */
int cd_tag_template(const char *tpl, const char *input_hex,
		    const char *datetime, const char *git, char *out, size_t n,
		    struct cd_err *err);
/* --default-repo: Skaffold's rewrite of image (a name, or a reference
 * with :tag and/or @digest, which are kept) into repo (NULL or "": image
 * unchanged). A name already under repo is kept; else for GCR / Artifact
 * Registry repos (or any with multi_level) repo + "/" + name, the common
 * Google Cloud project dropped; else repo + "/" + name with [/._:@] turned
 * into '_'; names cut to 255 as Skaffold does. docs/images.md has the
 * rules with examples. */
int cd_tag_default_repo(const char *repo, int multi_level, const char *image,
			char *out, size_t n, struct cd_err *err);
/* usage (the message starts with the quoted repo, for the caller to name
 * the flag or option) unless repo is NULL or a registry or repository
 * name: not empty, lower-case, no tag, no digest, valid components. */
int cd_tag_default_repo_check(const char *repo, struct cd_err *err);
/* The length of the name part of a reference (before :tag and @digest). */
size_t cd_tag_name_len(const char *ref);

#endif
