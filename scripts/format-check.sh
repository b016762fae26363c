#!/usr/bin/env bash
# `make format-check`: every tracked Swift and C file against the committed style. Both languages: lines of at
# most 120 columns (.swift-format's lineLength, .clang-format's ColumnLimit), no tabs, no trailing whitespace, a
# final newline. C also: `clang-format --dry-run --Werror` with .clang-format, clang-format pinned in
# tests/format/requirements.txt (.build-tools/venv-format). `swift format lint --strict` is not run: it also asks
# for line breaks and trailing commas that code written before this check does not have.
# Usage: scripts/format-check.sh [FILE...] (paths from the repository's root; default: every tracked one).
# Prints each offence as file:line and a count per rule; exits 1 when there is any.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

readonly COLUMNS_MAX=120
offences=0
summary=()

# Records the offences printed by a command (one a line, `file:line...`) under a rule's name.
rule() {
    local name="$1" output count
    shift
    output="$("$@" || true)"
    count=0
    if [[ -n "$output" ]]; then
        printf '%s\n' "$output" | sed "s/\$/  [$name]/"
        count="$(wc -l <<<"$output")"
    fi
    offences=$((offences + count))
    summary+=("$(printf '%-20s %s' "$name" "$count")")
}

# Lines longer than COLUMNS_MAX characters (not bytes: UTF-8).
long_lines() { LC_ALL=C.UTF-8 grep -nE "^.{$((COLUMNS_MAX + 1)),}" "$@" | cut -d: -f1,2; }
tab_lines() { grep -n $'\t' "$@" | cut -d: -f1,2; }
trailing_whitespace() { grep -nE '[[:space:]]$' "$@" | cut -d: -f1,2; }
# A last line without its newline: `$(tail -c 1)` is empty when the last byte is one.
missing_final_newline() {
    local file
    for file in "$@"; do
        if [[ -s "$file" && -n "$(tail -c 1 "$file")" ]]; then echo "$file:$(($(wc -l <"$file") + 1))"; fi
    done
}
# The lines where clang-format would change something.
clang_format_regions() {
    (($# > 0)) || return 0
    "$clang_format" --dry-run --Werror "$@" 2>&1 |
        sed -n 's/^\([^:]*:[0-9]*\):[0-9]*: error: .*clang-format.*/\1/p' | uniq
}

if (($# == 0)); then
    mapfile -t tracked < <(git ls-files '*.swift' '*.c' '*.h')
    set -- "${tracked[@]}"
fi
swift_files=()
c_files=()
for file in "$@"; do
    case "$file" in
        *.swift) swift_files+=("$file") ;;
        *.c | *.h) c_files+=("$file") ;;
        *) die "$file: neither Swift nor C" ;;
    esac
done
files=("${swift_files[@]}" "${c_files[@]}")
python="$(python_venv format "$REPO_ROOT/tests/format/requirements.txt")"
clang_format="$(dirname "$python")/clang-format"

rule "over $COLUMNS_MAX columns" long_lines "${files[@]}"
rule "tab" tab_lines "${files[@]}"
rule "trailing whitespace" trailing_whitespace "${files[@]}"
rule "no final newline" missing_final_newline "${files[@]}"
rule "clang-format" clang_format_regions "${c_files[@]}"

echo
echo "format check of ${#swift_files[@]} Swift and ${#c_files[@]} C files ($("$clang_format" --version)):"
printf '  %s\n' "${summary[@]}"
if ((offences > 0)); then
    echo "$offences offences; for C, clang-format -i FILE writes what .clang-format asks" >&2
    exit 1
fi
echo "no offences"
