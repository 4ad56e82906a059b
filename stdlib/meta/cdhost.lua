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

cdhost.kube = {}
--- Applies objects (render mode: prints them as YAML on stdout).
---@param objs table|table[]
---@param opts? table
---@return {mode: string, count: integer, applied: boolean}
function cdhost.kube.apply(objs, opts) end

return cdhost

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
