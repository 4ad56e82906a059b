#!/usr/bin/env bash
# Writes the benchmark's inputs into DIR: 1,000 Deployments as YAML (base/),
# the cdhost recipe, the equivalent kustomization and the equivalent chart.
#   gen.sh DIR [COUNT]
set -euo pipefail
DIR=${1:?usage: gen.sh DIR [COUNT]}
N=${2:-1000}
mkdir -p "$DIR/base" "$DIR/overlay" "$DIR/chart/templates"
touch "$DIR/cdhost.libs"

deployment() { # NAME IMAGE
	cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  labels:
    app: $1
spec:
  replicas: 2
  selector:
    matchLabels:
      app: $1
  template:
    metadata:
      labels:
        app: $1
    spec:
      containers:
      - name: app
        image: $2
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: SERVICE
          value: $1
        resources:
          requests:
            cpu: 10m
            memory: 32Mi
EOF
}

for i in $(seq 1 "$N"); do
	[ "$i" = 1 ] || echo ---
	deployment "svc-$i" registry.example.com/shop/app
done >"$DIR/base/deployments.yaml"

cat >"$DIR/render.lua" <<'EOF'
local M = cdhost.manifest
local objs = M.load "base/deployments.yaml"
M.set_images(objs, { { name = "registry.example.com/shop/app", tag = "v2",
  digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" } })
M.label(objs, { ["app.kubernetes.io/part-of"] = "shop" })
M.namespace(objs, "shop")
cdhost.kube.apply(objs)
EOF

cat >"$DIR/base/kustomization.yaml" <<'EOF'
resources:
- deployments.yaml
EOF
cat >"$DIR/overlay/kustomization.yaml" <<'EOF'
resources:
- ../base
namespace: shop
images:
- name: registry.example.com/shop/app
  newTag: v2
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
labels:
- pairs:
    app.kubernetes.io/part-of: shop
  includeTemplates: true
EOF

cat >"$DIR/chart/Chart.yaml" <<'EOF'
apiVersion: v2
name: bench
version: 0.1.0
EOF
cat >"$DIR/chart/values.yaml" <<EOF
count: $N
image: registry.example.com/shop/app:v2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
EOF
cat >"$DIR/chart/templates/deployments.yaml" <<'EOF'
{{- range $i := until (int .Values.count) }}
{{- $name := printf "svc-%d" (add1 $i) }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    app: {{ $name }}
    app.kubernetes.io/part-of: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: {{ $name }}
  template:
    metadata:
      labels:
        app: {{ $name }}
        app.kubernetes.io/part-of: shop
    spec:
      containers:
      - name: app
        image: {{ $.Values.image }}
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: SERVICE
          value: {{ $name }}
        resources:
          requests:
            cpu: 10m
            memory: 32Mi
{{- end }}
EOF
