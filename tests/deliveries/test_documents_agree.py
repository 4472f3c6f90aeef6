"""Issue #10, points 2 and 3, as the customer lived it: an offer in the standard colour with a gift of "行车记录仪 +
全车脚垫" must become an order for a standard-colour car, a contract with no blank that names the colour, the buyer's
ID number and address and the gifts, and a delivery confirmation stating the same car, colour and gifts — the dash
cam is never silently dropped at the handover."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from dealerdesk.core.errors import TransitionRefused
from dealerdesk.core.models import AuditEntry
from dealerdesk.deliveries import services as delivery_services
from dealerdesk.deliveries.choices import ExplanationItem, PromisedGiftStatus
from dealerdesk.deliveries.models import GiftItem, GiftRule, PromisedGift
from dealerdesk.offers import services as offer_services
from dealerdesk.offers.services import OfferRequest
from dealerdesk.sales import services as sales_services
from dealerdesk.sales.models import Order
from tests.catalog.factories import ColourFactory, StockVehicleFactory
from tests.customers.factories import CustomerFactory
from tests.deliveries.factories import GiftItemFactory, pass_pdi, receive_pack, slot
from tests.offers.helpers import catalogue, promotion
from tests.pdfs import assert_fonts_embedded, pdf_text
from tests.sales.helpers import ADDRESS, ready_for_contract, sign_all

pytestmark = pytest.mark.django_db
D = Decimal
BLANK = "＿"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


@pytest.fixture
def shop(store_a):
    """A trim whose standard colour is 冰川白 (no extra price) and 星河蓝 costs ¥2,000 more; a gift promotion."""
    cat = catalogue(store_a, colour_extra=D("2000.00"))
    white = ColourFactory(trim=cat.trim, code="WH01", name="冰川白", extra_price=D("0.00"))
    promotion(
        store_a,
        name="购车礼",
        kind="gift",
        amount=D("899.00"),
        gift_description="行车记录仪 + 全车脚垫",
        stacking_group="gift",
    )
    return cat, white


def standard_colour_offer(store, consultant, cat, name: str):
    """The customer accepts an offer for the trim in the standard colour (no colour chosen), without options."""
    customer = CustomerFactory(store=store, owner=consultant, name=name, stage="prospect")
    customer = ready_for_contract(customer, consultant, store=store)
    offer = offer_services.offer_create(actor=consultant, customer=customer, request=OfferRequest(trim_id=cat.trim.pk))
    return offer_services.offer_accept(actor=consultant, offer=offer)


def order_terms() -> dict:
    return {
        "planned_delivery_on": timezone.localdate() + datetime.timedelta(days=10),
        "delivery_place": "深圳福田交车区",
        "deposit_amount": "5000.00",
    }


def test_the_paid_colour_car_is_refused_with_the_difference_named(store_a, consultant, shop):
    # given stock holding only a car of the trim in the paid colour (+¥2,000)
    cat, _white = shop
    blue = StockVehicleFactory(store=store_a, trim=cat.trim, exterior=cat.colour)
    offer = standard_colour_offer(store_a, consultant, cat, "陈小明")
    # when the consultant takes the order, then it is refused, naming the car and what differs
    with pytest.raises(ValidationError) as exc:
        sales_services.order_create_from_offer(actor=consultant, offer=offer, **order_terms())
    message = exc.value.message_dict["stock_vehicle"][0]
    assert blue.vin in message and "星河蓝" in message and "¥2,000.00" in message and "standard colour" in message
    assert "new version of the offer" in message
    assert not Order.objects.exists()
    # and choosing that car by hand is refused the same way
    with pytest.raises(ValidationError) as exc:
        sales_services.order_create_from_offer(actor=consultant, offer=offer, stock_vehicle=blue, **order_terms())
    assert "星河蓝" in exc.value.message_dict["stock_vehicle"][0]


def test_standard_colour_offer_to_signed_contract_and_delivery_confirmation_agree(
    store_a, consultant, manager, clerk, shop, make_staff
):
    cat, white = shop
    # given stock holding a paid-colour car of the trim (the longest-standing) and one in the standard colour
    blue = StockVehicleFactory(
        store=store_a, trim=cat.trim, exterior=cat.colour, arrived_on=timezone.localdate() - datetime.timedelta(30)
    )
    standard = StockVehicleFactory(store=store_a, trim=cat.trim, exterior=white)
    offer = standard_colour_offer(store_a, consultant, cat, "陈小明")
    assert offer.current.colour_id is None and offer.current.total == D("200000.00")

    # when the offer becomes an order, then the standard-colour car is reserved and the order names its colour
    order = sales_services.order_create_from_offer(actor=consultant, offer=offer, **order_terms())
    assert order.stock_vehicle_id == standard.pk and order.exterior_id == white.pk
    assert order.total == offer.current.total  # nothing unpriced slipped in
    blue.refresh_from_db()
    assert blue.status == "in_stock"

    # when the contract is filled, then it has no blank and names colour, ID number, address and gifts
    contract = sales_services.contract_create(actor=consultant, order=order)
    contract = sales_services.contract_fill(actor=consultant, contract=contract)
    customer = order.customer
    assert BLANK not in contract.body
    assert "外观颜色：冰川白" in contract.body
    assert f"身份证号码：{customer.id_number}" in contract.body
    assert f"住址：{ADDRESS}" in contract.body
    assert "随车赠品（不计价，交车时交付）：行车记录仪、全车脚垫" in contract.body
    assert "本合同为原合同，未经修订。" in contract.body  # the amendment clause is a sentence, not a blank
    assert customer.id_number not in contract.data.values()  # the filled values keep only a digest of it
    sales_services.contract_submit(actor=consultant, contract=contract)
    contract = sign_all(contract, consultant, manager)

    # then the signed PDF states the same car, colour, gifts and the buyer's ID number in full, without a blank
    contract_pdf = bytes(contract.pdf)
    assert_fonts_embedded(contract_pdf)
    contract_text = pdf_text(contract_pdf)
    for fact in (standard.vin, "冰川白", "行车记录仪", "全车脚垫", customer.id_number, ADDRESS, "深圳福田交车区"):
        assert fact in contract_text, fact
    assert BLANK not in contract_text

    # given the order is paid and its handover booked, with the mats given by the store's rule
    for kind, amount, receipt in (("deposit", "5000.00", "R-1"), ("balance", order.total - 5000, "R-2")):
        sales_services.payment_record(
            actor=clerk, order=order, kind=kind, method="transfer", receipt_number=receipt, amount=amount
        )
    mats = GiftItemFactory(store=store_a, name="全车脚垫", stock=5)
    dash_cam = GiftItemFactory(store=store_a, name="行车记录仪", stock=0)
    GiftRule.objects.create(store=store_a, gift=mats, quantity=1, min_order_total=D("100000.00"))
    delivery = delivery_services.delivery_schedule(
        actor=consultant, order=Order.objects.get(pk=order.pk), scheduled_at=slot(store=store_a), bay="1号交车区"
    )
    promised = {p.item: p for p in PromisedGift.objects.filter(delivery=delivery)}
    assert list(promised) == ["行车记录仪", "全车脚垫"]
    assert all(p.source == "购车礼: 行车记录仪 + 全车脚垫" for p in promised.values())
    pass_pdi(delivery, clerk)
    receive_pack(delivery, clerk)
    delivery = delivery_services.delivery_mark_prepared(actor=clerk, delivery=delivery)
    delivery, _warnings = delivery_services.delivery_record_handover(
        actor=consultant, delivery=delivery, explained=list(ExplanationItem.values), odometer_km=8
    )

    # when only the mats are handed over, then the customer cannot sign: the dash cam is still open
    delivery_services.promised_gift_hand_over(
        actor=consultant, delivery=delivery, promised=promised["全车脚垫"], gift=mats
    )
    with pytest.raises(TransitionRefused) as exc:
        delivery_services.delivery_confirm(actor=consultant, delivery=delivery, customer_name="陈小明")
    assert exc.value.code == "promised_gifts_open" and "行车记录仪" in str(exc.value.message)
    assert "全车脚垫" not in str(exc.value.message)

    # when the dash cam (out of stock) is substituted with the customer's agreement and they sign
    with pytest.raises(ValidationError) as exc:
        delivery_services.promised_gift_substitute(
            actor=consultant, delivery=delivery, promised=promised["行车记录仪"], substitute="车载冰箱"
        )
    assert "reason" in exc.value.message_dict
    delivery_services.promised_gift_substitute(
        actor=consultant,
        delivery=delivery,
        promised=promised["行车记录仪"],
        substitute="车载冰箱",
        reason="行车记录仪缺货，客户同意替换",
    )
    delivery = delivery_services.delivery_confirm(actor=consultant, delivery=delivery, customer_name="陈小明")

    # then the confirmation states the same car, colour and gifts as the contract, and the substitution by the
    # customer's signature
    confirmation = bytes(delivery.confirmation_pdf)
    assert_fonts_embedded(confirmation)
    text = pdf_text(confirmation)
    flat = re.sub(r"\s+", "", text)
    for fact in (standard.vin, "冰川白", "行车记录仪", "全车脚垫", customer.id_number):
        assert fact in text, fact
    assert BLANK not in text
    assert "已交付" in flat
    assert "以车载冰箱替代（行车记录仪缺货，客户同意替换）" in flat
    assert "本人同意上述约定赠品的替代：行车记录仪→车载冰箱" in flat
    # the mats came from stock once (the rule's row is the promised mats), the dash cam not at all
    mats.refresh_from_db()
    dash_cam.refresh_from_db()
    assert (mats.stock, dash_cam.stock) == (4, 0)
    states = dict(PromisedGift.objects.filter(delivery=delivery).values_list("item", "status"))
    assert states == {"行车记录仪": PromisedGiftStatus.SUBSTITUTED, "全车脚垫": PromisedGiftStatus.HANDED_OVER}
    actions = set(AuditEntry.objects.filter(target_id=str(delivery.pk)).values_list("action", flat=True))
    assert {"delivery.promised_gift_handed_over", "delivery.promised_gift_substituted"} <= actions
    assert GiftItem.objects.filter(pk=dash_cam.pk, stock=0).exists()
