"""Reads of promotions and offers, always scoped to what the user may see; the offer engine's one loader."""

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.fields import CharField
from django.utils import timezone

from dealerdesk.accounts.models import Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.choices import StockStatus
from dealerdesk.catalog.models import Colour, MarkedPrice, Option, StockVehicle, Trim
from dealerdesk.catalog.selectors import store_sells_trim, trims_sold_by

from . import engine
from .models import Offer, OfferLine, OfferPolicy, OfferVersion, Promotion

# Promotions that ended or start within this many days are still listed (with their reason) in the builder.
LISTED_AROUND_DAYS = 30
# The engine's promotion facts are named after the model's columns, in the order values_list returns them.
PROMOTION_FIELDS = tuple(f.name for f in fields(engine.PromotionFacts))


def local_today(store: Store, now: datetime | None = None) -> date:
    """The store's calendar day at `now`."""
    return timezone.localtime(now or timezone.now(), store.tz).date()


def store_sells(store: Store, trim: Trim) -> bool:
    """A store sells a trim when the trim's brand is among the store's brands (the catalogue's one rule)."""
    return store_sells_trim(store, trim)


# ---------------------------------------------------------------- promotions


def _promotion_scope_q(store_ids: Iterable[int], group_ids: Iterable[int]) -> Q:
    return Q(store_id__in=list(store_ids)) | Q(store__isnull=True, group_id__in=list(group_ids))


def promotion_visible_to(user) -> QuerySet[Promotion]:
    """Promotions of the stores where the user sells or manages, with the group-wide ones of their groups."""
    if not getattr(user, "is_authenticated", False):
        return Promotion.objects.none()
    qs = Promotion.objects.select_related("store", "group", "brand", "series", "trim")
    ids = user.visible_store_ids()
    if ids is None:
        return qs
    stores = [
        s
        for s in Store.objects.filter(pk__in=ids, is_active=True).only("id", "group_id")
        if user_can(user, "sales.sell", s) or user_can(user, "store.manage", s)
    ]
    return qs.filter(_promotion_scope_q((s.pk for s in stores), {s.group_id for s in stores}))


def promotion_managed_by(user) -> QuerySet[Promotion]:
    """Promotions of the stores the user manages (store administrators), with the group-wide ones."""
    if not getattr(user, "is_authenticated", False):
        return Promotion.objects.none()
    qs = Promotion.objects.select_related("store", "brand", "series__brand", "trim__series__brand")
    ids = user.visible_store_ids()
    if ids is None:
        return qs
    stores = [s for s in Store.objects.filter(pk__in=ids, is_active=True) if user_can(user, "store.manage", s)]
    return qs.filter(_promotion_scope_q((s.pk for s in stores), {s.group_id for s in stores}))


def promotions_for_store(store: Store) -> QuerySet[Promotion]:
    """The store's own promotions and the group-wide ones."""
    return Promotion.objects.filter(_promotion_scope_q([store.pk], [store.group_id]))


def promotion_facts(row: dict) -> engine.PromotionFacts:
    return engine.PromotionFacts(**{**row, "cities": tuple(row["cities"] or ())})


_CITIES = PROMOTION_FIELDS.index("cities")


def _load_promotions(store: Store, q: Q) -> list[engine.PromotionFacts]:
    rows = promotions_for_store(store).filter(q).order_by("id").values_list(*PROMOTION_FIELDS)
    # Positional construction: hundreds of rows per offer, so no dict per row.
    facts = engine.PromotionFacts
    return [facts(*row[:_CITIES], tuple(row[_CITIES] or ()), *row[_CITIES + 1 :]) for row in rows]


# Process-local cache of a store's listed promotions. The key holds the promotions' version (count, last change,
# last id), read in the same query as the trim, so a change anywhere (a service, the admin, a used-up budget)
# is seen by the very next offer. It saves turning a few hundred rows into objects on every recalculation.
_LISTED_CACHE: OrderedDict[tuple, list[engine.PromotionFacts]] = OrderedDict()
_LISTED_CACHE_SIZE = 128


def _listed_promotions(
    store: Store, today: date, also_ids: Sequence[int] = (), *, version: tuple | None = None
) -> list[engine.PromotionFacts]:
    """The store's promotions worth listing today (running, or ended/starting within a month), and `also_ids`."""
    around = timedelta(days=LISTED_AROUND_DAYS)
    near = Q(is_active=True, ends_on__gte=today - around, starts_on__lte=today + around)
    key = (store.pk, store.group_id, today, version)
    listed = _LISTED_CACHE.get(key) if version is not None else None
    if listed is None:
        listed = _load_promotions(store, near)
        if version is not None:
            _LISTED_CACHE[key] = listed
            while len(_LISTED_CACHE) > _LISTED_CACHE_SIZE:
                _LISTED_CACHE.popitem(last=False)
    missing = set(also_ids) - {p.id for p in listed} if also_ids else set()
    if missing:
        listed = listed + _load_promotions(store, Q(pk__in=sorted(missing)))
    return listed


def _promotions_version(store: Store) -> dict:
    """Annotations that change whenever any promotion of the store (or its group) changes."""
    scoped = promotions_for_store(store).order_by().values("group_id")
    return {
        "promo_count": Subquery(scoped.annotate(n=Count("pk")).values("n")[:1]),
        "promo_changed": Subquery(scoped.annotate(m=Max("updated_at")).values("m")[:1]),
        "promo_last": Subquery(scoped.annotate(m=Max("pk")).values("m")[:1]),
    }


# ---------------------------------------------------------------- the engine's loader


@dataclass
class OfferInputs:
    """Everything an offer computation needs, loaded in at most 4 queries."""

    trim: Trim | None
    marked_price_id: int | None = None
    marked_price: Decimal | None = None
    colour: engine.Item | None = None
    colour_trim_id: int | None = None
    options: list[engine.Item] = field(default_factory=list)
    options_of_other_trims: list[int] = field(default_factory=list)
    unknown_options: list[int] = field(default_factory=list)
    stock_vehicle_id: int | None = None
    stock_arrived_on: date | None = None
    promotions: list[engine.PromotionFacts] = field(default_factory=list)
    today: date | None = None

    def vehicle(self) -> engine.VehicleFacts:
        """The engine's view of the vehicle (call only after the inputs were validated)."""
        age = (self.today - self.stock_arrived_on).days if self.stock_arrived_on and self.today else None
        return engine.VehicleFacts(
            trim_id=self.trim.pk,
            series_id=self.trim.series_id,
            brand_id=self.trim.series.brand_id,
            label=str(self.trim),
            marked_price_id=self.marked_price_id,
            marked_price=self.marked_price,
            colour=self.colour,
            options=tuple(self.options),
            stock_age_days=age,
            stock_vehicle_id=self.stock_vehicle_id,
        )


def _marked_price_in_force(store_id: int, now: datetime) -> QuerySet[MarkedPrice]:
    return MarkedPrice.objects.filter(store_id=store_id, trim_id=OuterRef("pk"), valid_from__lte=now).order_by(
        "-valid_from", "-id"
    )


def _stock_for_age(store_id: int, stock_vehicle_id: int | None) -> QuerySet[StockVehicle]:
    """The vehicle whose stock age counts: the chosen one, else the longest-standing one in stock."""
    qs = StockVehicle.objects.filter(store_id=store_id, trim_id=OuterRef("pk"))
    if stock_vehicle_id is not None:
        return qs.filter(pk=stock_vehicle_id)
    return qs.filter(status=StockStatus.IN_STOCK, is_demo=False, arrived_on__isnull=False).order_by("arrived_on", "id")


def trims_with_prices(store: Store, now: datetime) -> QuerySet[Trim]:
    """Trims annotated with the store's marked price in force (`mp_id`, `mp_price`)."""
    in_force = _marked_price_in_force(store.pk, now)
    return Trim.objects.select_related("series__brand").annotate(
        mp_id=Subquery(in_force.values("id")[:1]), mp_price=Subquery(in_force.values("price")[:1])
    )


def offer_inputs_load(
    store: Store,
    *,
    trim_id: int,
    colour_id: int | None = None,
    option_ids: Sequence[int] = (),
    promotion_ids: Sequence[int] = (),
    stock_vehicle_id: int | None = None,
    now: datetime | None = None,
) -> OfferInputs:
    """The trim with its marked price in force and stock age, the chosen colour and options, and the promotions.

    At most four queries: the trim with its price, stock age and the promotions' version; colour and options
    together; the promotions (skipped when unchanged since the last offer of the store); hand-picked promotions
    that are not listed (an old or another store's id, to say why it cannot apply).
    """
    now = now or timezone.now()
    today = local_today(store, now)
    stock = _stock_for_age(store.pk, stock_vehicle_id)
    trim = (
        trims_with_prices(store, now)
        .annotate(
            sv_id=Subquery(stock.values("id")[:1]),
            sv_arrived=Subquery(stock.values("arrived_on")[:1]),
            **_promotions_version(store),
        )
        .filter(pk=trim_id)
        .first()
    )
    inputs = OfferInputs(trim=trim, today=today)
    if trim is None:
        return inputs
    inputs.marked_price_id, inputs.marked_price = trim.mp_id, trim.mp_price
    inputs.stock_vehicle_id = trim.sv_id
    inputs.stock_arrived_on = trim.sv_arrived
    if isinstance(inputs.stock_arrived_on, str):  # SQLite hands back a subquery's date as text
        inputs.stock_arrived_on = date.fromisoformat(inputs.stock_arrived_on)
    option_ids = list(dict.fromkeys(option_ids))
    if colour_id is not None or option_ids:
        text = CharField()
        colours = (
            Colour.objects.filter(pk=colour_id if colour_id is not None else -1)
            .order_by()
            .values_list(Value("c", output_field=text), "id", "trim_id", "name", "code", F("extra_price"))
        )
        options = (
            Option.objects.filter(pk__in=option_ids or [-1])
            .order_by()
            .values_list(Value("o", output_field=text), "id", "trim_id", "name", "code", F("price"))
        )
        found_options = set()
        for tag, pk, of_trim, name, code, price in colours.union(options, all=True).order_by():
            item = engine.Item(id=pk, name=name, price=engine.money(price), code=code)
            if tag == "c":
                inputs.colour, inputs.colour_trim_id = item, of_trim
            elif of_trim == trim.pk:
                found_options.add(pk)
                inputs.options.append(item)
            else:
                found_options.add(pk)
                inputs.options_of_other_trims.append(pk)
        inputs.options.sort(key=lambda o: option_ids.index(o.id))
        inputs.unknown_options = [pk for pk in option_ids if pk not in found_options]
    version = (trim.promo_count, str(trim.promo_changed), trim.promo_last)
    inputs.promotions = _listed_promotions(store, today, promotion_ids, version=version)
    return inputs


# ---------------------------------------------------------------- the best discount, for the recommendation


def best_discount_for(store: Store, trim: Trim, now: datetime | None = None) -> Decimal:
    """The price reduction of the best combination for a neutral customer, vehicle only (no colour or options).

    A neutral customer has no trade-in, no loan, is not a first-time buyer and has no known city, so promotions
    with conditions are left out. Zero when the store has no marked price in force for the trim.
    """
    return best_discounts_for(store, [trim.pk], now).get(trim.pk, engine.ZERO)


def best_discounts_for(
    store: Store,
    trim_ids: Iterable[int],
    now: datetime | None = None,
    customer: engine.CustomerContext | None = None,
) -> dict[int, Decimal]:
    """`best_discount_for` of many trims in two queries: {trim id: price reduction}.

    With `customer` (`services.customer_context_for`), the reduction of the offer that customer would get for the
    trim without colour or options: the same loaded facts and the same `engine.best_price` as `services.offer_quote`
    (issue #10.8: the recommendation's "after discounts" equals the offer made from it)."""
    now = now or timezone.now()
    today = local_today(store, now)
    stock = _stock_for_age(store.pk, None)
    in_force = _marked_price_in_force(store.pk, now)
    trims = list(
        Trim.objects.filter(pk__in=list(trim_ids))
        .annotate(
            mp_id=Subquery(in_force.values("id")[:1]),
            mp_price=Subquery(in_force.values("price")[:1]),
            sv_id=Subquery(stock.values("id")[:1]),
            sv_arrived=Subquery(stock.values("arrived_on")[:1]),
        )
        .values("id", "series_id", "series__brand_id", "mp_id", "mp_price", "sv_id", "sv_arrived")
    )
    # Only promotions running today can be chosen (and, for a neutral customer, only those without conditions);
    # judging the rest per trim would be wasted work.
    usable = [
        p
        for p in _listed_promotions(store, today)
        if p.starts_on <= today <= p.ends_on
        and (customer is not None or not (p.requires_trade_in or p.requires_loan or p.requires_first_car or p.cities))
    ]
    result: dict[int, Decimal] = {}
    for row in trims:
        if row["mp_price"] is None:
            result[row["id"]] = engine.ZERO
            continue
        arrived = row["sv_arrived"]
        if isinstance(arrived, str):
            arrived = date.fromisoformat(arrived)
        vehicle = engine.VehicleFacts(
            trim_id=row["id"],
            series_id=row["series_id"],
            brand_id=row["series__brand_id"],
            label="",
            marked_price_id=row["mp_id"],
            marked_price=engine.money(row["mp_price"]),
            stock_age_days=(today - arrived).days if arrived else None,
            stock_vehicle_id=row["sv_id"],
        )
        in_scope = [
            p
            for p in usable
            if (p.brand_id is None or p.brand_id == vehicle.brand_id)
            and (p.series_id is None or p.series_id == vehicle.series_id)
            and (p.trim_id is None or p.trim_id == vehicle.trim_id)
        ]
        _judged, _best, lines = engine.best_price(in_scope, vehicle, customer or engine.NEUTRAL, today)
        result[row["id"]] = vehicle.vehicle_price - lines.total
    return result


# ---------------------------------------------------------------- offers


def _offer_scope_q(user) -> Q | None:
    """Q over Offer: the whole store for managers, own offers (or own customers') for consultants."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    ids = user.visible_store_ids()
    if ids is None:
        return None
    whole = [s for s in ids if user_can(user, "customers.view_store", s) or user_can(user, "sales.approve_discount", s)]
    own = [s for s in ids if s not in whole and user_can(user, "sales.sell", s)]
    q = Q(pk__in=[])
    if whole:
        q |= Q(store_id__in=whole)
    if own:
        q |= Q(store_id__in=own) & (Q(consultant_id=user.pk) | Q(customer__owner_id=user.pk))
    return q


def offer_visible_to(user) -> QuerySet[Offer]:
    """Offers the user may open: a consultant's own, the whole store's for managers."""
    qs = Offer.objects.all()
    q = _offer_scope_q(user)
    return qs if q is None else qs.filter(q)


def offer_list_for(user) -> QuerySet[Offer]:
    """The offer list: visible offers with what each row shows."""
    return offer_visible_to(user).select_related(
        "customer", "consultant", "store", "current__trim__series__brand", "current__colour"
    )


def offer_get(user, pk: int) -> Offer:
    """One visible offer with its current version, or Offer.DoesNotExist (shown as 404)."""
    return offer_list_for(user).select_related("current__created_by", "current__decided_by").get(pk=pk)


def offer_detail(user, pk: int, *, version: int | None = None) -> dict:
    """The offer, every version (newest first) and the lines of the one shown, in a fixed number of queries."""
    offer = offer_get(user, pk)
    versions = list(
        OfferVersion.objects.filter(offer=offer)
        .select_related("created_by", "decided_by", "trim__series__brand", "colour")
        .order_by("-number")
    )
    shown = next((v for v in versions if v.number == version), None) if version else None
    shown = shown or next((v for v in versions if v.pk == offer.current_id), versions[0])
    lines = list(OfferLine.objects.filter(version=shown).select_related("promotion").order_by("position"))
    return {"offer": offer, "versions": versions, "shown": shown, "lines": lines}


def offers_with_lines(queryset: QuerySet[Offer]) -> QuerySet[Offer]:
    """Offers with their current version's lines prefetched (for the API)."""
    return queryset.prefetch_related(
        Prefetch("current__lines", queryset=OfferLine.objects.order_by("position"), to_attr="ordered_lines")
    )


def offers_pending_for(user, store: Store) -> QuerySet[Offer]:
    """Offers of a store waiting for this manager's decision."""
    if not user_can(user, "sales.approve_discount", store):
        return Offer.objects.none()
    return offer_list_for(user).filter(store=store, status="pending_approval")


def offer_policy_for(store: Store | int) -> OfferPolicy:
    """The store's offer policy; the defaults (unsaved) when the store has none yet."""
    store_id = store if isinstance(store, int) else store.pk
    return OfferPolicy.objects.filter(store_id=store_id).first() or OfferPolicy(store_id=store_id)


def trims_for_offer(store: Store, now: datetime | None = None) -> list[Trim]:
    """Trims the store sells with a marked price in force, for the builder's picker."""
    now = now or timezone.now()
    in_force = _marked_price_in_force(store.pk, now)
    trims = trims_sold_by(store).annotate(
        mp_id=Subquery(in_force.values("id")[:1]), mp_price=Subquery(in_force.values("price")[:1])
    )
    return list(trims.filter(mp_price__isnull=False))


def trim_choices(trim_id: int) -> dict:
    """Colours (exterior and interior) and options of a trim, for the builder."""
    colours = list(Colour.objects.filter(trim_id=trim_id).order_by("kind", "extra_price", "id"))
    return {
        "colours": colours,
        "options": list(Option.objects.filter(trim_id=trim_id).order_by("price", "id")),
    }
