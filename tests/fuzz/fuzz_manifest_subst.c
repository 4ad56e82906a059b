/* `${NAME}` substitution (cd_manifest_subst, core/manifest.c).
 *
 * The first byte picks which variables are known (bit i: NAMES[i]); the
 * rest is the text.
 * Invariants: text without '$' comes out unchanged; on success the output
 * is the text with each reference replaced (checked against a reference
 * implementation written here); an error names the file and a line
 * within the text. */
#include "../../core/manifest.h"
#include "fuzz.h"

static const char *const NAMES[] = {"A", "B", "IMAGE", "TAG", "x_1",
				    "_", "NS", "Z9"};
#define NNAMES (sizeof NAMES / sizeof *NAMES)

struct vars {
	unsigned known; /* bitmask over NAMES */
};

/* Values are "<NAME>" so the output shows where each came from. */
static int lookup(void *ud, const char *name, size_t n, struct cd_buf *out)
{
	const struct vars *v = ud;
	for (size_t i = 0; i < NNAMES; i++)
		if ((v->known & (1u << i)) && strlen(NAMES[i]) == n &&
		    memcmp(NAMES[i], name, n) == 0)
			return cd_buf_printf(out, "<%s>", NAMES[i]) == 0 ? 0 : -1;
	return 1;
}

static int name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* The documented grammar, written independently: 0 on success. */
static int model(const char *s, size_t n, const struct vars *v,
		 struct cd_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '$' && i + 2 < n && s[i + 1] == '$' &&
		    s[i + 2] == '{') {
			cd_buf_append(out, "${", 2);
			i += 2;
			continue;
		}
		if (s[i] == '$' && i + 1 < n && s[i + 1] == '{') {
			size_t j = i + 2;
			if (j < n && name_start(s[j]))
				while (j < n && name_char(s[j]))
					j++;
			if (j == i + 2 || j >= n || s[j] != '}')
				return -1;
			if (lookup((void *)v, s + i + 2, j - i - 2, out) != 0)
				return -1;
			i = j;
			continue;
		}
		cd_buf_append(out, s + i, 1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct vars v = {data[0]};
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	struct cd_buf out = CD_BUF_INIT, want = CD_BUF_INIT;
	struct cd_err err = {0};

	int rc = cd_manifest_subst(s, n, "fuzz.yaml", lookup, &v, &out, &err);
	int mrc = model(s, n, &v, &want);
	FUZZ_CHECK((rc == 0) == (mrc == 0), "subst %d, model %d (%s)", rc, mrc,
		   err.msg);
	if (rc == 0) {
		FUZZ_CHECK(out.len == want.len &&
				   (!out.len ||
				    memcmp(out.data, want.data, out.len) == 0),
			   "got '%s', want '%s'", out.data ? out.data : "",
			   want.data ? want.data : "");
		if (!memchr(s, '$', n))
			FUZZ_CHECK(out.len == n, "text without '$' changed");
	} else {
		int lines = 1, line = 0;
		for (size_t i = 0; i < n; i++)
			lines += s[i] == '\n';
		FUZZ_CHECK(sscanf(err.msg, "fuzz.yaml:%d:", &line) == 1 &&
				   line >= 1 && line <= lines,
			   "message '%s' (text has %d lines)", err.msg, lines);
	}
	cd_buf_free(&out);
	cd_buf_free(&want);
	return 0;
}
