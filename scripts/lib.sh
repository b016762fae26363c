# shellcheck shell=bash
# Shared helpers for the developer scripts: logging, privilege handling, the Python
# virtual environments of the test tools, and the life cycle of a PostgreSQL cluster
# kept in a directory of our own.
#
# Sourced, never run. A cluster directory has this layout:
#   <dir>/data/         PGDATA; the server's unix socket lives here too
#   <dir>/server.log    the server's log (its tail is printed when start fails)
#
# PostgreSQL refuses to run as root. When we are root (CI, containers) initdb and
# pg_ctl run as the `postgres` system user and the cluster directory belongs to it;
# otherwise they run as the current user.

# shellcheck disable=SC2034 # used by the scripts that source this file
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT

# The superuser initdb creates; clients connect as this role.
readonly PG_SUPERUSER=postgres

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Prints the python of the virtual environment .build-tools/venv-NAME (git-ignored), made from the pip requirements
# file REQUIREMENTS (pinned versions), anew only when that file changed: a copy of it in the venv is the stamp.
# Installs python3 and python3-venv through scripts/deps.sh when missing. Only the path goes to stdout.
# Usage: python="$(python_venv NAME REQUIREMENTS)"
python_venv() {
    local name="$1" requirements="$2"
    local venv="$REPO_ROOT/.build-tools/venv-$name"
    if [[ -x "$venv/bin/python" ]] && cmp -s "$requirements" "$venv/requirements.txt"; then
        echo "$venv/bin/python"
        return
    fi
    # Explicit returns: bash runs a command substitution without `set -e`.
    command -v python3 >/dev/null || "$REPO_ROOT/scripts/deps.sh" python3 >&2 || return
    python3 -m ensurepip --version >/dev/null 2>&1 || "$REPO_ROOT/scripts/deps.sh" python3-venv >&2 || return
    log "creating $venv from ${requirements#"$REPO_ROOT/"}"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || return
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 || return
    cp "$requirements" "$venv/requirements.txt" || return
    echo "$venv/bin/python"
}

# The system user that owns and runs clusters.
cluster_owner() {
    if is_root; then echo postgres; else id -un; fi
}

# Runs a command as the cluster owner, from `/` so that an unreadable working
# directory does not upset initdb or pg_ctl.
as_cluster_owner() {
    if ! is_root; then
        (cd / && "$@")
    elif command -v runuser >/dev/null; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
    fi
}

# Prints the directory holding the server binaries (initdb, pg_ctl, postgres).
# Debian keeps them in /usr/lib/postgresql/<version>/bin, off PATH.
pg_bindir() {
    local dir
    if command -v pg_config >/dev/null; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        # pg_config comes with libpq-dev, whose version may differ from the server's.
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            echo "$dir"
            return
        fi
    fi
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    if [[ -n "$dir" && -x "$dir/pg_ctl" ]]; then
        echo "$dir"
        return
    fi
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        dirname "$(command -v pg_ctl)"
        return
    fi
    die "PostgreSQL server binaries not found (looked in pg_config --bindir, /usr/lib/postgresql/*/bin, PATH);" \
        "run scripts/deps.sh"
}

# Fails with an explanation unless `user` can traverse `dir` and all its ancestors.
require_traversable() {
    local user="$1" dir="$2" path="" part
    local -a parts
    IFS=/ read -ra parts <<<"${dir#/}"
    for part in "${parts[@]}"; do
        path="$path/$part"
        [[ -d "$path" ]] || break
        if ! as_cluster_owner test -x "$path"; then
            die "user '$user' cannot enter $path ($(stat -c '%A %U:%G' "$path")), so PostgreSQL cannot reach its" \
                "cluster under $dir." \
                "Make it traversable (chmod o+x $path) or keep the repository elsewhere."
        fi
    done
}

# Succeeds when something accepts TCP connections on 127.0.0.1:port.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints a TCP port on 127.0.0.1 that nothing listens on, below Linux's ephemeral
# range (32768+) so that outgoing connections do not hold it. Racy by nature; the
# caller retries when the server then fails to bind.
free_port() {
    local port attempt
    for attempt in $(seq 1 100); do
        port=$((15000 + RANDOM % 17000))
        if ! port_in_use "$port"; then
            echo "$port"
            return
        fi
    done
    die "no free TCP port found on 127.0.0.1 after $attempt attempts"
}

# Prints the ids of the live (not zombie) processes of session `sid`, from
# /proc/<pid>/stat: field 3 is the state, field 6 the session id.
session_members() {
    local stat line pid
    local -a fields
    for stat in /proc/[0-9]*/stat; do
        { read -r line <"$stat"; } 2>/dev/null || continue
        # The command name, in parentheses, may contain spaces: split after it.
        read -ra fields <<<"${line##*) }"
        if [[ "${fields[3]}" == "$1" && "${fields[0]}" != Z ]]; then
            pid="${stat#/proc/}"
            echo "${pid%/stat}"
        fi
    done
}

# Sends TERM to every process of session `sid`, then KILL to those still there after 10 s.
end_session() {
    local sid="$1" pid attempt
    local -a members
    for attempt in $(seq 1 50); do
        mapfile -t members < <(session_members "$sid")
        ((${#members[@]} > 0)) || return 0
        for pid in "${members[@]}"; do
            if ((attempt == 50)); then kill -KILL "$pid"; else kill -TERM "$pid"; fi 2>/dev/null
        done
        sleep 0.2
    done
}

# Quotes a value for postgresql.conf (single quotes, inner quotes doubled).
conf_quote() {
    local value="${1//\'/\'\'}"
    printf "'%s'" "$value"
}

# Creates an empty cluster in `dir` (which must be empty or absent).
# Authentication is `trust` (any role, no password) over the unix socket and
# 127.0.0.1 only: acceptable for a developer's or a test's cluster on a single-user
# machine, never for anything reachable by others. `listen_addresses` (see
# cluster_configure) keeps it off the network.
# Extra arguments go to initdb (e.g. --no-sync for a throwaway cluster).
cluster_init() {
    local dir="$1"
    shift
    local bindir owner
    bindir="$(pg_bindir)"
    owner="$(cluster_owner)"
    mkdir -p "$dir"
    if is_root; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' user to run PostgreSQL as; install the postgresql package"
        require_traversable "$owner" "$(dirname "$dir")"
        chown postgres:postgres "$dir"
    fi
    chmod 700 "$dir"
    log "initdb $dir/data (as $owner)"
    if ! as_cluster_owner "$bindir/initdb" -D "$dir/data" -A trust -U "$PG_SUPERUSER" -E UTF8 --locale=C "$@" \
        >"$dir/initdb.log" 2>&1; then
        tail -n 30 "$dir/initdb.log" >&2
        die "initdb failed (log above, full log in $dir/initdb.log)"
    fi
    # Our settings live in a file of their own, rewritten at every start.
    printf "\ninclude_if_exists = 'imageproc.conf'\n" >>"$dir/data/postgresql.conf"
}

# Writes the server settings: port, 127.0.0.1 only, socket in the data directory.
# Extra arguments are further `name = value` lines.
cluster_configure() {
    local dir="$1" port="$2"
    shift 2
    local socket_dir="$dir/data"
    # A unix socket path is limited to 107 bytes (sun_path); beyond that, TCP only.
    if ((${#socket_dir} + 16 > 107)); then
        warn "$socket_dir is too long for a unix socket; the server listens on TCP only"
        socket_dir=""
    fi
    {
        echo "# Written by scripts/lib.sh at every start; edit the scripts, not this file."
        echo "port = $port"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = $(conf_quote "$socket_dir")"
        printf '%s\n' "$@"
    } >"$dir/data/imageproc.conf"
    if is_root; then chown postgres:postgres "$dir/data/imageproc.conf"; fi
}

# Succeeds when the cluster in `dir` has a running server.
cluster_running() {
    [[ -f "$1/data/postmaster.pid" ]] || return 1
    as_cluster_owner "$(pg_bindir)/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

# Prints the port of the running server in `dir` (line 4 of postmaster.pid).
cluster_port() {
    sed -n 4p "$1/data/postmaster.pid"
}

# Starts the server in `dir` and waits until it accepts connections. On failure
# prints the tail of the log and returns 1 (the caller decides whether to retry).
cluster_start() {
    local dir="$1"
    if ! as_cluster_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
        warn "PostgreSQL did not start; last lines of $dir/server.log:"
        tail -n 20 "$dir/server.log" >&2 || true
        return 1
    fi
}

# Stops the server in `dir` if it runs. `mode` is a pg_ctl shutdown mode.
cluster_stop() {
    local dir="$1" mode="${2:-fast}"
    if cluster_running "$dir"; then
        as_cluster_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null
    fi
}

# Prints the libpq URL of database `name` on the local server at `port`.
database_url() {
    echo "postgresql://$PG_SUPERUSER@127.0.0.1:$1/$2"
}

# Creates database `name` on the local server at `port` unless it exists.
ensure_database() {
    local port="$1" name="$2" bindir exists
    bindir="$(pg_bindir)"
    exists="$("$bindir/psql" -X -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d postgres -v ON_ERROR_STOP=1 -tA \
        -v name="$name" <<<"select 1 from pg_database where datname = :'name'")"
    if [[ "$exists" != 1 ]]; then
        log "createdb $name"
        "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" "$name"
    fi
}

# Fails loudly unless the database at `url` answers a query; prints its version.
require_database_reachable() {
    local url="$1" version
    if ! version="$("$(pg_bindir)/psql" -X "$url" -v ON_ERROR_STOP=1 -tAc 'select version()' 2>&1)"; then
        die "database at $url is not reachable: $version"
    fi
    log "database: $version"
}

# Creates and starts a throwaway cluster in `dir` (fast and not crash-safe: only for
# tests) with database `imageproc`, and prints its port. Extra arguments are further
# server settings. Retries with another port if one is taken meanwhile.
throwaway_cluster() {
    local dir="$1" attempt port
    shift
    cluster_init "$dir" --no-sync
    for attempt in 1 2 3; do
        port="$(free_port)"
        cluster_configure "$dir" "$port" "fsync = off" "full_page_writes = off" "$@"
        log "starting a throwaway PostgreSQL on 127.0.0.1:$port ($dir)"
        if cluster_start "$dir"; then
            ensure_database "$port" imageproc
            echo "$port"
            return 0
        fi
        # Another program may have taken the port since we probed it.
        if ((attempt == 3)) || ! grep -q 'could not bind' "$dir/server.log"; then
            die "could not start the throwaway cluster in $dir"
        fi
    done
}

# Stops the throwaway cluster in `dir` (if any) and deletes it.
cluster_remove() {
    local dir="$1"
    [[ -n "$dir" ]] || return 0
    cluster_stop "$dir" immediate
    rm -rf "$dir"
}

# Ends this script through its EXIT trap on Ctrl-C or kill, with the usual statuses.
trap_signals() {
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

