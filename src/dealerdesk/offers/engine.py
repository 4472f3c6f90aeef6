"""The offer engine: which promotions apply and why, the best legal combination, and the price breakdown.

Pure functions over plain dataclasses (no database): `selectors.offer_inputs_load` fills them in a few queries.

Money rules (documented here because the whole app relies on them):
- Every amount is a `Decimal` of CNY with 2 places; rounding is ROUND_HALF_UP to the fen.
- The vehicle price is the marked price in force + the colour's extra price + the options' prices.
- A percentage discount is that percentage of the vehicle price *before any other discount* (never compounded), so
  the value of each promotion is known on its own and a combination is worth the sum of its parts.
- Cash discounts and the finance, trade-in and insurance subsidies lower the vehicle price (negative lines); a gift
  or a free maintenance package is a benefit in kind: shown with its value, never deducted from what is paid.
- The vehicle part of the total never exceeds the vehicle price (no unlisted charges, 汽车销售管理办法 2017) and
  never goes below zero: price reductions beyond the vehicle price are cut off.
- Optional services are separate opt-in lines after the vehicle; an offer without any is always complete.
- The best combination maximises the customer's benefit = min(price reductions, vehicle price) + value in kind,
  over every legal subset of the eligible promotions: an exclusive promotion alone, or at most one promotion per
  stacking group (different groups combine). Exact, by groups: see `best_combination`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import IN_KIND, LineKind, PromotionKind, ServiceKind

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def money(value: Decimal | int | str) -> Decimal:
    """A CNY amount rounded half-up to the fen."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(value: Decimal) -> str:
    """¥12,345.00 (−¥500.00) for messages, labels and the PDF: the same in every language."""
    value = money(value)
    return f"{'-' if value < 0 else ''}¥{abs(value):,.2f}"


# ---------------------------------------------------------------- facts


@dataclass(slots=True)
class PromotionFacts:
    """What the engine needs to know about one promotion."""

    id: int
    name: str
    kind: str
    starts_on: date
    ends_on: date
    amount: Decimal | None = None
    percentage: Decimal | None = None
    gift_description: str = ""
    brand_id: int | None = None
    series_id: int | None = None
    trim_id: int | None = None
    min_stock_age_days: int | None = None
    requires_trade_in: bool = False
    requires_loan: bool = False
    requires_first_car: bool = False
    cities: tuple[str, ...] = ()
    exclusive: bool = False
    stacking_group: str = ""
    budget_remaining: Decimal | None = None
    quantity_remaining: int | None = None
    needs_approval: bool = False
    is_active: bool = True


@dataclass(frozen=True)
class Item:
    """A colour or an option of the trim, with its price."""

    id: int
    name: str
    price: Decimal
    code: str = ""


@dataclass(frozen=True)
class VehicleFacts:
    """The trim being offered, its marked price in force and the chosen colour and options."""

    trim_id: int
    series_id: int
    brand_id: int
    label: str
    marked_price_id: int
    marked_price: Decimal
    colour: Item | None = None
    options: tuple[Item, ...] = ()
    stock_age_days: int | None = None
    stock_vehicle_id: int | None = None

    @property
    def vehicle_price(self) -> Decimal:
        extras = (self.colour.price if self.colour else ZERO) + sum((o.price for o in self.options), ZERO)
        return money(self.marked_price + extras)


@dataclass(frozen=True)
class CustomerContext:
    """The customer's situation as far as promotions care."""

    trade_in: bool = False
    loan: bool = False
    first_car: bool = False
    city: str = ""


NEUTRAL = CustomerContext()


@dataclass(frozen=True)
class Service:
    """An optional service the customer chose (insurance, finance, registration, accessories, warranty)."""

    kind: str
    amount: Decimal
    label: str = ""


# ---------------------------------------------------------------- reasons

REASONS = {
    "eligible": _("eligible"),
    "inactive": _("switched off"),
    "not_started": _("starts on %(date)s"),
    "expired": _("expired on %(date)s"),
    "wrong_brand": _("not for this brand"),
    "wrong_series": _("not for this series"),
    "wrong_trim": _("not for this trim"),
    "stock_age": _("only for vehicles in stock for at least %(days)s days"),
    "needs_trade_in": _("needs a trade-in"),
    "needs_loan": _("needs a loan"),
    "first_car_only": _("only for a first car"),
    "wrong_city": _("only for customers in %(cities)s"),
    "budget_used_up": _("budget used up"),
    "budget_short": _("only %(left)s of the budget left"),
    "quantity_used_up": _("quantity used up"),
    "no_value": _("worth nothing on this vehicle"),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a promotion does or does not apply: a stable code and its parameters; `message` is translated."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        text = str(REASONS[self.code])
        return text % dict(self.params) if self.params else text

    def as_dict(self) -> dict:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict) -> "Reason":
        return cls(code=data["code"], params=tuple(sorted((data.get("params") or {}).items())))


@dataclass(slots=True)
class Judgement:
    """One promotion judged for one vehicle and customer: eligible or not, why, and what it is worth."""

    promotion: PromotionFacts
    eligible: bool
    reasons: tuple[Reason, ...]
    reduction: Decimal = ZERO  # lowers the price
    in_kind: Decimal = ZERO  # value of a gift or package

    @property
    def benefit(self) -> Decimal:
        return self.reduction + self.in_kind


def _value_of(promotion: PromotionFacts, vehicle_price: Decimal) -> tuple[Decimal, Decimal]:
    """(price reduction, value in kind) of a promotion on a vehicle price."""
    if promotion.kind == PromotionKind.PERCENTAGE_DISCOUNT:
        return money(vehicle_price * (promotion.percentage or ZERO) / HUNDRED), ZERO
    amount = money(promotion.amount or ZERO)
    if promotion.kind in IN_KIND:
        return ZERO, amount
    return amount, ZERO


def judge(promotion: PromotionFacts, vehicle: VehicleFacts, customer: CustomerContext, today: date) -> Judgement:
    """Whether `promotion` applies to this vehicle and customer on `today`, with every reason it does not."""
    reasons: list[Reason] = []
    if not promotion.is_active:
        reasons.append(Reason("inactive"))
    if today < promotion.starts_on:
        reasons.append(Reason("not_started", (("date", promotion.starts_on.isoformat()),)))
    if today > promotion.ends_on:
        reasons.append(Reason("expired", (("date", promotion.ends_on.isoformat()),)))
    if promotion.brand_id is not None and promotion.brand_id != vehicle.brand_id:
        reasons.append(Reason("wrong_brand"))
    elif promotion.series_id is not None and promotion.series_id != vehicle.series_id:
        reasons.append(Reason("wrong_series"))
    elif promotion.trim_id is not None and promotion.trim_id != vehicle.trim_id:
        reasons.append(Reason("wrong_trim"))
    if promotion.min_stock_age_days is not None and (
        vehicle.stock_age_days is None or vehicle.stock_age_days < promotion.min_stock_age_days
    ):
        reasons.append(Reason("stock_age", (("days", str(promotion.min_stock_age_days)),)))
    if promotion.requires_trade_in and not customer.trade_in:
        reasons.append(Reason("needs_trade_in"))
    if promotion.requires_loan and not customer.loan:
        reasons.append(Reason("needs_loan"))
    if promotion.requires_first_car and not customer.first_car:
        reasons.append(Reason("first_car_only"))
    if promotion.cities and not _city_matches(customer.city, promotion.cities):
        reasons.append(Reason("wrong_city", (("cities", "、".join(promotion.cities)),)))
    reduction, in_kind = _value_of(promotion, vehicle.vehicle_price)
    if promotion.quantity_remaining is not None and promotion.quantity_remaining <= 0:
        reasons.append(Reason("quantity_used_up"))
    if promotion.budget_remaining is not None:
        if promotion.budget_remaining <= 0:
            reasons.append(Reason("budget_used_up"))
        elif promotion.budget_remaining < reduction + in_kind:
            reasons.append(Reason("budget_short", (("left", yuan(promotion.budget_remaining)),)))
    if not reasons and reduction + in_kind <= 0:
        reasons.append(Reason("no_value"))
    if reasons:
        return Judgement(promotion, False, tuple(reasons), reduction, in_kind)
    return Judgement(promotion, True, (Reason("eligible"),), reduction, in_kind)


def _city_matches(city: str, cities: Sequence[str]) -> bool:
    """深圳 matches 深圳市 and the other way round; an unknown city matches nothing."""
    city = (city or "").strip().removesuffix("市")
    return bool(city) and any(city == c.strip().removesuffix("市") for c in cities)


def judge_all(
    promotions: Iterable[PromotionFacts], vehicle: VehicleFacts, customer: CustomerContext, today: date
) -> list[Judgement]:
    """Every promotion judged, eligible ones first, then by name."""
    judged = [judge(p, vehicle, customer, today) for p in promotions]
    judged.sort(key=lambda j: (not j.eligible, -j.benefit, j.promotion.name, j.promotion.id))
    return judged


def eligibility_rows(judgements: Iterable[Judgement], chosen: Iterable[int] = ()) -> list[dict]:
    """Judgements as plain data (kept with an offer version): reasons as codes and parameters."""
    chosen = set(chosen)
    return [
        {
            "id": j.promotion.id,
            "name": j.promotion.name,
            "kind": j.promotion.kind,
            "eligible": j.eligible,
            "chosen": j.promotion.id in chosen,
            "benefit": str(j.benefit),
            "needs_approval": j.promotion.needs_approval,
            "exclusive": j.promotion.exclusive,
            "stacking_group": j.promotion.stacking_group,
            "reasons": [r.as_dict() for r in j.reasons],
        }
        for j in judgements
    ]


def eligibility_display(rows: Iterable[dict]) -> list[dict]:
    """Stored eligibility rows with each reason's message in the current language."""
    messages: dict[tuple, str] = {}  # many promotions share a reason: translate each once
    shown = []
    for row in rows:
        reasons = []
        for r in row.get("reasons", []):
            code, params = r["code"], r.get("params") or {}
            if code not in REASONS:
                continue
            key = (code, tuple(sorted(params.items())))
            if key not in messages:
                messages[key] = Reason(code, key[1]).message
            reasons.append({"code": code, "message": messages[key]})
        shown.append({**row, "reasons": reasons})
    return shown


# ---------------------------------------------------------------- the best combination


@dataclass(frozen=True)
class Combination:
    """A legal set of promotions and what it is worth on a vehicle price."""

    chosen: tuple[Judgement, ...]
    reduction: Decimal
    in_kind: Decimal
    benefit: Decimal

    @classmethod
    def of(cls, chosen: Iterable[Judgement], vehicle_price: Decimal) -> "Combination":
        chosen = tuple(sorted(chosen, key=lambda j: j.promotion.id))
        reduction = sum((j.reduction for j in chosen), ZERO)
        in_kind = sum((j.in_kind for j in chosen), ZERO)
        return cls(chosen, reduction, in_kind, min(reduction, vehicle_price) + in_kind)

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(j.promotion.id for j in self.chosen)

    def rank(self) -> tuple:
        """Smaller is better: more benefit, then fewer approvals, fewer promotions, older promotions."""
        approvals = sum(1 for j in self.chosen if j.promotion.needs_approval)
        return (-self.benefit, approvals, len(self.chosen), self.ids)


EMPTY = Combination((), ZERO, ZERO, ZERO)


def _option_rank(j: Judgement) -> tuple:
    return (-j.benefit, j.promotion.needs_approval, j.promotion.id)


def _undominated(options: list[Judgement]) -> list[Judgement]:
    """Drop an option when another of its group is at least as good in reduction and in kind and ranks before it."""
    options = sorted(options, key=_option_rank)
    kept: list[Judgement] = []
    for j in options:
        if not any(k.reduction >= j.reduction and k.in_kind >= j.in_kind for k in kept):
            kept.append(j)
    return kept


def best_combination(judgements: Iterable[Judgement], vehicle_price: Decimal) -> Combination:
    """The legal subset of the eligible promotions with the greatest benefit (exact, not greedy).

    Exclusive promotions are each tried alone. Combinable ones: at most one per stacking group. While the
    reductions of the best option of every group fit inside the vehicle price, the benefit is additive and the
    groups independent, so the best option of each group is optimal (O(n)). When they do not fit, the cut-off at
    the vehicle price couples the groups: a branch-and-bound over groups (best options first, bound = what is
    chosen + the best of every remaining group, capped at the vehicle price) finds the optimum without trying
    every subset.
    """
    eligible = [j for j in judgements if j.eligible and j.benefit > 0]
    best = EMPTY
    for j in eligible:
        if j.promotion.exclusive:
            best = min(best, Combination.of((j,), vehicle_price), key=Combination.rank)
    groups: dict[str, list[Judgement]] = {}
    for j in eligible:
        if not j.promotion.exclusive:
            groups.setdefault(j.promotion.stacking_group, []).append(j)
    if groups:
        best = min(best, _best_over_groups(list(groups.values()), vehicle_price), key=Combination.rank)
    return best


def _cents(value: Decimal) -> int:
    return int(value * 100)


def _partial_rank(chosen: tuple[Judgement, ...]) -> tuple:
    return (sum(1 for j in chosen if j.promotion.needs_approval), len(chosen), sorted(j.promotion.id for j in chosen))


def _best_over_groups(groups: list[list[Judgement]], vehicle_price: Decimal) -> Combination:
    """At most one promotion per group, maximising min(reductions, vehicle price) + value in kind."""
    options = [_undominated(g) for g in groups]
    if sum(max(j.reduction for j in g) for g in options) <= vehicle_price:
        return Combination.of((g[0] for g in options), vehicle_price)
    # The cut-off couples the groups. Dynamic programming over groups on a Pareto frontier of partial choices:
    # a state is (reductions capped at the price, value in kind). The final benefit only grows with both, so a
    # state beaten on both by another can never end better and is dropped; so is one whose best possible
    # completion (every remaining group's largest reduction and largest gift) is below what another state already
    # guarantees. Exact, and the frontier stays small because reductions are capped at the price.
    cap = _cents(vehicle_price)
    options.sort(key=lambda g: (-g[0].benefit, g[0].promotion.id))
    n = len(options)
    rest_r = [0] * (n + 1)
    rest_g = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        rest_r[i] = rest_r[i + 1] + max(_cents(j.reduction) for j in options[i])
        rest_g[i] = rest_g[i + 1] + max(_cents(j.in_kind) for j in options[i])
    states: dict[tuple[int, int], tuple[Judgement, ...]] = {(0, 0): ()}
    for i, group in enumerate(options):
        grown: dict[tuple[int, int], tuple[Judgement, ...]] = {}
        moves = [(_cents(j.reduction), _cents(j.in_kind), j) for j in group]
        for (r, g), chosen in states.items():
            candidates = [((r, g), chosen)]
            candidates += [((min(r + dr, cap), g + dg), (*chosen, j)) for dr, dg, j in moves]
            for key, picked in candidates:
                held = grown.get(key)
                if held is None or _partial_rank(picked) < _partial_rank(held):
                    grown[key] = picked
        floor = max(r + g for r, g in grown)  # guaranteed: choose nothing more
        frontier: dict[tuple[int, int], tuple[Judgement, ...]] = {}
        best_g = -1
        for r, g in sorted(grown, key=lambda k: (-k[0], -k[1])):
            if g <= best_g:
                continue  # another state has at least as much of both
            best_g = g
            if min(r + rest_r[i + 1], cap) + g + rest_g[i + 1] >= floor:
                frontier[(r, g)] = grown[(r, g)]
        states = frontier
    best = EMPTY
    for chosen in states.values():
        best = min(best, Combination.of(chosen, vehicle_price), key=Combination.rank)
    return best


@dataclass(frozen=True)
class ChoiceProblem:
    """Why a hand-picked set of promotions cannot be applied."""

    code: str
    message: str


def check_choice(judgements: Sequence[Judgement], wanted: Sequence[int]) -> tuple[list[Judgement], list[ChoiceProblem]]:
    """The judgements of the hand-picked promotion ids, and every problem: unknown, ineligible, stacking."""
    by_id = {j.promotion.id: j for j in judgements}
    problems: list[ChoiceProblem] = []
    picked: list[Judgement] = []
    for pid in dict.fromkeys(wanted):
        j = by_id.get(pid)
        if j is None:
            problems.append(
                ChoiceProblem(
                    "promotion_unknown",
                    gettext("Promotion %(id)s is not offered by this store.") % {"id": pid},
                )
            )
        elif not j.eligible:
            problems.append(
                ChoiceProblem(
                    "promotion_not_eligible",
                    gettext("“%(name)s” cannot be applied: %(reason)s.")
                    % {"name": j.promotion.name, "reason": "; ".join(r.message for r in j.reasons)},
                )
            )
        else:
            picked.append(j)
    exclusive = [j for j in picked if j.promotion.exclusive]
    if exclusive and len(picked) > 1:
        problems.append(
            ChoiceProblem(
                "promotion_exclusive",
                gettext("“%(name)s” is exclusive and cannot be combined with another promotion.")
                % {"name": exclusive[0].promotion.name},
            )
        )
    seen: dict[str, Judgement] = {}
    for j in picked:
        group = j.promotion.stacking_group
        if j.promotion.exclusive:
            continue
        if group in seen:
            problems.append(
                ChoiceProblem(
                    "promotion_same_group",
                    gettext("“%(first)s” and “%(second)s” are both in the group “%(group)s”: only one of them applies.")
                    % {"first": seen[group].promotion.name, "second": j.promotion.name, "group": group},
                )
            )
        else:
            seen[group] = j
    return picked, problems


# ---------------------------------------------------------------- the breakdown


def line_text(kind: str, code: str, label: str) -> str:
    """A line's text in the current language. Stored labels are names only (trim, colour, option, promotion, the
    consultant's note on a service), so a saved offer reads right in every language."""
    if kind == LineKind.MARKED_PRICE:
        return gettext("Marked price: %(trim)s") % {"trim": label}
    if kind == LineKind.EXTRA_DISCOUNT:
        return gettext("Extra discount from the sales consultant")
    if kind == LineKind.SERVICE:
        base = str(ServiceKind(code).label) if code in ServiceKind.values else code
        return f"{base}: {label}" if label else base
    if kind == LineKind.TOTAL:
        return gettext("Total")
    return label


@dataclass(frozen=True)
class Line:
    """One line of the price breakdown. `label` is the bare name; `text` what a person reads."""

    kind: str
    label: str
    amount: Decimal
    code: str = ""
    value: Decimal | None = None
    promotion_id: int | None = None
    optional: bool = False

    @property
    def text(self) -> str:
        return line_text(self.kind, self.code, self.label)


@dataclass(frozen=True)
class Breakdown:
    """Every line, in order, and the sums the offer keeps."""

    lines: tuple[Line, ...]
    vehicle_price: Decimal
    discount_total: Decimal
    extra_discount: Decimal
    services_total: Decimal
    gift_value: Decimal
    total: Decimal

    @property
    def vehicle_total(self) -> Decimal:
        return self.vehicle_price - self.discount_total - self.extra_discount


def extra_discount_room(vehicle_price: Decimal, combination: Combination) -> Decimal:
    """The most extra discount that keeps the vehicle part of the total at or above zero."""
    return max(vehicle_price - min(combination.reduction, vehicle_price), ZERO)


def _promotion_label(p: PromotionFacts) -> str:
    if p.kind == PromotionKind.PERCENTAGE_DISCOUNT:
        return f"{p.name} · {format((p.percentage or ZERO).normalize(), 'f')}%"
    if p.kind in IN_KIND and p.gift_description:
        return f"{p.name}: {p.gift_description}"
    return p.name


def breakdown(
    vehicle: VehicleFacts,
    combination: Combination,
    *,
    extra_discount: Decimal = ZERO,
    services: Sequence[Service] = (),
) -> Breakdown:
    """The price lines: marked price, colour, options, promotions, extra discount, optional services, total."""
    extra_discount = money(extra_discount)
    if extra_discount < 0:
        raise ValueError("extra discount is negative")
    price = vehicle.vehicle_price
    lines: list[Line] = [Line(LineKind.MARKED_PRICE, vehicle.label, money(vehicle.marked_price))]
    if vehicle.colour is not None:
        lines.append(Line(LineKind.COLOUR, vehicle.colour.name, money(vehicle.colour.price), code=vehicle.colour.code))
    for option in vehicle.options:
        lines.append(Line(LineKind.OPTION, option.name, money(option.price), code=option.code))
    room = price
    discount_total = ZERO
    gift_value = ZERO
    for j in sorted(combination.chosen, key=lambda j: (j.promotion.kind in IN_KIND, j.promotion.id)):
        p = j.promotion
        if p.kind in IN_KIND:
            gift_value += j.in_kind
            lines.append(
                Line(LineKind.GIFT, _promotion_label(p), ZERO, code=p.kind, value=j.in_kind, promotion_id=p.id)
            )
            continue
        applied = min(j.reduction, room)  # never below zero: the cut-off falls on the last reductions
        room -= applied
        discount_total += applied
        lines.append(Line(LineKind.DISCOUNT, _promotion_label(p), -applied, code=p.kind, promotion_id=p.id))
    if extra_discount > room:
        raise ValueError("extra discount exceeds what is left of the vehicle price")
    if extra_discount:
        lines.append(Line(LineKind.EXTRA_DISCOUNT, "", -extra_discount))
    services_total = ZERO
    for service in services:
        amount = money(service.amount)
        if amount < 0:
            raise ValueError("a service amount is negative")
        services_total += amount
        lines.append(Line(LineKind.SERVICE, service.label, amount, code=service.kind, optional=True))
    total = price - discount_total - extra_discount + services_total
    lines.append(Line(LineKind.TOTAL, "", total))
    return Breakdown(tuple(lines), price, discount_total, extra_discount, services_total, gift_value, total)


@dataclass
class Quote:
    """Everything the builder shows: the vehicle, every promotion judged, the combination and the breakdown."""

    vehicle: VehicleFacts
    customer: CustomerContext
    judgements: list[Judgement]
    combination: Combination
    best: Combination
    breakdown: Breakdown
    manual: bool = False
    approval_reasons: list[str] = field(default_factory=list)


def best_price(
    promotions: Iterable[PromotionFacts], vehicle: VehicleFacts, customer: CustomerContext, today: date
) -> tuple[list[Judgement], Combination, Breakdown]:
    """The one pricing path (docs/pricing.md): every promotion judged for this customer, the best combination, and
    the price lines of the vehicle with it. An offer is priced by it (`services.offer_quote`), and so is the
    recommendation's "after discounts" (`selectors.best_discounts_for`), so the two never disagree (issue #10.8)."""
    judgements = judge_all(promotions, vehicle, customer, today)
    best = best_combination(judgements, vehicle.vehicle_price)
    return judgements, best, breakdown(vehicle, best)


def best_discount_for(store, trim, now=None) -> Decimal:
    """The best combination's price reduction for a neutral customer, vehicle only (for the recommendation engine).

    The one entry point here that reads the database: it delegates to `selectors.best_discount_for`, which loads
    the facts in two queries and runs the pure functions above. For many trims use `selectors.best_discounts_for`.
    """
    from .selectors import best_discount_for as load_and_compute

    return load_and_compute(store, trim, now)
