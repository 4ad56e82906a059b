#include "version.h"

#include <curl/curl.h>
#include <git2.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <yaml.h>
#include <zlib.h>

int cd_version_libs(struct cd_buf *out)
{
	int major, minor, rev;
	curl_version_info_data *c = curl_version_info(CURLVERSION_NOW);
	git_libgit2_version(&major, &minor, &rev);
	int rc = 0;
	rc |= cd_buf_printf(out, "libyaml %s\n", yaml_get_version_string());
	rc |= cd_buf_printf(out, "libcurl %s (%s)\n", c->version,
			    c->ssl_version ? c->ssl_version : "no TLS");
	rc |= cd_buf_printf(out, "jansson %s\n", jansson_version_str());
	rc |= cd_buf_printf(out, "libgit2 %d.%d.%d\n", major, minor, rev);
	rc |= cd_buf_printf(out, "%s\n", OpenSSL_version(OPENSSL_VERSION));
	rc |= cd_buf_printf(out, "zlib %s\n", zlibVersion());
	return rc ? -1 : 0;
}
