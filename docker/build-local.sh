#!/usr/bin/env bash
# Builds docker/Dockerfile -- the recipe users build with `docker build` -- on a machine with no
# Docker engine and no Docker Hub: podman builds it, and the two public bases it names are replaced
# (through the BUILD_IMAGE and BASE_IMAGE build arguments) by bases assembled here from Debian
# packages (mmdebstrap) and a local JDK, jlinked down to a runtime for the image.
#
#   docker/build-local.sh [TAG]          default TAG: localhost/mnist-pipeline:local
#   PLATFORM=linux/arm64 docker/build-local.sh localhost/mnist-pipeline:arm64
#
# For another architecture (PLATFORM=linux/arm64) the build stage still runs natively (the
# Dockerfile builds jars on $BUILDPLATFORM); the runtime base is Debian 13 for that architecture with
# Debian's OpenJDK 21 (no other JDK for it is to be had here), assembled and run through qemu-user.
# Environment: REBUILD_BASES=1 reassembles the bases; JDK (default: scripts/find-jdk) must be 21 or
# newer; MNIST_IMAGE_WORK (default /var/tmp/mnist-image) holds the root filesystems; M2_SEED (default
# ~/.m2/repository) is offered to Maven read-only, so the build downloads only what it lacks.
# Needs root (mmdebstrap, rootful podman); installs podman, runc and mmdebstrap with apt if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${1:-localhost/mnist-pipeline:local}
WORK=${MNIST_IMAGE_WORK:-/var/tmp/mnist-image}
SUITE=bookworm
RUNTIME_BASE=localhost/mnist-local/jre:$SUITE
BUILD_BASE=localhost/mnist-local/jdk:$SUITE
M2_SEED=${M2_SEED:-$HOME/.m2/repository}
# crun fails in this sandbox and there is no systemd: runc, cgroupfs (docker/local/containers.conf).
export CONTAINERS_CONF=${CONTAINERS_CONF:-$PWD/docker/local/containers.conf}

if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v runc >/dev/null; then
  [ "$(id -u)" = 0 ] || { echo "build-local: needs podman, runc and mmdebstrap (apt-get install them as root)" >&2; exit 1; }
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends podman runc mmdebstrap uidmap
fi
JDK=${JDK:-$(scripts/find-jdk)}
version=$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${version%%.*}" -ge 21 ] || { echo "build-local: $JDK is Java $version; the image needs 21 or newer" >&2; exit 1; }

# What the server and the CLI use of the JDK (jdeps --print-module-deps over cli/target/lib gives
# java.base, java.compiler, java.desktop, java.management, java.net.http, java.sql, jdk.httpserver,
# jdk.unsupported), plus the modules their libraries load reflectively (logging, naming, XML, zip
# file systems, elliptic-curve TLS, the JDK's management extensions).
MODULES=java.base,java.compiler,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,jdk.crypto.ec,jdk.httpserver,jdk.management,jdk.unsupported,jdk.zipfs
ENV_CHANGES=(--change 'ENV JAVA_HOME=/opt/java/openjdk'
             --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
             --change 'ENV LANG=C.UTF-8'
             --change 'CMD ["/bin/bash"]')

PLATFORM=${PLATFORM:-linux/amd64}
ARCH=${PLATFORM#linux/}
if [ "$ARCH" != amd64 ]; then
  RUNTIME_BASE=localhost/mnist-local/jre:trixie-$ARCH
  if ! podman image exists "$RUNTIME_BASE" || [ -n "${REBUILD_BASES:-}" ]; then
    # qemu-user runs the foreign base's package scripts and, later, the image itself.
    qemu=qemu-${ARCH/arm64/aarch64}
    command -v arch-test >/dev/null && [ -x "/usr/libexec/qemu-binfmt/${qemu#qemu-}-binfmt-P" ] || {
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-user-static arch-test; }
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    [ -e "/proc/sys/fs/binfmt_misc/$qemu" ] || cat "/usr/lib/binfmt.d/$qemu.conf" > /proc/sys/fs/binfmt_misc/register
    mkdir -p "$WORK"
    # man1 must exist for OpenJDK's update-alternatives, though manuals are not installed.
    mmdebstrap --architectures="$ARCH" --variant=minbase \
      --include=passwd,fontconfig,fonts-dejavu-core,openjdk-21-jre-headless \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --essential-hook='mkdir -p "$1"/usr/share/man/man1' \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
      trixie "$WORK/debian-$ARCH.tar"
    podman import --arch "$ARCH" --change "ENV JAVA_HOME=/usr/lib/jvm/java-21-openjdk-$ARCH" \
      --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' "$WORK/debian-$ARCH.tar" "$RUNTIME_BASE" >/dev/null
    rm "$WORK/debian-$ARCH.tar"
  fi
fi

if [ -n "${REBUILD_BASES:-}" ] || ! podman image exists "localhost/mnist-local/jre:$SUITE" || ! podman image exists "$BUILD_BASE"; then
  rootfs=$WORK/rootfs-$SUITE
  rm -rf "$rootfs"
  mkdir -p "$WORK"
  # minbase: Debian's essential packages, bash and apt; passwd for useradd; fontconfig and a font
  # because the training report draws charts. No documentation, manuals or translations.
  mmdebstrap --variant=minbase --include=passwd,fontconfig,fonts-dejavu-core \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    "$SUITE" "$WORK/debian.tar"
  # Into a tarball, then unpacked: mmdebstrap's directory mode cannot create /dev nodes in this sandbox.
  mkdir -p "$rootfs/opt/java"
  tar -C "$rootfs" --numeric-owner -xf "$WORK/debian.tar"
  rm "$WORK/debian.tar"
  "$JDK/bin/jlink" --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "$rootfs/opt/java/openjdk"
  # Debian's JDK packages link cacerts to /etc/ssl/certs/java, which the base does not have.
  cp --remove-destination -L "$JDK/lib/security/cacerts" "$rootfs/opt/java/openjdk/lib/security/cacerts"
  tar -C "$rootfs" --numeric-owner -c . | podman import "${ENV_CHANGES[@]}" - "localhost/mnist-local/jre:$SUITE" >/dev/null
  # The build base: the same Debian with the whole JDK (javac, jar) in place of the jlinked runtime.
  rm -rf "$rootfs/opt/java/openjdk"
  cp -r -L --preserve=mode,timestamps "$(readlink -f "$JDK")" "$rootfs/opt/java/openjdk"
  tar -C "$rootfs" --numeric-owner -c . | podman import "${ENV_CHANGES[@]}" - "$BUILD_BASE" >/dev/null
  rm -rf "$rootfs"
  echo "bases: localhost/mnist-local/jre:$SUITE, $BUILD_BASE"
fi

seed=()
if [ -d "$M2_SEED" ]; then
  # Read-only and second in line: Maven writes what it downloads into the build's cache mount only.
  seed=(--volume "$M2_SEED:/m2-seed:ro" --build-arg "MAVEN_EXTRA_ARGS=-Dmaven.repo.local.tail=/m2-seed")
fi
# --format docker keeps HEALTHCHECK (the OCI image format has no field for it).
podman build --format docker --platform "$PLATFORM" -f docker/Dockerfile \
  --build-arg "BUILD_IMAGE=$BUILD_BASE" --build-arg "BASE_IMAGE=$RUNTIME_BASE" "${seed[@]}" \
  ${BUILD_EXTRA_ARGS:-} -t "$TAG" .
echo "built $TAG"
