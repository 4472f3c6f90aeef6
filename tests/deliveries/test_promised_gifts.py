"""The gifts the contract promised, on the handover checklist: one row per item when the handover is booked, each
handed over (optionally as a stock gift item) or substituted with what and why, before the customer may sign; the
page ticks them in place (htmx); every refused move; the backfill of open deliveries."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from dealerdesk.core.errors import Conflict, NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry
from dealerdesk.deliveries import services
from dealerdesk.deliveries.choices import PromisedGiftStatus
from dealerdesk.deliveries.models import PromisedGift
from dealerdesk.sales.contract_text import gift_line_items, promised_gifts
from tests.deliveries.factories import GiftItemFactory, booked, explained, prepared, signature_png, slot
from tests.pdfs import pdf_text

pytestmark = pytest.mark.django_db
D = Decimal
HTMX = {"HTTP_HX_REQUEST": "true"}


def gift_lines(*labels: str) -> list[dict]:
    lines = [{"kind": "marked_price", "code": "", "label": "星耀 长续航版", "amount": "194800.00"}]
    lines += [{"kind": "gift", "code": "gift", "label": label, "amount": "0.00", "value": "899.00"} for label in labels]
    return [*lines, {"kind": "total", "code": "", "label": "", "amount": "189800.00"}]


DASH_CAM_AND_MATS = gift_lines("购车礼: 行车记录仪 + 全车脚垫")


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


def rows(delivery) -> dict[str, PromisedGift]:
    return {p.item: p for p in PromisedGift.objects.filter(delivery=delivery).order_by("position")}


# ---------------------------------------------------------------- what was promised


@pytest.mark.parametrize(
    ("label", "items"),
    [
        ("购车礼: 行车记录仪 + 全车脚垫", ["行车记录仪", "全车脚垫"]),
        ("购车礼：行车记录仪、全车脚垫和车载冰箱", ["行车记录仪", "全车脚垫", "车载冰箱"]),
        ("老客户礼: 保养券/洗车卡，贴膜", ["保养券", "洗车卡", "贴膜"]),
        ("首保免费", ["首保免费"]),
        ("", []),
    ],
)
def test_a_gift_line_is_split_into_its_items(label, items):
    assert gift_line_items(label) == items


def test_only_gift_lines_promise_gifts():
    lines = [*gift_lines("礼包: 脚垫"), {"kind": "service", "code": "insurance", "label": "", "amount": "5200.00"}]
    assert promised_gifts(lines) == [("脚垫", "礼包: 脚垫")]


def test_booking_puts_every_promised_item_on_the_checklist(store_a, consultant):
    lines = gift_lines("购车礼: 行车记录仪 + 全车脚垫", "老客户礼: 车载冰箱")
    delivery = booked(store_a, consultant, price_lines=lines)
    promised = list(PromisedGift.objects.filter(delivery=delivery).order_by("position"))
    assert [(p.item, p.source, p.status) for p in promised] == [
        ("行车记录仪", "购车礼: 行车记录仪 + 全车脚垫", "pending"),
        ("全车脚垫", "购车礼: 行车记录仪 + 全车脚垫", "pending"),
        ("车载冰箱", "老客户礼: 车载冰箱", "pending"),
    ]
    entry = AuditEntry.objects.get(action="delivery.scheduled", target_id=str(delivery.pk))
    assert entry.diff["promised_gifts"][1] == ["行车记录仪", "全车脚垫", "车载冰箱"]


def test_an_order_without_gifts_has_an_empty_checklist_and_signs_as_before(store_a, consultant, clerk):
    delivery = explained(store_a, consultant, clerk)
    assert not PromisedGift.objects.filter(delivery=delivery).exists()
    delivery = services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    assert delivery.status == "handed_over"


# ---------------------------------------------------------------- recording them


def test_signing_waits_for_every_promised_gift_and_reset_reopens_one(store_a, consultant, clerk):
    delivery = explained(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS)
    promised = rows(delivery)
    services.promised_gift_hand_over(actor=consultant, delivery=delivery, promised=promised["全车脚垫"])
    with pytest.raises(TransitionRefused) as exc:
        services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    assert exc.value.code == "promised_gifts_open" and exc.value.extra == {"items": ["行车记录仪"]}
    services.promised_gift_hand_over(actor=consultant, delivery=delivery, promised=promised["行车记录仪"])
    # undone before signing: open again, and signing is refused again
    row = services.promised_gift_reset(actor=consultant, delivery=delivery, promised=promised["行车记录仪"])
    assert (row.status, row.recorded_at, row.recorded_by_id) == (PromisedGiftStatus.PENDING, None, None)
    with pytest.raises(TransitionRefused):
        services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    services.promised_gift_hand_over(actor=consultant, delivery=delivery, promised=promised["行车记录仪"])
    delivery = services.delivery_confirm(
        actor=consultant, delivery=delivery, customer_name=delivery.customer.name, signature=signature_png()
    )
    text = pdf_text(bytes(delivery.confirmation_pdf))
    assert "合同约定赠品" in text and "行车记录仪" in text and text.count("已交付") == 2
    assert "替代" not in text.split("合同约定赠品")[1].split("交付的文件")[0]
    actions = list(
        AuditEntry.objects.filter(target_id=str(delivery.pk), action__startswith="delivery.promised_gift")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "delivery.promised_gift_handed_over",
        "delivery.promised_gift_handed_over",
        "delivery.promised_gift_reset",
        "delivery.promised_gift_handed_over",
    ]
    # once handed over, nothing can be changed any more
    with pytest.raises(TransitionRefused):
        services.promised_gift_reset(actor=consultant, delivery=delivery, promised=promised["行车记录仪"])


def test_refused_moves_on_promised_gifts(store_a, store_b, consultant, clerk, make_staff):
    # before the car is prepared: refused
    scheduled = booked(store_a, consultant, price_lines=DASH_CAM_AND_MATS)
    with pytest.raises(TransitionRefused) as exc:
        services.promised_gift_hand_over(actor=consultant, delivery=scheduled, promised=rows(scheduled)["全车脚垫"])
    assert exc.value.code == "not_prepared"
    delivery = prepared(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS, when=slot(3))
    dash_cam = rows(delivery)["行车记录仪"]
    # the clerk does not hand over (no selling right); another delivery's row is not this delivery's
    with pytest.raises(NotPermitted):
        services.promised_gift_hand_over(actor=clerk, delivery=delivery, promised=dash_cam)
    other = prepared(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS, when=slot(4))
    with pytest.raises(ValidationError) as exc:
        services.promised_gift_hand_over(actor=consultant, delivery=other, promised=dash_cam)
    assert "promised_gift" in exc.value.message_dict
    # a substitution says what and why
    with pytest.raises(ValidationError) as exc:
        services.promised_gift_substitute(actor=consultant, delivery=delivery, promised=dash_cam)
    assert set(exc.value.message_dict) == {"substitute", "reason"}
    with pytest.raises(ValidationError) as exc:
        services.promised_gift_substitute(
            actor=consultant, delivery=delivery, promised=dash_cam, substitute="冰" * 101, reason="缺货"
        )
    assert set(exc.value.message_dict) == {"substitute"}
    # a gift item of another store is refused; one out of stock too
    with pytest.raises(ValidationError) as exc:
        services.promised_gift_hand_over(
            actor=consultant, delivery=delivery, promised=dash_cam, gift=GiftItemFactory(store=store_b)
        )
    assert "gift" in exc.value.message_dict
    empty = GiftItemFactory(store=store_a, name="行车记录仪", stock=0)
    with pytest.raises(Conflict) as exc:
        services.promised_gift_hand_over(actor=consultant, delivery=delivery, promised=dash_cam, gift=empty)
    assert exc.value.code == "gift_out_of_stock"
    dash_cam.refresh_from_db()
    assert dash_cam.status == PromisedGiftStatus.PENDING and dash_cam.gift_id is None  # nothing half-written


def test_a_promised_gift_from_stock_is_taken_once_at_the_handover(store_a, consultant, clerk):
    delivery = explained(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS)
    mats = GiftItemFactory(store=store_a, name="全车脚垫", stock=3)
    dash_cam = GiftItemFactory(store=store_a, name="行车记录仪", stock=2)
    fridge = GiftItemFactory(store=store_a, name="车载冰箱", stock=1)
    delivery.gifts.create(gift=mats, quantity=1)  # the mats are on the gift list already (say, by a rule)
    promised = rows(delivery)
    services.promised_gift_hand_over(actor=consultant, delivery=delivery, promised=promised["全车脚垫"], gift=mats)
    services.promised_gift_substitute(
        actor=consultant, delivery=delivery, promised=promised["行车记录仪"], gift=fridge, reason="客户更想要冰箱"
    )
    row = PromisedGift.objects.get(pk=promised["行车记录仪"].pk)
    assert (row.status, row.substitute, row.gift_id) == (PromisedGiftStatus.SUBSTITUTED, "车载冰箱", fridge.pk)
    services.delivery_confirm(actor=consultant, delivery=delivery, customer_name=delivery.customer.name)
    for item in (mats, dash_cam, fridge):
        item.refresh_from_db()
    assert (mats.stock, dash_cam.stock, fridge.stock) == (2, 2, 0)


# ---------------------------------------------------------------- the page


def test_the_handover_card_ticks_promised_gifts_in_place(client, store_a, consultant, clerk):
    delivery = explained(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS)
    promised = rows(delivery)
    client.force_login(consultant)
    url = reverse("delivery_detail", args=[delivery.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="promised-gifts"' in html and "hx-post=" in html
    assert 'data-testid="confirm-form"' not in html  # no signing while gifts are open
    assert 'data-testid="confirm-missing"' in html and "行车记录仪" in html
    tick = reverse("delivery_promised_gift", args=[delivery.pk, promised["全车脚垫"].pk])
    # a substitute without its reason: the checklist comes back with the message under the row (htmx swaps 2xx)
    response = client.post(tick, {"action": "substituted", "substitute": "洗车卡"}, **HTMX)
    assert response.status_code == 200 and 'data-testid="error-reason"' in response.content.decode()
    assert "HX-Refresh" not in response
    # ticking the first: the card is swapped in place, the hint outside it too (out of band)
    response = client.post(tick, {"action": "handed_over"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div class="card')
    assert 'data-testid="promised-saved"' in body and 'hx-swap-oob="true"' in body
    assert "HX-Refresh" not in response
    # ticking the last one makes the signing card appear: the page reloads
    last = reverse("delivery_promised_gift", args=[delivery.pk, promised["行车记录仪"].pk])
    response = client.post(last, {"action": "handed_over"}, **HTMX)
    assert response["HX-Refresh"] == "true"
    assert 'data-testid="confirm-form"' in client.get(url).content.decode()
    # without htmx the same action redirects back to the page
    response = client.post(last, {"action": "reset"})
    assert response.status_code == 302 and response["Location"] == url
    assert PromisedGift.objects.get(pk=promised["行车记录仪"].pk).status == PromisedGiftStatus.PENDING


def test_promised_gift_page_action_is_scoped(client, store_a, store_b, consultant, clerk, make_staff):
    delivery = explained(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS)
    row = rows(delivery)["全车脚垫"]
    url = reverse("delivery_promised_gift", args=[delivery.pk, row.pk])
    client.force_login(make_staff("consultant", store_b))
    assert client.post(url, {"action": "handed_over"}).status_code == 404
    client.force_login(consultant)
    assert client.post(url, {"action": "nonsense"}).status_code == 404
    other = explained(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS, when=slot(3))
    wrong = reverse("delivery_promised_gift", args=[other.pk, row.pk])
    assert client.post(wrong, {"action": "handed_over"}).status_code == 404
    assert PromisedGift.objects.get(pk=row.pk).status == PromisedGiftStatus.PENDING


# ---------------------------------------------------------------- deliveries booked before


def test_open_deliveries_booked_before_get_their_checklist(store_a, consultant, clerk):
    migration = importlib.import_module("dealerdesk.deliveries.migrations.0005_promised_gift_backfill")
    open_one = booked(store_a, consultant, price_lines=DASH_CAM_AND_MATS)
    handed = explained(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS, when=slot(3))
    PromisedGift.objects.all().delete()
    type(handed).objects.filter(pk=handed.pk).update(
        status="handed_over", handed_over_at=handed.scheduled_at, confirmation_sha256="0" * 64
    )
    migration.add_promised_gifts(apps, None)
    assert list(rows(open_one)) == ["行车记录仪", "全车脚垫"] and not rows(handed)
    migration.add_promised_gifts(apps, None)  # run twice: nothing doubled
    assert PromisedGift.objects.count() == 2
    migration.remove_promised_gifts(apps, None)
    assert not PromisedGift.objects.exists()


def test_promised_gifts_through_the_api(api, store_a, store_b, consultant, clerk, make_staff):
    # given a prepared, explained delivery that promised a dash cam and mats
    delivery = explained(store_a, consultant, clerk, price_lines=DASH_CAM_AND_MATS)
    promised = rows(delivery)
    api.force_authenticate(consultant)
    base = f"/api/v1/deliveries/{delivery.pk}/promised-gifts"
    listed = api.get(f"/api/v1/deliveries/{delivery.pk}/").json()["promised_gifts"]
    assert [(p["item"], p["status"]) for p in listed] == [("行车记录仪", "pending"), ("全车脚垫", "pending")]
    # when the mats are handed over and the dash cam substituted (a field missing is named; a key not taken is too)
    assert api.post(f"{base}/{promised['全车脚垫'].pk}/hand-over/", {}, format="json").status_code == 200
    missing = api.post(f"{base}/{promised['行车记录仪'].pk}/substitute/", {"substitute": "车载冰箱"}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    unknown = api.post(f"{base}/{promised['行车记录仪'].pk}/reset/", {"why": "x"}, format="json")
    assert unknown.status_code == 400 and "why" in unknown.json()
    done = api.post(
        f"{base}/{promised['行车记录仪'].pk}/substitute/",
        {"substitute": "车载冰箱", "reason": "行车记录仪缺货，客户同意"},
        format="json",
    )
    assert done.status_code == 200
    statuses = {p["item"]: p["status"] for p in done.json()["promised_gifts"]}
    assert statuses == {"行车记录仪": "substituted", "全车脚垫": "handed_over"}
    # then the confirmation can be signed through the API and prints the substitution
    signed = api.post(
        f"/api/v1/deliveries/{delivery.pk}/confirm/", {"customer_name": delivery.customer.name}, format="json"
    )
    assert signed.status_code == 200, signed.json()
    delivery.refresh_from_db()
    assert "车载冰箱" in pdf_text(bytes(delivery.confirmation_pdf))
    # another store's staff, and a promised gift of another delivery, are not found
    other = make_staff("consultant", store_b)
    api.force_authenticate(other)
    assert api.post(f"{base}/{promised['全车脚垫'].pk}/reset/", {}, format="json").status_code == 404
