/* core/version.h — versions of cdhost and the libraries it is linked with. */
#ifndef CD_VERSION_H
#define CD_VERSION_H

#include "buf.h"

/* Appends "name version\n" lines for libyaml, libcurl, jansson, libgit2,
 * OpenSSL and zlib, as reported by the libraries at run time. */
int cd_version_libs(struct cd_buf *out);

#endif
