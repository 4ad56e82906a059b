/* core/tar.h — a deterministic tar writer for image layers.
 *
 * ustar headers with uid/gid 0, empty uname/gname, one fixed mtime and the
 * mode the caller gives; a PAX extended header (named "PaxHeaders/<base>",
 * holding only `path`, `linkpath` or `size`) only when a field does not fit
 * ustar. No atime/ctime, no padding beyond the two closing zero blocks. The
 * bytes go to a callback, so the caller can hash and compress them in one
 * pass. See docs/internals/image.md. */
#ifndef CD_TAR_H
#define CD_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct cd_tar {
	/* 0, or negative (err filled) to stop */
	int (*write)(void *ud, const void *p, size_t n, struct cd_err *err);
	void *ud;
	uint64_t mtime;  /* every entry's mtime */
	uint64_t offset; /* bytes written so far */
};

enum cd_tar_type { CD_TAR_FILE = '0', CD_TAR_SYMLINK = '2', CD_TAR_DIR = '5' };

/* Writes the header(s) of one entry. name has no leading '/', directories
 * end with '/'. A file's size bytes follow through cd_tar_data, then
 * cd_tar_pad. */
int cd_tar_header(struct cd_tar *t, const char *name, enum cd_tar_type type,
		  unsigned mode, uint64_t size, const char *linkname,
		  struct cd_err *err);
int cd_tar_data(struct cd_tar *t, const void *p, size_t n, struct cd_err *err);
/* Pads the entry's data to the 512-byte block. */
int cd_tar_pad(struct cd_tar *t, struct cd_err *err);
/* The two zero blocks that end the archive. */
int cd_tar_finish(struct cd_tar *t, struct cd_err *err);

#endif
