---@meta
-- LuaLS stubs for the `cdhost` table (editor completion and docs). Not
-- loaded at run time: the real functions are C bindings (lua/l_*.c).
-- Add `stdlib/meta` to `workspace.library` in .luarc.json.

---@class cdhost.error
---@field code string   SPEC §2 code: invalid, not_found, usage, limit, ...
---@field op string     the primitive that failed, e.g. "fs.read"
---@field message string
---@field where string  "file:line:" of the recipe frame that called it

---@class cdhost
---@field mode "run"|"render"|"build"|"deploy"|"diff"|"delete"
---@field dry_run boolean  true in render mode and under `--dry-run` with any command: nothing is written
---@field version string
---@field args table<string, string|table>  `--set` values (strings; dotted keys nest)
---@field null lightuserdata  JSON/YAML null
cdhost = {}

--- An environment variable; only names passed with `--allow-env` (else exit 5).
---@param name string
---@return string|nil
function cdhost.env(name) end

--- Marks a table as a map (encodes as `{}` when empty).
---@generic T: table
---@param t? T
---@return T
function cdhost.map(t) end

--- Marks a table as a list (encodes as `[]` when empty).
---@generic T: table
---@param t? T
---@return T
function cdhost.list(t) end

--- Runs the functions at the same time, each as a coroutine: while one waits
--- on an image build and push (native or external builder) or a registry
--- copy, the others go on.
--- Returns the first value each returned, in order. The first error is raised
--- once the work in flight has finished; functions not started by then are
--- not started. At most 256 functions, 8 builds or copies at once. Other primitives run
--- one at a time between those waits.
---@param fns (fun(): any)[]
---@return any[]
function cdhost.parallel(fns) end

cdhost.log = {}
---@param ... any
function cdhost.log.debug(...) end
---@param ... any
function cdhost.log.info(...) end
---@param ... any
function cdhost.log.warn(...) end
---@param ... any
function cdhost.log.error(...) end

cdhost.fs = {}
--- Reads a file under the project root.
---@param path string relative to the project root
---@return string
function cdhost.fs.read(path) end
---@param path string
---@return boolean
function cdhost.fs.exists(path) end
--- Files matching a pattern (`*`, `?`, `[..]`, `**`), sorted.
---@param pattern string
---@return string[]
function cdhost.fs.glob(pattern) end

cdhost.yaml = {}
--- Decodes a YAML stream into a list of documents.
---@param text string
---@param name? string used in error messages
---@return table[]
function cdhost.yaml.decode(text, name) end
--- Encodes one document (or, with `multi`, a list of documents).
---@param value any
---@param opts? {multi?: boolean, sort_keys?: boolean}
---@return string
function cdhost.yaml.encode(value, opts) end

cdhost.json = {}
---@param text string
---@param name? string
---@return any
function cdhost.json.decode(text, name) end
---@param value any
---@param opts? {pretty?: boolean, sort_keys?: boolean}
---@return string
function cdhost.json.encode(value, opts) end

---@class cdhost.object: table  a Kubernetes object (apiVersion, kind, metadata, ...)

--- A list of objects: `+` concatenates (duplicates are errors), `:select{}`.
---@class cdhost.manifests: cdhost.object[]
---@operator add(cdhost.manifests|cdhost.object|cdhost.object[]): cdhost.manifests
local manifests = {}
---@param q cdhost.manifest.query
---@return cdhost.manifests
function manifests:select(q) end

---@class cdhost.manifest.query
---@field kind? string|string[]
---@field name? string|string[]
---@field namespace? string|string[]
---@field group? string|string[]       API group ("" for core, "apps", ...)
---@field apiVersion? string|string[]
---@field labels? table<string, string> all must match

---@class cdhost.artifact
---@field name string     repository, e.g. "registry.example.com/shop/web"
---@field tag? string
---@field digest? string  "sha256:..."
---@field ref? string     full reference; default name:tag@digest
---@field image? string   the name used in manifests, when it differs from name (image.build: the name before --default-repo)

---@class cdhost.manifest.image_rule
---@field kind string
---@field group? string   any group when absent
---@field paths string[]  dotted paths, `[*]` for every item: "spec.runner.image", "spec.template.spec" (a pod spec)

cdhost.manifest = {}
--- Loads YAML (multi-document) and JSON files matched by globs under the
--- project root. With `vars`, `${NAME}` is replaced (unknown names are
--- errors naming file:line; `$${` is a literal `${`).
---@param spec string|{[integer]: string, vars?: table<string, string|number|boolean>}
---@return cdhost.manifests
function cdhost.manifest.load(spec) end
--- Parses YAML or JSON text into objects.
---@param text string
---@param name? string used in error messages and source records
---@return cdhost.manifests
function cdhost.manifest.parse(text, name) end
--- Multi-document YAML of objects (or one object).
---@param objs cdhost.manifests|cdhost.object[]|cdhost.object
---@return string
function cdhost.manifest.yaml(objs) end
--- JSON of one object; a list becomes a v1 List.
---@param obj cdhost.object|cdhost.object[]
---@param opts? {pretty?: boolean}
---@return string
function cdhost.manifest.json(obj, opts) end
---@param objs cdhost.manifests|cdhost.object[]
---@param q cdhost.manifest.query
---@return cdhost.manifests
function cdhost.manifest.select(objs, q) end
--- Rewrites image fields of pod specs (Skaffold's coverage) to artifacts.
---@param objs cdhost.manifests|cdhost.object[]|cdhost.object
---@param artifacts cdhost.artifact[]|cdhost.artifact
---@param opts? {rules?: cdhost.manifest.image_rule[], default_repo?: string}
---@return cdhost.manifests objs
---@return integer rewritten
function cdhost.manifest.set_images(objs, artifacts, opts) end
--- Adds labels to objects and their pod templates (never workload selectors).
---@param objs cdhost.manifests|cdhost.object[]|cdhost.object
---@param labels table<string, string>
---@param opts? {templates?: boolean, selectors?: boolean}
function cdhost.manifest.label(objs, labels, opts) end
--- Adds annotations to objects and their pod templates.
---@param objs cdhost.manifests|cdhost.object[]|cdhost.object
---@param annotations table<string, string>
---@param opts? {templates?: boolean}
function cdhost.manifest.annotate(objs, annotations, opts) end
--- Sets metadata.namespace on namespaced objects (built-in kinds, CRDs in
--- the set, `opts.kinds`, then the cluster's discovery unless --offline); an
--- unknown kind is an error naming the object's source. (Cluster)RoleBinding
--- subjects of the set's ServiceAccounts (and `default`) move with them.
---@param objs cdhost.manifests|cdhost.object[]|cdhost.object
---@param ns string
---@param opts? {kinds?: table<string, "Namespaced"|"Cluster">}  keys "group/Kind"
function cdhost.manifest.namespace(objs, ns, opts) end
--- Strategic-merge-like patch of the object named by the patch (or opts.target).
---@param objs cdhost.manifests|cdhost.object[]|cdhost.object
---@param patch table
---@param opts? {target?: cdhost.manifest.query}
function cdhost.manifest.patch(objs, patch, opts) end
--- RFC 6902 JSON patch (all or nothing) of one object or opts.target's.
---@param objs cdhost.manifests|cdhost.object[]|cdhost.object
---@param ops {op: "add"|"remove"|"replace"|"move"|"copy"|"test", path: string, from?: string, value?: any}[]
---@param opts? {target?: cdhost.manifest.query}
function cdhost.manifest.json_patch(objs, ops, opts) end
--- Path -> YAML for GitOps layouts: `<namespace or _cluster>/<kind>-<name>.yaml`, in lower case.
---@param objs cdhost.manifests|cdhost.object[]
---@param opts? {per_kind?: boolean, allow_secrets?: boolean}
---@return table<string, string>
function cdhost.manifest.files(objs, opts) end

cdhost.helm = {}
---@class cdhost.helm.template_opts
---@field chart string            a chart directory under the project root, or an oci:// URL
---@field release? string         default: the chart directory's name
---@field namespace? string       default: --namespace
---@field values? table
---@field values_files? string[]
---@field set? table<string, string|number|boolean>  helm --set
---@field images? table<string, cdhost.artifact>     value path -> artifact
---@field version? string
---@field kube_version? string    default: the cluster's (discovery), or "v1.35.0" offline
---@field api_versions? string[]  default: the cluster's group versions and group/version/Kinds
---@field context? string         the kube context asked (default: the run's)
---@field include_crds? boolean
--- Runs `helm template` and parses its output.
---@param opts cdhost.helm.template_opts
---@return cdhost.manifests
function cdhost.helm.template(opts) end

cdhost.kustomize = {}
--- `kustomize build DIR` (or `kubectl kustomize DIR`), parsed.
---@param dir string
---@return cdhost.manifests
function cdhost.kustomize.build(dir) end

cdhost.kube = {}
---@class cdhost.kube.opts
---@field context? string    kubeconfig context (default: --kube-context, then current-context)
---@field namespace? string  for objects without one and for the apply set parent

---@class cdhost.kube.apply_opts: cdhost.kube.opts
---@field applyset? string   ApplySet parent Secret name (kubectl-compatible)
---@field prune? boolean     delete set members no longer in objs (needs applyset)
---@field force? boolean     take over fields owned by another field manager
---@field lock_wait? number  seconds to wait for another deploy of the set (default 120)
---@field propagation? "Background"|"Foreground"|"Orphan"  for cdhost delete and prune (default Background; --propagation wins)

---@class cdhost.kube.result
---@field apiVersion string
---@field kind string
---@field namespace? string
---@field name string
---@field uid? string
---@field resourceVersion? string
---@field generation? integer
---@field changed boolean
---@field action "created"|"configured"|"unchanged"|"pruned"|"create"|"configure"|"delete"|"deleted"

--- Applies objects by server-side apply (run/deploy), or: render mode prints
--- them as YAML on stdout (returns {mode, count, applied=false}; a namespaced
--- object without a namespace is shown in the one it would go to:
--- opts.namespace, else --namespace); diff mode
--- prints a server-side dry-run diff; delete mode deletes the apply set
--- (`delete --dry-run`: server-side dry-run deletions, each listed, action
--- "delete"; nothing deleted, no Lease taken).
---@param objs table|table[]
---@param opts? cdhost.kube.apply_opts
---@return cdhost.kube.result[]
function cdhost.kube.apply(objs, opts) end

--- The live object, or nil if it does not exist. In render mode (or any
--- --dry-run) a cluster that cannot be reached (or no kubeconfig, or
--- --offline) gives nil, message and a plan warning: a plain nil is
--- "absent", nil with a message "unknown". Elsewhere that is an error
--- (unreachable).
---@param ref {apiVersion: string, kind: string, name?: string, namespace?: string, metadata?: table}
---@param opts? cdhost.kube.opts
---@return table?
---@return string? message
function cdhost.kube.get(ref, opts) end

--- The items of a kind (in a namespace, with an optional label selector).
--- In render mode without a cluster (as kube.get): nil, message and a plan
--- warning.
---@param ref {apiVersion: string, kind: string, namespace?: string, selector?: string}
---@param opts? cdhost.kube.opts|{selector?: string}
---@return table[]?
---@return string? message
function cdhost.kube.list(ref, opts) end

--- Deletes one object (run/deploy/delete modes without --dry-run only;
--- elsewhere logs and returns false). True if it existed.
---@param ref {apiVersion: string, kind: string, name?: string, namespace?: string, metadata?: table}
---@param opts? cdhost.kube.opts|{propagation?: "Background"|"Foreground"|"Orphan"}
---@return boolean
function cdhost.kube.delete(ref, opts) end

--- Watches a kind: an iterator of {type = "ADDED"|"MODIFIED"|"DELETED",
--- object = ...}; the objects that exist come first as ADDED; the loop ends
--- at the timeout (default 60 s). Re-lists by itself when the server says
--- the resourceVersion is too old. In render mode without a cluster (as
--- kube.get): an iterator that ends at once, the message as second value,
--- and a plan warning; the same warning ends a loop whose cluster goes away.
---@param ref {apiVersion: string, kind: string, namespace?: string, selector?: string}
---@param opts? cdhost.kube.opts|{selector?: string, timeout?: string|number}
---@return fun(): {type: string, object: table}?
---@return string? message
function cdhost.kube.watch(ref, opts) end

---@class cdhost.kube.diff_entry: cdhost.kube.result
---@field action "create"|"configure"|"unchanged"|"delete"
---@field diff string  unified diff live -> dry-run result ("" when unchanged); Secret values masked unless --show-secrets

---@class cdhost.kube.diff_result
---@field changed boolean  some object would be created, changed or (prune) deleted
---@field diffs cdhost.kube.diff_entry[]  one per object in apply order, then the prune deletions

--- What kube.apply(objs, opts) would change, in any mode, as a value:
--- a server-side dry run (dryRun=All: nothing changes) diffed against the
--- live objects; nothing is printed. In render mode (or any --dry-run) a
--- cluster that cannot be reached (or no kubeconfig) gives nil, message and a plan warning.
---@param objs table|table[]
---@param opts? cdhost.kube.apply_opts
---@return cdhost.kube.diff_result?
---@return string? message
function cdhost.kube.diff(objs, opts) end


cdhost.rollout = {}
---@class cdhost.rollout.result
---@field status "Current"|"InProgress"|"Failed"|"Terminating"|"NotFound"|"Unknown"
---@field reason string   CamelCase reason ("" when kstatus gives none), e.g. "ImagePullBackOff"
---@field message string  one line; failures name the pod, container, image and event

---@class cdhost.rollout.related
---@field replicasets? table[]  a Deployment's ReplicaSets (the new one is found by revision)
---@field pods? table[]         the workload's pods (matched by ownerReferences)
---@field events? table[]       core/v1 or events.k8s.io/v1 Events

---@class cdhost.rollout.status_opts
---@field now? number|string        epoch seconds or RFC 3339; default: the wall clock
---@field expected_generation? integer  metadata.generation recorded at apply time
---@field lb_ingress? boolean       LoadBalancer Services wait for status.loadBalancer.ingress
---@field kstatus? boolean          kstatus's rules only, without cdhost's improvements

--- The status of one object in kstatus's words (docs/internals/status.md).
--- `obj == nil` means the object does not exist: NotFound.
---@param obj table|nil
---@param related? cdhost.rollout.related
---@param opts? cdhost.rollout.status_opts
---@return cdhost.rollout.result
function cdhost.rollout.status(obj, related, opts) end

---@class cdhost.rollout.wait_opts
---@field timeout? string|number   whole wait: "5m" (default), "90s", or seconds
---@field fail_fast? boolean       end at the first Failed (default true)
---@field on_failure? "rollback"|"fail"  "rollback": failed Deployments/StatefulSets/DaemonSets go back to their previous revision (the run still fails)
---@field suspended? "done"|"wait"|"fail"  a health script saying Suspended: done with a warning (default), keep waiting, or fail
---@field lb_ingress? boolean      LoadBalancer Services wait for an ingress address
---@field kstatus? boolean         kstatus's rules only, without cdhost's improvements
---@field health_dir? string       Argo CD-style health scripts (default: --health-dir)
---@field log_lines? integer       log tail of a failed container (default 20, 0..1000)
---@field context? string          kube context (default: --context / the current one)

---@class cdhost.rollout.waited
---@field object {apiVersion: string, kind: string, namespace: string, name: string}
---@field status string   kstatus's word, or "Suspended" / "Timeout"
---@field reason string
---@field message string
---@field seconds number  from the start of the wait to this object's end

---@class cdhost.rollout.wait_result
---@field objects cdhost.rollout.waited[]
---@field waited boolean  false in modes that do not wait (render, build, diff)
---@field seconds number
---@field requests integer  API requests made while waiting
---@field lists integer
---@field watches integer
---@field relists integer   re-lists after 410 Gone
---@field reconnects integer  watches re-opened after a dropped connection

--- Waits until the objects have rolled out (docs/rollout.md): one list +
--- watch per kind and namespace, fail-fast diagnosis naming pod, container,
--- image, reason, events and log tail. Takes what kube.apply returned, a
--- list of objects, or one object; ConfigMaps, Secrets, RBAC and pruned
--- entries are not waited for. Raises `rollout_failed` (exit 3) or `timeout`
--- (exit 4). In delete mode it waits until the objects are gone.
---@param objs table
---@param opts? cdhost.rollout.wait_opts
---@return cdhost.rollout.wait_result
function cdhost.rollout.wait(objs, opts) end

cdhost.registry = {}
---@class cdhost.registry.image
---@field name string        "registry.example.com/shop/web" (normalised: docker.io/library/…)
---@field tag? string        absent for a by-digest reference
---@field digest string      "sha256:…" of the manifest (of the index itself for multi-platform)
---@field ref string         "name:tag@sha256:…"
---@field media_type string  OCI/Docker manifest or index media type
---@field size integer       manifest size in bytes
---@field copied? boolean    copy only: false when the mode only planned it

--- The digest and media type a reference points at (docs/registries.md).
--- In render mode an unreachable registry gives `nil, message` and a warning.
---@param ref string  e.g. "nginx:1.27", "host:5000/a/b@sha256:…"
---@return cdhost.registry.image|nil
---@return string? message
function cdhost.registry.resolve(ref) end

--- Whether the manifest exists (HEAD).
---@param ref string
---@return boolean|nil
---@return string? message
function cdhost.registry.exists(ref) end

--- Copies an image or index (all platforms) from src to dst; blobs are
--- mounted within one registry, streamed between registries; the tag goes
--- last. Only in modes that write; elsewhere returns `{src=, dst=, copied=false}`.
---@param src string
---@param dst string  without a tag: the source's tag
---@return cdhost.registry.image|{src: string, dst: string, copied: false}
function cdhost.registry.copy(src, dst) end

--- Tags of a repository (no tag or digest in `repo`), sorted.
---@param repo string
---@return string[]|nil
---@return string? message
function cdhost.registry.tags(repo) end

---@class cdhost.git.auth
---@field username? string       HTTP user name (not a secret)
---@field username_env? string   --allow-env variable holding the HTTP user name
---@field password_env? string   --allow-env variable holding the HTTP password or token
---@field ssh_key_env? string    --allow-env variable holding a private key file path
---@field host_key? string       pinned SSH host key "TYPE BASE64" (else known_hosts)

---@class cdhost.git.commit_opts
---@field repo string            URL or local path (git://, http(s)://, ssh://, user@host:path, file://)
---@field branch string
---@field base? string           branch to create `branch` from when it is missing
---@field path? string           directory replaced by `files` ("" or "." = the root)
---@field files table<string,string>  relative path -> content (cdhost.manifest.files(objs))
---@field message string
---@field author? string         "Name <email>"
---@field push? boolean          default true
---@field auth? cdhost.git.auth

---@class cdhost.git.result
---@field commit? string         the branch tip after the call (nil when only planned)
---@field changed boolean        a new commit was made
---@field pushed boolean
---@field planned? boolean       render mode: only shown

cdhost.git = {}

--- Commits `files` as the whole contents of `path` on `branch` and pushes
--- (never forced; retried on a moved branch). Render mode prints the plan on
--- stderr; build mode skips; diff/delete do nothing (docs/gitops.md).
---@param opts cdhost.git.commit_opts
---@return cdhost.git.result
function cdhost.git.commit(opts) end

-- ---- images (lua/l_image.c, docs/images.md) ----

cdhost.image = {}
cdhost.tag = {}

---@class cdhost.image.layer
---@field from string    file or directory, relative to the project root
---@field to string      absolute path in the image ("/app"; a trailing "/" puts a file inside)
---@field mode? string   files' mode, octal ("0755"); default 0755 if executable else 0644
---@field exclude? string[]  .dockerignore patterns relative to `from`

---@class cdhost.tag.policy
---@field policy "input_digest"|"datetime"|"template"|"git"

---@class cdhost.tag.git_opts
---@field variant? "tags"|"commit"|"abbrev"|"tree"|"branch"  default "tags" (describe --tags --always; no tag: the abbreviated commit)
---@field dirty? boolean   append "-dirty" when files (untracked included, ignored not) differ from HEAD; default true
---@field path? string     relative to the project root: narrows the dirty check and variant "tree"
---@field prefix? string   put before the value

---@class cdhost.image.spec
---@field name string          repository; --default-repo rewrites it as Skaffold does (docs/images.md)
---@field builder? "native"|"buildah"|"podman"|"docker"|"kaniko"|"auto"  default "native"; the others build a Dockerfile (docs/images.md)
---@field base? string         native: an image reference or "scratch" (required)
---@field context? string      external builders: the build context under the project root (default ".")
---@field dockerfile? string   external builders: relative to the context (default "Dockerfile")
---@field target? string       external builders: multi-stage target
---@field build_args? table<string, string>  external builders: --build-arg
---@field layers? cdhost.image.layer[]
---@field entrypoint? string|string[]  (clears the base's cmd unless cmd is given)
---@field cmd? string|string[]
---@field env? table<string, string>
---@field workdir? string
---@field user? string
---@field labels? table<string, string>
---@field ports? string[]      "8080" or "53/udp"
---@field platforms? string[]  "linux/amd64"; default: every platform of an index base (scratch: linux/amd64)
---@field tag? string|cdhost.tag.policy  default: tag.input_digest()

--- Builds and pushes an image (run/build mode; skipped with "Found. Tagging"
--- when name:tag already holds the same inputs), computes the tag in render
--- mode (digest when the tag exists, unless --offline), or takes the artifact
--- from -a F in deploy mode.
---@param spec cdhost.image.spec
---@return cdhost.artifact
function cdhost.image.build(spec) end

--- The tag is the sha256 (64 hex) of the build's inputs.
---@return cdhost.tag.policy
function cdhost.tag.input_digest() end
--- The content tag: another name for input_digest() (not Skaffold's sha256 tagger, which tags "latest").
---@return cdhost.tag.policy
function cdhost.tag.sha256() end
--- The tag from the project's git work tree (libgit2, local only): describe
--- --tags, commit, abbreviated commit, tree or branch, "-dirty" when changed.
--- Errors: not_found (not a work tree, no commits, path not in HEAD),
--- invalid (variant "branch" on a detached HEAD). docs/images.md.
---@param opts? cdhost.tag.git_opts
---@return cdhost.tag.policy
function cdhost.tag.git(opts) end
--- The tag is the build time in UTC, formatted with strftime (default "%Y%m%d-%H%M%S").
---@param fmt? string
---@return cdhost.tag.policy
function cdhost.tag.datetime(fmt) end
--- The tag from a template: {{input}} (input digest), {{datetime}}, {{git}}
--- (tag.git with the options in opts.git).
---@param template string
---@param opts? { git?: cdhost.tag.git_opts }
---@return cdhost.tag.policy
function cdhost.tag.template(template, opts) end

return cdhost
