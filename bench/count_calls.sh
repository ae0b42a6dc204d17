#!/usr/bin/env bash
# Instructions per call from Lua (callgrind): opt:step() (sgd, one float32
# parameter), S.custom(fn):at(t) and the bare call fn(t, ctx), fn being
# examples/schedules/warmup_cosine_function.lua's. Exact on a loaded
# machine, where timings are not. Usage: bench/count_calls.sh [BUILD]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
command -v valgrind >/dev/null || { echo "count_calls: valgrind is not installed" >&2; exit 1; }
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null lua5.4 bench/count_calls.lua "$1" "$2" "$build" 2>&1 |
  awk '/Collected/ {print $4}'; }
for what in step at bare; do
  a=$(count $what 0); b=$(count $what 100000)
  echo "$what: $(( (b - a) / 100000 )) instructions per call"
done
