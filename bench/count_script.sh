#!/usr/bin/env bash
# Instructions per step of a schedule script from C (callgrind), sandboxed
# and trusted: exact where timings are noisy. Usage: bench/count_script.sh [SCRIPT]
set -eu
cd "$(dirname "$0")/.."
script=${1:-examples/schedules/warmup_cosine_function.lua}
bin=build/bench/count_script
command -v valgrind >/dev/null || { echo "count_script: valgrind is not installed" >&2; exit 1; }
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$script" "$1" ${2:-} 2>&1 | awk '/Collected/ {print $4}'; }
for mode in sandboxed trusted; do
  arg=; [ $mode = trusted ] && arg=trusted
  a=$(count 0 $arg); b=$(count 100000 $arg)
  echo "$script, $mode: $(( (b - a) / 100000 )) instructions per step"
done
