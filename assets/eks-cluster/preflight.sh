#!/usr/bin/env bash
# Preflight for the kubedojo EKS lab: tools present, AWS identity and region as expected.
# Usage: ACCOUNT={{account}} REGION={{region}} ./preflight.sh
set -euo pipefail
ACCOUNT="${ACCOUNT:-{{account}}}"
REGION="${REGION:-{{region}}}"

check() { # name, version command...
  local name="$1"; shift
  if command -v "$name" >/dev/null; then
    printf '%-8s %s\n' "$name" "$("$@" 2>&1 | head -n1)"
  else
    echo "MISSING: $name"
  fi
}
check aws aws --version
check eksctl eksctl version
check kubectl kubectl version --client
check helm helm version --short

FOUND=$(aws sts get-caller-identity --query Account --output text)
ARN=$(aws sts get-caller-identity --query Arn --output text)
echo "caller: $ARN"
if [ "$FOUND" != "$ACCOUNT" ]; then
  echo "WRONG ACCOUNT: $FOUND (lab account is $ACCOUNT). Switch AWS_PROFILE before creating anything." >&2
  exit 1
fi
echo "region: ${AWS_REGION:-${AWS_DEFAULT_REGION:-$(aws configure get region || true)}} (lab: $REGION)"
