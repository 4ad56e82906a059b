/* core/digest.h — sha256 content digests ("sha256:<64 hex>") over OpenSSL
 * EVP (libcrypto): one-shot, streaming, and files. Used by the registry
 * client (verify while streaming, client-computed manifest digests) and by
 * the image builder and blob store to come. */
#ifndef CD_DIGEST_H
#define CD_DIGEST_H

#include <stddef.h>

#include "err.h"

#define CD_DIGEST_MAX 144 /* "sha512:" + 128 hex + NUL (136), rounded up */

struct cd_sha256 {
	void *md; /* EVP_MD_CTX */
};

int cd_sha256_init(struct cd_sha256 *s);
void cd_sha256_update(struct cd_sha256 *s, const void *p, size_t n);
/* Writes "sha256:<hex>" into out (CD_DIGEST_MAX bytes) and frees the state. */
void cd_sha256_final(struct cd_sha256 *s, char *out);
/* Frees the state without a result (safe on a finished or zeroed state). */
void cd_sha256_abort(struct cd_sha256 *s);

/* out = "sha256:<hex>" of the bytes; 0, or -1 when out of memory. */
int cd_digest_bytes(const void *p, size_t n, char *out);
/* Digest and size of a file. */
int cd_digest_file(const char *path, char *out, size_t *size,
		   struct cd_err *err);
/* 1 if s is "sha256:<64 lower hex>" or "sha512:<128 lower hex>". */
int cd_digest_valid(const char *s);

#endif
