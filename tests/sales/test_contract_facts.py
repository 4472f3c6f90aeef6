"""The order reserves the car the offer priced (trim, colour, options) or says what differs; the contract states every
fact it has a place for — the buyer's ID number and address, colour, gifts, services — and the check refuses a blank;
the default template of existing stores gets the new text by a data migration."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from dealerdesk.accounts.models import Store
from dealerdesk.core import validators as v
from dealerdesk.offers import services as offer_services
from dealerdesk.offers.services import OfferRequest
from dealerdesk.sales import contract_text, selectors, services
from dealerdesk.sales.models import Contract, ContractTemplate, ContractTemplateVersion, Order
from tests.catalog.factories import ColourFactory, OptionFactory, StockVehicleFactory
from tests.customers.factories import CustomerFactory
from tests.offers.helpers import catalogue
from tests.sales.helpers import accepted_offer, make_order, ready_for_contract

pytestmark = pytest.mark.django_db
D = Decimal
BLANK = "＿"
MIGRATION = "dealerdesk.sales.migrations.0004_default_template_buyer_identity_and_gifts"


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


def terms() -> dict:
    return {
        "planned_delivery_on": timezone.localdate() + datetime.timedelta(days=10),
        "delivery_place": "交车区",
        "deposit_amount": "5000",
    }


# ---------------------------------------------------------------- the car of the offer


def test_the_reserved_car_has_the_offers_colour_and_exactly_its_options(store_a, consultant):
    # given an accepted offer (paid colour + 智驾包) and, standing longer in stock, the same car without the option
    # and the same car with one more option; the helper's car (colour + 智驾包) arrived last
    setup = accepted_offer(store_a, consultant)
    cat = setup.cat
    long_ago = timezone.localdate() - datetime.timedelta(days=60)
    bare = StockVehicleFactory(store=store_a, trim=cat.trim, exterior=cat.colour, arrived_on=long_ago)
    tow = OptionFactory(trim=cat.trim, name="拖车钩", price=D("2500.00"))
    loaded = StockVehicleFactory(
        store=store_a, trim=cat.trim, exterior=cat.colour, arrived_on=long_ago, options=[cat.option, tow]
    )
    # when the order is taken, then the exact car is reserved
    order = services.order_create_from_offer(actor=consultant, offer=setup.offer, **terms())
    assert order.stock_vehicle_id == setup.vehicle.pk
    # and allocating either of the others is refused, naming what differs
    with pytest.raises(ValidationError) as exc:
        services.order_allocate(actor=consultant, order=order, stock_vehicle=bare)
    message = exc.value.message_dict["stock_vehicle"][0]
    assert bare.vin in message and "not fitted: 智驾包" in message and "new version of the offer" in message
    with pytest.raises(ValidationError) as exc:
        services.order_allocate(actor=consultant, order=order, stock_vehicle=loaded)
    assert "does not price: 拖车钩" in exc.value.message_dict["stock_vehicle"][0]
    order.refresh_from_db()
    assert order.stock_vehicle_id == setup.vehicle.pk


def test_an_offer_without_colour_takes_a_standard_colour_car_and_names_its_colour(store_a, consultant):
    cat = catalogue(store_a)  # 星河蓝 at +¥3,000
    white, black = (ColourFactory(trim=cat.trim, name=n) for n in ("冰川白", "曜石黑"))
    StockVehicleFactory(store=store_a, trim=cat.trim, exterior=cat.colour)
    StockVehicleFactory(store=store_a, trim=cat.trim)  # no colour recorded: never the standard one by chance
    black_car = StockVehicleFactory(store=store_a, trim=cat.trim, exterior=black)
    customer = ready_for_contract(CustomerFactory(store=store_a, owner=consultant), consultant, store=store_a)
    offer = offer_services.offer_create(actor=consultant, customer=customer, request=OfferRequest(trim_id=cat.trim.pk))
    offer = offer_services.offer_accept(actor=consultant, offer=offer)
    order = services.order_create_from_offer(actor=consultant, offer=offer, **terms())
    assert order.stock_vehicle_id == black_car.pk and order.exterior_id == black.pk
    # reallocated to the other standard colour: the order follows the car (the offer chose no colour)
    white_car = StockVehicleFactory(store=store_a, trim=cat.trim, exterior=white)
    order = services.order_allocate(actor=consultant, order=order, stock_vehicle=white_car)
    assert order.exterior_id == white.pk
    assert "外观颜色：冰川白" in selectors.contract_preview(order)


def test_a_factory_order_names_the_single_standard_colour_or_the_check_asks_for_one(store_a, consultant):
    cat = catalogue(store_a)
    white = ColourFactory(trim=cat.trim, name="冰川白")
    customer = ready_for_contract(CustomerFactory(store=store_a, owner=consultant), consultant, store=store_a)
    offer = offer_services.offer_create(actor=consultant, customer=customer, request=OfferRequest(trim_id=cat.trim.pk))
    offer = offer_services.offer_accept(actor=consultant, offer=offer)
    order = services.order_create_from_offer(actor=consultant, offer=offer, factory_order_ref="FO-1", **terms())
    assert order.exterior_id == white.pk and services.contract_blockers(order) == {}
    # with a second standard colour the factory order cannot say which: the check asks for the colour
    ColourFactory(trim=cat.trim, name="曜石黑")
    order = services.order_allocate(actor=consultant, order=order, factory_order_ref="FO-2")
    assert order.exterior_id is None
    assert "exterior colour is not known" in services.contract_blockers(order)["exterior"][0]


def test_the_order_form_shows_what_differs_and_offers_no_such_car(client, store_a, consultant):
    setup = accepted_offer(store_a, consultant, vehicle=False)
    other = StockVehicleFactory(store=store_a, trim=setup.cat.trim, exterior=setup.cat.colour)  # without 智驾包
    client.force_login(consultant)
    url = reverse("order_create") + f"?offer={setup.offer.pk}"
    html = client.get(url).content.decode()
    assert other.vin in html and 'data-testid="stock-difference"' in html and "智驾包" in html
    assert f'id="sv-{other.pk}" value="{other.pk}" disabled' in html
    assert 'id="sv-auto"' not in html and 'data-testid="no-matching-stock"' in html
    response = client.post(url, {"offer": setup.offer.pk, **{k: str(val) for k, val in terms().items()}})
    assert response.status_code == 400 and 'data-testid="error-stock_vehicle"' in response.content.decode()
    assert not Order.objects.exists()


# ---------------------------------------------------------------- every fact on the contract


def test_the_contract_check_names_each_missing_fact(store_a, consultant):
    customer = CustomerFactory(store=store_a, owner=consultant, name="陈小明", stage="prospect")
    setup = accepted_offer(store_a, consultant, customer=customer)
    order = services.order_create_from_offer(actor=consultant, offer=setup.offer, **terms())
    Store.objects.filter(pk=store_a.pk).update(address="", phone="")
    order = Order.objects.get(pk=order.pk)
    contract = services.contract_create(actor=consultant, order=order)
    with pytest.raises(ValidationError) as exc:
        services.contract_fill(actor=consultant, contract=contract)
    errors = exc.value.message_dict
    assert set(errors) == {"customer_id_number", "customer_address", "store_address", "store_phone"}
    assert errors["customer_id_number"] == ["Record the buyer's resident ID number on the customer page."]
    assert errors["customer_address"] == ["Record the buyer's address on the customer page."]
    contract.refresh_from_db()
    assert contract.body == "" and contract.filled_at is None
    # the preview shows the blanks still to fill
    assert BLANK in selectors.contract_preview(order)
    # recorded on the customer page (and the store's address and phone): the contract fills, without a blank
    ready_for_contract(order.customer, consultant, store=store_a)
    contract = services.contract_fill(actor=consultant, contract=contract)
    assert BLANK not in contract.body and "住址：深圳市福田区福华三路88号" in contract.body


def test_a_custom_template_is_checked_for_its_own_placeholders(store_a, consultant, make_staff):
    order = make_order(store_a, consultant)
    template = services.contract_template_ensure_default(store_a)
    services.contract_template_add_version(
        actor=make_staff("store_admin", store_a), template=template, body="简版合同\n{{customer_name}} {{interior}}"
    )
    Order.objects.filter(pk=order.pk).update(delivery_place="")
    order = Order.objects.get(pk=order.pk)
    # the place is checked whatever the template says; the template's own placeholders are all filled
    assert set(services.contract_blockers(order)) == {"delivery_place"}


def test_the_contract_lists_gifts_and_services_and_masks_the_id_number_on_screen(client, store_a, consultant):
    order = make_order(store_a, consultant)
    Order.objects.filter(pk=order.pk).update(
        price_lines=[
            *order.price_lines[:-1],
            {"kind": "gift", "code": "gift", "label": "购车礼: 行车记录仪 + 全车脚垫", "amount": "0.00"},
            {"kind": "service", "code": "registration", "label": "", "amount": "500.00", "optional": True},
            order.price_lines[-1],
        ]
    )
    order = Order.objects.get(pk=order.pk)
    values = contract_text.values_for(order)
    assert values["gifts"] == "行车记录仪、全车脚垫"
    assert values["services"].endswith("¥500.00") and values["amendment"] == "本合同为原合同，未经修订。"
    contract = services.contract_create(actor=consultant, order=order)
    contract = services.contract_fill(actor=consultant, contract=contract)
    id_number = order.customer.id_number
    assert id_number in contract.body  # the legal text holds it in full (and so the signed PDF) …
    client.force_login(consultant)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert id_number not in html and v.mask_resident_id(id_number) in html  # … the screen masks it
    assert id_number not in selectors.contract_preview(order)


# ---------------------------------------------------------------- the stores' default template


def test_existing_default_templates_with_the_old_text_get_the_new_version(store_a, store_b, make_staff):
    migration = importlib.import_module(MIGRATION)
    # given store A's default template still with the original text, store B's edited by its administrator
    old = ContractTemplate.objects.create(store=store_a, name="汽车买卖合同（标准版）", is_default=True)
    ContractTemplateVersion.objects.create(template=old, number=1, body=migration.OLD_DEFAULT)
    edited = ContractTemplate.objects.create(store=store_b, name="本店合同", is_default=True)
    ContractTemplateVersion.objects.create(template=edited, number=1, body=migration.OLD_DEFAULT)
    ContractTemplateVersion.objects.create(template=edited, number=2, body="本店合同\n{{total}}")
    # when the migration runs, then only A gets version 2 with the new standard text (the one new stores get)
    migration.add_new_version(apps, None)
    assert selectors.template_in_force(store_a).number == 2
    assert selectors.template_in_force(store_a).body == contract_text.DEFAULT_TEMPLATE == migration.NEW_DEFAULT
    assert "{{customer_id_number}}" in migration.NEW_DEFAULT and "{{gifts}}" in migration.NEW_DEFAULT
    assert selectors.template_in_force(store_b).body == "本店合同\n{{total}}"
    migration.add_new_version(apps, None)  # twice: nothing more
    assert old.versions.count() == 2
    # when it is reversed, then the version goes (no contract was filled from it)
    migration.remove_new_version(apps, None)
    assert old.versions.count() == 1 and selectors.template_in_force(store_a).body == migration.OLD_DEFAULT


def test_reversing_keeps_a_new_version_a_contract_was_filled_from(store_a, consultant):
    migration = importlib.import_module(MIGRATION)
    old = ContractTemplate.objects.create(store=store_a, name="汽车买卖合同（标准版）", is_default=True)
    ContractTemplateVersion.objects.create(template=old, number=1, body=migration.OLD_DEFAULT)
    migration.add_new_version(apps, None)
    order = make_order(store_a, consultant)
    contract = services.contract_create(actor=consultant, order=order)
    contract = services.contract_fill(actor=consultant, contract=contract)
    assert contract.template_version.number == 2 and BLANK not in contract.body
    migration.remove_new_version(apps, None)
    assert Contract.objects.filter(template_version__number=2).exists() and old.versions.count() == 2
