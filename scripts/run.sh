#!/usr/bin/env bash
# Start the web server, the task worker and the periodic-duty ticker; Ctrl-C stops all three.
set -euo pipefail
BIN=.venv/bin
PORT=${PORT:-8000}
pids=()
stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; echo; echo "DealerDesk stopped."; }
trap stop INT TERM EXIT

if [[ -n "${DATABASE_URL:-}" ]]; then db="PostgreSQL (DATABASE_URL)"; else db="SQLite var/dealerdesk.sqlite3"; fi
pw=$($BIN/python -c 'import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerdesk.config.settings.dev")
django.setup()
from django.conf import settings
print(settings.DEALERDESK_DEMO_PASSWORD)')
cat <<MSG

  DealerDesk is starting on http://127.0.0.1:${PORT}/   (database: ${db})

  Demo logins (password for all: ${pw})
    store 深圳福田 (sz-futian):  reception  consultant  manager  care  clerk  storeadmin
    store 广州天河 (gz-tianhe):  reception2 consultant2 manager2 care2 clerk2 storeadmin2
    whole group:                 groupadmin
  API docs: http://127.0.0.1:${PORT}/api/docs/        Stop with Ctrl-C.

MSG
$BIN/dealerdesk runserver "127.0.0.1:${PORT}" --noreload & pids+=($!)
$BIN/dealerdesk db_worker --interval 1 --no-reload & pids+=($!)
$BIN/dealerdesk tick --loop 60 & pids+=($!)
wait -n "${pids[@]}"
