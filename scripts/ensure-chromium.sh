#!/usr/bin/env bash
# Makes sure the browser the Playwright tests drive is on this machine: Debian's chromium package.
# Playwright's own browser download is never used (`npx playwright install` has no host to fetch
# from here); we point Playwright at the system binary instead (CHROMIUM_PATH, default
# /usr/bin/chromium). As root with apt-get, a missing browser is installed; otherwise we stop
# with the command to run, rather than failing later with a cryptic launch error.
set -euo pipefail

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}

if [ -x "$chromium" ]; then
  exit 0
fi

install_command="apt-get update && apt-get install -y chromium"

if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "ensure-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file." >&2
  echo "Point CHROMIUM_PATH at a Chromium binary, or unset it and run as root: $install_command" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $chromium is missing; installing Debian's chromium ($install_command)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends chromium
  if [ ! -x "$chromium" ]; then
    echo "ensure-chromium: apt-get installed chromium but $chromium is still missing." >&2
    exit 1
  fi
  echo "ensure-chromium: $("$chromium" --version 2>/dev/null || echo chromium) installed"
  exit 0
fi

echo "ensure-chromium: the browser tests need Chromium at $chromium and it is not installed." >&2
echo "Install it as root with:" >&2
echo "  $install_command" >&2
echo "or set CHROMIUM_PATH to a Chromium binary you already have." >&2
exit 1
