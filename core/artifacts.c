#include "artifacts.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define OP "artifacts"

int cd_artifacts_add(struct cd_artifacts *a, const char *image,
		     const char *tag)
{
	struct cd_artifact *v = cd_realloc(a->v, (a->n + 1) * sizeof *v);
	if (!v)
		return -1;
	a->v = v;
	v[a->n].image = cd_strdup(image);
	v[a->n].tag = cd_strdup(tag);
	if (!v[a->n].image || !v[a->n].tag) {
		cd_free(v[a->n].image);
		cd_free(v[a->n].tag);
		return -1;
	}
	a->n++;
	return 0;
}

int cd_artifacts_parse(const char *data, size_t len, struct cd_artifacts *out,
		       struct cd_err *err)
{
	json_error_t je;
	json_t *root = json_loadb(data, len, 0, &je), *b;
	size_t i;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (!root) {
		cd_err_set(err, CD_E_INVALID, OP, "not JSON: %s (line %d)",
			   je.text, je.line);
		goto done;
	}
	json_t *builds = json_object_get(root, "builds");
	if (!json_is_array(builds)) {
		cd_err_set(err, CD_E_INVALID, OP,
			   "no \"builds\" list (expected Skaffold's format "
			   "{\"builds\":[{\"imageName\":..,\"tag\":..}]})");
		goto done;
	}
	json_array_foreach(builds, i, b)
	{
		const char *img = json_string_value(json_object_get(b, "imageName"));
		const char *tag = json_string_value(json_object_get(b, "tag"));
		if (!img || !tag) {
			cd_err_set(err, CD_E_INVALID, OP,
				   "builds[%zu]: imageName and tag must be "
				   "strings",
				   i);
			goto done;
		}
		if (cd_artifacts_add(out, img, tag) != 0) {
			cd_err_set(err, CD_E_NOMEM, OP, "out of memory");
			goto done;
		}
	}
	rc = 0;
done:
	if (rc != 0)
		cd_artifacts_free(out);
	json_decref(root);
	return rc;
}

const struct cd_artifact *cd_artifacts_find(const struct cd_artifacts *a,
					    const char *image)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].image, image) == 0)
			return &a->v[i];
	return NULL;
}

int cd_artifacts_write(const struct cd_artifacts *a, struct cd_buf *out)
{
	json_t *root = json_object(), *builds = json_array();
	json_object_set_new(root, "builds", builds);
	for (size_t i = 0; i < a->n; i++)
		json_array_append_new(builds,
				      json_pack("{s:s, s:s}", "imageName",
						a->v[i].image, "tag", a->v[i].tag));
	char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	int rc = s && cd_buf_puts(out, s) == 0 ? 0 : -1;
	free(s);
	return rc;
}

void cd_artifacts_free(struct cd_artifacts *a)
{
	for (size_t i = 0; a && i < a->n; i++) {
		cd_free(a->v[i].image);
		cd_free(a->v[i].tag);
	}
	if (a) {
		cd_free(a->v);
		a->v = NULL;
		a->n = 0;
	}
}
