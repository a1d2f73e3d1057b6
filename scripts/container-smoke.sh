#!/usr/bin/env bash
# Builds Parley's image from deploy/Dockerfile with podman, runs it and checks it as an operator
# would: a non-root server, healthy by its own HEALTHCHECK (/readyz), chat over its WebSocket
# (two new users, one message delivered), its data in the /data volume kept across a new
# container, and SIGTERM (`podman stop`) ending it gracefully with exit code 0.
#
#   scripts/container-smoke.sh          (as root; from a checkout after `npm ci`)
#
# Base images: where node:20-bookworm can be pulled, set PARLEY_PULL=1 and the Dockerfile's
# defaults are used. Otherwise (the default) the script makes two local bases equivalent to
# them: a minimal Debian bookworm made by debootstrap from Debian's packages, with this machine's
# own Node.js (20 or newer; Debian bookworm's nodejs is 18) copied in, plus user `node`
# (uid 1000); the build base adds npm, Node's headers, python3, make and g++ for the native
# modules. They are kept between runs (rebuilt when PARLEY_REBUILD_BASE=1).
#
# Needs: podman, and for the local bases debootstrap (apt-get install podman debootstrap).
# Settings: PARLEY_CONTAINER_WORK (default /var/tmp/parley-container), PORT (host port, default
# a free one), PODMAN_OPTS (global podman options, e.g. --runtime runc); found automatically
# when empty: the runtime and resource-limit options this machine's containers need.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${PARLEY_CONTAINER_WORK:-/var/tmp/parley-container}
IMAGE=localhost/parley:smoke
RUNTIME_BASE=localhost/parley-node-runtime:20-bookworm
BUILD_BASE=localhost/parley-node-build:20-bookworm
NAME=parley-smoke-$$
VOLUME=parley-smoke-data-$$
say() { printf '\n== %s\n' "$*"; }
fail() { printf 'container-smoke: FAILED: %s\n' "$*" >&2; exit 1; }

mkdir -p "$WORK"
command -v podman >/dev/null || fail 'podman is not installed (apt-get install podman)'
[ "$(id -u)" = 0 ] || fail 'run as root (rootful podman; debootstrap and chroot for the local base images)'
[ -d "$ROOT/node_modules/tsx" ] || fail 'run `npm ci` first: the chat check runs from this checkout'

# --- How this machine runs containers ---------------------------------------------------------
# Two things seen in sandboxes: crun refusing a cgroup v1/v2 hybrid ("cgroups in hybrid mode not
# supported"; runc copes), and no CAP_SYS_RESOURCE, so the container's rlimits may only be
# lowered (podman raises nofile and nproc by default). Try plain podman first.
read -r -a GLOBAL <<< "${PODMAN_OPTS:-}"
LIMITS=()
pm() { podman "${GLOBAL[@]}" "$@"; }
probe() { pm run --rm "${LIMITS[@]}" "$1" true >/dev/null 2>&1; }
choose_runtime() {
  local image=$1
  [ -n "${PODMAN_OPTS:-}" ] && return 0
  probe "$image" && return 0
  LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
  probe "$image" && return 0
  if command -v runc >/dev/null; then
    GLOBAL=(--runtime runc)
    probe "$image" && return 0
    LIMITS=()
    probe "$image" && return 0
  fi
  pm run --rm "${LIMITS[@]}" "$image" true || true
  fail "podman cannot run a container here (the error is above; for crun's cgroup error: apt-get install runc)"
}

# --- Base images ----------------------------------------------------------------------------
make_bases() {
  command -v debootstrap >/dev/null || fail 'debootstrap is not installed (apt-get install debootstrap), or set PARLEY_PULL=1'
  local node npm_dir headers version
  node=$(command -v node) || fail 'no node on PATH to copy into the image'
  version=$(node -p 'process.versions.node')
  [ "${version%%.*}" -ge 20 ] || fail "this machine's Node.js is $version; Parley needs 20 or newer"
  npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)
  headers=$(dirname "$(readlink -f "$node")")/../include/node
  [ -f "$headers/node_api.h" ] || fail "Node's headers are not at $headers (native modules are built against them)"
  mkdir -p "$WORK"

  local minbase=$WORK/minbase
  if [ ! -f "$minbase/.complete" ]; then
    say "debootstrap: minimal Debian bookworm in $minbase"
    rm -rf "$minbase"
    debootstrap --variant=minbase bookworm "$minbase" http://deb.debian.org/debian
    touch "$minbase/.complete"
  fi

  # Runtime base, like node:20-bookworm-slim: Debian, node, user node (1000:1000).
  local rt=$WORK/runtime-rootfs
  say "runtime base $RUNTIME_BASE: minbase + node $version"
  rm -rf "$rt" && cp -a "$minbase" "$rt" && rm -f "$rt/.complete"
  install -m 0755 "$(readlink -f "$node")" "$rt/usr/local/bin/node"
  chroot "$rt" groupadd --gid 1000 node
  chroot "$rt" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$rt"/var/cache/apt/archives/*.deb "$rt"/var/lib/apt/lists/*
  tar -C "$rt" -c . | pm import --change 'CMD ["node"]' - "$RUNTIME_BASE" >/dev/null

  # Build base, like node:20-bookworm: the runtime base with npm, headers and a C++ toolchain.
  local bd=$WORK/build-rootfs
  say "build base $BUILD_BASE: + npm, Node's headers, python3, make, g++ (Debian's packages)"
  rm -rf "$bd" && cp -a "$rt" "$bd"
  mkdir -p "$bd/usr/local/lib/node_modules" "$bd/usr/local/include"
  cp -a "$npm_dir" "$bd/usr/local/lib/node_modules/npm"
  cp -a "$headers" "$bd/usr/local/include/node"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$bd/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$bd/usr/local/bin/npx"
  cp /etc/resolv.conf "$bd/etc/resolv.conf"
  mount -t proc proc "$bd/proc"
  trap 'umount "$bd/proc" 2>/dev/null || true' RETURN
  chroot "$bd" apt-get update -q
  DEBIAN_FRONTEND=noninteractive chroot "$bd" apt-get install -y -q --no-install-recommends python3 make g++
  umount "$bd/proc"
  rm -rf "$bd"/var/cache/apt/archives/*.deb "$bd"/var/lib/apt/lists/*
  # node-gyp takes the headers from here instead of downloading them.
  local changes=(--change 'ENV npm_config_nodedir=/usr/local' --change 'CMD ["node"]')
  # npm in the build trusts what this machine's npm trusts (its cafile, where one is set): npm ci
  # then works behind a TLS-inspecting proxy as it does here.
  local cafile
  cafile=$(npm config get cafile 2>/dev/null || true)
  if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -f "$cafile" ]; then
    install -D -m 0644 "$cafile" "$bd/usr/local/share/parley-build/npm-ca.crt"
    changes+=(--change 'ENV npm_config_cafile=/usr/local/share/parley-build/npm-ca.crt')
  fi
  tar -C "$bd" -c . | pm import "${changes[@]}" - "$BUILD_BASE" >/dev/null
  rm -rf "$rt" "$bd"   # imported; only the debootstrap result is kept for the next time
}

BUILD_ARGS=()
if [ "${PARLEY_PULL:-}" = 1 ]; then
  say 'base images: node:20-bookworm and node:20-bookworm-slim from the registry'
  pm pull docker.io/library/node:20-bookworm-slim >/dev/null
  choose_runtime docker.io/library/node:20-bookworm-slim
else
  if [ "${PARLEY_REBUILD_BASE:-}" = 1 ] || ! pm image exists "$RUNTIME_BASE" || ! pm image exists "$BUILD_BASE"; then make_bases; fi
  BUILD_ARGS=(--build-arg "NODE_IMAGE=$BUILD_BASE" --build-arg "NODE_RUNTIME_IMAGE=$RUNTIME_BASE")
  choose_runtime "$RUNTIME_BASE"
fi
say "podman options: ${GLOBAL[*]:-(none)} ${LIMITS[*]:-}"

# --- Image ----------------------------------------------------------------------------------
say "podman build -f deploy/Dockerfile -t $IMAGE ."
started=$(date +%s)
# Docker format: the OCI image format has no HEALTHCHECK.
pm build --format docker "${LIMITS[@]}" "${BUILD_ARGS[@]}" -f "$ROOT/deploy/Dockerfile" -t "$IMAGE" "$ROOT"
echo "built in $(( $(date +%s) - started )) s; image size $(pm image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"
[ "$(pm image inspect --format '{{.Config.User}}' "$IMAGE")" = node ] || fail 'the image does not run as user node'
pm image inspect --format '{{json .Config.Volumes}}' "$IMAGE" | grep -q '"/data"' || fail 'no /data volume'
[ "$(pm image inspect --format '{{.Config.StopSignal}}' "$IMAGE")" = SIGTERM ] || fail 'stop signal is not SIGTERM'
pm image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q readyz || fail 'no HEALTHCHECK on /readyz'

# --- Run ------------------------------------------------------------------------------------
cleanup() {
  pm rm -f -t 0 "$NAME" >/dev/null 2>&1 || true
  pm volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  rm -f "$WORK/chat-$$.json"
}
trap cleanup EXIT
PORT=${PORT:-$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")}

# Without systemd, podman logs an error for the health-check timer it cannot make; the check
# itself is run below with `podman healthcheck run`.
no_timer_noise() { grep -v 'unable to get systemd connection' >&2 || true; }

run_container() {
  pm run -d --name "$NAME" "${LIMITS[@]}" -p "127.0.0.1:$PORT:9001" -v "$VOLUME:/data" "$IMAGE" >/dev/null 2> >(no_timer_noise)
  # The HEALTHCHECK itself decides: run it until it passes (podman has no timer without systemd).
  local i
  for i in $(seq 1 60); do
    if pm healthcheck run "$NAME" >/dev/null 2>&1; then echo "healthy after ~${i}s"; return 0; fi
    [ "$(pm inspect --format '{{.State.Running}}' "$NAME")" = true ] || { pm logs "$NAME"; fail 'the container exited'; }
    sleep 1
  done
  pm logs "$NAME"; fail 'not healthy within 60 s'
}

stop_container() {
  local t0 code
  t0=$(date +%s%N)
  pm stop -t 30 "$NAME" >/dev/null 2> >(no_timer_noise)
  code=$(pm inspect --format '{{.State.ExitCode}}' "$NAME")
  echo "stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms, exit code $code"
  pm logs "$NAME" 2>&1 | grep -q '"msg":"parley stopped"' || { pm logs "$NAME"; fail 'no graceful stop in the log'; }
  [ "$code" = 0 ] || fail "exit code $code after SIGTERM"
  pm rm "$NAME" >/dev/null 2> >(no_timer_noise)
}

say "run $IMAGE: port 127.0.0.1:$PORT, volume $VOLUME at /data"
pm volume create "$VOLUME" >/dev/null
run_container
uid=$(pm exec "$NAME" id -u)
[ "$uid" != 0 ] || fail 'the server runs as root'
echo "server runs as uid $uid ($(pm exec "$NAME" id -un))"
say 'chat over the WebSocket: two users sign up, one message delivered'
(cd "$ROOT" && node --import tsx test/deploy/chat-check.ts "ws://127.0.0.1:$PORT/" --save "$WORK/chat-$$.json")
secrets=$(pm exec "$NAME" sha256sum /data/secrets.json)
say 'podman stop (SIGTERM)'
stop_container

say 'a new container on the same volume: same secrets, the users and their message still there'
run_container
[ "$(pm exec "$NAME" sha256sum /data/secrets.json)" = "$secrets" ] || fail 'secrets.json changed: /data was not kept'
(cd "$ROOT" && node --import tsx test/deploy/chat-check.ts "ws://127.0.0.1:$PORT/" --history "$WORK/chat-$$.json")
stop_container

say 'container smoke test passed'
echo "(kept: images $IMAGE, $RUNTIME_BASE, $BUILD_BASE and podman's build cache; podman image prune drops the untagged layers)"
