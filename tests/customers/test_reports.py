"""The customer report: figures for a known data set, store scoping, time zones, XLSX export, query counts."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dealerdesk.core.errors import NotPermitted
from dealerdesk.core.models import AccessLog
from dealerdesk.customers.models import FollowUp
from dealerdesk.customers.reports import customer_report, default_report_range
from dealerdesk.customers.services import ensure_grade_policies
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SHEETS = ["By stage", "By grade", "By source", "By consultant", "By month", "Follow-up punctuality"]


def _done(customer, assignee, *, due_at, completed_at):
    return FollowUp.objects.create(
        store_id=customer.store_id,
        customer=customer,
        assignee=assignee,
        purpose="regular",
        due_at=due_at,
        status="done",
        completed_at=completed_at,
    )


@pytest.fixture
def known_store(store_a, store_b, make_staff):
    """Store A: 3 walk-in leads of 甲, 1 ordered referral and 1 owner referral of 乙, 1 unassigned lost phone-in;
    follow-ups of 甲 2 on time + 1 late, of 乙 1 on time, plus one too old to count. Store B: 4 walk-ins."""
    ensure_grade_policies(store_a.pk)
    first = make_staff("consultant", store_a, full_name="甲顾问")
    second = make_staff("consultant", store_a, full_name="乙顾问")
    walk_ins = [
        CustomerFactory(store=store_a, owner=first, source="walk_in", stage="lead", intent_grade="N") for _ in range(3)
    ]
    CustomerFactory(store=store_a, owner=second, source="referral", stage="ordered", intent_grade="O")
    CustomerFactory(store=store_a, owner=second, source="referral", stage="owner", intent_grade="O")
    CustomerFactory(store=store_a, owner=None, source="phone_in", stage="lost", intent_grade="B")
    survivor = walk_ins[0]
    CustomerFactory(store=store_a, owner=first, source="walk_in", merged_into=survivor)  # an alias: not counted
    CustomerFactory(store=store_a, owner=first, created_at=timezone.now() - timedelta(days=800))  # outside the range
    now = timezone.now()
    due = now - timedelta(days=1)
    for hours_late in (-2, -1, 3):
        _done(survivor, first, due_at=due, completed_at=due + timedelta(hours=hours_late))
    _done(survivor, second, due_at=now - timedelta(days=5), completed_at=now - timedelta(days=5, hours=1))
    _done(survivor, second, due_at=now - timedelta(days=100), completed_at=now - timedelta(days=101))  # too old
    for _ in range(4):
        CustomerFactory(store=store_b, source="walk_in", stage="ordered")
    return store_a


def test_report_figures_for_a_known_data_set(known_store, make_staff):
    # given the known data set and a manager of store A
    manager = make_staff("sales_manager", known_store, language="en")
    date_from, date_to = default_report_range(known_store)

    # when the report is computed
    report = customer_report(manager, known_store, date_from=date_from, date_to=date_to)

    # then every figure matches
    assert report.total == 6 and report.converted == 2 and report.conversion_rate == 33.3
    assert {r["key"]: r["count"] for r in report.by_stage} == {
        "lead": 3,
        "prospect": 0,
        "ordered": 1,
        "owner": 1,
        "lost": 1,
        "dormant": 0,
    }
    assert {r["key"]: r["count"] for r in report.by_grade} == {"O": 2, "H": 0, "A": 0, "B": 1, "C": 0, "N": 3}
    assert [(r["key"], r["count"], r["converted"], r["rate"]) for r in report.by_source] == [
        ("walk_in", 3, 0, 0.0),
        ("referral", 2, 2, 100.0),
        ("phone_in", 1, 0, 0.0),
    ]
    by_owner = {r["label"]: (r["count"], r["converted"]) for r in report.by_owner}
    assert by_owner == {"甲顾问": (3, 0), "乙顾问": (2, 2), "未分配": (1, 0)}
    this_month = timezone.localdate(timezone=known_store.tz).strftime("%Y-%m")
    assert len(report.by_month) == 12
    assert report.by_month[-1] == {
        "key": this_month,
        "label": this_month,
        "count": 6,
        "converted": 2,
        "rate": 33.3,
    }
    assert sum(r["count"] for r in report.by_month) == 6
    assert {r["label"]: (r["count"], r["on_time"], r["rate"]) for r in report.punctuality} == {
        "甲顾问": (3, 2, 66.7),
        "乙顾问": (1, 1, 100.0),
    }


def test_months_follow_the_stores_time_zone(store_a, make_staff):
    # given a customer created at 01:00 on 1 March in Shanghai (still 28 February in UTC)
    manager = make_staff("sales_manager", store_a)
    CustomerFactory(store=store_a, created_at=datetime(2026, 2, 28, 17, 0, tzinfo=UTC))

    report = customer_report(manager, store_a, date_from=date(2026, 1, 1), date_to=date(2026, 3, 31))

    assert [(r["key"], r["count"]) for r in report.by_month] == [("2026-01", 0), ("2026-02", 0), ("2026-03", 1)]


def test_report_needs_the_report_permission(store_a, make_staff, client):
    consultant = make_staff("consultant", store_a)
    with pytest.raises(NotPermitted):
        customer_report(consultant, store_a, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))
    client.force_login(consultant)
    assert client.get(reverse("customer_report")).status_code == 403
    assert client.get(reverse("customer_report_xlsx")).status_code == 403


def test_report_page_shows_only_the_users_store(
    known_store, store_b, make_staff, client, django_assert_max_num_queries
):
    # given a manager of store A only
    manager = make_staff("sales_manager", known_store, language="en")
    client.force_login(manager)

    # when the report is asked for store B
    with django_assert_max_num_queries(14):
        response = client.get(reverse("customer_report"), {"store": store_b.code})

    # then store A's figures are shown: store B's four ordered walk-ins appear nowhere
    assert response.status_code == 200
    report = response.context["report"]
    assert report.store == known_store and report.total == 6
    assert {r["key"]: r["count"] for r in report.by_stage}["ordered"] == 1
    body = response.content.decode()
    assert 'id="report-data"' in body and "chart.umd.min.js" in body
    assert "<script>" not in body  # no inline script: the figures travel as application/json
    assert "甲顾问" in body


def test_group_admin_picks_the_store(known_store, store_b, make_staff, client):
    admin = make_staff("group_admin", known_store)
    client.force_login(admin)
    report_b = client.get(reverse("customer_report"), {"store": store_b.code}).context["report"]
    assert report_b.store == store_b and report_b.total == 4 and report_b.converted == 4
    assert len(client.get(reverse("customer_report")).context["stores"]) == 2


def test_date_filter_narrows_the_customers(known_store, make_staff, client):
    manager = make_staff("sales_manager", known_store)
    client.force_login(manager)
    long_ago = (timezone.now() - timedelta(days=800)).date()
    response = client.get(
        reverse("customer_report"), {"date_from": long_ago - timedelta(days=1), "date_to": long_ago + timedelta(days=1)}
    )
    assert response.context["report"].total == 1


def test_bad_date_range_is_reported_and_defaults_are_used(known_store, make_staff, client):
    manager = make_staff("sales_manager", known_store, language="en")
    client.force_login(manager)
    response = client.get(reverse("customer_report"), {"date_from": "2026-05-01", "date_to": "2026-04-01"})
    assert response.status_code == 200
    assert "The end date must not be before the start date." in response.content.decode()
    assert (response.context["report"].date_from, response.context["report"].date_to) == default_report_range(
        known_store
    )


def test_xlsx_export_has_one_sheet_per_table_and_is_logged(known_store, make_staff, client):
    # given a manager of store A
    manager = make_staff("sales_manager", known_store, language="en")
    client.force_login(manager)

    # when they download the report
    response = client.get(reverse("customer_report_xlsx"))

    # then the workbook opens, has the expected sheets and figures, and the export is in the access log
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="customer-report-store-a-')
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == SHEETS
    stage_rows = list(workbook["By stage"].iter_rows(values_only=True))
    assert stage_rows[0] == ("Stage", "Number of customers")
    assert ("Lead", 3) in stage_rows and ("Ordered", 1) in stage_rows
    source_rows = list(workbook["By source"].iter_rows(values_only=True))
    assert ("Referral by a customer", 2, 2, 100) in source_rows
    punctual = {row[0]: row[1:] for row in workbook["Follow-up punctuality"].iter_rows(min_row=2, values_only=True)}
    assert punctual["甲顾问"] == (3, 2, 66.7)
    log = AccessLog.objects.get()
    assert log.kind == "export" and log.actor == manager and log.store == known_store
    assert log.target_type == "customers.report" and log.fields == SHEETS


def test_xlsx_export_is_scoped_like_the_page(known_store, store_b, make_staff, client):
    client.force_login(make_staff("sales_manager", known_store))
    response = client.get(reverse("customer_report_xlsx"), {"store": store_b.code})
    assert response.status_code == 200
    assert AccessLog.objects.get().store == known_store
