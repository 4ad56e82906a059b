#include "manifest.h"

#include <ctype.h>
#include <string.h>

/* ---- ${NAME} substitution ---- */

static int name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static int name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int full(struct cd_err *err, const char *file)
{
	return cd_err_set(err, CD_E_NOMEM, "manifest.load",
			  "%s: out of memory or text too large", file);
}

/* s[i] is the '$' of "${": sets *end past the '}' and the name span, or
 * fails naming the line. */
static int parse_ref(const char *s, size_t n, size_t i, const char *file,
		     int line, size_t *name, size_t *len, struct cd_err *err)
{
	size_t j = i + 2;
	if (j < n && name_start(s[j]))
		while (j < n && name_char(s[j]))
			j++;
	if (j == i + 2 || j >= n || s[j] != '}')
		return cd_err_set(err, CD_E_INVALID, "manifest.load",
				  "%s:%d: malformed variable reference "
				  "'%.*s' (use ${NAME}; write $${ for a "
				  "literal ${)",
				  file, line, (int)(j - i + (j < n)), s + i);
	*name = i + 2;
	*len = j - i - 2;
	return 0;
}

int cd_manifest_subst(const char *s, size_t n, const char *file,
		      cd_manifest_var_fn lookup, void *ud, struct cd_buf *out,
		      struct cd_err *err)
{
	size_t run = 0, name = 0, len = 0;
	int line = 1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			line++;
		if (s[i] != '$' || i + 1 >= n)
			continue;
		int escaped = s[i + 1] == '$' && i + 2 < n && s[i + 2] == '{';
		if (!escaped && s[i + 1] != '{')
			continue;
		if (cd_buf_append(out, s + run, i - run) != 0)
			return full(err, file);
		if (escaped) { /* "$${" -> "${" */
			run = ++i;
			continue;
		}
		int rc = parse_ref(s, n, i, file, line, &name, &len, err);
		if (rc != 0)
			return rc;
		rc = lookup(ud, s + name, len, out);
		if (rc < 0)
			return full(err, file);
		if (rc > 0)
			return cd_err_set(err, CD_E_INVALID, "manifest.load",
					  "%s:%d: unknown variable ${%.*s} "
					  "(not in vars; write $${ for a "
					  "literal ${)",
					  file, line, (int)len, s + name);
		i = name + len;
		run = i + 1;
	}
	if (cd_buf_append(out, s + run, n - run) != 0)
		return full(err, file);
	return 0;
}

/* ---- built-in kinds ---- */

static const struct {
	const char *group, *kind;
	int namespaced;
} scopes[] = {
	{"", "Binding", 1},
	{"", "ConfigMap", 1},
	{"", "Endpoints", 1},
	{"", "Event", 1},
	{"", "LimitRange", 1},
	{"", "PersistentVolumeClaim", 1},
	{"", "Pod", 1},
	{"", "PodTemplate", 1},
	{"", "ReplicationController", 1},
	{"", "ResourceQuota", 1},
	{"", "Secret", 1},
	{"", "Service", 1},
	{"", "ServiceAccount", 1},
	{"", "ComponentStatus", 0},
	{"", "Namespace", 0},
	{"", "Node", 0},
	{"", "PersistentVolume", 0},
	{"apps", "ControllerRevision", 1},
	{"apps", "DaemonSet", 1},
	{"apps", "Deployment", 1},
	{"apps", "ReplicaSet", 1},
	{"apps", "StatefulSet", 1},
	{"extensions", "DaemonSet", 1},
	{"extensions", "Deployment", 1},
	{"extensions", "Ingress", 1},
	{"extensions", "NetworkPolicy", 1},
	{"extensions", "ReplicaSet", 1},
	{"extensions", "PodSecurityPolicy", 0},
	{"batch", "CronJob", 1},
	{"batch", "Job", 1},
	{"autoscaling", "HorizontalPodAutoscaler", 1},
	{"policy", "PodDisruptionBudget", 1},
	{"policy", "PodSecurityPolicy", 0},
	{"networking.k8s.io", "Ingress", 1},
	{"networking.k8s.io", "NetworkPolicy", 1},
	{"networking.k8s.io", "IngressClass", 0},
	{"networking.k8s.io", "IPAddress", 0},
	{"networking.k8s.io", "ServiceCIDR", 0},
	{"discovery.k8s.io", "EndpointSlice", 1},
	{"events.k8s.io", "Event", 1},
	{"coordination.k8s.io", "Lease", 1},
	{"rbac.authorization.k8s.io", "Role", 1},
	{"rbac.authorization.k8s.io", "RoleBinding", 1},
	{"rbac.authorization.k8s.io", "ClusterRole", 0},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding", 0},
	{"authorization.k8s.io", "LocalSubjectAccessReview", 1},
	{"authorization.k8s.io", "SelfSubjectAccessReview", 0},
	{"authorization.k8s.io", "SelfSubjectRulesReview", 0},
	{"authorization.k8s.io", "SubjectAccessReview", 0},
	{"authentication.k8s.io", "TokenReview", 0},
	{"authentication.k8s.io", "SelfSubjectReview", 0},
	{"storage.k8s.io", "CSIStorageCapacity", 1},
	{"storage.k8s.io", "CSIDriver", 0},
	{"storage.k8s.io", "CSINode", 0},
	{"storage.k8s.io", "StorageClass", 0},
	{"storage.k8s.io", "VolumeAttachment", 0},
	{"storage.k8s.io", "VolumeAttributesClass", 0},
	{"scheduling.k8s.io", "PriorityClass", 0},
	{"node.k8s.io", "RuntimeClass", 0},
	{"apiextensions.k8s.io", "CustomResourceDefinition", 0},
	{"apiregistration.k8s.io", "APIService", 0},
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration", 0},
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", 0},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy", 0},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", 0},
	{"certificates.k8s.io", "CertificateSigningRequest", 0},
	{"certificates.k8s.io", "ClusterTrustBundle", 0},
	{"flowcontrol.apiserver.k8s.io", "FlowSchema", 0},
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", 0},
};

int cd_manifest_scope(const char *group, const char *kind)
{
	for (size_t i = 0; i < sizeof scopes / sizeof *scopes; i++)
		if (strcmp(scopes[i].kind, kind) == 0 &&
		    strcmp(scopes[i].group, group) == 0)
			return scopes[i].namespaced;
	return -1;
}

int cd_manifest_scope_entry(size_t i, const char **group, const char **kind,
			    int *namespaced)
{
	if (i >= sizeof scopes / sizeof *scopes)
		return 0;
	*group = scopes[i].group;
	*kind = scopes[i].kind;
	*namespaced = scopes[i].namespaced;
	return 1;
}

/* SPEC section 6: Namespaces, CRDs, then Helm's install order
 * (helm.sh/helm/v3/pkg/releaseutil/kind_sorter.go). */
static const char *const apply_order[] = {
	"Namespace",
	"CustomResourceDefinition",
	"PriorityClass",
	"NetworkPolicy",
	"ResourceQuota",
	"LimitRange",
	"PodSecurityPolicy",
	"PodDisruptionBudget",
	"ServiceAccount",
	"Secret",
	"SecretList",
	"ConfigMap",
	"StorageClass",
	"PersistentVolume",
	"PersistentVolumeClaim",
	"ClusterRole",
	"ClusterRoleList",
	"ClusterRoleBinding",
	"ClusterRoleBindingList",
	"Role",
	"RoleList",
	"RoleBinding",
	"RoleBindingList",
	"Service",
	"DaemonSet",
	"Pod",
	"ReplicationController",
	"ReplicaSet",
	"Deployment",
	"HorizontalPodAutoscaler",
	"StatefulSet",
	"Job",
	"CronJob",
	"IngressClass",
	"Ingress",
	"APIService",
	"MutatingWebhookConfiguration",
	"ValidatingWebhookConfiguration",
};

int cd_manifest_kind_rank(const char *kind)
{
	size_t n = sizeof apply_order / sizeof *apply_order;
	for (size_t i = 0; kind && i < n; i++)
		if (strcmp(apply_order[i], kind) == 0)
			return (int)i;
	return (int)n;
}
