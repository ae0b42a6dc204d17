#!/usr/bin/env bash
# Runs the fuzz harnesses built by `make fuzz` (build-fuzz/fuzz/fuzz_NAME).
#   tools/fuzz.sh SECONDS [NAME...]   fuzz each for SECONDS (default: all harnesses)
#   tools/fuzz.sh --smoke [NAME...]   the committed corpus once, then 3 s of mutations
# Seeds live in tests/fuzz/corpus/NAME/ (committed); what a run discovers goes
# to build-fuzz/corpus/NAME/, crashes to build-fuzz/crashes/NAME/. Exit 1 on
# any crash, leak or timeout; each becomes a regression test.
set -u
cd "$(dirname "$0")/.."
secs=$1; shift
[ $# -gt 0 ] || set -- $(for h in build-fuzz/fuzz/fuzz_*; do [ -x "$h" ] && echo "${h##*/fuzz_}"; done)
status=0
for name in "$@"; do
  h=build-fuzz/fuzz/fuzz_$name
  seeds=tests/fuzz/corpus/$name
  work=build-fuzz/corpus/$name
  crashes=build-fuzz/crashes/$name
  mkdir -p "$work" "$crashes" "$seeds"
  opts=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -artifact_prefix="$crashes/" -print_final_stats=1)
  if [ "$secs" = --smoke ]; then
    "$h" "${opts[@]}" -runs=0 "$seeds" || status=1
    "$h" "${opts[@]}" -max_total_time=3 "$work" "$seeds" || status=1
  else
    echo "== fuzz_$name: $secs s"
    "$h" "${opts[@]}" -max_total_time="$secs" "$work" "$seeds" 2>&1 | grep -aE 'stat::|ERROR|SUMMARY|Done|crash-|timeout-|leak-' ; [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  fi
done
exit $status
