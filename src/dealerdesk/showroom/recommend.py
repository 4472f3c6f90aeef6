"""The recommendation engine: pure functions over plain data (no database), so it scores thousands of trims fast.

`rank(needs, trims)` gives every trim a fit score (0–100) and the explicit reasons behind it: what fits
("within budget", "7 seats as needed") and what does not ("¥12,000 over budget after discounts"). Trims that
meet the hard needs (seats, body type, budget within 15 %) come first; among them the ones in stock, then in
transit, then orderable; then by score. The selector `selectors.recommendations_for` loads the data.
"""

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _

from dealerdesk.customers.choices import BodyType, EnergyType

FIT, TRADE_OFF, INFO = "fit", "trade_off", "info"
IN_STOCK, IN_TRANSIT, ORDERABLE = "in_stock", "in_transit", "orderable"
AVAILABILITY_ORDER = {IN_STOCK: 0, IN_TRANSIT: 1, ORDERABLE: 2}
LONG_DISTANCE_KM = 25_000
HIGH_MILEAGE_KM = 20_000
LONG_RANGE_KM = 600
TOLERANCE = 0.15  # 15 % over the top of the budget scores nothing on budget (and misses a hard need)
PLUG_IN = {EnergyType.PHEV, EnergyType.EREV}

WEIGHTS = {
    "budget": 30,
    "energy": 20,
    "seats": 15,
    "body": 15,
    "usage": 10,
    "features": 10,
    "availability": 5,
}

# code → sentence. Parameters are filled in when the text is rendered (only for the trims shown).
MESSAGES: dict[str, Any] = {
    "within_budget": _("Within budget: %(price)s after discounts"),
    "within_budget_list": _("Within budget: %(price)s before promotions"),
    "over_budget": _("%(amount)s over budget after discounts"),
    "over_budget_list": _("%(amount)s over budget before promotions"),
    "below_budget": _("%(amount)s below the budget range: a higher trim is affordable"),
    "energy_match": _("%(energy)s as preferred"),
    "energy_other": _("%(energy)s, not one of the preferred energy types"),
    "no_charger_plug_in": _("No home charger: %(kind)s preferred over BEV"),
    "no_charger_bev": _("No home charger: a BEV depends on public charging"),
    "no_charger_fuel": _("No home charger needed"),
    "home_charger_bev": _("Home charger available: cheap charging at home"),
    "seats_match": _("%(seats)s seats as needed"),
    "seats_more": _("%(seats)s seats (%(needed)s needed)"),
    "seats_short": _("Only %(seats)s seats, %(needed)s needed"),
    "body_match": _("%(body)s as wanted"),
    "body_other": _("%(body)s instead of the %(wanted)s wanted"),
    "range_long": _("%(km)s km electric range for long trips"),
    "range_short": _("%(km)s km electric range may be short for long trips"),
    "range_daily": _("%(km)s km electric range covers daily driving"),
    "no_range_worry": _("No range worries on long trips"),
    "electric_commute": _("%(km)s km on electricity covers the daily commute"),
    "fuel_cost": _("%(litres)s L/100 km: higher running costs at %(km)s km a year"),
    "economical": _("Economical: %(litres)s L/100 km"),
    "has_feature": _("Has %(feature)s"),
    "lacks_feature": _("No %(feature)s"),
    "in_stock": _("In stock: %(count)s available"),
    "in_transit": _("Arriving soon: %(count)s in transit"),
    "orderable": _("Not in stock: factory order"),
    "wait_too_long": _("Not in stock, but the customer wants the car within a week"),
    "msrp_used": _("No marked price set: the MSRP is used"),
}


@dataclass(frozen=True)
class Needs:
    """What the customer asked for; every field is optional."""

    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    body_type: str = ""
    seats: int | None = None
    energy_types: tuple[str, ...] = ()
    usage: str = ""
    annual_km: int | None = None
    home_charging: bool | None = None
    timeframe: str = ""
    payment_method: str = ""
    trade_in: bool = False
    must_have: tuple[str, ...] = ()


@dataclass(slots=True)
class TrimFacts:
    """A trim as the engine sees it: specs, the price basis, the best discount (None: not known) and stock."""

    id: int
    name: str
    energy_type: str
    body_type: str
    seats: int
    price: Decimal
    price_basis: str = "marked"  # "marked" (标价 in force) or "msrp" (no marked price set)
    discount: Decimal | None = None
    in_stock: int = 0
    in_transit: int = 0
    electric_range_km: int | None = None
    fuel_l_per_100km: Decimal | None = None
    power_kw: int | None = None
    key_features: tuple[str, ...] = ()

    @property
    def net_price(self) -> Decimal:
        return self.price if self.discount is None else self.price - self.discount

    @property
    def availability(self) -> str:
        if self.in_stock:
            return IN_STOCK
        return IN_TRANSIT if self.in_transit else ORDERABLE


class Reason(NamedTuple):
    kind: str  # fit | trade_off | info
    code: str
    params: tuple = ()

    @property
    def text(self) -> str:
        return render(self)


@dataclass(slots=True)
class Ranked:
    trim: TrimFacts
    score: int
    blocking: bool
    reasons: list[Reason]
    key: tuple = ()
    best_case: tuple = ()  # the key if promotions brought the trim within budget (for lazy pricing)

    def sort_key(self) -> tuple:
        return self.key


def money(value: Decimal) -> str:
    """¥12,000 (cents only when there are any)."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"¥{value:,.0f}"
    return f"¥{value:,.2f}"


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def render(reason: Reason) -> str:
    """The reason as a sentence in the active language."""
    params = dict(reason.params)
    for key in ("price", "amount"):
        if key in params:
            params[key] = money(params[key])
    if "energy" in params:
        params["energy"] = _label(EnergyType, params["energy"])
    for key in ("body", "wanted"):
        if key in params:
            params[key] = _label(BodyType, params[key])
    if "km" in params:
        params["km"] = f"{params['km']:,}"
    message = str(MESSAGES[reason.code])
    return message % params if params else message


def _silent(kind: str, code: str, params: tuple = ()) -> None:
    """Scoring without reasons: nothing is kept."""


def _explainer(reasons: list[Reason]):
    def add(kind: str, code: str, params: tuple = ()) -> None:
        reasons.append(Reason(kind, code, params))

    return add


def score_trim(needs: Needs, trim: TrimFacts, *, explain: bool = True) -> Ranked:
    """The fit score of one trim and its reasons. Criteria the customer said nothing about are left out.

    The budget is judged on the price after the best promotion when `trim.discount` is known, else on the marked
    price ("before promotions"). Without `explain` only the score is computed (ranking thousands of trims).
    """
    earned = 0.0
    possible = 0
    blocking = False
    budget_earned = 0.0
    budget_blocking = False
    reasons: list[Reason] = []
    add = _explainer(reasons) if explain else _silent
    net = trim.net_price

    if needs.budget_max is not None or needs.budget_min is not None:
        weight = WEIGHTS["budget"]
        possible += weight
        suffix = "_list" if trim.discount is None else ""
        if needs.budget_max is not None and net > needs.budget_max:
            over = net - needs.budget_max
            share = float(over / needs.budget_max) if needs.budget_max else 1.0
            budget_earned = weight * max(0.0, 1 - share / TOLERANCE)
            budget_blocking = share > TOLERANCE
            add(TRADE_OFF, "over_budget" + suffix, (("amount", over),))
        elif needs.budget_min is not None and net < needs.budget_min:
            under = needs.budget_min - net
            budget_earned = weight * max(0.5, 1 - float(under / needs.budget_min))
            add(INFO, "below_budget", (("amount", under),))
        else:
            budget_earned = weight
            add(FIT, "within_budget" + suffix, (("price", net),))

    wanted_energy = needs.energy_types
    if wanted_energy or needs.home_charging is not None:
        weight = WEIGHTS["energy"]
        possible += weight
        points = float(weight)
        energy = trim.energy_type
        if wanted_energy:
            if energy in wanted_energy:
                add(FIT, "energy_match", (("energy", energy),))
            else:
                points = weight * 0.3
                add(TRADE_OFF, "energy_other", (("energy", energy),))
        if needs.home_charging is False:
            if energy == EnergyType.BEV:
                points *= 0.3
                add(TRADE_OFF, "no_charger_bev")
            elif energy in PLUG_IN:
                points = max(points, weight * 0.8)
                add(FIT, "no_charger_plug_in", (("kind", energy.upper()),))
            elif not wanted_energy:
                points = weight * 0.8
                add(FIT, "no_charger_fuel")
        elif needs.home_charging and energy == EnergyType.BEV:
            add(FIT, "home_charger_bev")
        earned += points

    if needs.seats:
        weight = WEIGHTS["seats"]
        possible += weight
        if trim.seats == needs.seats:
            earned += weight
            add(FIT, "seats_match", (("seats", trim.seats),))
        elif trim.seats > needs.seats:
            earned += weight * 0.8
            add(FIT, "seats_more", (("seats", trim.seats), ("needed", needs.seats)))
        else:
            blocking = True
            add(TRADE_OFF, "seats_short", (("seats", trim.seats), ("needed", needs.seats)))

    if needs.body_type:
        weight = WEIGHTS["body"]
        possible += weight
        if trim.body_type == needs.body_type:
            earned += weight
            add(FIT, "body_match", (("body", trim.body_type),))
        else:
            blocking = True
            add(TRADE_OFF, "body_other", (("body", trim.body_type), ("wanted", needs.body_type)))

    if needs.usage or needs.annual_km:
        weight = WEIGHTS["usage"]
        possible += weight
        earned += _usage(needs, trim, weight, add)

    if needs.must_have:
        weight = WEIGHTS["features"]
        possible += weight
        features = [f.casefold() for f in trim.key_features]
        matched = 0
        for wanted in needs.must_have:
            key = wanted.casefold().strip()
            if key and any(key in f for f in features):
                matched += 1
                add(FIT, "has_feature", (("feature", wanted),))
            else:
                add(TRADE_OFF, "lacks_feature", (("feature", wanted),))
        earned += weight * matched / len(needs.must_have)

    weight = WEIGHTS["availability"]
    possible += weight
    if trim.in_stock:
        availability = 0
        earned += weight
        add(FIT, "in_stock", (("count", trim.in_stock),))
    else:
        availability = 1 if trim.in_transit else 2
        if needs.timeframe == "week":
            add(TRADE_OFF, "wait_too_long")
        elif availability == 1:
            earned += weight * 0.6
            add(INFO, "in_transit", (("count", trim.in_transit),))
        else:
            earned += weight * 0.2
            add(INFO, "orderable")
    if trim.price_basis == "msrp":
        add(INFO, "msrp_used")

    score = round(100 * (earned + budget_earned) / possible) if possible else 0
    # Ties go to the lower marked price (not the net one), so a promotion moves a trim only through its score.
    key = (blocking or budget_blocking, availability, -score, trim.price, trim.id)
    if budget_earned < WEIGHTS["budget"] and (needs.budget_max is not None or needs.budget_min is not None):
        best = round(100 * (earned + WEIGHTS["budget"]) / possible)
        best_case = (blocking, availability, -best, trim.price, trim.id)
    else:
        best_case = key
    return Ranked(trim, score, blocking or budget_blocking, reasons, key, best_case)


def _usage(needs: Needs, trim: TrimFacts, weight: int, add) -> float:
    long_distance = needs.usage == "long_trips" or (needs.annual_km or 0) >= LONG_DISTANCE_KM
    range_km = trim.electric_range_km
    if trim.energy_type == EnergyType.BEV:
        if range_km is None:
            return weight * 0.5
        if long_distance:
            if range_km >= LONG_RANGE_KM:
                add(FIT, "range_long", (("km", range_km),))
                return float(weight)
            add(TRADE_OFF, "range_short", (("km", range_km),))
            return weight * 0.4
        add(FIT, "range_daily", (("km", range_km),))
        return float(weight)
    if long_distance:
        add(FIT, "no_range_worry")
        if trim.energy_type == EnergyType.ICE and trim.fuel_l_per_100km and (needs.annual_km or 0) >= HIGH_MILEAGE_KM:
            add(TRADE_OFF, "fuel_cost", (("litres", trim.fuel_l_per_100km), ("km", needs.annual_km)))
            return weight * 0.7
        return float(weight)
    if trim.energy_type in PLUG_IN and range_km and needs.usage == "commute":
        add(FIT, "electric_commute", (("km", range_km),))
        return float(weight)
    if trim.energy_type == EnergyType.HEV and trim.fuel_l_per_100km:
        add(FIT, "economical", (("litres", trim.fuel_l_per_100km),))
        return float(weight)
    if trim.energy_type == EnergyType.ICE and trim.fuel_l_per_100km and (needs.annual_km or 0) >= HIGH_MILEAGE_KM:
        add(TRADE_OFF, "fuel_cost", (("litres", trim.fuel_l_per_100km), ("km", needs.annual_km)))
        return weight * 0.6
    return weight * 0.8


def rank(needs: Needs, trims: list[TrimFacts], *, limit: int | None = 10) -> list[Ranked]:
    """Score every trim and return the best `limit` (all when None): hard needs met first, in stock first."""
    scored = [score_trim(needs, t, explain=False) for t in trims]
    if limit is None:
        chosen = sorted(scored, key=Ranked.sort_key)
    else:
        chosen = heapq.nsmallest(limit, scored, key=Ranked.sort_key)
    return [score_trim(needs, r.trim) for r in chosen]


def rank_priced(
    needs: Needs,
    trims: list[TrimFacts],
    *,
    limit: int,
    price: Callable[[list[TrimFacts]], dict[int, Decimal]],
) -> list[Ranked]:
    """Like `rank`, with promotions priced lazily: `price(trims) -> {trim id: discount}` is asked only for the
    trims that can still reach the top `limit` (the top itself, and any trim whose best case — brought within
    budget by a promotion — would beat the last of the top). A discount only lowers the price, so the others
    cannot climb past it: the result equals pricing every trim."""
    scored = {t.id: score_trim(needs, t, explain=False) for t in trims}
    priced: set[int] = set()
    margin = 2 * limit  # price a few beyond the top at once: fewer rounds
    while True:
        head = heapq.nsmallest(margin, scored.values(), key=Ranked.sort_key)
        top = head[:limit]
        unpriced_top = [r.trim for r in top if r.trim.id not in priced]
        contenders = []
        if len(top) == limit:
            bar = top[-1].key
            contenders = [
                r.trim for r in scored.values() if r.best_case < bar and r.key > bar and r.trim.id not in priced
            ]
        if not unpriced_top and not contenders:
            return [score_trim(needs, r.trim) for r in top]
        look_ahead = [r.trim for r in head[limit:] if r.trim.id not in priced]
        wanted = list({t.id: t for t in unpriced_top + contenders + look_ahead}.values())
        discounts = price(wanted)
        for trim in wanted:
            trim.discount = min(max(discounts.get(trim.id) or Decimal(0), Decimal(0)), trim.price)
            priced.add(trim.id)
            scored[trim.id] = score_trim(needs, trim, explain=False)


def as_dict(ranked: Ranked) -> dict:
    """A ranked trim as plain JSON-ready data, reasons rendered in the active language."""
    trim = ranked.trim
    return {
        "trim": trim.id,
        "name": trim.name,
        "score": ranked.score,
        "meets_needs": not ranked.blocking,
        "availability": trim.availability,
        "in_stock": trim.in_stock,
        "price": str(trim.price),
        "price_basis": trim.price_basis,
        "discount": None if trim.discount is None else str(trim.discount),
        "net_price": str(trim.net_price),
        "reasons": [{"kind": r.kind, "code": r.code, "text": render(r)} for r in ranked.reasons],
    }


# Why a row stands above a higher score (issue #10.8): the list puts the hard needs first, then what can be handed
# over soonest, then the score (`Ranked.key`); a row that outranks a better score says which of these lifted it.
ORDER_REASONS = {
    "meets_needs": _("Above higher scores: it meets every hard need"),
    IN_STOCK: _("Above higher scores: in stock, can be handed over the same day"),
    IN_TRANSIT: _("Above higher scores: in transit, sooner than ordering"),
}


def order_reasons(ranked: list[Ranked]) -> list[str]:
    """Per row, why it is listed above a higher score further down ("" when none is below it)."""
    out = []
    for i, row in enumerate(ranked):
        higher = [r for r in ranked[i + 1 :] if r.score > row.score]
        codes = []
        if not row.blocking and any(r.blocking for r in higher):
            codes.append("meets_needs")
        mine = AVAILABILITY_ORDER[row.trim.availability]
        if any(AVAILABILITY_ORDER[r.trim.availability] > mine for r in higher if r.blocking == row.blocking):
            codes.append(row.trim.availability)
        out.append("；".join(str(ORDER_REASONS[c]) for c in codes))
    return out
