#!/usr/bin/env bash
# make demo: the main job on a fresh machine. Installs what is missing (as
# root; otherwise says what to install), builds, trains examples/fashion_mlp.lua.
set -eu
cd "$(dirname "$0")/.."
bash tools/check-deps.sh --install
make -s build/bin/lrengine
exec ./build/bin/lrengine train examples/fashion_mlp.lua --epochs 5
