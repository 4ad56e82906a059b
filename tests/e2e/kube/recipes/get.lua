-- Reads the test namespace (and lists its ConfigMaps) with the context or
-- kubeconfig given on the command line.
local a = cdhost.args
local ns = cdhost.kube.get({ apiVersion = "v1", kind = "Namespace", name = a.ns })
print("got namespace " .. ns.metadata.name)
local cms = cdhost.kube.list({ apiVersion = "v1", kind = "ConfigMap", namespace = a.ns })
print("configmaps " .. #cms)
local none = cdhost.kube.get({ apiVersion = "v1", kind = "ConfigMap", name = "absent", namespace = a.ns })
print("absent is " .. tostring(none))
