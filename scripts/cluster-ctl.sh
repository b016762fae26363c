#!/usr/bin/env bash
# Restarts or stops a cluster made by scripts/lib.sh, as its owner: the chaos tests
# use it to take PostgreSQL away from a running service.
# Usage: scripts/cluster-ctl.sh restart|stop|start DIR [fast|immediate]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

action="${1:?usage: cluster-ctl.sh restart|stop|start DIR [mode]}"
dir="${2:?cluster directory}"
mode="${3:-fast}"
case "$action" in
restart)
    as_cluster_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m "$mode" -w -t 60 restart >/dev/null
    ;;
stop) cluster_stop "$dir" "$mode" ;;
start) cluster_start "$dir" ;;
*) die "unknown action $action" ;;
esac
