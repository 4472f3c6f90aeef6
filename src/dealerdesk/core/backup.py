"""Backup and restore of the database (`dealerdesk backup`, `dealerdesk restore`; docs/deploy.md "Backup and restore").

SQLite: an online copy with SQLite's backup API (consistent while the app writes in WAL mode), one self-contained
file. PostgreSQL: `pg_dump --format=custom` inside an exported snapshot, so the manifest's row counts describe
exactly the rows in the dump. Beside every backup a manifest (`<backup>.manifest.json`): when, which database,
the migration state per app, the row count per table, the triggers, the DealerDesk version, the backup's SHA-256.

Encryption keys are never written: the manifest holds only key ids (already part of every stored token) and a
key check value (a fixed public text encrypted with the current field key, and its blind index), which lets a
restore tell whether the keys in its environment are the ones the data needs before anything is overwritten.
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dj_database_url
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.utils import load_backend

from dealerdesk.core import crypto

MANIFEST_FORMAT = 1
MANIFEST_SUFFIX = ".manifest.json"
KEY_CHECK_TEXT = "DealerDesk backup key check"
KEY_CHECK_PURPOSE = "dealerdesk.backup.key-check"
# Documents stored in the database with their recorded hash: (app label, model, content field, hash field).
HASHED_DOCUMENTS = [
    ("sales", "Contract", "pdf", "sha256"),
    ("deliveries", "Delivery", "confirmation_pdf", "confirmation_sha256"),
    ("testdrives", "TestDriveAgreement", "pdf", "sha256"),
]
# How many of the newest documents of each kind a restore re-hashes (the round-trip test checks them all).
DOCUMENT_SAMPLE = 100
PG_SEARCH_DIRS = ["/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql@*/bin"]


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


# ------------------------------------------------------------------------------------------------ connections


def database_settings(alias: str = "default", url: str | None = None) -> dict:
    """The settings of `alias`, or of a DATABASE_URL-style `url` (e.g. a scratch database to restore into)."""
    if url:
        raw = dj_database_url.parse(url)
        return connections.configure_settings({"default": raw})["default"]
    return dict(connections[alias].settings_dict)


def vendor_of(settings_dict: dict) -> str:
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper.vendor


def open_wrapper(settings_dict: dict, alias: str = "dealerdesk_backup"):
    """A separate Django connection (never the app's own): closed by the caller."""
    conf = dict(settings_dict, CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False, AUTOCOMMIT=True)
    wrapper = load_backend(conf["ENGINE"]).DatabaseWrapper(conf, alias)
    wrapper.ensure_connection()
    return wrapper


def describe(settings_dict: dict) -> str:
    """Where a database is, for messages (never the password)."""
    if vendor_of(settings_dict) == "sqlite":
        return f"SQLite database {settings_dict['NAME']}"
    host = settings_dict.get("HOST") or "local socket"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f'PostgreSQL database "{settings_dict["NAME"]}" on {host}{port}'


def sqlite_path(settings_dict: dict) -> Path:
    name = str(settings_dict["NAME"])
    if not name or name == ":memory:" or (name.startswith("file:") and "mode=memory" in name):
        raise BackupError("This SQLite database is in memory: there is no file to back up or restore into.")
    return Path(name)


# ------------------------------------------------------------------------------------------------ facts


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _tables(cursor, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(row[0] for row in cursor.fetchall())


def _columns(cursor, vendor: str, table: str) -> set[str]:
    if vendor == "sqlite":
        cursor.execute(f"PRAGMA table_info({_quote(table)})")
        return {row[1] for row in cursor.fetchall()}
    literal = "'" + table.replace("'", "''") + "'"  # no placeholders: the cursor may be sqlite3's or Django's
    where = f"table_schema = current_schema() AND table_name = {literal}"
    cursor.execute(f"SELECT column_name FROM information_schema.columns WHERE {where}")  # noqa: S608
    return {row[0] for row in cursor.fetchall()}


def _triggers(cursor, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
    else:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        )
    return sorted(f"{table}.{name}" for table, name in cursor.fetchall())


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) of every encrypted field the code knows."""
    return sorted(
        (model._meta.db_table, field.column)
        for model in apps.get_models()
        for field in model._meta.local_fields
        if isinstance(field, crypto.EncryptedTextField)
    )


def collect_facts(cursor, vendor: str) -> dict[str, Any]:
    """What a backup records and a restore must reproduce: migrations, row counts, triggers, key ids in use."""
    tables = _tables(cursor, vendor)
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - a table name from the catalogue
        counts[table] = cursor.fetchone()[0]
    key_ids: set[str] = set()
    for table, column in encrypted_columns():
        if table in tables and column in _columns(cursor, vendor, table):
            # Tokens are `v1.<8-character key id>.<data>`: the id is characters 4 to 11.
            col = _quote(column)
            cursor.execute(f"SELECT DISTINCT substr({col}, 4, 8) FROM {_quote(table)} WHERE {col} <> ''")  # noqa: S608
            key_ids.update(row[0] for row in cursor.fetchall())
    return {
        "migrations": migrations,
        "row_counts": counts,
        "triggers": _triggers(cursor, vendor),
        "field_key_ids": sorted(key_ids),
    }


def key_check_values() -> dict[str, str]:
    """A key check value for each configured key kind; empty when none is configured. No key material."""
    values = {}
    with contextlib.suppress(ImproperlyConfigured):  # no field keys configured: nothing to check later
        values["field_key_check"] = crypto.encrypt(KEY_CHECK_TEXT)
    with contextlib.suppress(ImproperlyConfigured):
        values["blind_index_check"] = crypto.blind_index(KEY_CHECK_TEXT, purpose=KEY_CHECK_PURPOSE)
    return values


def configured_field_key_ids() -> set[str]:
    try:
        _current, keys = crypto._current_keyring()  # ids only (a hash prefix of each key), never the keys
    except ImproperlyConfigured:  # none or malformed: reported as missing
        return set()
    return set(keys)


def check_keys(manifest: dict) -> list[str]:
    """Why the keys in this environment cannot read the backup's encrypted data (empty when they can)."""
    keys = manifest.get("keys", {})
    problems = []
    missing = sorted(set(keys.get("field_key_ids", [])) - configured_field_key_ids())
    if missing:
        problems.append(
            f"the backup's encrypted values need field key(s) with id {', '.join(missing)}, which are not in "
            "DEALERDESK_FIELD_KEYS here"
        )
    token = keys.get("field_key_check")
    if token and not missing:
        try:
            fits = crypto.decrypt(token) == KEY_CHECK_TEXT
        except (crypto.DecryptionError, ImproperlyConfigured):
            fits = False
        if not fits:
            problems.append(
                f"DEALERDESK_FIELD_KEYS does not hold the key the backup was written with (id {token.split('.')[1]})"
            )
    index = keys.get("blind_index_check")
    if index:
        try:
            ours = crypto.blind_index(KEY_CHECK_TEXT, purpose=KEY_CHECK_PURPOSE)
        except ImproperlyConfigured:
            ours = None
        if ours != index:
            problems.append(
                "DEALERDESK_BLIND_INDEX_KEY is not the one the backup was written with "
                "(lookups by ID number and duplicate checks would miss)"
            )
    return problems


def check_encrypted_value(cursor, vendor: str) -> str | None:
    """Decrypt one encrypted value of the restored data; a customer's ID number also proves the blind index key.
    Returns a description of what was checked, or None when the data holds no encrypted value; raises BackupError."""
    from dealerdesk.customers.services import ID_PURPOSE

    tables = set(_tables(cursor, vendor))
    for table, column in encrypted_columns():
        if table not in tables or column not in _columns(cursor, vendor, table):
            continue
        with_index = table == "customers_customer" and column == "id_number"
        extra = ", id_number_index" if with_index else ""
        col = _quote(column)
        query = f"SELECT id, {col}{extra} FROM {_quote(table)} WHERE {col} <> '' ORDER BY id LIMIT 1"  # noqa: S608
        cursor.execute(query)
        row = cursor.fetchone()
        if row is None:
            continue
        try:
            plain = crypto.decrypt(row[1])
        except Exception as exc:
            raise BackupError(
                f"the restored {table}.{column} of row {row[0]} cannot be decrypted with the keys here ({exc}). "
                "Set DEALERDESK_FIELD_KEYS to the keys of the installation the backup came from."
            ) from None
        if with_index and row[2] and crypto.blind_index(plain, purpose=ID_PURPOSE) != row[2]:
            raise BackupError(
                f"the restored customer {row[0]}'s ID number decrypts, but its blind index does not match "
                "DEALERDESK_BLIND_INDEX_KEY here: set the blind index key of the installation the backup came from."
            )
        return f"{table}.{column} of row {row[0]}"
    return None


def check_documents(cursor, vendor: str, limit: int | None = DOCUMENT_SAMPLE) -> tuple[int, list[str]]:
    """Re-hash the newest stored PDFs of each kind against their recorded SHA-256: (checked, problems)."""
    tables = set(_tables(cursor, vendor))
    checked, problems = 0, []
    for app_label, model_name, content, digest in HASHED_DOCUMENTS:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        table = model._meta.db_table
        if table not in tables:
            continue
        content_col, digest_col = model._meta.get_field(content).column, model._meta.get_field(digest).column
        if not {content_col, digest_col} <= _columns(cursor, vendor, table):
            continue
        data_col, hash_col = _quote(content_col), _quote(digest_col)
        query = (
            f"SELECT id, {data_col}, {hash_col} FROM {_quote(table)} WHERE {data_col} IS NOT NULL AND {hash_col} <> ''"  # noqa: S608
        )
        cursor.execute(query + " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else ""))
        for pk, data, recorded in cursor.fetchall():
            checked += 1
            if hashlib.sha256(bytes(data)).hexdigest() != recorded:
                problems.append(f"{table} row {pk}: the stored PDF does not match its recorded SHA-256")
    return checked, problems


# ------------------------------------------------------------------------------------------------ manifest


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + MANIFEST_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def dealerdesk_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dealerdesk")
    except PackageNotFoundError:
        return "unknown"


def read_manifest(backup: Path) -> dict:
    path = manifest_path(backup)
    if not backup.is_file():
        raise BackupError(f"{backup} does not exist.")
    if not path.is_file():
        raise BackupError(
            f"{path.name} is missing beside {backup}: restore only takes backups made by `dealerdesk backup` "
            "(the manifest says which database and migrations they hold)."
        )
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read as JSON: {exc}") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{path} has manifest format {manifest.get('format')!r}; this DealerDesk reads format 1.")
    return manifest


def _private_file(path: Path) -> None:
    """Backups hold personal data: readable by the owner only."""
    os.chmod(path, 0o600)


def write_manifest(backup: Path, manifest: dict) -> Path:
    path = manifest_path(backup)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    _private_file(partial)
    os.replace(partial, path)
    return path


def _manifest(settings_dict: dict, backup: Path, facts: dict, **database: Any) -> dict:
    return {
        "format": MANIFEST_FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "dealerdesk_version": dealerdesk_version(),
        "database": {"vendor": vendor_of(settings_dict), "name": Path(str(settings_dict["NAME"])).name, **database},
        "file": {"name": backup.name, "size": backup.stat().st_size, "sha256": file_sha256(backup)},
        "migrations": facts["migrations"],
        "row_counts": facts["row_counts"],
        "total_rows": sum(facts["row_counts"].values()),
        "triggers": facts["triggers"],
        "keys": {
            "note": "No key is in this backup. Restoring needs the DEALERDESK_FIELD_KEYS and "
            "DEALERDESK_BLIND_INDEX_KEY of this installation in the environment.",
            "field_key_ids": facts["field_key_ids"],
            **key_check_values(),
        },
    }


def default_backup_path(directory: Path, vendor: str) -> Path:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    return directory / f"dealerdesk-{vendor}-{stamp}.{'sqlite3' if vendor == 'sqlite' else 'dump'}"


# ------------------------------------------------------------------------------------------------ migrations


def migration_problems(manifest: dict) -> tuple[list[str], list[str]]:
    """(refusals, warnings): migrations in the backup that this code does not have are from newer code."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces or [])
    labels = {config.label for config in apps.get_app_configs()}
    refusals, warnings = [], []
    for app, names in sorted(manifest.get("migrations", {}).items()):
        unknown = [name for name in names if (app, name) not in known]
        if not unknown:
            continue
        if app in labels:
            refusals.append(f"{app}: {', '.join(unknown)}")
        else:
            warnings.append(f"the backup has migrations of app '{app}', which this code does not install")
    return refusals, warnings


def pending_migrations(migrations: dict[str, list[str]]) -> list[str]:
    """The code's migrations not applied in a database with this migration state (`dealerdesk migrate` applies them)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    applied = {(app, name) for app, names in migrations.items() for name in names}
    pending = []
    for leaf in loader.graph.leaf_nodes():
        for key in loader.graph.forwards_plan(leaf):
            migration = loader.graph.nodes[key]
            done = key in applied or (migration.replaces and set(migration.replaces) <= applied)
            if not done and f"{key[0]}.{key[1]}" not in pending:
                pending.append(f"{key[0]}.{key[1]}")
    return pending


# ------------------------------------------------------------------------------------------------ SQLite


@dataclass
class Result:
    path: Path
    manifest: dict
    tool: str = ""


def _sqlite_uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


def sqlite_backup(settings_dict: dict, target: Path) -> Result:
    source = sqlite_path(settings_dict)
    if not source.is_file():
        raise BackupError(f"The SQLite database {source} does not exist.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(_sqlite_uri(source, "rw"), uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            # One step (pages=-1): a single read transaction on the source, a consistent snapshot; in WAL mode the
            # app keeps writing meanwhile. Stepwise copying would restart whenever the app writes.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"The copy failed SQLite's integrity check: {check}")
            facts = collect_facts(dst.cursor(), "sqlite")
        finally:
            dst.close()
    finally:
        src.close()
    _private_file(partial)
    os.replace(partial, target)
    manifest = _manifest(settings_dict, target, facts, sqlite_version=sqlite3.sqlite_version)
    write_manifest(target, manifest)
    return Result(target, manifest, f"SQLite {sqlite3.sqlite_version} backup API")


def sqlite_restore(backup: Path, settings_dict: dict, *, force: bool) -> None:
    """Copy the backup into the target file with the backup API, under an exclusive lock.

    Refused while any other connection has the target open (the web server, worker or tick still running): leaving
    WAL mode needs every other connection gone, which is the test. The exclusive lock then keeps newcomers out
    until the copy is done; the copy is one transaction, so a crash leaves the old database.
    """
    target = sqlite_path(settings_dict)
    if not target.parent.is_dir():
        raise BackupError(f"The directory {target.parent} does not exist.")
    src = sqlite3.connect(_sqlite_uri(backup, "ro"), uri=True)
    try:
        dst = sqlite3.connect(target, timeout=2, isolation_level=None)
        try:
            try:
                mode = dst.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
                dst.execute("PRAGMA locking_mode=EXCLUSIVE")
                dst.execute("BEGIN EXCLUSIVE")
            except sqlite3.OperationalError:
                mode = "busy"
            if mode.lower() != "delete":
                raise BackupError(
                    f"{target} is open in another process (web server, worker or tick?): stop DealerDesk before "
                    "restoring."
                )
            tables = len(_tables(dst.cursor(), "sqlite"))
            dst.execute("COMMIT")  # the exclusive lock stays: locking_mode=EXCLUSIVE
            if tables and not force:
                raise BackupError(
                    f"{target} is not empty ({tables} tables). Restoring replaces all of it: add --force "
                    "(and make a backup of it first if it may be needed)."
                )
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA locking_mode=NORMAL")
            dst.execute("PRAGMA journal_mode=WAL")  # the app's mode (settings' init_command sets it too)
        finally:
            dst.close()
    finally:
        src.close()


# ------------------------------------------------------------------------------------------------ PostgreSQL


def _tool_version(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20, check=False).stdout  # noqa: S603
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?", out)
    return (int(match[1]), int(match[2] or 0)) if match else None


def pg_tool_candidates(name: str, pg_bin: str | None = None) -> list[str]:
    """Where `name` may be: --pg-bin (alone when given), else DEALERDESK_PG_BIN, the distributions' dirs, PATH."""
    if pg_bin:
        dirs = [pg_bin]
    else:
        dirs = [os.environ["DEALERDESK_PG_BIN"]] if os.environ.get("DEALERDESK_PG_BIN") else []
        # The versioned directories before PATH: Debian's /usr/bin/pg_dump is a wrapper that picks a version by
        # itself, so with equal versions the real binary is preferred.
        for pattern in PG_SEARCH_DIRS:
            dirs.extend(sorted(glob.glob(pattern), key=lambda d: [int(n) for n in re.findall(r"\d+", d)]))
        on_path = shutil.which(name)
        if on_path:
            dirs.append(str(Path(on_path).parent))
    seen, found = set(), []
    for directory in dirs:
        path = Path(directory) / name
        if path.is_file() and os.access(path, os.X_OK) and str(path) not in seen:
            seen.add(str(path))
            found.append(str(path))
    return found


def find_pg_tool(name: str, *, min_major: int, pg_bin: str | None = None) -> tuple[str, tuple[int, int]]:
    """The oldest `name` whose major version is at least `min_major` (pg_dump refuses a newer server; pg_restore
    cannot read an archive from a newer pg_dump)."""
    versions = [(path, _tool_version(path)) for path in pg_tool_candidates(name, pg_bin)]
    versions = [(path, version) for path, version in versions if version]
    if not versions:
        where = pg_bin or "PATH, $DEALERDESK_PG_BIN or " + ", ".join(PG_SEARCH_DIRS)
        raise BackupError(
            f"{name} was not found in {where}. Install the PostgreSQL client "
            f"(Debian: apt-get install postgresql-client-{min_major}) or pass --pg-bin DIR."
        )
    fitting = [(path, version) for path, version in versions if version[0] >= min_major]
    if not fitting:
        found = ", ".join(f"{path} ({v[0]}.{v[1]})" for path, v in versions)
        raise BackupError(
            f"{name} must be PostgreSQL {min_major} or newer here, but only {found} was found. "
            f"Install postgresql-client-{min_major} (or newer) or pass --pg-bin DIR."
        )
    return min(fitting, key=lambda item: item[1][0])


def pg_environment(settings_dict: dict) -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore: the password never appears on a command line."""
    env = dict(os.environ)
    for key, var in [("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")]:
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    env["PGDATABASE"] = str(settings_dict["NAME"])
    options = settings_dict.get("OPTIONS") or {}
    for key, var in [
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("options", "PGOPTIONS"),
        ("service", "PGSERVICE"),
        ("passfile", "PGPASSFILE"),
        ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ]:
        if options.get(key):
            env[var] = str(options[key])
    env["PGAPPNAME"] = "dealerdesk-backup"
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - no shell
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        hint = ""
        if "version mismatch" in done.stderr or "unsupported version" in done.stderr:
            hint = "\nThe PostgreSQL client is older than the server or the archive: pass --pg-bin with a newer one."
        raise BackupError(f"{what} failed (exit {done.returncode}):\n{tail}{hint}")


def _server_version(wrapper) -> tuple[int, int]:
    number = wrapper.pg_version  # e.g. 150020
    return number // 10000, number % 10000


def pg_backup(settings_dict: dict, target: Path, *, pg_bin: str | None = None) -> Result:
    wrapper = open_wrapper(settings_dict)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        server = _server_version(wrapper)
        tool, version = find_pg_tool("pg_dump", min_major=server[0], pg_bin=pg_bin)
        wrapper.set_autocommit(False)
        try:
            with wrapper.cursor() as cursor:
                # The facts and the dump see the same snapshot: the manifest's counts are the dump's rows.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                facts = collect_facts(cursor, "postgresql")
                command = [tool, "--format=custom", f"--file={partial}", f"--snapshot={snapshot}", "--no-password"]
                _run([*command, str(settings_dict["NAME"])], pg_environment(settings_dict), "pg_dump")
        finally:
            wrapper.rollback()
            wrapper.set_autocommit(True)
    finally:
        wrapper.close()
    _private_file(partial)
    os.replace(partial, target)
    manifest = _manifest(
        settings_dict,
        target,
        facts,
        server_version=f"{server[0]}.{server[1]}",
        pg_dump_version=f"{version[0]}.{version[1]}",
    )
    write_manifest(target, manifest)
    return Result(target, manifest, f"{tool} ({version[0]}.{version[1]})")


def pg_target_state(wrapper) -> tuple[int, list[str]]:
    """(tables in the target's schema, other client sessions connected to the target database)."""
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
        tables = cursor.fetchone()[0]
        cursor.execute(
            "SELECT coalesce(nullif(application_name, ''), 'unnamed') || ' from ' || coalesce(client_addr::text, "
            "'local socket') FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        sessions = [row[0] for row in cursor.fetchall()]
    return tables, sessions


def pg_restore(backup: Path, settings_dict: dict, manifest: dict, *, force: bool, pg_bin: str | None = None) -> str:
    wrapper = open_wrapper(settings_dict)
    try:
        server = _server_version(wrapper)
        tables, sessions = pg_target_state(wrapper)
    finally:
        wrapper.close()
    if sessions:
        raise BackupError(
            f"{len(sessions)} other session(s) are connected to {describe(settings_dict)} "
            f"({'; '.join(sorted(set(sessions))[:5])}): stop the web server, worker and tick before restoring."
        )
    if tables and not force:
        raise BackupError(
            f"{describe(settings_dict)} is not empty ({tables} tables). Restoring replaces what the backup holds: "
            "add --force (and make a backup of it first if it may be needed), or restore into an empty database."
        )
    dumped = int(str(manifest["database"].get("pg_dump_version") or "0").split(".")[0])
    tool, version = find_pg_tool("pg_restore", min_major=dumped, pg_bin=pg_bin)
    command = [tool, "--no-owner", "--single-transaction", "--exit-on-error", "--no-password"]
    if tables:
        command += ["--clean", "--if-exists"]
    command += [f"--dbname={settings_dict['NAME']}", str(backup)]
    _run(command, pg_environment(settings_dict), "pg_restore")
    note = f"{tool} ({version[0]}.{version[1]})"
    if dumped > server[0]:
        note += f"; the dump came from pg_dump {dumped} into a PostgreSQL {server[0]} server"
    return note


# ------------------------------------------------------------------------------------------------ verification


def verify_restored(settings_dict: dict, manifest: dict, *, decrypt: bool = True) -> dict[str, Any]:
    """Compare the restored database with the manifest; raises BackupError listing every difference."""
    wrapper = open_wrapper(settings_dict, alias="dealerdesk_restore_check")
    try:
        with wrapper.cursor() as cursor:
            facts = collect_facts(cursor, wrapper.vendor)
            problems = []
            if facts["migrations"] != manifest["migrations"]:
                problems.append("the migration state differs from the manifest")
            expected, found = manifest["row_counts"], facts["row_counts"]
            for table in sorted(set(expected) | set(found)):
                if expected.get(table) != found.get(table):
                    problems.append(
                        f"{table}: {found.get(table, 'missing')} rows, the backup had {expected.get(table)}"
                    )
            missing = sorted(set(manifest["triggers"]) - set(facts["triggers"]))
            if missing:
                problems.append(f"triggers missing after the restore: {', '.join(missing)}")
            checked, document_problems = check_documents(cursor, wrapper.vendor)
            problems += document_problems
            if problems:
                raise BackupError("The restored database does not match the backup:\n  " + "\n  ".join(problems))
            decrypted = check_encrypted_value(cursor, wrapper.vendor) if decrypt else None
    finally:
        wrapper.close()
    return {
        "tables": len(found),
        "rows": sum(found.values()),
        "triggers": len(facts["triggers"]),
        "documents": checked,
        "decrypted": decrypted,
        "pending": pending_migrations(facts["migrations"]),
    }
