#!/usr/bin/env bash
# npm test: typecheck, lint, the node:test suites, then the browser tests; ends with one line
# "N passed, M failed" that adds up every runner.
set -uo pipefail
cd "$(dirname "$0")/.."

failed_steps=()
passed=0
failed=0

run_step() {
  local name=$1
  shift
  echo "── $name"
  if ! "$@"; then failed_steps+=("$name"); fi
}

run_step typecheck npm run -s typecheck
run_step lint npm run -s lint

echo "── unit and integration tests (node:test)"
unit_log=$(mktemp)
npm run -s test:unit 2>&1 | tee "$unit_log"
unit_status=${PIPESTATUS[0]}
unit_pass=$(grep -E '^# pass [0-9]+' "$unit_log" | tail -1 | awk '{print $3}')
unit_fail=$(grep -E '^# fail [0-9]+' "$unit_log" | tail -1 | awk '{print $3}')
passed=$((passed + ${unit_pass:-0}))
failed=$((failed + ${unit_fail:-0}))
if [ "$unit_status" -ne 0 ] || [ -z "$unit_pass" ]; then failed_steps+=("node:test"); fi
rm -f "$unit_log"

if [ -x scripts/e2e.sh ] || [ -f scripts/e2e.sh ]; then
  echo "── browser tests (Playwright)"
  e2e_counts=$(mktemp)
  E2E_COUNTS_FILE="$e2e_counts" bash scripts/e2e.sh
  e2e_status=$?
  if [ -s "$e2e_counts" ]; then
    read -r e2e_pass e2e_fail < "$e2e_counts"
    passed=$((passed + ${e2e_pass:-0}))
    failed=$((failed + ${e2e_fail:-0}))
  fi
  if [ "$e2e_status" -ne 0 ]; then failed_steps+=("playwright"); fi
  rm -f "$e2e_counts"
fi

echo
if [ ${#failed_steps[@]} -gt 0 ]; then echo "Failed steps: ${failed_steps[*]}"; fi
echo "$passed passed, $failed failed"
[ ${#failed_steps[@]} -eq 0 ] && [ "$failed" -eq 0 ]
