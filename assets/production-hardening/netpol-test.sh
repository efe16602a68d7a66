#!/usr/bin/env bash
# Negative and positive test of the {{appNs}} NetworkPolicies: the API server accepts
# policies even when nothing enforces them, so only traffic proves isolation.
# Usage: ./netpol-test.sh
set -uo pipefail
NS="${NS:-{{appNs}}}"
IMG={{versions.busybox.image}}

echo "== from namespace default -> payments.$NS (expect: timeout)"
kubectl run np-probe-outside -n default --rm -i --restart=Never --image="$IMG" -- \
  wget -q -T 3 -O /dev/null "http://payments.$NS.svc.cluster.local" \
  && echo "REACHABLE: isolation NOT enforced" || echo "blocked: OK"

echo "== from namespace $NS -> payments.$NS (expect: reachable)"
kubectl run np-probe-inside -n "$NS" --rm -i --restart=Never --image="$IMG" -- \
  wget -q -T 3 -O /dev/null "http://payments.$NS.svc.cluster.local" \
  && echo "reachable: OK" || echo "BLOCKED: same-namespace allow missing"
