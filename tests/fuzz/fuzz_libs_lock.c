/* cdhost.lock (cd_libs_lock_read, cd_libs_lock_write; core/gitlibs.c): the
 * input is written as the lock of a scratch project and read back.
 *
 * Invariants: reading succeeds exactly when an independent check of the
 * input does (JSON, "version": 1, a "libs" object whose entries have a
 * valid library name and string git, ref, commit and a sha256 of 64
 * lower-case hex digits); then the entries are the input's, with
 * cd_libs_name_valid names (so CD_LIBS_DIR/<name> stays inside the project:
 * `lib sync` removes the directories of lock entries no longer declared);
 * writing and reading again gives the same entries; failure leaves no
 * entries and a message. */
#include <jansson.h>
#include <unistd.h>

#include "../../core/gitlibs.h"
#include "fuzz.h"

static char scratch[] = "/tmp/cdhost-fuzz-lock-XXXXXX";
static char path[sizeof scratch + 32];

static void remove_scratch(void)
{
	unlink(path);
	rmdir(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!mkdtemp(scratch))
		abort();
	atexit(remove_scratch);
	snprintf(path, sizeof path, "%s/%s", scratch, CD_LIBS_LOCK);
	return 0;
}

static int hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	return 1;
}

/* The model: independent of core/gitlibs.c except for the name rule. */
static int model_ok(json_t *j)
{
	json_t *libs = json_object_get(j, "libs"), *e;
	json_t *v = json_object_get(j, "version");
	const char *name;
	if (!json_is_integer(v) || json_integer_value(v) != 1 ||
	    !json_is_object(libs))
		return 0;
	json_object_foreach(libs, name, e) {
		static const char *const need[] = {"git", "ref", "commit",
						   "sha256"};
		if (!cd_libs_name_valid(name) || strstr(name, "..") ||
		    name[0] == '.' || strchr(name, '/'))
			return 0;
		for (size_t k = 0; k < 4; k++)
			if (!json_is_string(json_object_get(e, need[k])))
				return 0;
		if (!hex64(json_string_value(json_object_get(e, "sha256"))))
			return 0;
	}
	return 1;
}

static int streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void same_libs(const struct cd_libs *a, const struct cd_libs *b)
{
	FUZZ_CHECK(a->n == b->n, "%zu vs %zu entries", a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct cd_lib *x = &a->v[i],
				    *y = cd_libs_find(b, x->name);
		FUZZ_CHECK(y && streq(x->git, y->git) && streq(x->ref, y->ref) &&
				   streq(x->path, y->path) &&
				   streq(x->commit, y->commit) &&
				   streq(x->sha256, y->sha256),
			   "entry '%s' changed by write+read", x->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cd_libs l, again;
	struct cd_err err = {0};
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	int ok = j && model_ok(j);
	int rc = cd_libs_lock_read(scratch, &l, &err);
	FUZZ_CHECK((rc == 0) == ok, "read rc %d, model %d: %s", rc, ok,
		   err.msg);
	if (rc != 0) {
		FUZZ_CHECK(l.n == 0 && !l.v && err.msg[0], "failure state");
		json_decref(j);
		return 0;
	}
	FUZZ_CHECK(l.n == json_object_size(json_object_get(j, "libs")),
		   "%zu entries of %zu", l.n,
		   json_object_size(json_object_get(j, "libs")));
	for (size_t i = 0; i < l.n; i++) {
		json_t *e = json_object_get(json_object_get(j, "libs"),
					    l.v[i].name);
		FUZZ_CHECK(e && cd_libs_name_valid(l.v[i].name),
			   "entry '%s' not in the input", l.v[i].name);
		FUZZ_CHECK(streq(l.v[i].git, json_string_value(
						     json_object_get(e, "git"))) &&
				   streq(l.v[i].sha256,
					 json_string_value(json_object_get(
						 e, "sha256"))),
			   "entry '%s' differs", l.v[i].name);
	}
	FUZZ_CHECK(cd_libs_lock_write(scratch, &l, &err) == 0, "write: %s",
		   err.msg);
	FUZZ_CHECK(cd_libs_lock_read(scratch, &again, &err) == 0,
		   "the written lock does not read: %s", err.msg);
	same_libs(&l, &again);
	cd_libs_free(&l);
	cd_libs_free(&again);
	json_decref(j);
	return 0;
}
