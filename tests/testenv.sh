#!/usr/bin/env bash
# The test environment: a real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and kwok simulating nodes and pods), helm and the EKS
# pod identity webhook and Argo Rollouts (for the sandbox's tests), built from Go modules, the moto AWS emulator and the AWS CLI (v1) from PyPI, and for the workshop server a PostgreSQL server and
# chromium (Debian packages). Nothing is downloaded but Go modules, PyPI and Debian
# packages; binaries are cached by version outside the repository.
#
#   tests/testenv.sh build    build or reuse the binaries and the emulator's virtualenv
#                             (and install Debian's postgresql and chromium when missing)
#   tests/testenv.sh up       build, then start the cluster and the emulator; print the env
#   tests/testenv.sh env      print the environment (eval "$(tests/testenv.sh env)")
#   tests/testenv.sh status   what is running
#   tests/testenv.sh down     stop both
#
# Folders: KUBEDOJO_CACHE (default ~/.cache/kubedojo) holds binaries and the virtualenv;
# KUBEDOJO_TESTENV_DIR (default $KUBEDOJO_CACHE/testenv/run) holds the kubeconfig, logs, pids.
set -euo pipefail

HERE=$(cd "$(dirname "$0")/testenv" && pwd)
CACHE=${KUBEDOJO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubedojo}
RUN=${KUBEDOJO_TESTENV_DIR:-$CACHE/testenv/run}
CLUSTER=kubedojo-test
REGION=eu-west-1

# Versions live in the tools modules' go.mod files: one place each.
K8S_VERSION=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$HERE/k8s/go.mod")
ETCD_VERSION=$(awk '$1 == "require" && $2 == "go.etcd.io/etcd/server/v3" {print $3}' "$HERE/etcd/go.mod")
KWOK_VERSION=$(awk '$1 == "require" && $2 == "sigs.k8s.io/kwok" {print $3}' "$HERE/kwok/go.mod")
BIN=$CACHE/testenv/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
MOTO_REQ_HASH=$(sha256sum "$HERE/requirements.txt" | cut -c1-12)
VENV=$CACHE/testenv/moto-$MOTO_REQ_HASH
# Tools the labs' commands use, at the course's versions (versions.toml: one table for the course
# and its tests), built from the Go module proxy.
course_version() {
    # course_version COMPONENT FIELD: a field of [components.COMPONENT] in versions.toml
    awk -v table="[components.$1]" -v field="$2" '
        $0 == table { inside = 1; next }
        /^\[/ { inside = 0 }
        inside && $1 == field { gsub(/"/, "", $3); print $3; exit }' "$HERE/../../versions.toml"
}
HELM_VERSION=$(course_version helm version)
HELM_MAJOR=$(course_version helm major)
HELM_BIN=$CACHE/testenv/tools/helm-$HELM_VERSION
# the EKS pod identity webhook that `kubedojo sandbox up` runs (src/sandbox/webhook.rs)
WEBHOOK_VERSION=$(course_version pod-identity-webhook version)
WEBHOOK_MODULE=$(course_version pod-identity-webhook module)
WEBHOOK_BIN=$CACHE/testenv/tools/pod-identity-webhook-$WEBHOOK_VERSION
# the Argo Rollouts controller (run by the sandbox's supervisor) and its kubectl plugin
ARGO_VERSION=$(course_version argo-rollouts version)
ARGO_BIN=$CACHE/testenv/tools/argo-rollouts-$ARGO_VERSION
# Karpenter's AWS controller (run by the supervisor for the chart's pod)
KARPENTER_VERSION=$(course_version karpenter version)
KARPENTER_BIN=$CACHE/testenv/tools/karpenter-v$KARPENTER_VERSION
AWSCLI_REQ_HASH=$(sha256sum "$HERE/awscli-requirements.txt" | cut -c1-12)
AWSCLI_VENV=$CACHE/testenv/awscli-$AWSCLI_REQ_HASH

say() { printf '[testenv] %s\n' "$*" >&2; }
die() { printf '[testenv] error: %s\n' "$*" >&2; exit 1; }
require() { command -v "$1" >/dev/null 2>&1 || die "missing component: $1 ($2)"; }

go_build() {
    # go_build MODULE_DIR LDFLAGS PACKAGE...
    local dir=$1 ldflags=$2
    shift 2
    local started=$SECONDS
    say "building $* (from $dir; the first build takes minutes, later ones reuse the Go cache)"
    (cd "$HERE/$dir" && go build -trimpath -ldflags "$ldflags" -o "$BIN/" "$@") \
        || die "go build failed for $* (see the messages above)"
    say "built $* in $((SECONDS - started))s"
}

go_install() {
    # go_install DIR PROGRAM PACKAGE@VERSION: a tool the labs' commands use, from the module
    # proxy, cached by version in DIR (about a minute each with a warm Go cache)
    local dir=$1 program=$2 package=$3 started=$SECONDS
    [ -x "$dir/$program" ] && return 0
    say "building $program (go install $package)"
    mkdir -p "$dir"
    GOBIN=$dir go install -trimpath -ldflags "-s -w" "$package" \
        || die "missing component: $program (go install of $package failed, see above)"
    [ -x "$dir/$program" ] || die "missing component: $program (go install of $package left no $dir/$program)"
    say "built $program in $((SECONDS - started))s"
}

build_argo_rollouts() {
    # rollouts-controller and kubectl-argo-rollouts at the course's version, from the tools module
    # tests/testenv/argo-rollouts (its go.mod copies the upstream replace block, so `go install
    # pkg@version` cannot build it). The link flags are upstream's Makefile's (LDFLAGS: version
    # without its v, buildDate, gitCommit, gitTreeState; its `-X ${PACKAGE}.gitTag` names no
    # variable, so a release prints v1.9.1+<commit>), with the tag's commit and time from the
    # module proxy's Origin.
    local dir=$ARGO_BIN started=$SECONDS required origin commit date
    [ -x "$dir/rollouts-controller" ] && [ -x "$dir/kubectl-argo-rollouts" ] && return 0
    [ -n "$ARGO_VERSION" ] || die "versions.toml has no [components.argo-rollouts] version"
    required=$(awk '$1 == "require" && $2 == "github.com/argoproj/argo-rollouts" {print $3}' "$HERE/argo-rollouts/go.mod")
    [ "$required" = "$ARGO_VERSION" ] || die "tests/testenv/argo-rollouts/go.mod requires argo-rollouts $required, versions.toml says $ARGO_VERSION: update the go.mod (require and the module's replace block) to $ARGO_VERSION"
    origin=$(cd "$HERE/argo-rollouts" && go mod download -json "github.com/argoproj/argo-rollouts@$ARGO_VERSION") \
        || die "missing component: argo-rollouts $ARGO_VERSION (go mod download failed, see above)"
    commit=$(printf '%s' "$origin" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("Origin", {}).get("Hash", ""))')
    date=$(cd "$HERE/argo-rollouts" && go list -m -json "github.com/argoproj/argo-rollouts" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("Time", "1970-01-01T00:00:00Z"))')
    say "building rollouts-controller and kubectl-argo-rollouts $ARGO_VERSION (commit ${commit:-unknown}; the first build takes minutes)"
    mkdir -p "$dir"
    local p=github.com/argoproj/argo-rollouts
    (cd "$HERE/argo-rollouts" && CGO_ENABLED=0 go build -trimpath -o "$dir/" \
        -ldflags "-s -w -X $p/utils/version.version=${ARGO_VERSION#v} -X $p/utils/version.buildDate=$date -X $p/utils/version.gitCommit=$commit -X $p/utils/version.gitTreeState=clean" \
        "$p/cmd/rollouts-controller" "$p/cmd/kubectl-argo-rollouts") \
        || die "missing component: Argo Rollouts (go build in tests/testenv/argo-rollouts failed, see above)"
    say "built rollouts-controller and kubectl-argo-rollouts in $((SECONDS - started))s"
}

build_karpenter() {
    # karpenter-controller at the course's version, from the tools module tests/testenv/karpenter.
    # Its go.mod names Go 1.26.11: GOTOOLCHAIN=go1.27.3 makes the go command fetch that toolchain
    # from the module proxy for this build only. The version goes in as upstream's Makefile puts it
    # (LDFLAGS -X sigs.k8s.io/karpenter/pkg/operator.Version); the supervisor reads the release from
    # the binary's Go build info (what `go version -m` prints).
    local dir=$KARPENTER_BIN required started=$SECONDS
    [ -x "$dir/karpenter-controller" ] && return 0
    [ -n "$KARPENTER_VERSION" ] || die "versions.toml has no [components.karpenter] version"
    required=$(awk '$1 == "require" && $2 == "github.com/aws/karpenter-provider-aws" {print $3}' "$HERE/karpenter/go.mod")
    [ "$required" = "v$KARPENTER_VERSION" ] || die "tests/testenv/karpenter/go.mod requires karpenter-provider-aws $required, versions.toml says $KARPENTER_VERSION: update the go.mod (go get github.com/aws/karpenter-provider-aws@v$KARPENTER_VERSION, go mod tidy -e) to v$KARPENTER_VERSION"
    say "building karpenter-controller $KARPENTER_VERSION (the first build takes minutes)"
    mkdir -p "$dir"
    (cd "$HERE/karpenter" && GOTOOLCHAIN=go1.27.3 CGO_ENABLED=0 go build -trimpath \
        -ldflags "-s -w -X sigs.k8s.io/karpenter/pkg/operator.Version=$KARPENTER_VERSION" \
        -o "$dir/karpenter-controller" github.com/aws/karpenter-provider-aws/cmd/controller) \
        || die "missing component: Karpenter (go build in tests/testenv/karpenter failed, see above)"
    say "built karpenter-controller in $((SECONDS - started))s"
}

go_mod_download_served() {
    # The Go modules the sandbox's downloads proxy serves files from (src/sandbox/downloads/served.toml),
    # at the course's versions, into the module cache: the tests run the sandbox with GOPROXY=off.
    local component module version
    for component in aws-load-balancer-controller argo-rollouts karpenter; do
        module=$(course_version "$component" module)
        version=$(course_version "$component" version)
        [ -n "$module" ] && [ -n "$version" ] || die "versions.toml has no [components.$component] module and version"
        version=v${version#v}   # a module version starts with v (Karpenter's chart versions do not)
        # GOTOOLCHAIN: a module whose go.mod asks for a newer Go (Karpenter: 1.26.11) is refused by an older go command
        (cd / && GOTOOLCHAIN=go1.27.3 go mod download "$module@$version") \
            || die "missing component: the Go module $module@$version (go mod download failed, see above)"
    done
}

build() {
    require go "install Go 1.26+ (Debian: golang, or the machine's Go)"
    require python3 "install Python 3"
    mkdir -p "$BIN"
    local v=${K8S_VERSION#v} minor
    minor=$(echo "$v" | cut -d. -f2)
    if [ ! -x "$BIN/kube-apiserver" ] || [ ! -x "$BIN/kube-controller-manager" ] || [ ! -x "$BIN/kube-scheduler" ] || [ ! -x "$BIN/kubectl" ]; then
        go_build k8s "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
            k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
    fi
    if [ ! -x "$BIN/etcd" ]; then
        go_build etcd "-s -w" go.etcd.io/etcd/server/v3
        mv "$BIN/server" "$BIN/etcd"   # go names the binary after the path before /v3
    fi
    if [ ! -x "$BIN/kwok" ] || [ ! -x "$BIN/kwokctl" ]; then
        go_build kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
    fi
    [ -n "$HELM_VERSION" ] && [ -n "$HELM_MAJOR" ] || die "versions.toml has no [components.helm] version and major"
    go_install "$HELM_BIN" helm "helm.sh/helm/v$HELM_MAJOR/cmd/helm@$HELM_VERSION"
    [ -n "$WEBHOOK_VERSION" ] && [ -n "$WEBHOOK_MODULE" ] || die "versions.toml has no [components.pod-identity-webhook] version and module"
    # upstream's Dockerfile builds it with -ldflags "-w -s" too
    go_install "$WEBHOOK_BIN" amazon-eks-pod-identity-webhook "$WEBHOOK_MODULE@$WEBHOOK_VERSION"
    build_argo_rollouts
    build_karpenter
    go_mod_download_served
    if [ ! -x "$VENV/bin/moto_server" ]; then
        say "installing moto into $VENV"
        python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" || die "pip install of moto failed"
    fi
    if [ ! -x "$AWSCLI_VENV/bin/aws" ]; then
        say "installing the AWS CLI into $AWSCLI_VENV"
        python3 -m venv "$AWSCLI_VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
        "$AWSCLI_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/awscli-requirements.txt" || die "pip install of the AWS CLI (awscli) failed"
    fi
    "$AWSCLI_VENV/bin/aws" --version >/dev/null 2>&1 || die "missing component: the AWS CLI ($AWSCLI_VENV/bin/aws does not run)"
    say "binaries: $BIN"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_http() {
    # wait_http URL SECONDS WHAT
    local url=$1 limit=$2 what=$3 i
    for ((i = 0; i < limit * 10; i++)); do
        if python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    die "$what did not answer at $url within ${limit}s"
}

# PostgreSQL (Debian's package) for the workshop server's tests: a throwaway cluster in a
# folder the postgres user can reach, on a free port of 127.0.0.1.
PG_DIR=${KUBEDOJO_PG_DIR:-/tmp/kubedojo-testenv-pg-$(id -u)}

pg_bin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$d" ] && [ -x "$d/initdb" ] || return 1
    echo "$d"
}

apt_install() {
    # apt_install PACKAGE...: Debian packages the tests need, installed when missing
    command -v apt-get >/dev/null 2>&1 || die "missing Debian packages: $* (install them; no apt-get here)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$@" >"${TMPDIR:-/tmp}/kubedojo-apt.log" 2>&1 \
        || { $sudo apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$@" >"${TMPDIR:-/tmp}/kubedojo-apt.log" 2>&1; } \
        || { tail -20 "${TMPDIR:-/tmp}/kubedojo-apt.log" >&2; die "could not install $* (log: ${TMPDIR:-/tmp}/kubedojo-apt.log)"; }
}

build_debian() {
    pg_bin >/dev/null || apt_install postgresql
    pg_bin >/dev/null || die "missing component: PostgreSQL server (Debian package postgresql: /usr/lib/postgresql/*/bin/initdb)"
    command -v chromium >/dev/null 2>&1 || apt_install chromium
    command -v chromium >/dev/null 2>&1 || die "missing component: chromium (Debian package chromium, for the web board test)"
}

as_pg() {
    # PostgreSQL refuses to run as root: run its tools as the postgres user then
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() {
    local bin port
    bin=$(pg_bin) || die "missing component: PostgreSQL server"
    if [ -f "$PG_DIR/port" ] && as_pg "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
        say "PostgreSQL already running on 127.0.0.1:$(cat "$PG_DIR/port")"
        return
    fi
    rm -rf "$PG_DIR"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
    as_pg "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >"$RUN/postgres-initdb.log" 2>&1 \
        || { cat "$RUN/postgres-initdb.log" >&2; die "initdb failed"; }
    port=$(free_port)
    say "starting PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
    as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c max_connections=300 -c shared_buffers=128MB" start >/dev/null \
        || { cat "$PG_DIR/postgres.log" >&2; die "PostgreSQL did not start (log: $PG_DIR/postgres.log)"; }
    echo "$port" | as_pg tee "$PG_DIR/port" >/dev/null
}

pg_down() {
    local bin
    bin=$(pg_bin) || return 0
    if [ -d "$PG_DIR/data" ]; then
        as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 && say "stopped PostgreSQL"
        rm -rf "$PG_DIR"
    fi
}

env_text() {
    cat <<ENV
export KUBEDOJO_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:$(cat "$PG_DIR/port" 2>/dev/null)/postgres'
export KUBEDOJO_TEST_CHROMIUM='$(command -v chromium)'
ENV
    cat <<ENV
export KUBECONFIG='$RUN/kubeconfig'
export KUBEDOJO_TEST_KUBECONFIG='$RUN/kubeconfig'
export KUBEDOJO_TEST_AWS_ENDPOINT='$(cat "$RUN/moto.url" 2>/dev/null)'
export KUBEDOJO_TEST_BIN='$BIN'
export KUBEDOJO_TEST_MOTO_BIN='$VENV/bin'
export KUBEDOJO_TEST_AWSCLI_BIN='$AWSCLI_VENV/bin'
export KUBEDOJO_TEST_HELM_BIN='$HELM_BIN'
export KUBEDOJO_TEST_WEBHOOK_BIN='$WEBHOOK_BIN'
export KUBEDOJO_TEST_ARGO_BIN='$ARGO_BIN'
export KUBEDOJO_TEST_KARPENTER_BIN='$KARPENTER_BIN'
export PATH='$BIN':'$HELM_BIN':"\$PATH"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=$REGION
ENV
}

kwokctl_() {
    KWOK_WORKDIR="$RUN/kwok" "$BIN/kwokctl" "$@"
}

up() {
    build
    build_debian
    mkdir -p "$RUN"
    pg_up
    if [ -f "$RUN/moto.pid" ] && kill -0 "$(cat "$RUN/moto.pid")" 2>/dev/null; then
        say "moto already running at $(cat "$RUN/moto.url")"
    else
        local port
        port=$(free_port)
        say "starting moto on 127.0.0.1:$port"
        MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$RUN/moto.log" 2>&1 &
        echo $! >"$RUN/moto.pid"
        echo "http://127.0.0.1:$port" >"$RUN/moto.url"
        wait_http "http://127.0.0.1:$port/moto-api/" 30 "moto"
    fi
    if kwokctl_ get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
        # a cluster left by an earlier run may have lost its processes: start clean
        say "replacing the existing cluster $CLUSTER"
        kwokctl_ delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
    fi
    {
        say "starting cluster $CLUSTER (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)"
        kwokctl_ create cluster --name "$CLUSTER" --runtime binary --config "$HERE/kwok.yaml" \
            --kube-apiserver-binary "$BIN/kube-apiserver" \
            --kube-controller-manager-binary "$BIN/kube-controller-manager" \
            --kube-scheduler-binary "$BIN/kube-scheduler" \
            --kwok-controller-binary "$BIN/kwok" \
            --etcd-binary "$BIN/etcd" \
            --kubeconfig "$RUN/kubeconfig" \
            --wait 3m >"$RUN/kwokctl.log" 2>&1 || { cat "$RUN/kwokctl.log" >&2; die "kwokctl create cluster failed"; }
        kwokctl_ scale node --replicas 2 --name "$CLUSTER" >>"$RUN/kwokctl.log" 2>&1 || die "kwokctl scale node failed"
        # ready means: kwok runs (nodes Ready) and the controller manager runs (default SA)
        "$BIN/kubectl" --kubeconfig "$RUN/kubeconfig" wait --for=condition=Ready node --all --timeout=60s >/dev/null \
            || die "the nodes did not turn Ready (kwok controller log: $RUN/kwok/clusters/$CLUSTER/logs/kwok-controller.log)"
        local i
        for ((i = 0; i < 600; i++)); do
            "$BIN/kubectl" --kubeconfig "$RUN/kubeconfig" -n default get serviceaccount default >/dev/null 2>&1 && break
            sleep 0.1
        done
        [ "$i" -lt 600 ] || die "no default ServiceAccount after 60s (controller manager log: $RUN/kwok/clusters/$CLUSTER/logs/kube-controller-manager.log)"
        say "cluster ready: $("$BIN/kubectl" --kubeconfig "$RUN/kubeconfig" version 2>/dev/null | tail -1)"
    }
    env_text
}

down() {
    pg_down
    if [ -x "$BIN/kwokctl" ] && kwokctl_ get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
        say "deleting cluster $CLUSTER"
        kwokctl_ delete cluster --name "$CLUSTER" >/dev/null 2>&1 || say "kwokctl delete cluster failed"
    fi
    if [ -f "$RUN/moto.pid" ]; then
        kill "$(cat "$RUN/moto.pid")" 2>/dev/null || true
        rm -f "$RUN/moto.pid" "$RUN/moto.url"
        say "stopped moto"
    fi
}

status() {
    if [ -x "$BIN/kwokctl" ]; then kwokctl_ get clusters 2>/dev/null | sed 's/^/cluster: /'; fi
    if [ -f "$RUN/moto.pid" ] && kill -0 "$(cat "$RUN/moto.pid")" 2>/dev/null; then echo "moto: $(cat "$RUN/moto.url")"; else echo "moto: stopped"; fi
    if [ -f "$PG_DIR/port" ]; then echo "postgresql: 127.0.0.1:$(cat "$PG_DIR/port")"; else echo "postgresql: stopped"; fi
}

case "${1:-}" in
    build) build; build_debian ;;
    up) up ;;
    down) down ;;
    env) env_text ;;
    status) status ;;
    *) echo "usage: $0 build|up|down|env|status" >&2; exit 2 ;;
esac
