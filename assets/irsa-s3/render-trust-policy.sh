#!/usr/bin/env bash
# Fill trust-policy.json with this cluster's OIDC issuer, account, namespace and SA.
# Usage: CLUSTER=kubedojo-lab REGION=eu-west-1 NS=shop SA=s3-reader ./render-trust-policy.sh > /tmp/trust-policy.json
set -euo pipefail
CLUSTER="${CLUSTER:-kubedojo-lab}"; REGION="${REGION:-eu-west-1}"
NS="${NS:-shop}"; SA="${SA:-s3-reader}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ISSUER_HOSTPATH=$(aws eks describe-cluster --name "$CLUSTER" --region "$REGION" \
  --query 'cluster.identity.oidc.issuer' --output text | sed 's|^https://||')
ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
sed -e "s|oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE|$ISSUER_HOSTPATH|g" \
    -e "s|111122223333|$ACCOUNT|g" \
    -e "s|system:serviceaccount:shop:s3-reader|system:serviceaccount:$NS:$SA|" \
    "$HERE/trust-policy.json"
