#!/usr/bin/env bash
# Release the green version of the "web" Rollout and wait at the preview pause.
# Usage: NS=shop IMAGE=public.ecr.aws/nginx/nginx:1.27 ./release-green.sh
set -euo pipefail
NS="${NS:-shop}"
IMAGE="${IMAGE:-public.ecr.aws/nginx/nginx:1.27}"

# Either the plugin...
kubectl argo rollouts set image web web="$IMAGE" -n "$NS"
# ...or plain kubectl with the JSON patch (CRDs do not support strategic merge):
#   kubectl -n "$NS" patch rollout web --type json --patch-file green-patch.json

kubectl argo rollouts get rollout web -n "$NS"
