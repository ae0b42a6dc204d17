#!/usr/bin/env bash
# Runs every test: the C unit tests, the same under AddressSanitizer and
# UndefinedBehaviorSanitizer, and the busted specs under Lua 5.4 (Debian's
# busted script may start another Lua). Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
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
for t in build/tests/test_core build/asan/test_core; do
  echo "== $t"
  "$t" >"$out" 2>&1
  rc=$?
  cat "$out"
  count_summary "$out"
  [ $rc -eq 0 ] || grep -q ' failed$' "$out" || failed=$((failed + 1))
done

echo "== busted specs (Lua 5.4)"
lua5.4 /usr/bin/busted -o TAP >"$out" 2>&1
cat "$out"
ok=$(grep -cE '^ok [0-9]+' "$out")
notok=$(grep -cE '^not ok [0-9]+' "$out")
passed=$((passed + ok)); failed=$((failed + notok))
if [ "$ok" -eq 0 ] && [ "$notok" -eq 0 ]; then failed=$((failed + 1)); echo "busted ran no test"; fi
rm -f "$out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
