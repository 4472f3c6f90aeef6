"""`dealerdesk backup` and `dealerdesk restore` on the database the suite runs on (SQLite, or PostgreSQL).

The round trip restores into a FRESH database (SQLite: a new file; PostgreSQL: a database made here and dropped
afterwards) and compares it with the source: every table's row count, a decrypted ID number with its blind
index, each signed contract's stored PDF against its recorded SHA-256, and the append-only triggers, which still
refuse. The data is committed (`committed_db`): a backup sees only committed rows.
"""

import hashlib
import importlib
import io
import json
import secrets
import shutil
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test import override_settings

from dealerdesk.core import backup, crypto
from dealerdesk.core.audit import audit_record
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.services import ID_PURPOSE
from dealerdesk.sales.models import Contract
from tests.factories import StoreFactory, staff
from tests.sales.helpers import make_order, signed_contract

VALID_ID = "11010519491231002X"
# What must survive every restore: the append-only audit tables and the frozen signed contracts.
REQUIRED_TRIGGERS = {
    "sqlite": {
        "core_auditentry.core_auditentry_no_update",
        "core_auditentry.core_auditentry_no_delete",
        "core_accesslog.core_accesslog_no_update",
        "core_accesslog.core_accesslog_no_delete",
        "sales_contract.sales_contract_frozen_update",
        "sales_contract.sales_contract_frozen_delete",
    },
    "postgresql": {
        "core_auditentry.core_auditentry_no_update",
        "core_accesslog.core_accesslog_no_update",
        "sales_contract.sales_contract_frozen",
    },
}


@pytest.fixture
def committed(committed_db, django_db_blocker):
    """`committed_db`, and on SQLite the signed contracts removed before the flush (their trigger refuses DELETE;
    PostgreSQL's flush is a TRUNCATE, which row triggers do not see). The trigger is put back as migrated."""
    yield
    if connection.vendor != "sqlite":
        return
    frozen = importlib.import_module("dealerdesk.sales.migrations.0003_contract_frozen_trigger")
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, execute=cursor.execute)  # the migration's own SQL
        frozen.drop_triggers(None, editor)
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("DELETE FROM sales_contract")  # the flush that follows removes what pointed at them
        cursor.execute("PRAGMA foreign_keys = ON")
        frozen.create_triggers(None, editor)
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'sales_contract'")
        assert cursor.fetchone()[0] == 2


def _populate(*, contract: bool = True) -> dict:
    """Customers (one with an encrypted ID number) registered through the service, an audit trail, a signed
    contract with its PDF and SHA-256."""
    store = StoreFactory(code=f"bk-{secrets.token_hex(3)}")
    consultant = staff("consultant", store, full_name="王磊")
    manager = staff("sales_manager", store, full_name="张伟")
    with_id = customer_services.customer_create(
        actor=consultant, store=store, name="张三丰", mobile="138 0013 8000", id_number=VALID_ID
    )
    customer_services.customer_create(actor=consultant, store=store, name="李四", mobile="139 0013 9000")
    audit_record(actor=consultant, action="store.touched", target=store)
    signed = None
    if contract:
        signed = signed_contract(make_order(store, consultant), consultant, manager)
    return {"customer": with_id, "contract": signed}


def _source_facts() -> dict:
    with connection.cursor() as cursor:
        return backup.collect_facts(cursor, connection.vendor)


def _url_for(name: str) -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{name}"


@contextmanager
def fresh_database(tmp_path: Path):
    """A URL of a new, empty database of the suite's kind; a PostgreSQL one is dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / f'restored-{secrets.token_hex(3)}.sqlite3'}"
        return
    base = str(connection.settings_dict["NAME"]).removeprefix("test_")
    name = f"{base}_restore_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url_for(name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def opened(url: str):
    wrapper = backup.open_wrapper(backup.database_settings(url=url), alias="test_restored")
    try:
        with wrapper.cursor() as cursor:
            yield wrapper, cursor
    finally:
        wrapper.close()


def _backup(tmp_path: Path) -> tuple[Path, dict, str]:
    path = tmp_path / ("backup.sqlite3" if connection.vendor == "sqlite" else "backup.dump")
    out = io.StringIO()
    call_command("backup", str(path), stdout=out)
    return path, json.loads(backup.manifest_path(path).read_text()), out.getvalue()


def _restore(path: Path, url: str, **options) -> str:
    out = io.StringIO()
    call_command("restore", str(path), database_url=url, stdout=out, **options)
    return out.getvalue()


def _is_empty(url: str) -> bool:
    if url.startswith("sqlite:"):
        file = Path(url.removeprefix("sqlite:///"))
        if not file.exists():
            return True
    with opened(url) as (wrapper, cursor):
        return backup.collect_facts(cursor, wrapper.vendor)["row_counts"] == {}


# ------------------------------------------------------------------------------------------------ round trip


def test_round_trip_into_a_fresh_database_keeps_every_row_the_keys_the_hashes_and_the_triggers(committed, tmp_path):
    # given committed data: a customer with an encrypted ID number, an audit trail, a signed contract
    data = _populate()
    source = _source_facts()
    contract = Contract.objects.get(pk=data["contract"].pk)
    assert contract.status == "signed" and contract.sha256

    # when it is backed up
    path, manifest, out = _backup(tmp_path)
    # then the manifest describes exactly the source, and the file is the one it names
    assert "backup complete" in out
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["row_counts"] == source["row_counts"] and manifest["migrations"] == source["migrations"]
    assert manifest["row_counts"]["customers_customer"] >= 2 and manifest["row_counts"]["core_auditentry"] >= 3
    assert REQUIRED_TRIGGERS[connection.vendor] <= set(manifest["triggers"])
    assert manifest["file"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["keys"]["field_key_ids"] == [crypto.token_key_id(crypto.encrypt("x"))]
    assert manifest["created_at"] and manifest["dealerdesk_version"]
    assert backup.manifest_path(path).stat().st_mode & 0o077 == 0 and path.stat().st_mode & 0o077 == 0
    # and neither the backup nor the manifest holds a key, in any form
    from django.conf import settings

    written = path.read_bytes() + backup.manifest_path(path).read_bytes()
    for key in [*settings.DEALERDESK_FIELD_KEYS, settings.DEALERDESK_BLIND_INDEX_KEY]:
        raw = crypto._decode_key(key, "test")
        for form in (key.encode(), key.rstrip("=").encode(), raw, raw.hex().encode()):
            assert form not in written
    # and the plaintext ID number is nowhere in the backup either (it is stored encrypted)
    assert VALID_ID.encode() not in written

    with fresh_database(tmp_path) as url:
        # when it is restored into a fresh database
        out = _restore(path, url)
        assert "restore complete" in out and "decrypted customers_customer.id_number" in out
        with opened(url) as (wrapper, cursor):
            restored = backup.collect_facts(cursor, wrapper.vendor)
            # then every table has the rows of the source, and the migration state is the same
            assert restored["row_counts"] == source["row_counts"]
            assert restored["migrations"] == source["migrations"]
            # the encrypted ID number decrypts with the keys here, and its blind index still finds it
            cursor.execute(
                "SELECT id_number, id_number_index FROM customers_customer WHERE id = %s", [data["customer"].pk]
            )
            token, index = cursor.fetchone()
            assert token.startswith("v1.") and crypto.decrypt(token) == VALID_ID
            assert index == crypto.blind_index(VALID_ID, purpose=ID_PURPOSE)
            # the signed contract's stored PDF still has the SHA-256 recorded when it was signed
            cursor.execute("SELECT pdf, sha256, status FROM sales_contract WHERE id = %s", [contract.pk])
            pdf, sha256, status = cursor.fetchone()
            assert status == "signed" and sha256 == contract.sha256
            assert hashlib.sha256(bytes(pdf)).hexdigest() == sha256 == hashlib.sha256(bytes(contract.pdf)).hexdigest()
            checked, problems = backup.check_documents(cursor, wrapper.vendor, limit=None)
            assert checked >= 1 and problems == []
            # the append-only and frozen-contract triggers are there, and they still refuse
            assert REQUIRED_TRIGGERS[wrapper.vendor] <= set(restored["triggers"])
            assert set(restored["triggers"]) == set(source["triggers"])
            for statement in (
                "DELETE FROM core_auditentry",
                "UPDATE core_auditentry SET action = 'x'",
                f"DELETE FROM sales_contract WHERE id = {contract.pk}",
                f"UPDATE sales_contract SET sha256 = 'x' WHERE id = {contract.pk}",
            ):
                with pytest.raises(DatabaseError):
                    cursor.execute(statement)
            cursor.execute("SELECT count(*) FROM core_auditentry")
            assert cursor.fetchone()[0] == source["row_counts"]["core_auditentry"]


def test_a_backup_taken_while_the_app_writes_is_consistent(committed, tmp_path):
    """The writer does not wait for the backup, and the backup holds a snapshot: the restore's own check (every
    table's count as in the manifest) passes although rows kept arriving."""
    store = StoreFactory()
    stop, written, errors = threading.Event(), [], []

    def write():
        from django.db import connection as own

        try:
            while not stop.is_set():
                audit_record(actor=None, action="store.touched", target=store)
                written.append(1)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            own.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        before = len(written)
        path, manifest, _out = _backup(tmp_path)
        during = len(written) - before
        while len(written) < before + during + 3 and writer.is_alive():  # rows surely after the snapshot
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()
    assert errors == []
    assert during > 0, "the app's writes went on during the backup"
    assert manifest["row_counts"]["core_auditentry"] < _source_facts()["row_counts"]["core_auditentry"]
    with fresh_database(tmp_path) as url:
        assert "restore complete" in _restore(path, url)


# ------------------------------------------------------------------------------------------------ refusals


def test_restore_refuses_before_touching_the_target(committed, tmp_path):
    _populate(contract=False)
    path, manifest, _out = _backup(tmp_path)
    with fresh_database(tmp_path) as url:
        # keys of another installation: the ID numbers could not be read
        other_keys = override_settings(DEALERDESK_FIELD_KEYS=[crypto.generate_key()])
        with (
            other_keys,
            pytest.raises(CommandError, match=r"keys in this environment do not fit.*not in DEALERDESK_FIELD"),
        ):
            _restore(path, url)
        other_index = override_settings(DEALERDESK_BLIND_INDEX_KEY=crypto.generate_key())
        with other_index, pytest.raises(CommandError, match="DEALERDESK_BLIND_INDEX_KEY is not the one"):
            _restore(path, url)
        # a backup from newer code (a migration this code does not have)
        newer = _variant(path, tmp_path / "newer", lambda m: m["migrations"]["core"].append("9999_from_the_future"))
        with pytest.raises(CommandError, match=r"newer code.*core: 9999_from_the_future"):
            _restore(newer, url)
        # a backup of the other kind of database
        other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
        crossed = _variant(path, tmp_path / "crossed", lambda m: m["database"].update(vendor=other))
        with pytest.raises(CommandError, match=f"this is a {other} backup"):
            _restore(crossed, url)
        # a damaged file
        damaged = _variant(path, tmp_path / "damaged", lambda m: None)
        with damaged.open("ab") as f:
            f.write(b"\0")
        with pytest.raises(CommandError, match="does not match the SHA-256"):
            _restore(damaged, url)
        # a file without its manifest
        bare = tmp_path / "bare" / path.name
        bare.parent.mkdir()
        shutil.copy(path, bare)
        with pytest.raises(CommandError, match=r"manifest\.json is missing"):
            _restore(bare, url)
        # nothing was written by any of these
        assert _is_empty(url)

        # then a real restore; a second one onto the now full database needs --force
        _restore(path, url)
        with pytest.raises(CommandError, match=r"is not empty.*--force"):
            _restore(path, url)
        assert "restore complete" in _restore(path, url, force=True)
        with opened(url) as (wrapper, cursor):
            assert backup.collect_facts(cursor, wrapper.vendor)["row_counts"] == manifest["row_counts"]


def test_restore_refuses_while_the_target_is_in_use(committed, tmp_path):
    StoreFactory()
    path, _manifest, _out = _backup(tmp_path)
    with fresh_database(tmp_path) as url:
        if connection.vendor == "sqlite":
            # the app keeps its WAL-mode file open: another process is still using it
            other = sqlite3.connect(url.removeprefix("sqlite:///"))
            other.execute("PRAGMA journal_mode=WAL")
            other.execute("CREATE TABLE app_was_here (id integer)")
            message = "open in another process.*stop DealerDesk"
        else:
            other = backup.open_wrapper(backup.database_settings(url=url), alias="test_app_session")
            message = "1 other session.*connected.*stop the web server, worker and tick"
        try:
            with pytest.raises(CommandError, match=message):
                _restore(path, url, force=True)
        finally:
            other.close()


def test_keys_fit_after_a_rotation_and_are_named_when_missing(committed, tmp_path):
    _populate(contract=False)
    _path, manifest, _out = _backup(tmp_path)
    from django.conf import settings

    old = settings.DEALERDESK_FIELD_KEYS[0]
    # a newer key first and the old one still configured: the backup's values are readable
    with override_settings(DEALERDESK_FIELD_KEYS=[crypto.generate_key(), old]):
        assert backup.check_keys(manifest) == []
    # the old key gone: the message names the key id it needs, never the key
    with override_settings(DEALERDESK_FIELD_KEYS=[crypto.generate_key()]):
        (problem,) = backup.check_keys(manifest)
        assert manifest["keys"]["field_key_ids"][0] in problem and old not in problem


def _variant(path: Path, directory: Path, change) -> Path:
    """A copy of the backup with an edited manifest."""
    directory.mkdir()
    copy = directory / path.name
    shutil.copy(path, copy)
    manifest = json.loads(backup.manifest_path(path).read_text())
    change(manifest)
    backup.manifest_path(copy).write_text(json.dumps(manifest))
    return copy


# ------------------------------------------------------------------------------------------------ pg client tools


@pytest.mark.skipif(not backup.pg_tool_candidates("pg_dump"), reason="no PostgreSQL client on this machine")
def test_pg_tools_are_found_and_a_version_too_old_for_the_server_is_reported(tmp_path):
    path, version = backup.find_pg_tool("pg_dump", min_major=0)
    assert Path(path).name == "pg_dump" and version[0] >= 10
    with pytest.raises(backup.BackupError, match=r"must be PostgreSQL 99 or newer.*postgresql-client-99"):
        backup.find_pg_tool("pg_dump", min_major=99)
    with pytest.raises(backup.BackupError, match=r"pg_restore was not found in .*--pg-bin"):
        backup.find_pg_tool("pg_restore", min_major=15, pg_bin=str(tmp_path))
