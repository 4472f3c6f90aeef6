"""Reads of the catalogue, marked prices and stock. Stock is scoped to the user's stores; the catalogue is shared.

A store sells a brand when `Store.brands` lists the brand's code (the canonical form) or, for stores set up
before codes were used, its name.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.utils import timezone

from dealerdesk.accounts.models import Store
from dealerdesk.core.scoping import scope_to_stores

from .models import Brand, Colour, MarkedPrice, Option, Series, StockVehicle, Trim

PRICE_HISTORY_SIZE = 20
TRIM_STOCK_SIZE = 50


def _store_brand_keys(store: Store) -> list[str]:
    return [str(b) for b in (store.brands or []) if b]


def brand_filter(store: Store, *, prefix: str = "") -> Q:
    """A Q matching rows whose brand (reached through `prefix`, e.g. "series__brand__") the store sells."""
    keys = _store_brand_keys(store)
    return Q(**{f"{prefix}code__in": keys}) | Q(**{f"{prefix}name__in": keys})


def store_sells_brand(store: Store, brand: Brand) -> bool:
    """Whether the store sells the brand (its code or name is in `Store.brands`)."""
    keys = _store_brand_keys(store)
    return brand.code in keys or brand.name in keys


def store_sells_trim(store: Store, trim: Trim) -> bool:
    """Whether the store sells the trim's brand (the trim itself may be off sale)."""
    return store_sells_brand(store, trim.series.brand)


def brands_sold_by(store: Store) -> QuerySet[Brand]:
    """The brands the store sells."""
    return Brand.objects.filter(brand_filter(store))


def trims_sold_by(store: Store) -> QuerySet[Trim]:
    """Trims on sale (trim and series active) of the brands the store sells, with series and brand joined."""
    return (
        Trim.objects.filter(brand_filter(store, prefix="series__brand__"), is_active=True, series__is_active=True)
        .select_related("series__brand")
        .order_by("series__brand__code", "series__code", "msrp", "id")
    )


def _price_subquery(store: Store | int, at: datetime.datetime, *, trim_ref: str = "pk") -> Subquery:
    store_id = store.pk if isinstance(store, Store) else store
    newest = MarkedPrice.objects.filter(store_id=store_id, trim_id=OuterRef(trim_ref), valid_from__lte=at).order_by(
        "-valid_from", "-id"
    )
    return Subquery(newest.values("price")[:1], output_field=DecimalField(max_digits=12, decimal_places=2))


def with_marked_price(trims: QuerySet[Trim], store: Store | None, at: datetime.datetime | None = None) -> QuerySet:
    """Annotate each trim with `marked_price`: the store's price in force at `at` (None when not set or no store)."""
    if store is None:
        return trims.annotate(marked_price=Value(None, output_field=DecimalField(max_digits=12, decimal_places=2)))
    return trims.annotate(marked_price=_price_subquery(store, at or timezone.now()))


def marked_price_in_force(store: Store, trim: Trim | int, at: datetime.datetime | None = None) -> MarkedPrice | None:
    """The store's marked price of the trim in force at `at` (default now): the newest with valid_from ≤ at."""
    trim_id = trim.pk if isinstance(trim, Trim) else trim
    return (
        MarkedPrice.objects.filter(store=store, trim_id=trim_id, valid_from__lte=at or timezone.now())
        .order_by("-valid_from", "-id")
        .first()
    )


def marked_prices_in_force(
    store: Store, trims: Iterable[Trim | int], at: datetime.datetime | None = None
) -> dict[int, Decimal]:
    """{trim id: marked price in force} for many trims in one query; trims without a price are left out."""
    ids = {t.pk if isinstance(t, Trim) else int(t) for t in trims}
    if not ids:
        return {}
    rows = (
        Trim.objects.filter(pk__in=ids)
        .annotate(marked_price=_price_subquery(store, at or timezone.now()))
        .values_list("pk", "marked_price")
    )
    return {pk: price for pk, price in rows if price is not None}


def marked_price_history(store: Store, trim: Trim, *, limit: int = PRICE_HISTORY_SIZE) -> list[MarkedPrice]:
    """The store's marked prices of the trim, newest first (future ones included), with who set them."""
    return list(
        MarkedPrice.objects.filter(store=store, trim=trim)
        .select_related("set_by")
        .order_by("-valid_from", "-id")[:limit]
    )


@dataclass
class SeriesNode:
    series: Series
    trims: list[Trim] = field(default_factory=list)


@dataclass
class BrandNode:
    brand: Brand
    series: list[SeriesNode] = field(default_factory=list)

    @property
    def trim_count(self) -> int:
        return sum(len(node.trims) for node in self.series)


def catalog_tree(trims: QuerySet[Trim] | None = None) -> list[BrandNode]:
    """Brands → series → trims built from one query over `trims` (default: every trim on sale)."""
    if trims is None:
        trims = Trim.objects.filter(is_active=True, series__is_active=True)
    rows = trims.select_related("series__brand").order_by("series__brand__code", "series__code", "msrp", "id")
    brands: dict[int, BrandNode] = {}
    series: dict[int, SeriesNode] = {}
    for trim in rows:
        brand_node = brands.get(trim.series.brand_id)
        if brand_node is None:
            brand_node = brands[trim.series.brand_id] = BrandNode(trim.series.brand)
        series_node = series.get(trim.series_id)
        if series_node is None:
            series_node = series[trim.series_id] = SeriesNode(trim.series)
            brand_node.series.append(series_node)
        series_node.trims.append(trim)
    return list(brands.values())


def trim_get(pk: int) -> Trim:
    """One trim with its series, brand, colours and options (3 queries); raises Trim.DoesNotExist."""
    return (
        Trim.objects.select_related("series__brand")
        .prefetch_related(
            Prefetch("colours", queryset=Colour.objects.order_by("kind", "extra_price", "id")),
            Prefetch("options", queryset=Option.objects.order_by("price", "id")),
        )
        .get(pk=pk)
    )


def trims_with_details(trims: QuerySet[Trim]) -> QuerySet[Trim]:
    """Trims with series, brand, colours and options loaded (for API lists)."""
    return trims.select_related("series__brand").prefetch_related(
        Prefetch("colours", queryset=Colour.objects.order_by("kind", "extra_price", "id")),
        Prefetch("options", queryset=Option.objects.order_by("price", "id")),
    )


# ---------------------------------------------------------------- stock


def stock_visible_to(user) -> QuerySet[StockVehicle]:
    """Stock vehicles of the stores the user may see, with trim, series, brand and colours joined."""
    return scope_to_stores(StockVehicle.objects.all(), user).select_related(
        "store", "trim__series__brand", "exterior", "interior"
    )


def stock_get(user, pk: int) -> StockVehicle:
    """One visible stock vehicle with its fitted options; raises StockVehicle.DoesNotExist when not visible."""
    return stock_visible_to(user).prefetch_related("options").get(pk=pk)


def demo_cars_visible_to(user) -> QuerySet[StockVehicle]:
    """Demo cars (stock vehicles flagged for test drives) of the stores the user may see."""
    return stock_visible_to(user).filter(is_demo=True)


def stock_of_trim(store: Store, trim: Trim, *, limit: int = TRIM_STOCK_SIZE) -> list[StockVehicle]:
    """The store's vehicles of a trim that are not delivered yet, newest first."""
    return list(
        StockVehicle.objects.filter(store=store, trim=trim)
        .exclude(status="delivered")
        .select_related("exterior", "interior")
        .order_by("-id")[:limit]
    )


def stock_counts_by_trim(store: Store, trim_ids: Iterable[int] | None = None) -> dict[int, int]:
    """{trim id: vehicles in stock or in transit, demo cars excluded} for the store, in one query."""
    qs = StockVehicle.objects.filter(store=store, status__in=["in_stock", "in_transit"], is_demo=False)
    if trim_ids is not None:
        qs = qs.filter(trim_id__in=list(trim_ids))
    return dict(qs.values_list("trim_id").annotate(n=Count("id")).values_list("trim_id", "n"))


def insurance_expiring(vehicle: StockVehicle, *, days: int = 30, today: datetime.date | None = None) -> bool:
    """Whether a demo car's insurance expires (or has expired) within `days` days."""
    if not vehicle.insurance_expires_on:
        return False
    today = today or timezone.localdate()
    return vehicle.insurance_expires_on <= today + datetime.timedelta(days=days)
