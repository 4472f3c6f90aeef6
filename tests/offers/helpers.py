"""Builders shared by the offers tests: a store selling a trim with a marked price, colours, options, promotions."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from dealerdesk.catalog.models import Colour, MarkedPrice, Option, Trim
from dealerdesk.offers.models import Promotion
from tests.catalog.factories import ColourFactory, MarkedPriceFactory, OptionFactory, TrimFactory

D = Decimal


@dataclass
class Catalogue:
    trim: Trim
    price: MarkedPrice
    colour: Colour
    option: Option


def catalogue(store, *, marked=D("200000.00"), colour_extra=D("3000.00"), option_price=D("8000.00")) -> Catalogue:
    """A trim of the store's brand with a marked price in force, a paid colour and an option."""
    trim = TrimFactory(msrp=marked + D("5000.00"))
    price = MarkedPriceFactory(store=store, trim=trim, price=marked)
    colour = ColourFactory(trim=trim, name="星河蓝", extra_price=colour_extra)
    option = OptionFactory(trim=trim, name="智驾包", price=option_price)
    return Catalogue(trim, price, colour, option)


def promotion(store, /, **fields) -> Promotion:
    """A store promotion, valid from last week to next month, a ¥5,000 cash discount in group "cash" by default."""
    today = timezone.localdate()
    values = {
        "group": store.group,
        "store": store,
        "name": "现金优惠",
        "kind": "cash_discount",
        "amount": D("5000.00"),
        "starts_on": today - datetime.timedelta(days=7),
        "ends_on": today + datetime.timedelta(days=30),
        "stacking_group": "cash",
    }
    values.update(fields)
    if values.get("exclusive"):
        values["stacking_group"] = ""
    return Promotion.objects.create(**values)
