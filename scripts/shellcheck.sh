#!/usr/bin/env bash
# `make shellcheck`: shellcheck on every shell script git tracks (a name ending .sh or .bash, or a sh, bash, dash
# or ksh shebang), so that a new script is checked without being listed; or on the scripts given.
# Usage: scripts/shellcheck.sh [FILE...]. Installs Debian's shellcheck through scripts/deps.sh when missing.
# Settings every run and an editor share are in .shellcheckrc. Exits non-zero on any finding.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

# Prints the tracked shell scripts, one a line.
shell_scripts() {
    local file first
    while IFS= read -r -d '' file; do
        [[ -f "$file" ]] || continue
        case "$file" in
            *.sh | *.bash) echo "$file" ;;
            *)
                IFS= read -r first <"$file" || true
                if [[ "$first" =~ ^#!.*[/[:space:]](ba|da|k)?sh([[:space:]]|$) ]]; then echo "$file"; fi
                ;;
        esac
    done < <(git ls-files -z)
}

command -v shellcheck >/dev/null || scripts/deps.sh shellcheck
scripts=("$@")
if ((${#scripts[@]} == 0)); then mapfile -t scripts < <(shell_scripts); fi
shellcheck "${scripts[@]}"
echo "${#scripts[@]} shell scripts, $(shellcheck --version | sed -n 's/^version: //p'): no findings"
