#!/usr/bin/env bash
# Negative and positive test of the {{appNs}} NetworkPolicies: the API server accepts
# policies even when nothing enforces them, so only traffic proves isolation.
# Usage: ./netpol-test.sh
# Exit code: 0 when both results are as expected, 1 when one is not, 2 when a probe could not
# run (the probe pod failed to start, or the nodes are simulated and run no containers).
set -uo pipefail
NS="${NS:-{{appNs}}}"
IMG={{versions.busybox.image}}
URL="http://payments.$NS.svc.cluster.local"

# probe POD NAMESPACE: runs wget in a one-off pod; prints "reached", "blocked" or why it could not tell
probe() {
    local pod=$1 ns=$2 phase="" node i
    if ! kubectl run "$pod" -n "$ns" --restart=Never --image="$IMG" -- wget -q -T 3 -O /dev/null "$URL" >/dev/null; then
        echo "not tested: kubectl run failed (see the error above)"
        return
    fi
    for ((i = 0; i < 60; i++)); do
        phase=$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.status.phase}')
        node=$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.spec.nodeName}')
        if [ -n "$node" ] && [ "$(kubectl get node "$node" -o jsonpath='{.metadata.annotations.kwok\.x-k8s\.io/node}')" = fake ]; then
            phase=simulated
            break
        fi
        case $phase in Succeeded | Failed) break ;; esac
        sleep 1
    done
    kubectl -n "$ns" delete pod "$pod" --wait=false >/dev/null
    case $phase in
        Succeeded) echo reached ;;
        Failed) echo blocked ;;
        simulated) echo "not tested: node $node is simulated (kwok) and runs no containers, so no traffic flows; in an account this probe is the proof" ;;
        *) echo "not tested: the probe pod is still $phase after 60s (kubectl -n $ns describe pod $pod)" ;;
    esac
}

status=0
echo "== from namespace default -> payments.$NS (expect: blocked)"
result=$(probe np-probe-outside default)
case $result in
    blocked) echo "blocked: OK" ;;
    reached) echo "REACHABLE: isolation NOT enforced"; status=1 ;;
    *) echo "$result"; status=2 ;;
esac

echo "== from namespace $NS -> payments.$NS (expect: reachable)"
result=$(probe np-probe-inside "$NS")
case $result in
    reached) echo "reachable: OK" ;;
    blocked) echo "BLOCKED: same-namespace allow missing"; [ "$status" = 2 ] || status=1 ;;
    *) echo "$result"; status=2 ;;
esac
exit "$status"
