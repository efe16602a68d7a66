#!/usr/bin/env bash
# Release the green version of the "web" Rollout and wait at the preview pause.
# Usage: ./argo-rollouts-bluegreen/release-green.sh   (NS and IMAGE override the lab's values)
set -euo pipefail
NS="${NS:-{{appNs}}}"
IMAGE="${IMAGE:-{{greenImage}}}"

# Either the plugin...
kubectl argo rollouts set image web web="$IMAGE" -n "$NS"
# ...or plain kubectl with the JSON patch (CRDs do not support strategic merge):
#   kubectl -n "$NS" patch rollout web --type json --patch-file argo-rollouts-bluegreen/green-patch.json

kubectl argo rollouts get rollout web -n "$NS"
