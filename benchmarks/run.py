"""Run the benchmark scenarios on a fresh SQLite file and, with DATABASE_URL, on a fresh PostgreSQL database.

Prints p50/p95, rows/s and the ratio to the raw SQL floor. Asserts nothing about time.
"""

import argparse
import importlib
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every module in benchmarks/scenarios/ with a run(scale) function, the kernel first.
FIRST = ["audit", "customers", "customer_import"]
_MODULES = (ROOT / "benchmarks" / "scenarios").glob("*.py")
SCENARIOS = FIRST + sorted(p.stem for p in _MODULES if not p.stem.startswith("_") and p.stem not in FIRST)
# Runs at once need their own databases: DEALERDESK_BENCH_NAME=mine gives var/bench-mine and dealerdesk_bench_mine.
BENCH_NAME = os.environ.get("DEALERDESK_BENCH_NAME", "")


def fresh_postgres_url(url: str) -> str:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"dealerdesk_bench_{BENCH_NAME}" if BENCH_NAME else "dealerdesk_bench"
    bench_url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return bench_url


def run_one_vendor(args) -> None:
    """In a child process: set up Django against the prepared database, migrate, run the scenarios."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "dealerdesk.config.settings.bench"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.harness import print_table

    call_command("migrate", "--no-input", verbosity=0)
    figures = []
    for name in SCENARIOS:
        if args.only and name != args.only:
            continue
        figures.extend(importlib.import_module(f"benchmarks.scenarios.{name}").run(args.scale))
    print_table(f"{connection.vendor} ({connection.settings_dict['NAME']})", figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=SCENARIOS)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full data size")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_one_vendor(args)
        return

    child = [sys.executable, __file__, "--child", "--scale", str(args.scale)] + (
        ["--only", args.only] if args.only else []
    )
    bench_var = ROOT / "var" / (f"bench-{BENCH_NAME}" if BENCH_NAME else "bench")
    bench_var.mkdir(parents=True, exist_ok=True)
    for leftover in bench_var.glob("dealerdesk.sqlite3*"):
        leftover.unlink()
    sqlite_env = {**os.environ, "DEALERDESK_VAR": str(bench_var)}
    sqlite_env.pop("DATABASE_URL", None)
    subprocess.run(child, env=sqlite_env, check=True)

    url = os.environ.get("DATABASE_URL")
    if url and url.startswith(("postgres://", "postgresql://")):
        pg_env = {**os.environ, "DATABASE_URL": fresh_postgres_url(url), "DEALERDESK_VAR": str(bench_var)}
        subprocess.run(child, env=pg_env, check=True)
    else:
        print("\n(PostgreSQL not measured: set DATABASE_URL=postgres://… to include it)")


if __name__ == "__main__":
    main()
