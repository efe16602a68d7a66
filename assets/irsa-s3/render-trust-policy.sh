#!/usr/bin/env bash
# Fill trust-policy.json with this cluster's OIDC issuer, account, namespace and SA.
# Usage: CLUSTER={{cluster}} REGION={{region}} ./render-trust-policy.sh > /tmp/trust-policy.json
set -euo pipefail
CLUSTER="${CLUSTER:-{{cluster}}}"; REGION="${REGION:-{{region}}}"
NS="${NS:-{{appNs}}}"; SA="${SA:-{{irsaSa}}}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ISSUER_HOSTPATH=$(aws eks describe-cluster --name "$CLUSTER" --region "$REGION" \
  --query 'cluster.identity.oidc.issuer' --output text | sed 's|^https://||')
ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
sed -e "s|oidc.eks.{{region}}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE|$ISSUER_HOSTPATH|g" \
    -e "s|{{account}}|$ACCOUNT|g" \
    -e "s|system:serviceaccount:{{appNs}}:{{irsaSa}}|system:serviceaccount:$NS:$SA|" \
    "$HERE/trust-policy.json"
