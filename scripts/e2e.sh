#!/usr/bin/env bash
# npm run e2e: the Playwright browser tests against the real app, in Debian's Chromium.
# Extra arguments go to `playwright test` (a spec file, --grep …).
# With E2E_COUNTS_FILE set (scripts/test.sh does), writes "PASSED FAILED" into it.
# Exits non-zero if the browser is missing or any test fails.
set -uo pipefail
cd "$(dirname "$0")/.."

results=e2e/artifacts/results.json

write_counts() {
  if [ -n "${E2E_COUNTS_FILE:-}" ]; then echo "$1 $2" > "$E2E_COUNTS_FILE"; fi
}

if ! bash scripts/ensure-chromium.sh; then
  # The suite could not run at all: count it as one failure so the total never looks green.
  write_counts 0 1
  exit 1
fi

# Playwright must never try to download a browser: it drives /usr/bin/chromium (or CHROMIUM_PATH).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
rm -f "$results"
npx playwright test "$@"
status=$?

# Passed = tests that ran as expected. Failed = unexpected results, flaky ones, tests that never
# ran (skipped or interrupted) and errors outside any test (a webServer that did not start).
counts=$(node -e '
  const fs = require("node:fs");
  let report;
  try { report = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 1"); process.exit(0); }
  const s = report.stats ?? {};
  const failed = (s.unexpected ?? 0) + (s.flaky ?? 0) + (s.skipped ?? 0) + (report.errors?.length ?? 0);
  console.log(`${s.expected ?? 0} ${failed}`);
' "$results")
read -r passed failed <<< "$counts"
if [ "$status" -eq 0 ] && [ "$failed" -gt 0 ]; then status=1; fi
write_counts "$passed" "$failed"

echo
echo "Browser tests: $passed passed, $failed failed"
echo "HTML report:   e2e/artifacts/report/index.html (npx playwright show-report e2e/artifacts/report)"
echo "Screenshots:   e2e/artifacts/screenshots/ (desktop and phone of every page)"
echo "axe summary:   e2e/artifacts/axe-summary.md"
exit "$status"
