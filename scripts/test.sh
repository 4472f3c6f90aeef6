#!/usr/bin/env bash
# The whole suite: SQLite, then PostgreSQL, then the browser tests in Debian's Chromium.
# A part that cannot run is reported loudly; under CI=true it fails the run.
set -uo pipefail
BIN=.venv/bin
OUT=${TEST_OUTPUT:-test-results}
mkdir -p "$OUT"
rm -f "$OUT"/*.xml
status=0
missing=()

banner() { printf '\n========== %s ==========\n' "$*"; }

banner "1/3 unit and integration tests on SQLite"
env -u DATABASE_URL $BIN/pytest -m "not e2e" -p no:cacheprovider --junitxml="$OUT/sqlite.xml" "$@" || status=1

PG_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
banner "2/3 the same tests on PostgreSQL ($($BIN/python -c "import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(f'{p.hostname}:{p.port or 5432}/{p.path.lstrip(\"/\")}')" "$PG_URL"))"
if $BIN/python -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=5).close()" "$PG_URL" 2>/dev/null; then
  DATABASE_URL=$PG_URL $BIN/pytest -m "not e2e" -p no:cacheprovider --junitxml="$OUT/postgresql.xml" "$@" || status=1
else
  echo "!!! PostgreSQL is not reachable at $PG_URL: the PostgreSQL part DID NOT RUN."
  echo "!!! Start it (pg_ctlcluster ... main start) or set DATABASE_URL."
  missing+=("PostgreSQL")
fi

banner "3/3 browser tests (Playwright driving /usr/bin/chromium)"
if [[ -x /usr/bin/chromium ]]; then
  env -u DATABASE_URL $BIN/pytest -m e2e -p no:cacheprovider --junitxml="$OUT/browser.xml" "$@" || status=1
else
  echo "!!! /usr/bin/chromium is missing: the browser tests DID NOT RUN."
  echo "!!! Install Debian's chromium and fonts-noto-cjk (apt-get install chromium fonts-noto-cjk)."
  missing+=("browser")
fi

banner "summary"
$BIN/python scripts/junit_summary.py "$OUT"/*.xml || status=1
if ((${#missing[@]})); then
  echo "!!! NOT RUN: ${missing[*]}"
  if [[ "${CI:-}" == "true" ]]; then echo "!!! CI=true: a part that did not run fails the run."; status=1; fi
fi
exit $status
