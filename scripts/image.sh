#!/usr/bin/env bash
# The container image for real: `make image` builds the Dockerfile with podman, `make image-check` runs the image as
# the Kubernetes Deployment (k8s/base) runs it, against a real PostgreSQL.
#
# Usage: scripts/image.sh build | check
#   build  installs podman, runc and debootstrap when missing (scripts/deps.sh); makes local stand-ins for the
#          Dockerfile's base images when no image of their names exists (below); builds the Dockerfile, tags IMAGE
#          and prints its size.
#   check  runs IMAGE as the Deployment does: read-only root filesystem, a tmpfs /tmp and nothing else writable,
#          user 10001, no capabilities, no privilege escalation, 1 GiB, the environment of k8s/base/config/
#          imageproc.env (HOST=0.0.0.0, JSON logs, the crash reporter's settings) with the API tokens in a file
#          mounted read-only where the Secret goes, against a throwaway PostgreSQL. It uploads a photo twice (a
#          grayscale 800-px JPEG, a 640-px PNG), waits until both jobs are completed, downloads the results and
#          decodes them with djpeg and pngtopnm to check format and size, compares the stored original byte for
#          byte, runs the image's HEALTHCHECK (podman healthcheck run), and stops the container with SIGTERM,
#          which must end with status 0. The first failure stops the check with the container's log.
#          The container and the database are removed however the script ends.
# Environment: IMAGE (default imageproc:dev).
#
# Stand-ins: these machines cannot pull from a registry. When the Dockerfile's runtime base (debian:*-slim) is
# missing, a Debian bookworm root made with debootstrap from the host's Debian archive (cached as a tarball in
# .build-tools/image/) is imported under its name; when the builder (swift:<version>-bookworm) is missing, it is
# built from that root with the host's Swift toolchain under /usr (tests/image/swift-standin.Containerfile), and
# only if the host's Swift is that version. Both get the names a pull would give them (docker.io/library/…), so
# the Dockerfile itself is built as anywhere else; a machine with a registry just pulls them.
#
# podman on these machines: `--runtime runc` (crun refuses the host's hybrid v1/v2 cgroups); explicit nofile and
# nproc ulimits (without them runc cannot set the rlimits here, nor with nproc at 65536 or more: 4096 is plenty for
# the service's threads); storage: podman's default overlay driver (native overlay works on this ext4, so no vfs);
# `--format docker`, because OCI images have no HEALTHCHECK. Swift packages come from the local mirror that the
# host's git `url.<mirror>.insteadOf` settings name: the build mounts each such mirror read-only at the same path
# and a gitconfig with those settings as /etc/gitconfig, and adds nothing when the host has none. The container
# runs with `--network host` (it reaches the throwaway PostgreSQL on 127.0.0.1) and therefore listens on a free
# port of the host instead of 8080.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

readonly IMAGE="${IMAGE:-imageproc:dev}"
readonly CACHE_DIR="$REPO_ROOT/.build-tools/image"
readonly PODMAN=(podman --runtime runc)
readonly RUN_LIMITS=(--ulimit nofile=16384:16384 --ulimit nproc=4096:4096)
# The photo of the check: one of Debian's mate-backgrounds (2560 x 1600, baseline JPEG), cached beside the root.
readonly PHOTO_PACKAGE=mate-backgrounds
readonly PHOTO_PATH=usr/share/backgrounds/mate/nature/LadyBird.jpg

mkdir -p "$CACHE_DIR"
WORK_DIR="$(mktemp -d /tmp/imageproc-image.XXXXXX)"
readonly WORK_DIR
container=""
cluster=""

# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    set +e
    if [[ -n "$container" ]]; then
        podman_quiet rm --force --time 5 "$container" >/dev/null
    fi
    [[ -z "$cluster" ]] || log "removing the throwaway PostgreSQL $cluster"
    cluster_remove "$cluster"
    rm -rf "$WORK_DIR"
}
trap cleanup EXIT
trap_signals

# podman 4.3 logs an error whenever a container with a HEALTHCHECK starts or goes and no systemd runs to keep the
# check's timer; harmless here (image-check runs the HEALTHCHECK itself), so those lines are dropped.
podman_quiet() {
    "${PODMAN[@]}" "$@" 2> >(grep -v 'unable to get systemd connection' >&2)
}

# Prints the seconds since `start` (a $SECONDS value).
since() { echo "$((SECONDS - $1)) s"; }

# --- base images and their stand-ins ------------------------------------------------------------------------------

# Prints the image that the Dockerfile's stage `name` starts FROM, as a pull would name it (docker.io/library/…).
stage_base() {
    local name
    name="$(sed -n "s/^FROM[[:space:]]\{1,\}\([^[:space:]]\{1,\}\)[[:space:]]\{1,\}AS[[:space:]]\{1,\}$1\$/\1/Ip" \
        Dockerfile)"
    [[ -n "$name" ]] || die "the Dockerfile has no stage '$1' (FROM <image> AS $1)"
    case "$name" in
        */*/*) echo "$name" ;;
        */*) echo "docker.io/$name" ;;
        *) echo "docker.io/library/$name" ;;
    esac
}

# Prints "<uri> <suite>" for each bookworm suite of the host's Debian archive (from its apt configuration, so the
# stand-in uses the same archive, mirror or proxy as the host).
debian_suites() {
    # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders, not the shell's
    local targets format='$(REPO_URI) $(RELEASE)'
    targets="$(apt-get indextargets --format "$format" 2>/dev/null | sort -u)"
    if [[ -z "$targets" ]]; then
        apt-get update -q >&2
        targets="$(apt-get indextargets --format "$format" | sort -u)"
    fi
    awk '$2 ~ /^bookworm(-updates|-security)?$/' <<<"$targets"
}

# Makes the Debian bookworm root of the stand-ins in .build-tools/image/bookworm-rootfs.tar, once: debootstrap's
# minbase (what the official images start from), trimmed as their slim variant is (no manuals, documentation but
# the copyrights, or translations, and dpkg told to leave them out of later installs too), with apt sources for
# bookworm, its updates and its security archive.
make_rootfs() {
    local tarball="$1" root="$CACHE_DIR/rootfs.partial" main uri
    local -a suites
    mapfile -t suites < <(debian_suites)
    main="$(printf '%s\n' "${suites[@]}" | awk '$2 == "bookworm" { print $1; exit }')"
    [[ -n "$main" ]] || die "the host's apt sources have no bookworm archive to debootstrap from"
    rm -rf "$root"
    log "debootstrap --variant=minbase bookworm from $main (the host's archive)"
    debootstrap --variant=minbase bookworm "$root" "$main" >"$CACHE_DIR/debootstrap.log" 2>&1 || {
        tail -n 20 "$CACHE_DIR/debootstrap.log" >&2
        die "debootstrap failed"
    }
    rm -f "$root/etc/apt/sources.list"
    for uri in $(printf '%s\n' "${suites[@]}" | awk '{ print $1 }' | sort -u); do
        printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\n' "$uri" \
            "$(printf '%s\n' "${suites[@]}" | awk -v uri="$uri" '$1 == uri { print $2 }' | paste -sd ' ')"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n'
    done >"$root/etc/apt/sources.list.d/debian.sources"
    cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    # No service starts inside a build (as in the official images).
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 0755 "$root/usr/sbin/policy-rc.d"
    find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/*
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/log/* "$root/etc/resolv.conf" \
        "$root/etc/hostname"
    : >"$root/etc/machine-id"
    tar -C "$root" --numeric-owner -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$root"
    log "cached the bookworm root: ${tarball#"$REPO_ROOT/"} ($(du -h "$tarball" | cut -f1))"
}

# Imports the bookworm root as image `name` (the runtime stage's base).
make_debian_standin() {
    local name="$1" tarball="$CACHE_DIR/bookworm-rootfs.tar"
    [[ -f "$tarball" ]] || make_rootfs "$tarball"
    log "importing the bookworm root as $name (stand-in)"
    "${PODMAN[@]}" import --quiet --change 'CMD ["bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        "$tarball" "$name" >/dev/null
}

# Builds the builder stand-in `name` (swift:<version>-bookworm) on `base` with the host's toolchain.
make_swift_standin() {
    local name="$1" base="$2" version toolchain have
    version="${name##*:}"
    version="${version%%-*}"
    command -v swift >/dev/null || die "no Swift on this machine to make a stand-in for $name from"
    have="$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -n 1)"
    [[ "$have" == "$version" ]] || die "$name is missing and the host's Swift is $have, not $version: no stand-in"
    # The toolchain's root: swift is <root>/usr/bin/swift.
    toolchain="$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")"
    log "building $name (stand-in) on $base with the Swift $have of $toolchain"
    "${PODMAN[@]}" build --format docker --pull=never "${RUN_LIMITS[@]}" -v "$toolchain:/toolchain:ro" \
        --build-arg "BASE=$base" -t "$name" -f tests/image/swift-standin.Containerfile tests/image \
        >"$CACHE_DIR/standin.log" 2>&1 || {
        tail -n 30 "$CACHE_DIR/standin.log" >&2
        die "building the stand-in $name failed"
    }
}

ensure_base_images() {
    local builder runtime start=$SECONDS
    builder="$(stage_base builder)"
    runtime="$(stage_base runtime)"
    if "${PODMAN[@]}" image exists "$runtime"; then
        log "$runtime: present"
    else
        make_debian_standin "$runtime"
    fi
    if "${PODMAN[@]}" image exists "$builder"; then
        log "$builder: present"
    else
        make_swift_standin "$builder" "$runtime"
        log "stand-ins made in $(since "$start")"
    fi
}

# --- build --------------------------------------------------------------------------------------------------------

# Prints podman build's mount options, one word a line, for the host's git insteadOf rules: each local mirror
# read-only at its own path, and a gitconfig of just those rules as the builder's /etc/gitconfig.
mirror_mounts() {
    local key value base gitconfig="$WORK_DIR/gitconfig"
    local -A seen=()
    while read -r key value; do
        base="${key#url.}"
        base="${base%.insteadof}"
        git config --file "$gitconfig" --add "url.$base.insteadOf" "$value"
        if [[ "$base" == /* && -d "$base" && -z "${seen[$base]:-}" ]]; then
            seen[$base]=1
            printf '%s\n' -v "${base%/}:${base%/}:ro"
        fi
    done < <(git config --get-regexp '^url\..*\.insteadof$' || true)
    if [[ -f "$gitconfig" ]]; then
        chmod 0644 "$gitconfig"
        printf '%s\n' -v "$gitconfig:/etc/gitconfig:ro"
        log "git for the build: $(git config --file "$gitconfig" --get-regexp '^url\.' | paste -sd ';')"
    fi
}

build() {
    local start=$SECONDS size binary
    local -a mounts
    scripts/deps.sh podman runc debootstrap
    ensure_base_images
    mapfile -t mounts < <(mirror_mounts)
    log "podman build -t $IMAGE (a release build of the service: minutes when the sources changed)"
    "${PODMAN[@]}" build --format docker --pull=missing --layers "${RUN_LIMITS[@]}" "${mounts[@]}" \
        -t "$IMAGE" -f Dockerfile . >"$CACHE_DIR/build.log" 2>&1 || {
        tail -n 40 "$CACHE_DIR/build.log" >&2
        die "podman build failed (whole log: ${CACHE_DIR#"$REPO_ROOT/"}/build.log)"
    }
    size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")"
    binary="$(podman_quiet run --rm "${RUN_LIMITS[@]}" --network none --entrypoint /usr/bin/stat "$IMAGE" \
        -c %s /app/imageproc /app/swift-backtrace-static | paste -sd ' ')"
    log "built $IMAGE in $(since "$start"): $((size / 1000000)) MB uncompressed" \
        "(imageproc $((${binary% *} / 1000000)) MB, swift-backtrace-static $((${binary#* } / 1000000)) MB)"
}

# --- check --------------------------------------------------------------------------------------------------------

fail() {
    if [[ -n "$container" ]]; then
        warn "the container's last log lines:"
        "${PODMAN[@]}" logs --tail 30 "$container" >&2 || true
    fi
    die "$@"
}

# Polls `url` until it answers 200, for at most `seconds`; fails when the container stops meanwhile.
wait_for_ok() {
    local url="$1" seconds="$2" deadline=$((SECONDS + $2))
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == 200 ]]; do
        if [[ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$container")" != true ]]; then
            fail "the container stopped while waiting for $url"
        fi
        ((SECONDS < deadline)) || fail "$url did not answer 200 within $seconds s"
        sleep 0.5
    done
}

# Checks that `file` decodes (djpeg or pngtopnm, by `format`) to an image of `width` x `height` with `channels`
# (1 gray, 3 colour), every pixel there.
check_decodes() {
    local file="$1" format="$2" width="$3" height="$4" channels="$5" pnm="$1.pnm" magic w h maxval header
    case "$format" in
        jpeg) djpeg -pnm "$file" >"$pnm" 2>"$WORK_DIR/decode.err" ;;
        png) pngtopnm "$file" >"$pnm" 2>"$WORK_DIR/decode.err" ;;
    esac || fail "the $format result does not decode: $(cat "$WORK_DIR/decode.err")"
    { read -r magic && read -r w h && read -r maxval; } <"$pnm"
    local expected_magic=P6
    ((channels == 1)) && expected_magic=P5
    [[ "$magic $w $h $maxval" == "$expected_magic $width $height 255" ]] ||
        fail "the $format result is $magic ${w}x$h (max $maxval), not $expected_magic ${width}x$height"
    header=$((${#magic} + ${#w} + ${#h} + ${#maxval} + 4))
    (($(stat -c %s "$pnm") == header + width * height * channels)) || fail "the $format result lacks pixels"
}

# Uploads the photo with `query`, waits for the job and checks its result; prints the job's id.
check_job() {
    local query="$1" format="$2" width="$3" height="$4" channels="$5" id status code type deadline
    code="$(curl -sS -o "$WORK_DIR/upload.json" -w '%{http_code}' -H "$AUTH" -F "file=@$PHOTO;type=image/jpeg" \
        "$BASE_URL/api/images?$query")"
    [[ "$code" == 202 ]] || fail "upload ?$query: HTTP $code $(cat "$WORK_DIR/upload.json")"
    id="$(jq -er .id "$WORK_DIR/upload.json")"
    deadline=$((SECONDS + 120))
    while :; do
        curl -sSf -o "$WORK_DIR/status.json" -H "$AUTH" "$BASE_URL/api/images/$id?wait=10" ||
            fail "status of $id did not answer"
        status="$(jq -er .status "$WORK_DIR/status.json")"
        case "$status" in
            completed) break ;;
            failed) fail "job $id (?$query) failed: $(cat "$WORK_DIR/status.json")" ;;
        esac
        ((SECONDS < deadline)) || fail "job $id (?$query) still $status after 120 s"
    done
    read -r code type < <(curl -sS -o "$WORK_DIR/$id.$format" -w '%{http_code} %{content_type}\n' -H "$AUTH" \
        "$BASE_URL/api/images/$id/download")
    [[ "$code $type" == "200 image/$format" ]] || fail "download of $id: HTTP $code, $type"
    check_decodes "$WORK_DIR/$id.$format" "$format" "$width" "$height" "$channels"
    echo "$id"
}

check() {
    local start=$SECONDS port pgport token id phase status limit
    scripts/deps.sh podman runc jq curl libjpeg-turbo-progs netpbm
    "${PODMAN[@]}" image exists "$IMAGE" || die "no image $IMAGE: build it first (make image)"
    PHOTO="$CACHE_DIR/photo.jpg"
    if [[ ! -f "$PHOTO" ]]; then
        log "fetching the photo ($PHOTO_PACKAGE: /$PHOTO_PATH)"
        mkdir -p "$WORK_DIR/photo"
        (cd "$WORK_DIR/photo" && apt-get download -q "$PHOTO_PACKAGE" >/dev/null 2>&1 &&
            dpkg-deb --fsys-tarfile ./*.deb | tar -x "./$PHOTO_PATH") || die "could not fetch $PHOTO_PACKAGE"
        mv "$WORK_DIR/photo/$PHOTO_PATH" "$PHOTO"
    fi

    phase=$SECONDS
    cluster="$(mktemp -d /tmp/imageproc-image-pg.XXXXXX)"
    pgport="$(throwaway_cluster "$cluster" "synchronous_commit = off")"
    # As the postgres image makes it for the StatefulSet: the service's role (POSTGRES_USER) owns the database.
    "$(pg_bindir)/psql" -X -q -h 127.0.0.1 -p "$pgport" -U "$PG_SUPERUSER" -d postgres -v ON_ERROR_STOP=1 \
        -c 'create role imageproc login superuser' -c 'alter database imageproc owner to imageproc'
    log "PostgreSQL ready in $(since "$phase")"

    # The Secret imageproc-api-tokens as the Deployment mounts it: mode 0440, group 10001 (fsGroup).
    token="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    mkdir -p "$WORK_DIR/secrets"
    printf '%s\n' "$token" >"$WORK_DIR/secrets/api-tokens"
    chgrp -R 10001 "$WORK_DIR/secrets"
    chmod 0750 "$WORK_DIR/secrets"
    chmod 0440 "$WORK_DIR/secrets/api-tokens"

    port="$(free_port)"
    BASE_URL="http://127.0.0.1:$port"
    AUTH="Authorization: Bearer $token"
    container="imageproc-image-check-$$"
    phase=$SECONDS
    log "podman run $IMAGE as k8s/base's Deployment runs it, on 127.0.0.1:$port"
    # No systemd here to run the HEALTHCHECK on its timer (--health-interval disable); the check runs it below.
    # The env file is the ConfigMap's (later -e options win); PGHOST and PORT change for this host's network, the
    # rest is what the Deployment adds: replica id, user, database and password (unused: trust authentication).
    podman_quiet run --detach --name "$container" --network host "${RUN_LIMITS[@]}" \
        --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,nosuid,nodev,size=256m \
        --user 10001:10001 --cap-drop ALL --security-opt no-new-privileges --memory 1g --cpus 2 \
        --health-interval disable --env-file k8s/base/config/imageproc.env \
        -e PORT="$port" -e PGHOST=127.0.0.1 -e PGPORT="$pgport" -e IMAGEPROC_REPLICA_ID="$container" \
        -e PGUSER=imageproc -e PGDATABASE=imageproc -e PGPASSWORD=unused \
        -v "$WORK_DIR/secrets:/run/secrets/imageproc:ro" \
        "$IMAGE" serve >/dev/null
    wait_for_ok "$BASE_URL/healthz" 60
    wait_for_ok "$BASE_URL/readyz" 30
    log "serving and ready in $(since "$phase")"

    # What the Deployment's securityContext promises, seen from inside.
    [[ "$("${PODMAN[@]}" exec "$container" id -u):$("${PODMAN[@]}" exec "$container" id -g)" == 10001:10001 ]] ||
        fail "the service does not run as 10001:10001"
    if "${PODMAN[@]}" exec "$container" bash -c ': >/app/probe' 2>/dev/null; then
        fail "the root filesystem is writable"
    fi
    "${PODMAN[@]}" exec "$container" bash -c ': >/tmp/probe && rm /tmp/probe' || fail "/tmp is not writable"
    [[ "$("${PODMAN[@]}" exec "$container" sed -n 's/^CapEff:[[:space:]]*//p' /proc/1/status)" == 0000000000000000 ]] ||
        fail "the service has capabilities"
    "${PODMAN[@]}" logs "$container" 2>&1 | sed -n 1p | jq -e . >/dev/null || fail "the log is not JSON lines"
    # The memory budget comes from the container's limit, as in a pod (the service reads its cgroup).
    limit="$("${PODMAN[@]}" logs "$container" 2>&1 |
        jq -r 'select(.message == "memory budget") | ."memory.limit_bytes"' 2>/dev/null || true)"
    [[ "$limit" == 1073741824 ]] || fail "the service did not take its memory budget from the 1 GiB limit ($limit)"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/api/images")" == 401 ]] ||
        fail "the API answers without a token"
    log "user 10001, read-only root, writable /tmp, no capabilities, JSON log, budget from the 1 GiB limit," \
        "API closed without a token"

    phase=$SECONDS
    # 2560 x 1600 into 800 wide: 800 x 500; into 640 wide: 640 x 400.
    id="$(check_job 'op=resize,grayscale&width=800' jpeg 800 500 1)"
    check_job 'op=resize&width=640&format=png' png 640 400 3 >/dev/null
    curl -sSf -o "$WORK_DIR/original" -H "$AUTH" "$BASE_URL/api/images/$id/original" || fail "no original"
    cmp -s "$PHOTO" "$WORK_DIR/original" || fail "the stored original differs from the upload"
    log "photo $(stat -c %s "$PHOTO") B: grayscale JPEG 800x500 and PNG 640x400 decoded, original identical," \
        "in $(since "$phase")"

    podman_quiet healthcheck run "$container" || fail "the HEALTHCHECK command failed"
    log "HEALTHCHECK: $("${PODMAN[@]}" inspect --format '{{.State.Health.Status}}' "$container")"

    phase=$SECONDS
    podman_quiet stop --time 60 "$container" >/dev/null
    status="$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$container")"
    [[ "$status" == 0 ]] || fail "the service exited with status $status after SIGTERM"
    log "SIGTERM: exited 0 in $(since "$phase")"
    log "image check of $IMAGE passed in $(since "$start")"
}

case "${1:-}" in
    build) build ;;
    check) check ;;
    *) die "usage: $0 build|check" ;;
esac
