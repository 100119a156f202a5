#!/usr/bin/env bash
# Refreshes k8s/rendered/<overlay>.yaml from the Kustomize overlays (kubectl's built-in kustomize, no cluster needed).
# KustomizeRenderTest fails when a committed render is not the current one.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p rendered
for overlay in dev cpu gpu serverless; do
  kubectl kustomize "overlays/$overlay" > "rendered/$overlay.yaml"
  echo "rendered/$overlay.yaml: $(grep -c '^kind:' "rendered/$overlay.yaml") objects"
done
