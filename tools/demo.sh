#!/usr/bin/env bash
# make demo: the main job on a fresh machine. Checks what is missing (and
# installs it when run as root), builds, trains examples/fashion_mlp.lua.
set -eu
cd "$(dirname "$0")/.."
need=(build-essential pkg-config lua5.4 liblua5.4-dev libopenblas-dev zlib1g-dev dataset-fashion-mnist)
missing=()
for p in "${need[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "demo: missing packages: ${missing[*]}" >&2
    echo "demo: install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  apt-get update && apt-get install -y "${missing[@]}"
fi
make -s build/bin/lrengine
exec ./build/bin/lrengine train examples/fashion_mlp.lua --epochs 5
