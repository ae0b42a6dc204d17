#!/usr/bin/env bash
# Runs every test of each build named (default: build): the C unit tests and
# the busted specs under Lua 5.4 (Debian's busted script may start another
# Lua), against that build's module, binary and examples. Ends with one line
# "N passed, N failed" over all of them. In the sanitized build (build-san)
# the Lua interpreter gets the sanitizer runtime preloaded, so the module
# and the binary run under AddressSanitizer and UndefinedBehaviorSanitizer.
set -u
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- build
passed=0
failed=0

count_summary() { # adds a "N passed, M failed" line of a C test binary
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
  passed=$((passed + p)); failed=$((failed + f))
}

out=$(mktemp)
for B in "$@"; do
export LRE_BUILD=$B
for t in "$B"/tests/test_*; do
  [ -x "$t" ] || continue
  echo "== $t"
  "$t" >"$out" 2>&1
  rc=$?
  cat "$out"
  count_summary "$out"
  [ $rc -eq 0 ] || grep -q ' failed$' "$out" || failed=$((failed + 1))
done

echo "== busted specs (Lua 5.4, $B)"
preload=()
if [ "$B" = build-san ]; then
  # lua5.4 itself is not instrumented: the runtime must come first, and
  # leaks of the interpreter's own exit path are not ours to report. The
  # runtime reaches every child of the specs too (sh, man, troff): C++
  # tools there trip new/free mismatch reports that cannot come from C.
  preload=(env LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
           ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:alloc_dealloc_mismatch=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1)
fi
"${preload[@]}" lua5.4 /usr/bin/busted --cpath="$B/?.so" -o TAP >"$out" 2>&1
cat "$out"
ok=$(grep -cE '^ok [0-9]+' "$out")
notok=$(grep -cE '^not ok [0-9]+' "$out")
passed=$((passed + ok)); failed=$((failed + notok))
if [ "$ok" -eq 0 ] && [ "$notok" -eq 0 ]; then failed=$((failed + 1)); echo "busted ran no test"; fi
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$out"; then
  failed=$((failed + 1)); echo "not ok: a sanitizer reported an error (above)"
fi
done
# A short run of every fuzz harness (when `make fuzz` built them): its
# committed corpus, then a few seconds of mutations.
for h in build-fuzz/fuzz/fuzz_*; do
  [ -x "$h" ] || continue
  name=${h##*/fuzz_}
  if bash tools/fuzz.sh --smoke "$name" >"$out" 2>&1; then
    passed=$((passed + 1)); echo "ok - fuzz smoke $name"
  else
    failed=$((failed + 1)); cat "$out"; echo "not ok - fuzz smoke $name"
  fi
done
rm -f "$out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
