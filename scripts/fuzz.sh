#!/usr/bin/env bash
# `make fuzz` / `make fuzz-smoke`: builds the libFuzzer harnesses of fuzz/ and runs each for a while.
# Usage: scripts/fuzz.sh [seconds-per-harness] [harness ...]
#   FUZZ_RUNS=N (and FUZZ_SEED, default 1) instead bound each harness by N inputs from a fixed seed, so a run
#   finds the same things on any machine (the seconds stay an upper bound).
#   seconds   how long each harness runs (default 60)
#   harness   jpeg, png, http_request, multipart, request_target (default: all five, one after the other)
#
# Harnesses (built with the Swift toolchain's clang and swiftc, -fsanitize=fuzzer,address, into .build-tools/fuzz):
#   jpeg, png      fuzz/kernel_fuzzer.c over the C kernel (Sources/CImageKernel): ik_probe, ik_decode, ik_process
#   http_request   fuzz/http_request_fuzzer.swift over the HTTP/1.1 request parser (Sources/HTTPProtocol)
#   multipart      fuzz/multipart_fuzzer.swift over the multipart/form-data parser (same folder)
#   request_target fuzz/request_target_fuzzer.swift over the canonical request path (same folder)
#
# Each starts from the seed corpus in fuzz/corpus/<harness> (kept in git, written by fuzz/make_seeds.py) plus
# what earlier runs found, in .build-tools/fuzz/corpus/<harness> (git-ignored; the seeds are never written to).
# A crash, a leak, a timeout (10 s for one input) or a breached invariant stops that harness and leaves the input
# in .build-tools/fuzz/artifacts/; the script goes on with the others, prints a summary with the executions of
# each, and exits non-zero if any failed. Reproduce one with: .build-tools/fuzz/<harness> <artifact>
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds="${1:-60}"
shift || true
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then harnesses=(jpeg png http_request multipart request_target); fi
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "seconds must be a positive integer, not '$seconds'"

readonly TOOLCHAIN_BIN="${SWIFT_TOOLCHAIN_BIN:-$(dirname "$(readlink -f "$(command -v swiftc)")")}"
readonly OUT="$REPO_ROOT/.build-tools/fuzz"
readonly KERNEL="$REPO_ROOT/Sources/CImageKernel"
readonly HTTP_SOURCES="$REPO_ROOT/Sources/HTTPProtocol"

"$REPO_ROOT/scripts/deps.sh"
[[ -x "$TOOLCHAIN_BIN/clang" ]] || die "no clang beside swiftc in $TOOLCHAIN_BIN (set SWIFT_TOOLCHAIN_BIN)"
mkdir -p "$OUT/artifacts"

# Builds harness `name` into $OUT/name.
build() {
    local name="$1"
    log "building the $name harness"
    case "$name" in
    jpeg | png)
        local format=IK_FORMAT_JPEG
        [[ "$name" == png ]] && format=IK_FORMAT_PNG
        "$TOOLCHAIN_BIN/clang" -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address -fuse-ld=lld \
            -DFUZZ_FORMAT="$format" -I "$KERNEL/include" "$KERNEL"/*.c "$REPO_ROOT/fuzz/kernel_fuzzer.c" \
            -ljpeg -lpng16 -lm -o "$OUT/$name"
        ;;
    http_request | multipart | request_target)
        # The parser's files depend only on the standard library, Glibc and Foundation, so they compile into the
        # harness directly, as one module with it (internal types stay reachable).
        "$TOOLCHAIN_BIN/swiftc" -O -g -sanitize=fuzzer,address -use-ld=lld -parse-as-library -module-name HTTPFuzz \
            -module-cache-path "$OUT/module-cache" \
            "$HTTP_SOURCES"/*.swift "$REPO_ROOT/fuzz/${name}_fuzzer.swift" -o "$OUT/$name"
        ;;
    *) die "unknown harness '$name' (jpeg, png, http_request, multipart, request_target)" ;;
    esac
}

# Runs harness `name` for $seconds; prints its executions. Fails when libFuzzer reports a finding.
run() {
    local name="$1" log_file="$OUT/$1.log" max_len=65536 dictionary=()
    case "$name" in
    http_request | multipart | request_target) max_len=4096 ;;
    esac
    if [[ -f "$REPO_ROOT/fuzz/$name.dict" ]]; then dictionary=(-dict="$REPO_ROOT/fuzz/$name.dict"); fi
    mkdir -p "$OUT/corpus/$name"
    log "fuzzing $name for ${seconds}s (log: $log_file)"
    local status=0
    # The first corpus folder receives new inputs; the seed folder is only read.
    # FUZZ_RUNS and FUZZ_SEED make a run repeatable (CI's smoke): the same inputs in the same order, at any speed.
    local repeatable=()
    if [[ -n "${FUZZ_RUNS:-}" ]]; then repeatable=(-runs="$FUZZ_RUNS" -seed="${FUZZ_SEED:-1}"); fi
    "$OUT/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" "${repeatable[@]}" \
        -print_final_stats=1 \
        -artifact_prefix="$OUT/artifacts/$name-" "${dictionary[@]}" \
        "$OUT/corpus/$name" "$REPO_ROOT/fuzz/corpus/$name" >"$log_file" 2>&1 || status=$?
    local executions
    executions="$(awk '/stat::number_of_executed_units/ { print $2 }' "$log_file")"
    summary+=("$(printf '%-13s %12s executions in at most %ss' "$name" "${executions:-?}" "$seconds")")
    if ((status != 0)); then
        summary[-1]+="  FAILED (exit $status): see $log_file"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)|Fatal error|Precondition failed' \
            "$log_file" >&2 || tail -n 30 "$log_file" >&2
        return 1
    fi
}

for name in "${harnesses[@]}"; do build "$name"; done
summary=()
failed=0
for name in "${harnesses[@]}"; do run "$name" || failed=1; done
log "summary"
printf '  %s\n' "${summary[@]}" >&2
exit "$failed"
