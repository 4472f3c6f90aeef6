"""Writes of the catalogue, marked prices, stock and demo cars. Each service: one transaction, permission re-checked,
validated (nothing written on bad input), written, audited.

Who may do what:
- The catalogue (brands, series, trims, colours, options) is the carmakers' data, shared by every store of the
  group: a store administrator of any store (`store.manage` somewhere) may edit it. The audit entry is filed
  under a store the actor manages, so it shows in that store's audit trail.
- A marked price (标价) is the store's: `store.manage` in that store, and only for a trim whose brand it sells.
- Receiving stock: `stock.manage`; managing demo cars (flag, plate/insurance, status): `fleet.manage`; both held by
  the sales manager and the store administrator, in the vehicle's store.
- Moving stock along its statuses and recording a demo car's odometer: `sales.sell` in the vehicle's store
  (consultants reserve and sell cars and bring demo cars back from test drives).
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.core import validators as v
from dealerdesk.core.audit import audit_record, diff_fields
from dealerdesk.core.errors import Conflict, DomainError, NotPermitted, TransitionRefused

from .choices import (
    RECEIVABLE_STATUSES,
    STOCK_MOVES,
    BodyType,
    CertificateHolder,
    ColourKind,
    DemoStatus,
    Drive,
    EnergyType,
    Origin,
    StockStatus,
)
from .models import Brand, Colour, MarkedPrice, Option, Series, StockVehicle, Trim
from .selectors import store_sells_trim

MAX_PRICE = Decimal("99999999.99")
MAX_ODOMETER = 1_000_000
PAST_TOLERANCE = datetime.timedelta(minutes=5)  # a form filled in a few minutes ago still means "now"

BRAND_FIELDS = ("code", "name", "name_en")
SERIES_FIELDS = ("code", "name", "body_type", "is_active")
TRIM_FIELDS = (
    "code",
    "name",
    "model_year",
    "energy_type",
    "body_type",
    "seats",
    "drive",
    "power_kw",
    "electric_range_km",
    "fuel_l_per_100km",
    "length_mm",
    "width_mm",
    "height_mm",
    "wheelbase_mm",
    "key_features",
    "origin",
    "msrp",
    "is_active",
)
COLOUR_FIELDS = ("kind", "code", "name", "extra_price")
OPTION_FIELDS = ("code", "name", "price", "is_package", "contents")

_ELECTRIC = {EnergyType.BEV, EnergyType.PHEV, EnergyType.EREV}
_FUELLED = {EnergyType.ICE, EnergyType.HEV, EnergyType.PHEV, EnergyType.EREV}


class BrandNotSold(DomainError):
    """The store does not sell the trim's brand (Store.brands)."""

    default_code = "brand_not_sold"


class VinInStock(Conflict):
    """A vehicle with this VIN is already in some store's stock."""

    default_code = "vin_in_stock"


# ---------------------------------------------------------------- helpers


def _require(actor: User, perm: str, store_or_obj=None) -> None:
    if not user_can(actor, perm, store_or_obj):
        raise NotPermitted()


def _catalogue_store_id(actor: User) -> int:
    """A store where the actor holds `store.manage` (the catalogue is edited on behalf of the group)."""
    visible = actor.visible_store_ids() if getattr(actor, "is_authenticated", False) else frozenset()
    if visible is None:
        store = Store.objects.filter(is_active=True).order_by("pk").first()
        if store is not None:
            return store.pk
        raise NotPermitted()
    for store_id in sorted(visible):
        if user_can(actor, "store.manage", store_id):
            return store_id
    raise NotPermitted()


def _text(value: Any) -> str:
    return v.to_halfwidth(value) if value is not None else ""


def _too_long(max_length: int, count: int) -> str:
    return gettext("At most %(max)d characters (this has %(count)d).") % {"max": max_length, "count": count}


def _required_text(errors: dict, field: str, value: Any, max_length: int, message) -> str:
    text = _text(value)
    if not text:
        errors[field] = [message]
    elif len(text) > max_length:
        errors[field] = [_too_long(max_length, len(text))]
    return text


def _code(errors: dict, field: str, value: Any, max_length: int) -> str:
    code = _text(value)
    if not code:
        errors[field] = [_("Enter a code (letters, digits, - and _).")]
        return code
    try:
        validate_slug(code)
    except ValidationError:
        errors[field] = [_("A code has only letters, digits, hyphens and underscores, e.g. xy-s7-2026-lr.")]
        return code
    if len(code) > max_length:
        errors[field] = [_too_long(max_length, len(code))]
    return code


def _money(errors: dict, field: str, value: Any, *, positive: bool) -> Decimal | None:
    if value in (None, ""):
        errors[field] = [_("Enter an amount in yuan, e.g. 159800 or 159800.00.")]
        return None
    try:
        # negatives are let through to get this field's own message below (a price, an extra price)
        amount = v.parse_cny(value, maximum=MAX_PRICE, allow_negative=True)
    except ValidationError as exc:
        errors[field] = exc.messages
        return None
    if positive and amount <= 0:
        errors[field] = [_("A price must be more than zero.")]
    elif amount < 0:
        errors[field] = [_("An amount cannot be negative.")]
    return amount


def _int(errors: dict, field: str, value: Any, *, low: int, high: int, message, optional: bool = False) -> int | None:
    if value in (None, ""):
        if not optional:
            errors[field] = [message]
        return None
    if isinstance(value, bool):
        errors[field] = [message]
        return None
    try:
        number = value if isinstance(value, int) else int(_text(value))
    except ValueError:
        errors[field] = [message]
        return None
    if not low <= number <= high:
        errors[field] = [message]
        return None
    return number


def _choice(errors: dict, field: str, value: Any, choices, message) -> str:
    text = _text(value)
    if not text or text not in choices.values:
        errors[field] = [message]
    return text


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "是", "y"}
    return bool(value)


def _date(errors: dict, field: str, value: Any, *, optional: bool, message) -> datetime.date | None:
    if value in (None, ""):
        if not optional:
            errors[field] = [message]
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(_text(value))
    except ValueError:
        errors[field] = [_("Enter the date as YYYY-MM-DD.")]
        return None


def _text_list(errors: dict, field: str, value: Any, *, max_items: int = 20, max_length: int = 60) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        for separator in "，;；、\n":
            value = value.replace(separator, ",")
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        errors[field] = [_("Give a list of short texts.")]
        return []
    items = [v.to_halfwidth(item) for item in value if item.strip()]
    if len(items) > max_items or any(len(item) > max_length for item in items):
        errors[field] = [
            gettext("At most %(items)d entries of %(length)d characters each.")
            % {"items": max_items, "length": max_length}
        ]
        return []
    return list(dict.fromkeys(items))


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _snapshot(obj: Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def _unknown(fields: dict, allowed: Iterable[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError(
            gettext("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}, code="unknown_field"
        )


def _save_new(obj: Model, field: str, message) -> None:
    """Insert in a savepoint: a unique clash with a concurrent writer becomes the field's message."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationError({field: [message]}) from None


# ---------------------------------------------------------------- brands and series


def clean_brand_fields(data: dict[str, Any], *, instance: Brand | None = None) -> dict[str, Any]:
    """Validate brand fields; raises ValidationError keyed by field."""
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    if "code" in data or instance is None:
        out["code"] = _code(errors, "code", data.get("code"), 30).lower()
        if "code" not in errors:
            clash = Brand.objects.filter(code=out["code"]).exclude(pk=getattr(instance, "pk", None))
            if clash.exists():
                errors["code"] = [gettext("A brand with code %(code)s already exists.") % {"code": out["code"]}]
    if "name" in data or instance is None:
        out["name"] = _required_text(errors, "name", data.get("name"), 40, _("Enter the brand's name."))
    if "name_en" in data:
        out["name_en"] = _text(data["name_en"])[:40]
    _raise(errors)
    return out


def _apply_update(actor: User, instance, data: dict[str, Any], *, action: str, store_id: int | None):
    """Set the cleaned fields, save, and audit the diff (the common tail of the catalogue `*_update` services)."""
    before = _snapshot(instance, data)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.save()
    audit_record(actor=actor, action=action, target=instance, store_id=store_id, diff=diff_fields(before, data))
    return instance


@transaction.atomic
def brand_create(*, actor: User, code: str, name: str, name_en: str = "") -> Brand:
    """Add a brand to the group's catalogue."""
    store_id = _catalogue_store_id(actor)
    brand = Brand(**clean_brand_fields({"code": code, "name": name, "name_en": name_en}))
    _save_new(brand, "code", _("A brand with this code already exists."))
    audit_record(actor=actor, action="brand.created", target=brand, store_id=store_id, diff={"code": brand.code})
    return brand


@transaction.atomic
def brand_update(*, actor: User, brand: Brand, **fields: Any) -> Brand:
    """Change a brand's code or names."""
    store_id = _catalogue_store_id(actor)
    _unknown(fields, BRAND_FIELDS)
    brand = Brand.objects.select_for_update().get(pk=brand.pk)
    data = clean_brand_fields(fields, instance=brand)
    return _apply_update(actor, brand, data, action="brand.updated", store_id=store_id)


def clean_series_fields(data: dict[str, Any], *, brand: Brand, instance: Series | None = None) -> dict[str, Any]:
    """Validate series fields; raises ValidationError keyed by field."""
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    if "code" in data or instance is None:
        out["code"] = _code(errors, "code", data.get("code"), 40).lower()
        if "code" not in errors:
            clash = Series.objects.filter(brand=brand, code=out["code"]).exclude(pk=getattr(instance, "pk", None))
            if clash.exists():
                errors["code"] = [
                    gettext("%(brand)s already has a series with code %(code)s.")
                    % {"brand": brand, "code": out["code"]}
                ]
    if "name" in data or instance is None:
        out["name"] = _required_text(errors, "name", data.get("name"), 60, _("Enter the series' name."))
    if "body_type" in data or instance is None:
        out["body_type"] = _choice(
            errors, "body_type", data.get("body_type"), _real(BodyType), _("Choose a body type (sedan, SUV, MPV…).")
        )
    if "is_active" in data:
        out["is_active"] = _bool(data["is_active"])
    _raise(errors)
    return out


class _Real:
    """A choices class without its "any" ("") member, for fields of a real vehicle."""

    def __init__(self, choices):
        self.values = [value for value in choices.values if value]


def _real(choices) -> _Real:
    return _Real(choices)


@transaction.atomic
def series_create(*, actor: User, brand: Brand, code: str, name: str, body_type: str, is_active: bool = True) -> Series:
    """Add a series (车系) to a brand."""
    store_id = _catalogue_store_id(actor)
    data = clean_series_fields(
        {"code": code, "name": name, "body_type": body_type, "is_active": is_active}, brand=brand
    )
    series = Series(brand=brand, **data)
    _save_new(series, "code", _("This brand already has a series with this code."))
    audit_record(actor=actor, action="series.created", target=series, store_id=store_id, diff={"code": series.code})
    return series


@transaction.atomic
def series_update(*, actor: User, series: Series, **fields: Any) -> Series:
    """Change a series; `is_active=False` takes all its trims off sale in the catalogue."""
    store_id = _catalogue_store_id(actor)
    _unknown(fields, SERIES_FIELDS)
    series = Series.objects.select_for_update().select_related("brand").get(pk=series.pk)
    data = clean_series_fields(fields, brand=series.brand, instance=series)
    return _apply_update(actor, series, data, action="series.updated", store_id=store_id)


# ---------------------------------------------------------------- trims


def clean_trim_fields(data: dict[str, Any], *, instance: Trim | None = None) -> dict[str, Any]:
    """Validate trim fields (all of them for a new trim, the given ones merged with `instance` for an update).

    Checks that belong together: a battery-electric trim has an electric range and no fuel figure, a petrol or
    hybrid trim the reverse, a plug-in or range-extended trim both; the wheelbase is shorter than the car.
    """
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    new = instance is None

    def given(name: str) -> bool:
        return new or name in data

    if given("code"):
        out["code"] = _code(errors, "code", data.get("code"), 60).lower()
        if "code" not in errors:
            clash = Trim.objects.filter(code=out["code"]).exclude(pk=getattr(instance, "pk", None))
            if clash.exists():
                errors["code"] = [gettext("A trim with code %(code)s already exists.") % {"code": out["code"]}]
    if given("name"):
        out["name"] = _required_text(
            errors, "name", data.get("name"), 100, _("Enter the trim's name, e.g. 长续航智驾版.")
        )
    this_year = timezone.localdate().year
    if given("model_year"):
        out["model_year"] = _int(
            errors,
            "model_year",
            data.get("model_year"),
            low=2000,
            high=this_year + 2,
            message=gettext("Enter a model year between 2000 and %(max)d.") % {"max": this_year + 2},
        )
    if given("energy_type"):
        out["energy_type"] = _choice(
            errors, "energy_type", data.get("energy_type"), _real(EnergyType), _("Choose ICE, HEV, PHEV, BEV or EREV.")
        )
    if given("body_type"):
        out["body_type"] = _choice(
            errors, "body_type", data.get("body_type"), _real(BodyType), _("Choose a body type (sedan, SUV, MPV…).")
        )
    if given("seats"):
        out["seats"] = _int(errors, "seats", data.get("seats"), low=1, high=9, message=_("A car has 1 to 9 seats."))
    if given("drive"):
        out["drive"] = _choice(errors, "drive", data.get("drive"), Drive, _("Choose front, rear or all-wheel drive."))
    if given("power_kw"):
        out["power_kw"] = _int(
            errors, "power_kw", data.get("power_kw"), low=1, high=2000, message=_("Enter the power in kW (1–2000).")
        )
    if given("electric_range_km"):
        out["electric_range_km"] = _int(
            errors,
            "electric_range_km",
            data.get("electric_range_km"),
            low=1,
            high=2000,
            optional=True,
            message=_("Enter the electric range in km (1–2000)."),
        )
    if given("fuel_l_per_100km"):
        raw = data.get("fuel_l_per_100km")
        if raw in (None, ""):
            out["fuel_l_per_100km"] = None
        else:
            try:
                fuel = Decimal(_text(raw) if not isinstance(raw, float) else repr(raw))
            except InvalidOperation:
                fuel = Decimal("-1")
            plausible = fuel.is_finite() and Decimal("0.1") <= fuel <= Decimal("30")
            if not plausible or fuel != fuel.quantize(Decimal("0.1")):
                errors["fuel_l_per_100km"] = [_("Enter the fuel consumption in L/100 km with one decimal (0.1–30).")]
            out["fuel_l_per_100km"] = fuel
    for name, low, high, message in (
        ("length_mm", 2000, 7000, _("Enter the length in mm (2000–7000).")),
        ("width_mm", 1300, 2500, _("Enter the width in mm (1300–2500).")),
        ("height_mm", 1000, 2500, _("Enter the height in mm (1000–2500).")),
        ("wheelbase_mm", 1500, 4500, _("Enter the wheelbase in mm (1500–4500).")),
    ):
        if given(name):
            out[name] = _int(errors, name, data.get(name), low=low, high=high, message=message)
    if given("key_features"):
        out["key_features"] = _text_list(errors, "key_features", data.get("key_features"))
    if given("origin"):
        out["origin"] = _text(data.get("origin")) or Origin.DOMESTIC
        if out["origin"] not in Origin.values:
            errors["origin"] = [_("Choose made in China or imported.")]
    if given("msrp"):
        out["msrp"] = _money(errors, "msrp", data.get("msrp"), positive=True)
    if given("is_active"):
        out["is_active"] = _bool(data.get("is_active", True))

    def current(name: str):
        return out[name] if name in out else getattr(instance, name, None)

    energy = current("energy_type")
    if energy in EnergyType.values and "energy_type" not in errors:
        label = EnergyType(energy).label
        if energy in _ELECTRIC and current("electric_range_km") is None and "electric_range_km" not in errors:
            errors["electric_range_km"] = [
                gettext("A %(energy)s trim needs its electric range (km, CLTC).") % {"energy": label}
            ]
        if energy not in _ELECTRIC and current("electric_range_km") is not None and "electric_range_km" not in errors:
            errors["electric_range_km"] = [
                gettext("A %(energy)s trim has no electric range; leave it empty.") % {"energy": label}
            ]
        if energy in _FUELLED and current("fuel_l_per_100km") is None and "fuel_l_per_100km" not in errors:
            errors["fuel_l_per_100km"] = [
                gettext("A %(energy)s trim needs its fuel consumption (L/100 km, WLTC).") % {"energy": label}
            ]
        if energy not in _FUELLED and current("fuel_l_per_100km") is not None and "fuel_l_per_100km" not in errors:
            errors["fuel_l_per_100km"] = [_("A battery-electric trim uses no fuel; leave fuel consumption empty.")]
    length, wheelbase = current("length_mm"), current("wheelbase_mm")
    if length and wheelbase and wheelbase >= length and "wheelbase_mm" not in errors and "length_mm" not in errors:
        errors["wheelbase_mm"] = [_("The wheelbase must be shorter than the car's length.")]
    _raise(errors)
    return out


@transaction.atomic
def trim_create(*, actor: User, series: Series, **fields: Any) -> Trim:
    """Add a trim (车型) with its specifications and MSRP to a series."""
    store_id = _catalogue_store_id(actor)
    _unknown(fields, TRIM_FIELDS)
    fields.setdefault("body_type", series.body_type)
    fields.setdefault("is_active", True)
    data = clean_trim_fields(fields)
    trim = Trim(series=series, **data)
    _save_new(trim, "code", _("A trim with this code already exists."))
    audit_record(
        actor=actor,
        action="trim.created",
        target=trim,
        store_id=store_id,
        diff={"code": trim.code, "msrp": str(trim.msrp)},
    )
    return trim


@transaction.atomic
def trim_update(*, actor: User, trim: Trim, **fields: Any) -> Trim:
    """Change a trim's specifications, MSRP or whether it is on sale."""
    store_id = _catalogue_store_id(actor)
    _unknown(fields, TRIM_FIELDS)
    trim = Trim.objects.select_for_update().get(pk=trim.pk)
    data = clean_trim_fields(fields, instance=trim)
    return _apply_update(actor, trim, data, action="trim.updated", store_id=store_id)


# ---------------------------------------------------------------- colours and options


def clean_colour_fields(data: dict[str, Any], *, trim: Trim, instance: Colour | None = None) -> dict[str, Any]:
    """Validate colour fields; raises ValidationError keyed by field."""
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    new = instance is None
    if new or "kind" in data:
        out["kind"] = _choice(errors, "kind", data.get("kind"), ColourKind, _("Choose exterior or interior."))
    if new or "code" in data:
        out["code"] = _required_text(errors, "code", data.get("code"), 20, _("Enter the colour code."))
    if new or "name" in data:
        out["name"] = _required_text(errors, "name", data.get("name"), 40, _("Enter the colour's name."))
    if new or "extra_price" in data:
        raw = data.get("extra_price")
        out["extra_price"] = (
            Decimal("0.00") if raw in (None, "") else _money(errors, "extra_price", raw, positive=False)
        )
        if "extra_price" in errors and out["extra_price"] is not None and out["extra_price"] < 0:
            errors["extra_price"] = [_("An extra price cannot be negative.")]
    kind = out.get("kind", getattr(instance, "kind", None))
    code = out.get("code", getattr(instance, "code", None))
    if not errors:
        clash = Colour.objects.filter(trim=trim, kind=kind, code=code).exclude(pk=getattr(instance, "pk", None))
        if clash.exists():
            errors["code"] = [gettext("This trim already has a colour with code %(code)s.") % {"code": code}]
    _raise(errors)
    return out


@transaction.atomic
def colour_create(
    *, actor: User, trim: Trim, kind: str, code: str, name: str, extra_price: Decimal | str | int = 0
) -> Colour:
    """Offer a colour (exterior or interior) on a trim, with its extra price."""
    store_id = _catalogue_store_id(actor)
    data = clean_colour_fields({"kind": kind, "code": code, "name": name, "extra_price": extra_price}, trim=trim)
    colour = Colour(trim=trim, **data)
    _save_new(colour, "code", _("This trim already has a colour with this code."))
    audit_record(
        actor=actor, action="colour.created", target=colour, store_id=store_id, diff={"trim": trim.pk, "code": code}
    )
    return colour


@transaction.atomic
def colour_update(*, actor: User, colour: Colour, **fields: Any) -> Colour:
    """Change a colour's code, name or extra price."""
    store_id = _catalogue_store_id(actor)
    _unknown(fields, COLOUR_FIELDS)
    colour = Colour.objects.select_for_update().select_related("trim").get(pk=colour.pk)
    data = clean_colour_fields(fields, trim=colour.trim, instance=colour)
    return _apply_update(actor, colour, data, action="colour.updated", store_id=store_id)


def clean_option_fields(data: dict[str, Any], *, trim: Trim, instance: Option | None = None) -> dict[str, Any]:
    """Validate option fields; raises ValidationError keyed by field."""
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    new = instance is None
    if new or "code" in data:
        out["code"] = _required_text(errors, "code", data.get("code"), 30, _("Enter the option code."))
    if new or "name" in data:
        out["name"] = _required_text(errors, "name", data.get("name"), 80, _("Enter the option's name."))
    if new or "price" in data:
        out["price"] = _money(errors, "price", data.get("price"), positive=False)
    if new or "is_package" in data:
        out["is_package"] = _bool(data.get("is_package", False))
    if new or "contents" in data:
        out["contents"] = _text_list(errors, "contents", data.get("contents"))
    code = out.get("code", getattr(instance, "code", None))
    if "code" not in errors:
        clash = Option.objects.filter(trim=trim, code=code).exclude(pk=getattr(instance, "pk", None))
        if clash.exists():
            errors["code"] = [gettext("This trim already has an option with code %(code)s.") % {"code": code}]
    _raise(errors)
    return out


@transaction.atomic
def option_create(
    *,
    actor: User,
    trim: Trim,
    code: str,
    name: str,
    price: Decimal | str | int,
    is_package: bool = False,
    contents: list[str] | None = None,
) -> Option:
    """Offer an option or package (选装) on a trim."""
    store_id = _catalogue_store_id(actor)
    data = clean_option_fields(
        {"code": code, "name": name, "price": price, "is_package": is_package, "contents": contents or []}, trim=trim
    )
    option = Option(trim=trim, **data)
    _save_new(option, "code", _("This trim already has an option with this code."))
    audit_record(
        actor=actor, action="option.created", target=option, store_id=store_id, diff={"trim": trim.pk, "code": code}
    )
    return option


@transaction.atomic
def option_update(*, actor: User, option: Option, **fields: Any) -> Option:
    """Change an option's code, name, price or contents."""
    store_id = _catalogue_store_id(actor)
    _unknown(fields, OPTION_FIELDS)
    option = Option.objects.select_for_update().select_related("trim").get(pk=option.pk)
    data = clean_option_fields(fields, trim=option.trim, instance=option)
    return _apply_update(actor, option, data, action="option.updated", store_id=store_id)


# ---------------------------------------------------------------- marked prices


def _check_sold(store: Store, trim: Trim) -> None:
    if not store_sells_trim(store, trim):
        raise BrandNotSold(
            gettext("This store does not sell %(brand)s; it sells only the brands in its settings.")
            % {"brand": trim.series.brand.name},
            field="trim",
        )


@transaction.atomic
def marked_price_set(
    *,
    actor: User,
    store: Store,
    trim: Trim,
    price: Decimal | str | int,
    valid_from: datetime.datetime | None = None,
    note: str = "",
) -> MarkedPrice:
    """Set the store's marked price (标价) of a trim from `valid_from` (default now); earlier prices stay as history.

    A start in the past is refused: the history shows what was really in force, and offers snapshotted it.
    """
    _require(actor, "store.manage", store)
    trim = Trim.objects.select_related("series__brand").get(pk=trim.pk)
    _check_sold(store, trim)
    errors: dict[str, list] = {}
    amount = _money(errors, "price", price, positive=True)
    now = timezone.now()
    if valid_from is None:
        valid_from = now
    elif not isinstance(valid_from, datetime.datetime):
        errors["valid_from"] = [_("Enter the date and time the price starts.")]
    else:
        if timezone.is_naive(valid_from):
            valid_from = timezone.make_aware(valid_from, store.tz)
        if valid_from < now - PAST_TOLERANCE:
            errors["valid_from"] = [
                _(
                    "A marked price cannot start in the past: the history must show what was in force. "
                    "Choose now or later."
                )
            ]
    note = _text(note)
    if len(note) > 200:
        errors["note"] = [_too_long(200, len(note))]
    _raise(errors)
    previous = (
        MarkedPrice.objects.filter(store=store, trim=trim, valid_from__lte=valid_from)
        .order_by("-valid_from", "-id")
        .first()
    )
    if previous is not None and previous.price == amount and previous.valid_from <= now and valid_from <= now:
        raise ValidationError({"price": [_("This is already the marked price in force.")]})
    marked = MarkedPrice.objects.create(
        store=store, trim=trim, price=amount, valid_from=valid_from, set_by=actor, note=note
    )
    audit_record(
        actor=actor,
        action="marked_price.set",
        target=marked,
        diff={
            "trim": trim.pk,
            "price": [str(previous.price) if previous else None, str(amount)],
            "valid_from": valid_from.isoformat(),
        },
    )
    return marked


# ---------------------------------------------------------------- stock


def clean_vin(value: Any) -> str:
    """A normalised VIN; raises ValidationError({"vin": …})."""
    try:
        return v.normalize_vin(_text(value))
    except ValidationError as exc:
        raise ValidationError({"vin": exc.messages}) from None


def vin_in_stock_error(existing: StockVehicle, actor: User | None, store: Store) -> VinInStock:
    """The 409 for a VIN that some store already holds, naming the store only when the actor may see it."""
    if existing.store_id == store.pk:
        message = gettext("This VIN is already in this store's stock (%(trim)s, %(status)s).") % {
            "trim": existing.trim,
            "status": existing.get_status_display(),
        }
    elif actor is not None and user_can(actor, "store.view", existing.store_id):
        message = gettext("This VIN is already in the stock of %(store)s.") % {"store": existing.store}
    else:
        message = _("This VIN is already in the stock of another store.")
    return VinInStock(message, field="vin", extra={"existing_id": existing.pk} if existing.store_id == store.pk else {})


def clean_stock_fields(
    *,
    store: Store,
    trim: Trim,
    exterior: Colour | None,
    interior: Colour | None,
    options: Iterable[Option],
    status: str,
    location: str,
    arrived_on: Any,
    certificate_holder: str,
) -> dict[str, Any]:
    """Validate a received vehicle's fields (VIN apart); raises ValidationError keyed by field."""
    errors: dict[str, list] = {}
    out: dict[str, Any] = {"trim": trim}
    pairs = (("exterior", exterior, ColourKind.EXTERIOR), ("interior", interior, ColourKind.INTERIOR))
    for field, colour, kind in pairs:
        if colour is None:
            out[field] = None
        elif colour.trim_id != trim.pk:
            errors[field] = [
                gettext("The colour %(colour)s belongs to another trim; choose one of %(trim)s's colours.")
                % {"colour": colour.name, "trim": trim.name}
            ]
        elif colour.kind != kind:
            errors[field] = [
                _("This is an interior colour; choose an exterior one.")
                if kind == ColourKind.EXTERIOR
                else _("This is an exterior colour; choose an interior one.")
            ]
        else:
            out[field] = colour
    fitted = list(options or [])
    foreign = [option.name for option in fitted if option.trim_id != trim.pk]
    if foreign:
        errors["options"] = [
            gettext("The option %(option)s belongs to another trim; choose options of %(trim)s.")
            % {"option": foreign[0], "trim": trim.name}
        ]
    out["options"] = fitted
    if status not in RECEIVABLE_STATUSES:
        errors["status"] = [_("A vehicle is received in transit or in stock; reserve or sell it afterwards.")]
    out["status"] = status
    location = _text(location)
    if len(location) > 60:
        errors["location"] = [_too_long(60, len(location))]
    out["location"] = location
    arrived = _date(errors, "arrived_on", arrived_on, optional=True, message="")
    today = timezone.localdate()
    if arrived is not None and status == StockStatus.IN_STOCK and arrived > today:
        errors["arrived_on"] = [_("A vehicle in stock has already arrived: the arrival date cannot be in the future.")]
    if arrived is None and status == StockStatus.IN_STOCK and "arrived_on" not in errors:
        arrived = today
    out["arrived_on"] = arrived
    holder = _text(certificate_holder) or CertificateHolder.STORE
    if holder not in CertificateHolder.values:
        errors["certificate_holder"] = [_("Choose who holds the certificate of conformity: store, lender or carmaker.")]
    out["certificate_holder"] = holder
    _raise(errors)
    return out


@transaction.atomic
def stock_receive(
    *,
    actor: User,
    store: Store,
    vin: str,
    trim: Trim,
    exterior: Colour | None = None,
    interior: Colour | None = None,
    options: Iterable[Option] = (),
    status: str = StockStatus.IN_TRANSIT,
    location: str = "",
    arrived_on: datetime.date | str | None = None,
    certificate_holder: str = CertificateHolder.STORE,
) -> StockVehicle:
    """Register a vehicle in the store's stock (in transit or in stock). A VIN held anywhere already → 409."""
    _require(actor, "stock.manage", store)
    trim = Trim.objects.select_related("series__brand").get(pk=trim.pk)
    _check_sold(store, trim)
    errors: dict[str, list] = {}
    try:
        vin = clean_vin(vin)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        data = clean_stock_fields(
            store=store,
            trim=trim,
            exterior=exterior,
            interior=interior,
            options=options,
            status=status,
            location=location,
            arrived_on=arrived_on,
            certificate_holder=certificate_holder,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _raise(errors)
    existing = StockVehicle.objects.filter(vin=vin).select_related("store", "trim__series__brand").first()
    if existing is not None:
        raise vin_in_stock_error(existing, actor, store)
    fitted = data.pop("options")
    vehicle = StockVehicle(store=store, vin=vin, **data)
    try:
        with transaction.atomic():
            vehicle.save()
    except IntegrityError:
        existing = StockVehicle.objects.filter(vin=vin).select_related("store", "trim__series__brand").first()
        if existing is None:
            raise
        raise vin_in_stock_error(existing, actor, store) from None
    if fitted:
        vehicle.options.set(fitted)
    audit_record(
        actor=actor,
        action="stock.received",
        target=vehicle,
        diff={"vin": vin, "trim": trim.pk, "status": vehicle.status, "options": [o.pk for o in fitted]},
    )
    return vehicle


def stock_moves_allowed(vehicle: StockVehicle) -> list[str]:
    """The statuses the vehicle may move to now (what the UI offers)."""
    allowed = STOCK_MOVES.get(vehicle.status, set())
    if vehicle.is_demo and vehicle.demo_status != DemoStatus.RETIRED:
        allowed = allowed - {StockStatus.RESERVED, StockStatus.SOLD}
    return [status for status in StockStatus.values if status in allowed]


@transaction.atomic
def stock_change_status(*, actor: User, vehicle: StockVehicle, status: str) -> StockVehicle:
    """Move a vehicle along `choices.STOCK_MOVES`; a demo car in use is never reserved or sold."""
    vehicle = StockVehicle.objects.select_for_update().get(pk=vehicle.pk)
    _require(actor, "sales.sell", vehicle)
    if status not in StockStatus.values:
        raise ValidationError({"status": [_("Unknown stock status.")]})
    current = StockStatus(vehicle.status)
    target = StockStatus(status)
    if target not in STOCK_MOVES[current]:
        allowed = [StockStatus(s).label for s in StockStatus.values if s in STOCK_MOVES[current]]
        if allowed:
            message = gettext(
                "A vehicle that is “%(current)s” cannot become “%(target)s”; it can become: %(allowed)s."
            ) % {
                "current": current.label,
                "target": target.label,
                "allowed": "、".join(str(label) for label in allowed),
            }
        else:
            message = gettext("A vehicle that is “%(current)s” cannot change status any more.") % {
                "current": current.label
            }
        raise TransitionRefused(message, code="stock_move_refused", field="status")
    if (
        vehicle.is_demo
        and vehicle.demo_status != DemoStatus.RETIRED
        and target
        in (
            StockStatus.RESERVED,
            StockStatus.SOLD,
        )
    ):
        raise TransitionRefused(
            _("This is a demo car in use for test drives; retire it before reserving or selling it."),
            code="demo_car_in_use",
            field="status",
        )
    before = {"status": vehicle.status, "arrived_on": vehicle.arrived_on}
    vehicle.status = target
    if target == StockStatus.IN_STOCK and current == StockStatus.IN_TRANSIT:
        today = timezone.localdate()
        if vehicle.arrived_on is None or vehicle.arrived_on > today:
            vehicle.arrived_on = today
    vehicle.save(update_fields=["status", "arrived_on", "updated_at"])
    audit_record(
        actor=actor,
        action="stock.status_changed",
        target=vehicle,
        diff=diff_fields(before, {"status": vehicle.status, "arrived_on": vehicle.arrived_on}),
    )
    return vehicle


@transaction.atomic
def stock_update(*, actor: User, vehicle: StockVehicle, **fields: Any) -> StockVehicle:
    """Change where a vehicle stands (`location`) or who holds its certificate of conformity."""
    vehicle = StockVehicle.objects.select_for_update().get(pk=vehicle.pk)
    _require(actor, "stock.manage", vehicle)
    _unknown(fields, ("location", "certificate_holder"))
    errors: dict[str, list] = {}
    data: dict[str, Any] = {}
    if "location" in fields:
        data["location"] = _text(fields["location"])
        if len(data["location"]) > 60:
            errors["location"] = [_too_long(60, len(data["location"]))]
    if "certificate_holder" in fields:
        data["certificate_holder"] = _text(fields["certificate_holder"])
        if data["certificate_holder"] not in CertificateHolder.values:
            errors["certificate_holder"] = [
                _("Choose who holds the certificate of conformity: store, lender or carmaker.")
            ]
    _raise(errors)
    before = _snapshot(vehicle, data)
    for name, value in data.items():
        setattr(vehicle, name, value)
    vehicle.save(update_fields=[*data, "updated_at"])
    audit_record(actor=actor, action="stock.updated", target=vehicle, diff=diff_fields(before, data))
    return vehicle


# ---------------------------------------------------------------- demo cars


def _clean_plate(errors: dict, value: Any, *, vehicle: StockVehicle) -> str:
    try:
        plate = v.normalize_plate(_text(value))
    except ValidationError as exc:
        errors["plate"] = exc.messages
        return ""
    if StockVehicle.objects.filter(plate=plate).exclude(pk=vehicle.pk).exists():
        errors["plate"] = [gettext("The plate %(plate)s is already on another vehicle.") % {"plate": plate}]
    return plate


def _clean_insurance(errors: dict, value: Any) -> datetime.date | None:
    expires = _date(
        errors,
        "insurance_expires_on",
        value,
        optional=False,
        message=_("Enter the date the demo car's insurance expires."),
    )
    if expires is not None and expires < timezone.localdate():
        errors["insurance_expires_on"] = [
            _("This insurance has already expired; a demo car must be insured. Enter the renewed policy's expiry date.")
        ]
    return expires


def _clean_odometer(errors: dict, value: Any, *, current: int) -> int | None:
    reading = _int(
        errors,
        "odometer_km",
        value,
        low=0,
        high=MAX_ODOMETER,
        message=gettext("Enter the odometer reading in km (0–%(max)d).") % {"max": MAX_ODOMETER},
    )
    if reading is not None and reading < current:
        errors["odometer_km"] = [
            gettext("The odometer cannot go down: it reads %(current)d km, you entered %(value)d km.")
            % {"current": current, "value": reading}
        ]
    return reading


@transaction.atomic
def demo_car_flag(
    *,
    actor: User,
    vehicle: StockVehicle,
    plate: str,
    insurance_expires_on: datetime.date | str,
    odometer_km: int | str | None = None,
    demo_status: str = DemoStatus.AVAILABLE,
) -> StockVehicle:
    """Make a vehicle in stock a demo car (试驾车) with its plate, insurance expiry and odometer."""
    vehicle = StockVehicle.objects.select_for_update().get(pk=vehicle.pk)
    _require(actor, "fleet.manage", vehicle)
    if vehicle.is_demo:
        raise Conflict(_("This vehicle is already a demo car."), code="already_demo")
    if vehicle.status != StockStatus.IN_STOCK:
        raise TransitionRefused(
            gettext("Only a vehicle in stock can become a demo car (this one is “%(status)s”).")
            % {"status": vehicle.get_status_display()},
            code="demo_needs_in_stock",
        )
    errors: dict[str, list] = {}
    data = {
        "plate": _clean_plate(errors, plate, vehicle=vehicle),
        "insurance_expires_on": _clean_insurance(errors, insurance_expires_on),
        "odometer_km": vehicle.odometer_km
        if odometer_km in (None, "")
        else _clean_odometer(errors, odometer_km, current=vehicle.odometer_km),
    }
    if demo_status not in (DemoStatus.AVAILABLE, DemoStatus.MAINTENANCE):
        errors["demo_status"] = [_("A new demo car is available or in maintenance.")]
    _raise(errors)
    before = _snapshot(vehicle, [*data, "is_demo", "demo_status"])
    for name, value in {**data, "is_demo": True, "demo_status": demo_status}.items():
        setattr(vehicle, name, value)
    try:
        with transaction.atomic():
            vehicle.save()
    except IntegrityError:
        raise ValidationError({"plate": [_("This plate is already on another vehicle.")]}) from None
    audit_record(
        actor=actor,
        action="demo_car.flagged",
        target=vehicle,
        diff=diff_fields(before, _snapshot(vehicle, [*data, "is_demo", "demo_status"])),
    )
    return vehicle


def _demo(vehicle: StockVehicle) -> StockVehicle:
    if not vehicle.is_demo:
        raise TransitionRefused(_("This vehicle is not a demo car."), code="not_demo")
    return vehicle


@transaction.atomic
def demo_car_update(
    *,
    actor: User,
    vehicle: StockVehicle,
    plate: str | None = None,
    insurance_expires_on: datetime.date | str | None = None,
) -> StockVehicle:
    """Change a demo car's plate or its insurance expiry (after renewing the policy)."""
    vehicle = _demo(StockVehicle.objects.select_for_update().get(pk=vehicle.pk))
    _require(actor, "fleet.manage", vehicle)
    errors: dict[str, list] = {}
    data: dict[str, Any] = {}
    if plate is not None:
        data["plate"] = _clean_plate(errors, plate, vehicle=vehicle)
    if insurance_expires_on is not None:
        data["insurance_expires_on"] = _clean_insurance(errors, insurance_expires_on)
    _raise(errors)
    before = _snapshot(vehicle, data)
    for name, value in data.items():
        setattr(vehicle, name, value)
    try:
        with transaction.atomic():
            vehicle.save(update_fields=[*data, "updated_at"])
    except IntegrityError:
        raise ValidationError({"plate": [_("This plate is already on another vehicle.")]}) from None
    audit_record(actor=actor, action="demo_car.updated", target=vehicle, diff=diff_fields(before, data))
    return vehicle
