#!/usr/bin/env bash
# Builds the statically linked `fauxauth` and the `fauxauth:latest` image (FROM scratch) from a
# fresh checkout. Needs a running Docker engine; nothing is pulled.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
# crt-static links glibc statically: the binary runs in an image that has no libc at all. It never
# resolves host names (addresses are IP literals), so glibc's static NSS caveats do not apply.
# relocation-model=static links it at a fixed address (`-static`, not `-static-pie`), as
# harness/build.rs does for the dynamically linked build: no 1 MB relocation table in the file,
# and nothing to relocate into private memory at each start.
RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" \
  cargo build --profile image --locked -p harness --target "$target"
binary="${CARGO_TARGET_DIR:-target}/$target/image/fauxauth"

# A static binary needs no shared library (and has no dynamic section at all).
if readelf --dynamic "$binary" | grep --quiet NEEDED; then
  echo "image/build.sh: $binary is dynamically linked" >&2
  exit 1
fi

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/fauxauth"
docker build --quiet --tag fauxauth:latest --file image/Dockerfile "$context" >/dev/null

size=$(docker image inspect --format '{{.Size}}' fauxauth:latest)
limit=$((15 * 1000 * 1000))
echo "fauxauth:latest: $((size / 1000)) kB"
if (( size > limit )); then
  echo "image/build.sh: the image is over 15 MB" >&2
  exit 1
fi
