"""Builders shared by the sales tests: an accepted offer with a matching stock vehicle, an order, a signed contract."""

from dataclasses import dataclass

from dealerdesk.catalog.models import StockVehicle
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


def accepted_offer(store, consultant, customer=None, *, vehicle: bool = True, cat=None) -> Setup:
    """An offer for a trim with a paid exterior colour, accepted by the customer; a matching vehicle in stock."""
    cat = cat or catalogue(store)
    customer = customer or CustomerFactory(store=store, owner=consultant, name="陈小明", stage="prospect")
    offer = offer_services.offer_create(
        actor=consultant,
        customer=customer,
        request=OfferRequest(trim_id=cat.trim.pk, colour_id=cat.colour.pk, option_ids=(cat.option.pk,)),
    )
    offer = offer_services.offer_accept(actor=consultant, offer=offer)
    stock = StockVehicleFactory(store=store, trim=cat.trim, exterior=cat.colour) if vehicle else None
    return Setup(offer=offer, vehicle=stock, cat=cat)


def make_order(store, consultant, **kwargs) -> Order:
    """A draft order from an accepted offer, ready for its contract (delivery date, place and deposit set)."""
    import datetime

    from django.utils import timezone

    setup = accepted_offer(store, consultant, customer=kwargs.pop("customer", None))
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
