#!/usr/bin/env bash
# Makes sure the tests can start a throwaway PostgreSQL server: the system's initdb/postgres
# binaries (Debian's postgresql package, /usr/lib/postgresql/N/bin) and, when we run as root, the
# `postgres` system user they must run as (initdb and postgres refuse to run as root).
# Prints the binaries' folder on stdout. With DATABASE_URL set the caller brings its own server:
# nothing is checked and nothing is printed.
# As root with apt-get, missing binaries are installed; otherwise we stop and name the command,
# rather than failing later with a cryptic spawn error.
set -euo pipefail

if [ -n "${DATABASE_URL:-}" ]; then
  exit 0
fi

install_command="apt-get update && apt-get install -y postgresql"

find_bin() {
  local dir
  # The newest major version first (sort -V), when several are installed side by side.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

bin=$(find_bin || true)

if [ -z "$bin" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: no initdb/postgres under /usr/lib/postgresql; installing Debian's postgresql ($install_command)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends postgresql >&2
    bin=$(find_bin || true)
    if [ -z "$bin" ]; then
      echo "ensure-postgres: apt-get installed postgresql but no initdb/postgres is under /usr/lib/postgresql." >&2
      exit 1
    fi
    # The package starts its own cluster on port 5432; the tests never use it, so stop it rather
    # than leave a server running that nobody asked for.
    service postgresql stop >/dev/null 2>&1 || true
  else
    echo "ensure-postgres: the PostgreSQL tests need initdb and postgres (Debian's postgresql package) and they are not installed." >&2
    echo "Install them as root with:" >&2
    echo "  $install_command" >&2
    echo "or set DATABASE_URL to a PostgreSQL server the tests may create databases on." >&2
    exit 1
  fi
fi

# As root the server runs as `postgres`: create that system user if this machine lacks it.
if [ "$(id -u)" -eq 0 ] && ! id -u postgres >/dev/null 2>&1; then
  echo "ensure-postgres: creating the postgres system user (initdb refuses to run as root)" >&2
  if command -v useradd >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  else
    adduser --system --group --no-create-home --home /nonexistent postgres >&2
  fi
fi

echo "$bin"
