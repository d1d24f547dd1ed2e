#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for image/build.sh and the container test.
# On a fresh Debian machine: installs Debian's docker.io (after one `apt-get update`) and starts
# `dockerd` without a bridge or iptables rules, so containers run with host networking only.
# Nothing is pulled from any registry.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

sudo=""
if [[ "$(id -u)" != 0 ]]; then
  sudo="sudo"
fi

if ! command -v dockerd >/dev/null 2>&1; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq docker.io >/dev/null
fi

log="${TMPDIR:-/tmp}/fauxauth-dockerd.log"
$sudo sh -c "nohup dockerd --bridge=none --iptables=false --ip6tables=false >'$log' 2>&1 &"
for _ in $(seq 60); do
  if $sudo docker info >/dev/null 2>&1; then
    if [[ -n "$sudo" ]]; then
      $sudo chmod 666 /var/run/docker.sock
    fi
    exit 0
  fi
  sleep 0.5
done
echo "image/docker-engine.sh: dockerd did not start; its log:" >&2
tail -n 30 "$log" >&2
exit 1
