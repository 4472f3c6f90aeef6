"""Masking, logged reveals, subject export and erasure; the raw database never holds the ID number in clear."""

import io
import json
import subprocess

import openpyxl
import pytest
from django.conf import settings
from django.db import connection

from dealerdesk.core.errors import NotPermitted, TransitionRefused
from dealerdesk.core.models import AccessLog, AuditEntry
from dealerdesk.customers import privacy
from dealerdesk.customers.models import Customer, SearchToken, SubjectRequest
from dealerdesk.customers.services import customer_create, note_add, vehicle_add

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


@pytest.fixture
def customer(store_a, make_staff):
    consultant = make_staff("consultant", store_a)
    c = customer_create(actor=consultant, store=store_a, name="张三丰", mobile="13800138000", id_number=ID)
    vehicle_add(actor=consultant, customer=c, brand="比亚迪", plate="粤BD12345")
    return c


def test_masks(customer):
    assert privacy.masked_mobile(customer) == "138****8000"
    assert privacy.masked_id_number(customer) == "1101**********002X"


def test_reveal_is_logged_and_refused_for_a_receptionist(customer, store_a, make_staff):
    manager = make_staff("sales_manager", store_a)
    assert privacy.customer_reveal(actor=manager, customer=customer, field="id_number", reason="合同") == ID
    log = AccessLog.objects.get()
    assert (log.actor, log.kind, log.fields, log.target_id) == (manager, "reveal", ["id_number"], str(customer.pk))
    with pytest.raises(NotPermitted):
        privacy.customer_reveal(actor=make_staff("receptionist", store_a), customer=customer, field="mobile")
    assert AccessLog.objects.count() == 1


def test_raw_database_never_holds_the_id_number(customer):
    """Grep the real storage: the SQLite file or a pg_dump of the PostgreSQL test database."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM customers_customer")
            rows = repr(cursor.fetchall())
        assert ID not in rows and ID[:14] not in rows
        return
    dbname = connection.settings_dict["NAME"]
    host = connection.settings_dict.get("HOST") or "127.0.0.1"
    user = connection.settings_dict.get("USER") or "postgres"
    # the test transaction is not visible to pg_dump: commit a copy through a second connection first
    import psycopg

    with psycopg.connect(
        host=host, dbname=dbname, user=user, port=connection.settings_dict.get("PORT") or 5432
    ) as other:
        other.execute("CREATE TABLE IF NOT EXISTS privacy_probe (token text)")
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number FROM customers_customer WHERE id = %s", [customer.pk])
            stored = cursor.fetchone()[0]
        other.execute("INSERT INTO privacy_probe VALUES (%s)", [stored])
        other.commit()
    try:
        dump = subprocess.run(
            ["pg_dump", "-h", host, "-U", user, "-t", "privacy_probe", dbname],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert stored in dump and ID not in dump
    finally:
        with psycopg.connect(host=host, dbname=dbname, user=user) as other:
            other.execute("DROP TABLE privacy_probe")


def test_subject_export_json_and_xlsx_are_logged(customer, store_a, make_staff):
    manager = make_staff("sales_manager", store_a)
    privacy.subject_request_open(actor=manager, customer=customer, kind="access")
    body, content_type = privacy.customer_subject_export(actor=manager, customer=customer, fmt="json")
    data = json.loads(body)
    assert content_type == "application/json"
    assert data["customer"]["id_number"] == ID and data["vehicles"][0]["plate"] == "粤BD12345"
    xlsx, _ = privacy.customer_subject_export(actor=manager, customer=customer, fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    assert any(row[2].value == "13800138000" or row[2].value == "+8613800138000" for row in sheet.iter_rows(min_row=2))
    assert AccessLog.objects.filter(kind="export").count() == 2
    assert SubjectRequest.objects.get().status == "done"


def test_erase_anonymises_the_person_and_keeps_the_record(customer, store_a, make_staff):
    manager = make_staff("sales_manager", store_a)
    note_add(actor=manager, customer=customer, body="客户说下周来")
    privacy.customer_erase(actor=manager, customer=customer, reason="SR-2026-001")
    customer = Customer.objects.get(pk=customer.pk)
    assert customer.erased_at and customer.mobile == "" and customer.id_number == "" and customer.name != "张三丰"
    assert not SearchToken.objects.filter(customer=customer).exists()
    assert customer.shared_notes.get().body == "（已删除）"
    assert AuditEntry.objects.filter(action="customer.erased").exists()
    with pytest.raises(TransitionRefused):
        privacy.customer_erase(actor=manager, customer=customer, reason="again")


def test_consultant_cannot_erase(customer, store_a, make_staff):
    with pytest.raises(NotPermitted):
        privacy.customer_erase(actor=make_staff("consultant", store_a), customer=customer, reason="x")


def test_field_keys_are_configured_for_tests():
    assert settings.DEALERDESK_FIELD_KEYS and settings.DEALERDESK_BLIND_INDEX_KEY
