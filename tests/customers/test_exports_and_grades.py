"""Exporting the visible customer list, and store administrators editing intent grades."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from dealerdesk.core.models import AccessLog, AuditEntry
from dealerdesk.customers import exports
from dealerdesk.customers.models import IntentGradePolicy
from dealerdesk.customers.services import customer_create, customer_set_grade, ensure_grade_policies
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_consultant_exports_own_customers_as_csv_with_bom_and_masked_mobile(store_a, make_staff, client):
    consultant = make_staff("consultant", store_a)
    CustomerFactory(store=store_a, owner=consultant, name="张三丰", mobile="+8613800138000")
    CustomerFactory(store=store_a, owner=make_staff("consultant", store_a), name="别人的客户")
    client.force_login(consultant)
    response = client.get(reverse("customer_export"), {"format": "csv"})
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "张三丰" in text and "138****8000" in text
    assert "别人的客户" not in text and "13800138000" not in text
    log = AccessLog.objects.get(kind="export")
    assert (log.actor, log.row_count) == (consultant, 1)


def test_xlsx_export_follows_the_filters(store_a, make_staff, client):
    manager = make_staff("sales_manager", store_a)
    CustomerFactory(store=store_a, name="甲", intent_grade="H")
    CustomerFactory(store=store_a, name="乙", intent_grade="B")
    client.force_login(manager)
    response = client.get(reverse("customer_export"), {"format": "xlsx", "intent_grade": "H"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert names == ["甲"]


def test_more_than_1000_rows_needs_a_manager(store_a, make_staff, client, monkeypatch):
    monkeypatch.setattr(exports, "LARGE_EXPORT", 2)
    consultant = make_staff("consultant", store_a)
    for _ in range(3):
        CustomerFactory(store=store_a, owner=consultant)
    client.force_login(consultant)
    response = client.get(reverse("customer_export"), {"format": "csv"}, follow=True)
    assert "需要经理" in response.content.decode()
    assert not AccessLog.objects.exists()


def test_receptionist_cannot_export(store_a, make_staff, client):
    CustomerFactory(store=store_a)
    client.force_login(make_staff("receptionist", store_a))
    response = client.get(reverse("customer_export"), follow=True)
    assert response.redirect_chain and not AccessLog.objects.exists()


def test_store_admin_changes_a_grade_interval_and_new_grades_use_it(store_a, make_staff, client):
    admin = make_staff("store_admin", store_a)
    ensure_grade_policies(store_a.pk)
    policy = IntentGradePolicy.objects.get(store=store_a, code="H")
    client.force_login(admin)
    response = client.post(
        reverse("grade_settings"),
        {
            "policy": policy.pk,
            "label": "三天内购车",
            "purchase_window": "3天",
            "follow_up_days": "1",
            "follow_up_hours": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.label, policy.follow_up_hours) == ("三天内购车", 24)
    assert AuditEntry.objects.filter(action="grade_policy.updated").exists()
    customer = CustomerFactory(store=store_a, owner=make_staff("consultant", store_a))
    customer_set_grade(actor=admin, customer=customer, grade="H")
    customer.refresh_from_db()
    assert 23 * 3600 < (customer.next_follow_up_at - customer.updated_at).total_seconds() <= 24 * 3600 + 5


def test_grade_settings_reject_bad_input_and_keep_grade_n_active(store_a, make_staff, client):
    admin = make_staff("store_admin", store_a)
    ensure_grade_policies(store_a.pk)
    n = IntentGradePolicy.objects.get(store=store_a, code="N")
    client.force_login(admin)
    response = client.post(
        reverse("grade_settings"),
        {"policy": n.pk, "label": "", "follow_up_days": "0", "follow_up_hours": "0"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "N 级不能停用" in body and "1 小时到 90 天" in body
    n.refresh_from_db()
    assert n.is_active and n.follow_up_hours == 24


def test_grade_settings_are_for_store_admins_only(store_a, store_b, make_staff, client):
    client.force_login(make_staff("sales_manager", store_a))
    assert client.get(reverse("grade_settings")).status_code == 404
    ensure_grade_policies(store_b.pk)
    other = IntentGradePolicy.objects.get(store=store_b, code="H")
    client.force_login(make_staff("store_admin", store_a))
    assert client.post(reverse("grade_settings"), {"policy": other.pk, "label": "x"}).status_code == 404


def test_the_export_gives_dates_and_times_in_the_stores_local_time(store_a, make_staff, client):
    # given a customer registered at 00:30 on New Year's Day in Shanghai (still 16:30 on 31 December in UTC)
    consultant = make_staff("consultant", store_a)
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(new_year, tick=False):
        customer = customer_create(actor=consultant, store=store_a, name="张三丰", mobile="13800138000")
        client.force_login(consultant)
        response = client.get(reverse("customer_export"), {"format": "csv"})
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    # then the registration date and the first follow-up (24 hours later) are the store's local date and time
    row = list(csv.reader(io.StringIO(text)))[1]
    assert customer.next_follow_up_at == new_year + timedelta(hours=24)
    cells = dict(zip(exports.COLUMN_FIELDS, row, strict=True))
    assert (cells["next_follow_up_at"], cells["created_at"]) == ("2027-01-02 00:30", "2027-01-01")
