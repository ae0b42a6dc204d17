#!/usr/bin/env bash
# Names the Debian packages of tools/debian-packages that are not installed.
# With --install (as root), installs them. Exit 1 when some are missing.
set -eu
cd "$(dirname "$0")/.."
mapfile -t need < <(grep -v '^#' tools/debian-packages | grep .)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${1:-}" = "--install" ] && [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y "${missing[@]}"
  exit 0
fi
echo "missing Debian packages: ${missing[*]}" >&2
echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
exit 1
