"""Delivery pages: the calendar with booking, the delivery page through to the signed PDF, gifts; scoping and
query-count guards."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.core.models import AuditEntry
from dealerdesk.deliveries.choices import DeliveryStatus, DocumentKind, ExplanationItem
from dealerdesk.deliveries.models import Delivery, DeliveryDocument, GiftItem, GiftRule, PdiCheck
from tests.deliveries.factories import (
    D,
    GiftItemFactory,
    booked,
    explained,
    prepared,
    ready_order,
    signature_png,
    slot,
)
from tests.offers.helpers import promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


@pytest.mark.usefixtures("shanghai_clock")
def test_calendar_shows_the_week_and_books_a_ready_order(client, store_a, consultant, clerk):
    delivery = booked(store_a, consultant, when=slot(1, 10))
    order = ready_order(store_a, consultant)
    client.force_login(clerk)
    day = slot(1, 10).date()
    response = client.get(reverse("delivery_calendar"), {"week": day.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert delivery.number in html and order.number in html and 'data-testid="delivery-book"' in html
    # when the clerk books the other order in the same bay at the same time: refused, shown under the field
    response = client.post(
        reverse("delivery_book"),
        {"store": store_a.code, "order": order.pk, "day": day.isoformat(), "time": "10:30", "bay": "1号交车区"},
    )
    assert response.status_code == 400 and "1号交车区" in response.content.decode()
    response = client.post(
        reverse("delivery_book"),
        {"store": store_a.code, "order": order.pk, "day": day.isoformat(), "time": "10:30", "bay": "2号交车区"},
    )
    new = Delivery.objects.get(order=order)
    assert response.status_code == 302 and response["Location"] == reverse("delivery_detail", args=[new.pk])


def test_calendar_refuses_roles_without_delivery_work(client, store_a, make_staff):
    client.force_login(make_staff("care_specialist", store_a))
    assert client.get(reverse("delivery_calendar")).status_code == 403


def test_calendar_query_count_is_fixed(client, store_a, consultant, clerk, django_assert_max_num_queries):
    for hour in (9, 11, 13, 15, 17):
        booked(store_a, consultant, when=slot(1, hour))
    client.force_login(clerk)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("delivery_calendar"), {"week": slot(1).date().isoformat()})
    assert response.content.decode().count('data-testid="calendar-entry"') == 5


def test_the_whole_delivery_through_the_pages(client, store_a, consultant, clerk, tmp_path):
    delivery = booked(store_a, consultant)
    gift = GiftItemFactory(store=store_a, name="全车脚垫", stock=5)
    url = reverse("delivery_detail", args=[delivery.pk])
    client.force_login(clerk)
    page = client.get(url).content.decode()
    assert 'data-testid="delivery-missing"' in page and 'data-testid="pdi-pass-exterior"' in page
    # a failed PDI item without a note is shown under the field
    response = client.post(reverse("delivery_pdi", args=[delivery.pk]), {"item": "exterior", "result": "failed"})
    assert response.status_code == 400 and 'data-testid="error-note"' in response.content.decode()
    for code in PdiCheck.objects.filter(delivery=delivery).values_list("code", flat=True):
        client.post(reverse("delivery_pdi", args=[delivery.pk]), {"item": code, "result": "passed"})
    for kind in DeliveryDocument.objects.filter(delivery=delivery).values_list("kind", flat=True):
        data = {"kind": kind, "action": "receive", "quantity": "2", "invoice_date": "2026-01-05"}
        assert client.post(reverse("delivery_document", args=[delivery.pk]), data).status_code == 302
    # received twice: refused with a message
    response = client.post(reverse("delivery_document", args=[delivery.pk]), {"kind": DocumentKind.COC})
    assert response.status_code == 409
    client.post(reverse("delivery_gift", args=[delivery.pk]), {"gift": gift.pk, "quantity": "1"})
    assert client.post(reverse("delivery_prepare", args=[delivery.pk])).status_code == 302
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PREPARED
    # the clerk sees no handover or signing forms; the consultant does
    assert 'data-testid="handover-form"' not in client.get(url).content.decode()
    client.force_login(consultant)
    response = client.post(
        reverse("delivery_handover", args=[delivery.pk]),
        {"explained": list(ExplanationItem.values), "odometer_km": "60"},
        follow=True,
    )
    assert "60" in response.content.decode() and 'data-testid="confirm-form"' in response.content.decode()
    assert "signature.js" in response.content.decode()
    response = client.post(
        reverse("delivery_confirm", args=[delivery.pk]),
        {"customer_name": delivery.customer.name, "signature": signature_png()},
        follow=True,
    )
    html = response.content.decode()
    assert 'data-testid="delivery-pdf"' in html and 'data-testid="delivery-warranty"' in html
    pdf = client.get(reverse("delivery_pdf", args=[delivery.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert GiftItem.objects.get(pk=gift.pk).stock == 4


def test_detail_shows_lender_holder_and_gift_shortage(client, store_a, consultant, clerk):
    from dealerdesk.deliveries.models import DeliveryGift

    delivery = booked(store_a, consultant, vehicle={"certificate_holder": "lender"})
    DeliveryGift.objects.create(delivery=delivery, gift=GiftItemFactory(store=store_a, stock=0), quantity=1)
    client.force_login(clerk)
    response = client.post(
        reverse("delivery_document", args=[delivery.pk]),
        {
            "kind": DocumentKind.CERTIFICATE_OF_CONFORMITY,
            "action": "holder",
            "holder": "lender",
            "holder_name": "平安银行",
            "promised_on": (slot(1).date()).isoformat(),
        },
        follow=True,
    )
    html = response.content.decode()
    assert 'data-testid="document-holder"' in html and "平安银行" in html
    assert 'data-testid="gift-shortage"' in html


def test_detail_query_count_is_fixed_and_others_get_404(
    client, store_a, store_b, consultant, clerk, make_staff, django_assert_max_num_queries
):
    handed = explained(store_a, consultant, clerk)
    client.force_login(consultant)
    client.post(reverse("delivery_confirm", args=[handed.pk]), {"customer_name": handed.customer.name})
    open_one = prepared(store_a, consultant, clerk, when=slot(3, 10))
    for d in (handed, open_one):
        with django_assert_max_num_queries(30):
            assert client.get(reverse("delivery_detail", args=[d.pk])).status_code == 200
    client.force_login(make_staff("admin_clerk", store_b))
    assert client.get(reverse("delivery_detail", args=[handed.pk])).status_code == 404
    assert client.get(reverse("delivery_pdf", args=[handed.pk])).status_code == 404


def test_gift_list_create_restock_and_rules(client, store_a, make_staff, django_assert_max_num_queries):
    admin = make_staff("store_admin", store_a)
    client.force_login(admin)
    response = client.post(reverse("gift_action"), {"action": "create", "store": store_a.pk, "name": "", "stock": "1"})
    assert response.status_code == 400 and 'data-testid="error-name"' in response.content.decode()
    client.post(
        reverse("gift_action"),
        {"action": "create", "store": store_a.pk, "name": "车载香氛", "unit_value": "99", "stock": "2"},
    )
    gift = GiftItem.objects.get(name="车载香氛")
    response = client.post(reverse("gift_action"), {"action": "restock", "gift": gift.pk, "change": "-1"})
    assert response.status_code == 400  # a write-off needs a reason
    client.post(reverse("gift_action"), {"action": "restock", "gift": gift.pk, "change": "8"})
    client.post(reverse("gift_action"), {"action": "rule", "gift": gift.pk, "quantity": "1", "min_order_total": "1"})
    for i in range(5):
        GiftItemFactory(store=store_a, name=f"礼品{i}")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("gift_list"))
    html = response.content.decode()
    assert GiftItem.objects.get(pk=gift.pk).stock == 10 and 'data-testid="gift-rules"' in html
    assert html.count("data-gift=") == 6


def test_gift_rules_by_promotion_from_the_page_and_retired(client, store_a, store_b, make_staff):
    admin = make_staff("store_admin", store_a)
    client.force_login(admin)
    gift = GiftItemFactory(store=store_a, name="车载冰箱", stock=3)
    running = promotion(store_a, name="双十二购车节")
    ended = promotion(store_a, name="国庆特惠", ends_on=timezone.localdate() - datetime.timedelta(days=1))
    elsewhere = promotion(store_b, name="别店促销")
    html = client.get(reverse("gift_list")).content.decode()
    assert "双十二购车节" in html and "国庆特惠" not in html and "别店促销" not in html
    # a promotion that has ended or belongs to another store is refused with the field named, nothing written
    for wrong in (ended, elsewhere):
        response = client.post(
            reverse("gift_action"), {"action": "rule", "gift": gift.pk, "quantity": "1", "promotion": wrong.pk}
        )
        assert response.status_code == 400 and 'data-testid="error-promotion"' in response.content.decode()
    assert not GiftRule.objects.exists()
    client.post(reverse("gift_action"), {"action": "rule", "gift": gift.pk, "quantity": "1", "promotion": running.pk})
    rule = GiftRule.objects.get()
    assert rule.promotion == running and rule.trim is None and rule.min_order_total is None
    assert f'data-testid="rule-retire-{rule.pk}"' in client.get(reverse("gift_list")).content.decode()
    # a consultant may not retire it; the administrator does, and it leaves the list
    client.force_login(make_staff("consultant", store_a))
    assert client.post(reverse("gift_action"), {"action": "retire_rule", "rule": rule.pk}).status_code == 403
    client.force_login(admin)
    client.post(reverse("gift_action"), {"action": "retire_rule", "rule": rule.pk})
    rule.refresh_from_db()
    assert rule.is_active is False
    assert 'data-testid="gift-rules"' not in client.get(reverse("gift_list")).content.decode()
    assert AuditEntry.objects.filter(action="gift_rule.retired", target_id=str(gift.pk)).exists()
    assert client.post(reverse("gift_action"), {"action": "retire_rule", "rule": rule.pk}).status_code == 404


def test_gift_list_empty_state_and_no_forms_for_consultants(client, store_a, consultant):
    client.force_login(consultant)
    html = client.get(reverse("gift_list")).content.decode()
    assert "bi-gift" in html and 'data-testid="gift-create"' not in html


def test_unpaid_order_booking_shows_the_blocker(client, store_a, consultant):
    order = ready_order(store_a, consultant, amount_paid=D("1000.00"))
    client.force_login(consultant)
    day = (slot(2).date() + datetime.timedelta(days=0)).isoformat()
    response = client.post(
        reverse("delivery_book"),
        {"store": store_a.code, "order": order.pk, "day": day, "time": "10:00", "bay": "1号交车区"},
    )
    assert response.status_code == 400 and "188,800.00" in response.content.decode()
    assert not Delivery.objects.exists()


def test_store_admin_edits_the_delivery_settings(client, store_a, consultant, make_staff):
    url = reverse("delivery_settings", args=[store_a.code])
    client.force_login(consultant)
    assert client.get(url).status_code == 403
    admin = make_staff("store_admin", store_a)
    client.force_login(admin)
    page = client.get(url).content.decode()
    assert "1号交车区" in page and 'name="pdi_code" ' in page
    response = client.post(url, {"bays": "", "slot_minutes": "60", "odometer_warning_km": "30"})
    assert response.status_code == 400 and 'data-testid="error-bays"' in response.content.decode()
    response = client.post(
        url,
        {
            "bays": "A区\nB区\n",
            "slot_minutes": "60",
            "odometer_warning_km": "30",
            "pdi_code": ["exterior", "ota", ""],
            "pdi_label": ["", "OTA 升级", ""],
            "followup_day": ["1", "14", ""],
            "followup_role": ["consultant", "care_specialist", "consultant"],
        },
    )
    assert response.status_code == 302
    from dealerdesk.deliveries.selectors import settings_of

    config = settings_of(store_a.pk)
    assert config.bays == ["A区", "B区"] and config.slot_minutes == 60 and config.odometer_warning_km == 30
    assert [i["code"] for i in config.pdi_items] == ["exterior", "ota"]
    assert config.followups == [{"day": 1, "role": "consultant"}, {"day": 14, "role": "care_specialist"}]


def test_a_consultant_sees_colleagues_bookings_without_their_customers(client, store_a, consultant, make_staff):
    colleague = make_staff("consultant", store_a, full_name="赵敏")
    mine = booked(store_a, consultant, when=slot(1, 10))
    theirs = booked(store_a, colleague, when=slot(1, 14))
    client.force_login(consultant)
    html = client.get(reverse("delivery_calendar"), {"week": slot(1).date().isoformat()}).content.decode()
    assert mine.customer.name in html and reverse("delivery_detail", args=[mine.pk]) in html
    assert theirs.customer.name not in html and reverse("delivery_detail", args=[theirs.pk]) not in html
    assert client.get(reverse("delivery_detail", args=[theirs.pk])).status_code == 404
