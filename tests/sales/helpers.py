"""Builders shared by the sales tests: an accepted offer with a matching stock vehicle, an order, a signed contract."""

import datetime
import itertools
from dataclasses import dataclass

from stdnum.cn import ric

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.core.crypto import blind_index
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.choices import ContactKind
from dealerdesk.customers.models import ContactPoint
from dealerdesk.offers import services as offer_services
from dealerdesk.offers.models import Offer
from dealerdesk.offers.services import OfferRequest
from dealerdesk.sales import services
from dealerdesk.sales.models import Contract, Order
from tests.catalog.factories import StockVehicleFactory
from tests.customers.factories import CustomerFactory
from tests.offers.helpers import catalogue

# a tiny valid PNG (1×1 transparent pixel): what the signature canvas sends
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000b49444154789c63600002"
    "00000500017a5eab3f0000000049454e44ae426082"
)


@dataclass
class Setup:
    offer: Offer
    vehicle: StockVehicle | None
    cat: object


_id_serial = itertools.count(1)
ADDRESS = "深圳市福田区福华三路88号"


def resident_id() -> str:
    """A valid resident ID number, different on each call."""
    n = next(_id_serial)
    born = datetime.date(1985, 3, 1) + datetime.timedelta(days=n % 5000)
    body = f"440304{born:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of 18


def ready_for_contract(customer, actor, *, store=None):
    """What the contract states beyond the order: the buyer's ID number and address, the store's address and phone."""
    customer = type(customer).objects.get(pk=customer.pk)  # as stored: an earlier order may have recorded them
    if user_can(actor, "customers.edit", customer) and customer.owner_id == actor.pk:
        if not customer.id_number:
            customer = customer_services.customer_record_id_number(
                actor=actor, customer=customer, id_number=resident_id()
            )
        if not customer.contact_points.filter(kind=ContactKind.ADDRESS).exists():
            customer_services.contact_point_add(actor=actor, customer=customer, kind=ContactKind.ADDRESS, value=ADDRESS)
    else:  # a customer of someone else: written as the customer page would have
        if not customer.id_number:
            customer.id_number = resident_id()
            customer.id_number_index = blind_index(customer.id_number, purpose=customer_services.ID_PURPOSE)
            customer.save(update_fields=["id_number", "id_number_index"])
        ContactPoint.objects.get_or_create(
            customer=customer, kind=ContactKind.ADDRESS, defaults={"store_id": customer.store_id, "value": ADDRESS}
        )
    store_id = store.pk if store is not None else customer.store_id
    Store.objects.filter(pk=store_id, address="").update(address="深圳市福田区深南大道6008号")
    Store.objects.filter(pk=store_id, phone="").update(phone="0755-88886008")
    if store is not None:
        store.refresh_from_db(fields=["address", "phone"])
    return customer


def accepted_offer(store, consultant, customer=None, *, vehicle: bool = True, cat=None) -> Setup:
    """An offer for a trim with a paid exterior colour and an option, accepted by the customer (whose ID number and
    address are on record); a vehicle in stock that is that car (the colour, the option fitted)."""
    cat = cat or catalogue(store)
    if customer is None:
        customer = CustomerFactory(store=store, owner=consultant, name="陈小明", stage="prospect")
        customer = ready_for_contract(customer, consultant, store=store)
    offer = offer_services.offer_create(
        actor=consultant,
        customer=customer,
        request=OfferRequest(trim_id=cat.trim.pk, colour_id=cat.colour.pk, option_ids=(cat.option.pk,)),
    )
    offer = offer_services.offer_accept(actor=consultant, offer=offer)
    stock = None
    if vehicle:
        stock = StockVehicleFactory(store=store, trim=cat.trim, exterior=cat.colour, options=[cat.option])
    return Setup(offer=offer, vehicle=stock, cat=cat)


def make_order(store, consultant, **kwargs) -> Order:
    """A draft order from an accepted offer, ready for its contract (delivery date, place and deposit set)."""
    import datetime

    from django.utils import timezone

    customer = kwargs.pop("customer", None)
    if customer is not None:
        customer = ready_for_contract(customer, consultant, store=store)
    setup = accepted_offer(store, consultant, customer=customer)
    values = {
        "planned_delivery_on": timezone.localdate() + datetime.timedelta(days=10),
        "delivery_place": "深圳福田交车区",
        "deposit_amount": "5000.00",
    }
    values.update(kwargs)
    return services.order_create_from_offer(actor=consultant, offer=setup.offer, **values)


def submitted_contract(order: Order, consultant) -> Contract:
    contract = services.contract_create(actor=consultant, order=order)
    services.contract_fill(actor=consultant, contract=contract)
    return services.contract_submit(actor=consultant, contract=contract)


def signed_contract(order: Order, consultant, manager, *, png: bytes | None = PNG) -> Contract:
    """Every party signs the order's contract."""
    contract = submitted_contract(order, consultant)
    return sign_all(contract, consultant, manager, png=png)


def sign_all(contract: Contract, consultant, manager, *, png: bytes | None = PNG) -> Contract:
    name = contract.order.customer.name
    services.contract_sign(actor=consultant, contract=contract, party="customer", typed_name=name, signature_png=png)
    services.contract_sign(actor=consultant, contract=contract, party="consultant")
    return services.contract_sign(actor=manager, contract=contract, party="manager")
