"""Factories for the catalogue: brand → series → trim, colours, options, marked prices and stock vehicles.

By default every trim belongs to the brand 星耀 (code `xingyao`), which `tests.factories.StoreFactory` sells
(`brands=["星耀"]`; the catalogue accepts a brand's code or its name in `Store.brands`), so a default store sells
a default trim. For another brand: `TrimFactory(series__brand=BrandFactory(code="yuanhang", name="远航"))` and put
"yuanhang" in the store's `brands`.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from dealerdesk.catalog.choices import BodyType, ColourKind, DemoStatus, Drive, EnergyType, StockStatus
from dealerdesk.catalog.models import Brand, Colour, MarkedPrice, Option, Series, StockVehicle, Trim
from dealerdesk.core.validators import vin_check_digit
from tests.factories import StoreFactory

_VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def make_vin(n: int, wmi: str = "LXY") -> str:
    """A valid 17-character VIN (correct check digit) unique for each `n`."""
    serial = ""
    value = n
    for _position in range(6):
        value, digit = divmod(value, len(_VIN_CHARS))
        serial = _VIN_CHARS[digit] + serial
    body = f"{wmi}A1B2C0T1{serial}"  # WMI(3) + VDS(5) + check placeholder + year T (2026) + plant + serial(6)
    return body[:8] + vin_check_digit(body) + body[9:]


class BrandFactory(factory.django.DjangoModelFactory):
    """A brand; the default is 星耀 (`xingyao`), get-or-created by code."""

    class Meta:
        model = Brand
        django_get_or_create = ["code"]

    code = "xingyao"
    name = "星耀"
    name_en = "Xingyao"


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    brand = factory.SubFactory(BrandFactory)
    code = factory.Sequence(lambda n: f"series-{n}")
    name = factory.Sequence(lambda n: f"星辰{n}")
    body_type = BodyType.SUV
    is_active = True


class TrimFactory(factory.django.DjangoModelFactory):
    """A BEV mid-size SUV trim with valid specs; override `energy_type` with `electric_range_km`/`fuel_l_per_100km`."""

    class Meta:
        model = Trim

    series = factory.SubFactory(SeriesFactory)
    code = factory.Sequence(lambda n: f"trim-{n}")
    name = factory.Sequence(lambda n: f"长续航版{n}")
    model_year = 2026
    energy_type = EnergyType.BEV
    body_type = factory.LazyAttribute(lambda t: t.series.body_type)
    seats = 5
    drive = Drive.RWD
    power_kw = 200
    electric_range_km = 600
    fuel_l_per_100km = None
    length_mm = 4750
    width_mm = 1920
    height_mm = 1650
    wheelbase_mm = 2900
    key_features = factory.LazyFunction(lambda: ["L2 智能驾驶辅助", "全景天窗"])
    msrp = Decimal("199800.00")
    is_active = True


class ColourFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Colour

    trim = factory.SubFactory(TrimFactory)
    kind = ColourKind.EXTERIOR
    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"星河白{n}")
    extra_price = Decimal("0.00")


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    trim = factory.SubFactory(TrimFactory)
    code = factory.Sequence(lambda n: f"OPT{n:03d}")
    name = factory.Sequence(lambda n: f"智享包{n}")
    price = Decimal("8000.00")
    is_package = False
    contents = factory.LazyFunction(list)


class MarkedPriceFactory(factory.django.DjangoModelFactory):
    """A marked price of `trim` in `store` (default: a little below the MSRP, in force since yesterday)."""

    class Meta:
        model = MarkedPrice

    store = factory.SubFactory(StoreFactory)
    trim = factory.SubFactory(TrimFactory)
    price = factory.LazyAttribute(lambda mp: (mp.trim.msrp - Decimal("5000.00")).quantize(Decimal("0.01")))
    valid_from = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    note = ""


class StockVehicleFactory(factory.django.DjangoModelFactory):
    """A stock vehicle with a valid, unique VIN; `is_demo=True` also needs `demo_status` (defaults to available)."""

    class Meta:
        model = StockVehicle
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    vin = factory.Sequence(make_vin)
    trim = factory.SubFactory(TrimFactory)
    exterior = None
    interior = None
    status = StockStatus.IN_STOCK
    location = "A区-01"
    arrived_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=10))
    is_demo = False
    plate = factory.LazyAttributeSequence(lambda sv, n: f"粤BD{n % 100000:05d}" if sv.is_demo else "")
    insurance_expires_on = factory.LazyAttribute(
        lambda sv: timezone.localdate() + datetime.timedelta(days=200) if sv.is_demo else None
    )
    odometer_km = 0
    demo_status = factory.LazyAttribute(lambda sv: DemoStatus.AVAILABLE if sv.is_demo else "")

    @factory.post_generation
    def options(self, create, extracted, **kwargs):
        if create and extracted:
            self.options.set(extracted)
