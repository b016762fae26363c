# imageproc container image: build with the official Swift image, run on the same Debian release.
#
#   docker build -t imageproc:0.1.0 .
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp -e IMAGEPROC_API_TOKENS="$(openssl rand -hex 32)" \
#       -e DATABASE_URL=postgresql://imageproc:secret@db.example:5432/imageproc imageproc:0.1.0
#
# The image binds every interface (HOST=0.0.0.0), so it refuses to start without API tokens
# (IMAGEPROC_API_TOKENS or IMAGEPROC_API_TOKENS_FILE) unless told IMAGEPROC_ALLOW_ANONYMOUS=1.
#
# Base images are pinned by tag. The builder's Swift version is the one the project is developed and
# tested with (6.3.1); both stages are Debian 12 "bookworm", so the libraries the binary was linked
# against in the builder are the ones the runtime stage installs (libjpeg-turbo 2.1.5, libpng 1.6, libpq 15).
# Pin by digest (`swift:6.3.1-bookworm@sha256:…`) when publishing from a registry you can query.
#
# On the project's machines, which have no registry to pull from, `make image` builds this file with podman as
# imageproc:dev and `make image-check` runs that image as k8s/base's Deployment does (read-only root filesystem, only
# /tmp writable, user 10001, the ConfigMap's environment, API tokens from a mounted file) against a throwaway
# PostgreSQL: it uploads a photo, downloads and decodes the results, runs the HEALTHCHECK below and stops it with
# SIGTERM (scripts/image.sh). The base images there are local stand-ins under these same names (a debootstrap
# bookworm root; the same root with the host's Swift toolchain under /usr) and the script mounts the machine's Swift
# package mirror into the build, so nothing in this file is special to those machines. scripts/check-deploy.sh lints
# it (hadolint, checkov) and builds the binary as the builder stage does, to check with ldd that it needs nothing
# beyond glibc and the three libraries installed below.

FROM swift:6.3.1-bookworm AS builder

# Headers and pkg-config files for the C targets: CImageKernel (libjpeg, libpng) and CLibPQ (libpq).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libjpeg-dev libpng-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Dependencies first: this layer is rebuilt only when the manifest changes, not on every source edit.
# Package.resolved is deliberately not in the build context (see .dockerignore): it is git-ignored and a
# developer's copy may name mirrors' commits, so the builder resolves from Package.swift's version ranges.
COPY Package.swift ./
RUN swift package resolve

# SwiftPM checks that every target's folder exists, the test target's included, so Tests/ comes along.
COPY Sources ./Sources
COPY Tests ./Tests
# --static-swift-stdlib links the Swift runtime and Foundation into the binary: the runtime stage
# needs no Swift toolchain, only glibc and the C libraries. Not stripped, on purpose (measured with Swift 6.3.1): the
# binary is 80 MB with its symbols, 74 MB without its DWARF (strip --strip-debug) and 60 MB stripped, which would
# make the image 163 MB instead of 182 (60 MB instead of 64 compressed). Stripped, the crash backtraces below could
# name only the 2 % of functions in the dynamic symbol table (none of the static Swift runtime and Foundation, no
# private function), and without DWARF they lose every file and line: not worth 4 MB of download.
RUN swift build -c release --static-swift-stdlib --product imageproc \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/imageproc" /staging/imageproc

FROM debian:12.12-slim AS runtime

# Runtime libraries only; ca-certificates for PostgreSQL over TLS (sslmode=verify-full).
# DL3008 (pin apt versions) is ignored on purpose: Debian's archive keeps only the newest bookworm build
# of each package, so an exact version pin breaks the build at the next security update. The pinned
# base image tag is what makes the stage reproducible; the packages track bookworm's security fixes.
# A fixed numeric user and group (10001) that the Kubernetes manifests name as well (runAsUser: 10001).
# It has a passwd entry because libpq looks the current user up (getpwuid) for defaults such as the user
# name and ~/.pgpass; its home does not exist, so nothing is ever written there.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libjpeg62-turbo libpng16-16 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 imageproc \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin imageproc

WORKDIR /app

# Everything under /app belongs to root and is read-only for the service: with a read-only root
# filesystem the only writable place is /tmp (an emptyDir in Kubernetes, --tmpfs with docker run).
COPY --from=builder /staging/imageproc /app/imageproc
# Swift's crash reporter, built with the static runtime like the service: on a crash it writes every
# thread's symbolicated backtrace to stderr, so it reaches the container log instead of being lost
# (the Kubernetes ConfigMap switches it to one JSON line with format=json).
COPY --from=builder /usr/libexec/swift/linux/swift-backtrace-static /app/swift-backtrace-static
COPY web /app/web
COPY openapi.yaml /app/openapi.yaml

ENV IMAGEPROC_WEB_ROOT=/app/web \
    HOST=0.0.0.0 \
    PORT=8080 \
    TMPDIR=/tmp \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/app/swift-backtrace-static

USER 10001:10001
EXPOSE 8080

# The service drains on SIGTERM within 25 s (Kubernetes waits terminationGracePeriodSeconds: 35).
STOPSIGNAL SIGTERM

# For `docker run` and Compose. Kubernetes ignores HEALTHCHECK and uses the Deployment's probes instead.
# The image has no curl or wget (fewer binaries, fewer CVEs), so bash speaks HTTP/1.0 over /dev/tcp to
# /healthz and the check passes only when the status line says 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/bin/bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${PORT:-8080}\" && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r -t 4 _ status _ <&3 && [[ $status == 200 ]]"]

ENTRYPOINT ["/app/imageproc"]
CMD ["serve"]
