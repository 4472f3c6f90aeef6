"""Writes of promotions and offers. Each service checks permission, validates everything before writing, writes
in one transaction, records an audit entry and queues its notifications."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dealerdesk.accounts.models import DealerGroup, Membership, Store
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import Role
from dealerdesk.core.audit import audit_record, diff_fields
from dealerdesk.core.errors import DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.services import notification_queue
from dealerdesk.core.validators import cny_into
from dealerdesk.customers.models import Customer, OwnedVehicle, PurchaseNeed

from . import engine, selectors
from .choices import IN_KIND, OFFER_MOVES, OPEN_STATUSES, OfferStatus, PromotionKind, ServiceKind
from .models import Offer, OfferLine, OfferPolicy, OfferVersion, Promotion

# ---------------------------------------------------------------- promotions

PROMOTION_EDITABLE = (
    "name",
    "description",
    "kind",
    "amount",
    "percentage",
    "gift_description",
    "brand",
    "series",
    "trim",
    "min_stock_age_days",
    "starts_on",
    "ends_on",
    "requires_trade_in",
    "requires_loan",
    "requires_first_car",
    "cities",
    "exclusive",
    "stacking_group",
    "budget_remaining",
    "quantity_remaining",
    "needs_approval",
    "is_active",
)


def _may_manage_promotions(actor, store: Store | None, group: DealerGroup) -> bool:
    """Store administrators manage their store's promotions; group-wide ones need a group administrator."""
    if store is not None:
        return user_can(actor, "store.manage", store)
    if getattr(actor, "is_superuser", False):
        return True
    store_ids = list(Store.objects.filter(group=group, is_active=True).values_list("pk", flat=True))
    return bool(store_ids) and all(Role.GROUP_ADMIN in actor.roles_in(s) for s in store_ids)


def _clean_promotion(values: dict, store: Store | None) -> dict:
    """Validated promotion fields; every problem at once, keyed by field."""
    errors: dict[str, list[str]] = {}
    clean = dict(values)
    clean["name"] = (values.get("name") or "").strip()
    if not clean["name"]:
        errors["name"] = [_("Give the promotion a name.")]
    clean["description"] = (values.get("description") or "").strip()
    kind = values.get("kind")
    if kind not in PromotionKind.values:
        errors["kind"] = [_("Choose the type of promotion.")]
    clean["amount"] = cny_into(errors, "amount", values.get("amount"))
    percentage = values.get("percentage")
    clean["percentage"] = None
    if kind == PromotionKind.PERCENTAGE_DISCOUNT:
        try:
            pct = Decimal(str(percentage)) if percentage not in (None, "") else None
        except InvalidOperation:
            pct = None
        if pct is None or not pct.is_finite() or not Decimal("0") < pct <= Decimal("100"):
            errors["percentage"] = [_("A percentage discount needs a percentage above 0 and at most 100.")]
        elif pct != pct.quantize(Decimal("0.01")):
            errors["percentage"] = [_("A percentage has at most 2 decimal places.")]
        else:
            clean["percentage"] = pct
        clean["amount"] = None if "amount" not in errors else clean["amount"]
    elif kind in PromotionKind.values and "amount" not in errors and (clean["amount"] is None or clean["amount"] <= 0):
        errors["amount"] = [
            _("Enter the value of the gift or package.")
            if kind in IN_KIND
            else _("Enter the amount of the discount or subsidy.")
        ]
    clean["gift_description"] = (values.get("gift_description") or "").strip()
    if kind in IN_KIND and not clean["gift_description"]:
        errors["gift_description"] = [_("Describe what the customer gets.")]
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if not isinstance(starts_on, date):
        errors["starts_on"] = [_("Enter the first day of the promotion.")]
    if not isinstance(ends_on, date):
        errors["ends_on"] = [_("Enter the last day of the promotion.")]
    elif isinstance(starts_on, date) and ends_on < starts_on:
        errors["ends_on"] = [_("The promotion cannot end before it starts.")]
    brand, series, trim = values.get("brand"), values.get("series"), values.get("trim")
    if trim is not None:
        if series is not None and trim.series_id != series.pk:
            errors["trim"] = [_("This trim is not of the chosen series.")]
        series = series or trim.series
    if series is not None:
        if brand is not None and series.brand_id != brand.pk:
            errors["series"] = [_("This series is not of the chosen brand.")]
        brand = brand or series.brand
    clean["brand"], clean["series"], clean["trim"] = brand, series, trim
    if store is not None and brand is not None and not (brand.code in store.brands or brand.name in store.brands):
        errors.setdefault("brand", []).append(_("The store does not sell this brand."))
    age = values.get("min_stock_age_days")
    if age not in (None, ""):
        if not isinstance(age, int) or age < 0:
            errors["min_stock_age_days"] = [_("The stock age is a number of days, 0 or more.")]
    else:
        clean["min_stock_age_days"] = None
    cities = values.get("cities") or []
    if isinstance(cities, str):
        cities = cities.replace("，", ",").replace("、", ",").split(",")
    clean["cities"] = [c.strip() for c in cities if c and c.strip()]
    clean["exclusive"] = bool(values.get("exclusive"))
    clean["stacking_group"] = (values.get("stacking_group") or "").strip()
    if clean["exclusive"] and clean["stacking_group"]:
        errors["stacking_group"] = [_("An exclusive promotion combines with nothing: leave the stacking group empty.")]
    if not clean["exclusive"] and not clean["stacking_group"]:
        errors["stacking_group"] = [_("Name the stacking group, or mark the promotion exclusive.")]
    clean["budget_remaining"] = cny_into(errors, "budget_remaining", values.get("budget_remaining"))
    quantity = values.get("quantity_remaining")
    if quantity not in (None, ""):
        if not isinstance(quantity, int) or quantity < 0:
            errors["quantity_remaining"] = [_("The quantity left cannot be negative.")]
    else:
        clean["quantity_remaining"] = None
    for flag in ("requires_trade_in", "requires_loan", "requires_first_car", "needs_approval"):
        clean[flag] = bool(values.get(flag))
    clean["is_active"] = bool(values.get("is_active", True))
    if errors:
        raise ValidationError(errors)
    return {k: clean[k] for k in PROMOTION_EDITABLE if k in clean}


def _promotion_snapshot(p: Promotion) -> dict:
    return {k: getattr(p, f"{k}_id" if k in ("brand", "series", "trim") else k) for k in PROMOTION_EDITABLE}


@transaction.atomic
def promotion_create(*, actor, store: Store | None, group: DealerGroup | None = None, **values) -> Promotion:
    """Create a promotion of a store, or of the whole group when `store` is None (group administrators)."""
    group = group or (store.group if store is not None else None)
    if group is None:
        raise ValidationError({"store": [_("Choose the store, or the dealer group for a group-wide promotion.")]})
    if not _may_manage_promotions(actor, store, group):
        raise NotPermitted(_("Only a store administrator can manage the store's promotions."))
    fields = _clean_promotion(values, store)
    promotion = Promotion.objects.create(group=group, store=store, created_by=actor, **fields)
    audit_record(
        actor=actor,
        action="promotion.created",
        target=promotion,
        store_id=store.pk if store else None,
        diff=diff_fields({}, _promotion_snapshot(promotion)),
    )
    return promotion


@transaction.atomic
def promotion_update(*, actor, promotion: Promotion, **values) -> Promotion:
    """Change a promotion; fields not given keep their value."""
    promotion = Promotion.objects.select_for_update(of=("self",)).select_related("store", "group").get(pk=promotion.pk)
    if not _may_manage_promotions(actor, promotion.store, promotion.group):
        raise NotPermitted(_("Only a store administrator can manage the store's promotions."))
    before = _promotion_snapshot(promotion)
    merged = {k: getattr(promotion, k) for k in PROMOTION_EDITABLE}
    merged.update({k: v for k, v in values.items() if k in PROMOTION_EDITABLE})
    fields = _clean_promotion(merged, promotion.store)
    for name, value in fields.items():
        setattr(promotion, name, value)
    promotion.save()
    changes = diff_fields(before, _promotion_snapshot(promotion))
    if changes:
        audit_record(
            actor=actor, action="promotion.updated", target=promotion, diff=changes, store_id=promotion.store_id
        )
    return promotion


# ---------------------------------------------------------------- offer policy


@transaction.atomic
def offer_policy_update(*, actor, store: Store, discount_limit: Any, validity_days: Any) -> OfferPolicy:
    """Set the store's extra discount limit for consultants and how long an offer stays valid."""
    if not user_can(actor, "store.manage", store):
        raise NotPermitted(_("Only a store administrator can change the offer rules."))
    errors: dict[str, list[str]] = {}
    limit = cny_into(errors, "discount_limit", discount_limit, required=True)
    if not isinstance(validity_days, int) or not 1 <= validity_days <= 90:
        errors["validity_days"] = [_("An offer stays valid between 1 and 90 days.")]
    if errors:
        raise ValidationError(errors)
    policy, _created = OfferPolicy.objects.select_for_update().get_or_create(store=store)
    before = {"discount_limit": str(policy.discount_limit), "validity_days": policy.validity_days}
    policy.discount_limit, policy.validity_days, policy.updated_by = limit, validity_days, actor
    policy.save()
    after = {"discount_limit": str(policy.discount_limit), "validity_days": policy.validity_days}
    audit_record(
        actor=actor, action="offer_policy.updated", target=policy, store_id=store.pk, diff=diff_fields(before, after)
    )
    return policy


# ---------------------------------------------------------------- computing an offer


@dataclass(frozen=True)
class OfferRequest:
    """What the consultant asks for. `promotion_ids` None = the best combination; [] = no promotion."""

    trim_id: int | None
    colour_id: int | None = None
    option_ids: tuple[int, ...] = ()
    services: tuple[dict, ...] = ()
    extra_discount: Any = None
    promotion_ids: tuple[int, ...] | None = None
    trade_in: bool | None = None
    loan: bool | None = None
    first_car: bool | None = None
    city: str | None = None
    stock_vehicle_id: int | None = None
    note: str = ""


def customer_context_for(customer: Customer) -> engine.CustomerContext:
    """The customer's situation from their record: current needs (trade-in, loan), vehicles owned, city.

    A customer without a city is taken to live in the store's city (most buyers do), so city-limited promotions
    are not shown as ineligible merely because the city was never asked; the builder can still change it.
    """
    need = (
        PurchaseNeed.objects.filter(customer=customer, is_current=True)
        .order_by("-created_at", "-id")
        .values("trade_in", "payment_method")
        .first()
    )
    owns = OwnedVehicle.objects.filter(customer=customer).exists()
    return engine.CustomerContext(
        trade_in=bool(need and need["trade_in"]),
        loan=bool(need and need["payment_method"] == "loan"),
        first_car=not owns,
        city=customer.city or customer.store.city or "",
    )


def context_with(request: OfferRequest, default: engine.CustomerContext) -> engine.CustomerContext:
    """The situation the request states, `default` for what it leaves open."""
    return engine.CustomerContext(
        trade_in=default.trade_in if request.trade_in is None else bool(request.trade_in),
        loan=default.loan if request.loan is None else bool(request.loan),
        first_car=default.first_car if request.first_car is None else bool(request.first_car),
        city=default.city if request.city is None else (request.city or "").strip(),
    )


def context_for(request: OfferRequest, customer: Customer) -> engine.CustomerContext:
    """The customer's situation: what the request says, the rest from the customer's record."""
    return context_with(request, customer_context_for(customer))


def _services(raw: Sequence[dict], errors: dict) -> list[engine.Service]:
    services: list[engine.Service] = []
    seen: set[str] = set()
    for item in raw:
        kind = (item.get("kind") or "") if isinstance(item, dict) else ""
        if kind not in ServiceKind.values:
            errors.setdefault("services", []).append(
                _("“%(kind)s” is not an optional service we offer.") % {"kind": kind}
            )
            continue
        if kind in seen:
            errors.setdefault("services", []).append(
                _("%(service)s is listed twice.") % {"service": ServiceKind(kind).label}
            )
            continue
        seen.add(kind)
        sub: dict = {}
        amount = cny_into(sub, "amount", item.get("amount"), required=True)
        if sub:
            errors.setdefault("services", []).append(f"{ServiceKind(kind).label}: {sub['amount'][0]}")
            continue
        services.append(engine.Service(kind=kind, amount=amount, label=(item.get("label") or "").strip()[:100]))
    return services


def offer_quote(
    *, actor, store: Store, customer_context: engine.CustomerContext, request: OfferRequest, now: datetime | None = None
) -> engine.Quote:
    """Judge every promotion, pick the best (or check the chosen) combination and price the offer. Writes nothing.

    Raises ValidationError keyed by the API's field names for every bad input.
    """
    errors: dict[str, list[str]] = {}
    extra = cny_into(errors, "extra_discount", request.extra_discount) or engine.ZERO
    services = _services(request.services, errors)
    if request.trim_id is None:
        errors["trim"] = [_("Choose a trim.")]
        raise ValidationError(errors)
    inputs = selectors.offer_inputs_load(
        store,
        trim_id=request.trim_id,
        colour_id=request.colour_id,
        option_ids=request.option_ids,
        promotion_ids=request.promotion_ids or (),
        stock_vehicle_id=request.stock_vehicle_id,
        now=now,
    )
    trim = inputs.trim
    if trim is None:
        errors["trim"] = [_("There is no such trim.")]
        raise ValidationError(errors)
    if not selectors.store_sells(store, trim):
        errors["trim"] = [_("%(store)s does not sell %(brand)s.") % {"store": store, "brand": trim.series.brand}]
    elif not trim.is_active:
        errors["trim"] = [_("This trim is no longer on sale.")]
    elif inputs.marked_price is None:
        errors["trim"] = [
            _("%(trim)s has no marked price in force at %(store)s: a store administrator must set one first.")
            % {"trim": trim, "store": store}
        ]
    if request.colour_id is not None:
        if inputs.colour is None:
            errors["colour"] = [_("There is no such colour.")]
        elif inputs.colour_trim_id != trim.pk:
            errors["colour"] = [_("The colour “%(colour)s” belongs to another trim.") % {"colour": inputs.colour.name}]
    if inputs.options_of_other_trims or inputs.unknown_options:
        problems = []
        if inputs.options_of_other_trims:
            problems.append(_("An option you chose belongs to another trim."))
        if inputs.unknown_options:
            problems.append(
                _("There is no option with id %(ids)s.") % {"ids": ", ".join(map(str, inputs.unknown_options))}
            )
        errors["options"] = problems
    if request.stock_vehicle_id is not None and inputs.stock_vehicle_id is None:
        errors["stock_vehicle"] = [_("This vehicle is not in the store's stock of this trim.")]
    if errors:
        raise ValidationError(errors)
    vehicle = inputs.vehicle()
    # the one pricing path, shared with the recommendation's "after discounts" (engine.best_price)
    judgements, best, _best_lines = engine.best_price(inputs.promotions, vehicle, customer_context, inputs.today)
    combination = best
    if request.promotion_ids is not None:
        picked, problems = engine.check_choice(judgements, request.promotion_ids)
        if problems:
            raise ValidationError({"promotions": [p.message for p in problems]})
        combination = engine.Combination.of(picked, vehicle.vehicle_price)
    room = engine.extra_discount_room(vehicle.vehicle_price, combination)
    if extra > room:
        raise ValidationError(
            {
                "extra_discount": [
                    _("The extra discount can be at most %(room)s: the price after promotions.")
                    % {"room": engine.yuan(room)}
                ]
            }
        )
    breakdown = engine.breakdown(vehicle, combination, extra_discount=extra, services=services)
    quote = engine.Quote(
        vehicle=vehicle,
        customer=customer_context,
        judgements=judgements,
        combination=combination,
        best=best,
        breakdown=breakdown,
        manual=request.promotion_ids is not None,
    )
    quote.approval_reasons = approval_reasons(actor, store, quote)
    return quote


def approval_reasons(actor, store: Store, quote: engine.Quote) -> list[str]:
    """Why this offer needs a sales manager; none when the author may approve discounts themselves."""
    if user_can(actor, "sales.approve_discount", store):
        return []
    reasons = []
    limit = selectors.offer_policy_for(store).discount_limit
    extra = quote.breakdown.extra_discount
    if extra > limit:
        reasons.append(
            _("The extra discount of %(extra)s is above the consultant's limit of %(limit)s.")
            % {"extra": engine.yuan(extra), "limit": engine.yuan(limit)}
        )
    for j in quote.combination.chosen:
        if j.promotion.needs_approval:
            reasons.append(_("The promotion “%(name)s” needs a manager's approval.") % {"name": j.promotion.name})
    return reasons


# ---------------------------------------------------------------- saving offers


def _check_can_sell(actor, customer: Customer) -> None:
    if not user_can(actor, "sales.sell", customer.store_id):
        raise NotPermitted(_("Only sales staff of the customer's store can make offers."))
    if customer.merged_into_id:
        raise DomainError(
            _("This customer was merged into another record; make the offer there."), code="customer_merged"
        )
    if customer.erased_at:
        raise DomainError(_("This customer's personal data was erased."), code="customer_erased")


def _valid_until(store: Store, quote: engine.Quote, today: date) -> date:
    """An offer is valid for the store's number of days, and never past the end of a promotion it uses."""
    days = selectors.offer_policy_for(store).validity_days
    ends = [j.promotion.ends_on for j in quote.combination.chosen]
    return min([today + timedelta(days=days), *ends])


def _write_version(*, actor, offer: Offer, number: int, quote: engine.Quote, request: OfferRequest) -> OfferVersion:
    b = quote.breakdown
    uses_stock_age = any(j.promotion.min_stock_age_days is not None for j in quote.combination.chosen)
    version = OfferVersion.objects.create(
        offer=offer,
        store_id=offer.store_id,
        number=number,
        trim_id=quote.vehicle.trim_id,
        colour_id=quote.vehicle.colour.id if quote.vehicle.colour else None,
        stock_vehicle_id=quote.vehicle.stock_vehicle_id if (request.stock_vehicle_id or uses_stock_age) else None,
        marked_price_id=quote.vehicle.marked_price_id,
        marked_price_amount=quote.vehicle.marked_price,
        vehicle_price=b.vehicle_price,
        discount_total=b.discount_total,
        extra_discount=b.extra_discount,
        services_total=b.services_total,
        total=b.total,
        gift_value=b.gift_value,
        trade_in=quote.customer.trade_in,
        loan=quote.customer.loan,
        first_car=quote.customer.first_car,
        city=quote.customer.city[:60],
        promotions_chosen="manual" if quote.manual else "best",
        eligibility=engine.eligibility_rows(quote.judgements, quote.combination.ids),
        approval_reasons=list(quote.approval_reasons),
        note=(request.note or "").strip()[:300],
        created_by=actor,
    )
    OfferLine.objects.bulk_create(
        OfferLine(
            version=version,
            position=i,
            kind=line.kind,
            code=line.code[:30],
            label=line.label[:200],
            amount=line.amount,
            value=line.value,
            promotion_id=line.promotion_id,
            optional=line.optional,
        )
        for i, line in enumerate(b.lines)
    )
    return version


def _managers_of(store_id: int) -> list:
    memberships = Membership.objects.filter(
        store_id=store_id, is_active=True, role__in=[Role.SALES_MANAGER, Role.STORE_ADMIN]
    ).select_related("user")
    users = {m.user_id: m.user for m in memberships if m.user.is_active}
    managers = [u for u in users.values() if user_can(u, "sales.approve_discount", store_id)]
    return sorted(managers, key=lambda u: u.pk)


def _ask_for_approval(offer: Offer, version: OfferVersion) -> None:
    for manager in _managers_of(offer.store_id):
        notification_queue(
            channel="in_app",
            subject=_("Offer %(number)s needs your approval") % {"number": offer.number},
            body=_(
                "%(consultant)s asks you to approve offer %(number)s (version %(version)s, total %(total)s): "
                "%(reasons)s"
            )
            % {
                "consultant": version.created_by,
                "number": offer.number,
                "version": version.number,
                "total": engine.yuan(version.total),
                "reasons": " ".join(version.approval_reasons),
            },
            recipient_user=manager,
            store=offer.store,
            kind="offer.approval_requested",
        )


def _status_after(quote: engine.Quote) -> str:
    return OfferStatus.PENDING_APPROVAL if quote.approval_reasons else OfferStatus.DRAFT


@transaction.atomic
def offer_create(*, actor, customer: Customer, request: OfferRequest, now: datetime | None = None) -> Offer:
    """Save a new offer for a customer (version 1). Above the consultant's authority it waits for a manager."""
    now = now or timezone.now()
    customer = Customer.objects.select_related("store").get(pk=customer.pk)
    _check_can_sell(actor, customer)
    store = customer.store
    quote = offer_quote(
        actor=actor, store=store, customer_context=context_for(request, customer), request=request, now=now
    )
    status = _status_after(quote)
    offer = Offer.objects.create(
        store=store,
        customer=customer,
        consultant=actor,
        status=status,
        valid_until=_valid_until(store, quote, selectors.local_today(store, now)),
        created_at=now,
    )
    version = _write_version(actor=actor, offer=offer, number=1, quote=quote, request=request)
    offer.current = version
    offer.save(update_fields=["current"])
    audit_record(
        actor=actor,
        action="offer.created",
        target=offer,
        diff={"status": [None, status], "total": [None, str(version.total)], "version": [None, 1]},
    )
    if status == OfferStatus.PENDING_APPROVAL:
        _ask_for_approval(offer, version)
    return offer


def _lock(offer: Offer) -> Offer:
    return Offer.objects.select_for_update().select_related("store", "customer").get(pk=offer.pk)


def _move(offer: Offer, to: str) -> None:
    if to not in OFFER_MOVES[offer.status]:
        raise TransitionRefused(
            _("An offer that is “%(status)s” cannot become “%(to)s”.")
            % {"status": OfferStatus(offer.status).label, "to": OfferStatus(to).label},
            code="offer_transition_refused",
        )


@transaction.atomic
def offer_revise(*, actor, offer: Offer, request: OfferRequest, now: datetime | None = None) -> Offer:
    """Edit an open offer: a new version with the new content; the old versions stay as they were."""
    now = now or timezone.now()
    offer = _lock(offer)
    _check_can_sell(actor, offer.customer)
    if offer.status not in OFFER_MOVES or OfferStatus.DRAFT not in OFFER_MOVES[offer.status]:
        raise TransitionRefused(
            _("An offer that is “%(status)s” can no longer be changed; make a new offer.")
            % {"status": OfferStatus(offer.status).label},
            code="offer_not_revisable",
        )
    quote = offer_quote(
        actor=actor,
        store=offer.store,
        customer_context=context_for(request, offer.customer),
        request=request,
        now=now,
    )
    status = _status_after(quote)
    _move(offer, status)
    number = (offer.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = _write_version(actor=actor, offer=offer, number=number, quote=quote, request=request)
    before = offer.status
    offer.current, offer.status = version, status
    offer.valid_until = _valid_until(offer.store, quote, selectors.local_today(offer.store, now))
    offer.save(update_fields=["current", "status", "valid_until", "updated_at"])
    audit_record(
        actor=actor,
        action="offer.revised",
        target=offer,
        diff={"status": [before, status], "version": [number - 1, number], "total": [None, str(version.total)]},
    )
    if status == OfferStatus.PENDING_APPROVAL:
        _ask_for_approval(offer, version)
    return offer


def _decide(*, actor, offer: Offer, to: str, note: str, now: datetime | None) -> Offer:
    offer = _lock(offer)
    if not user_can(actor, "sales.approve_discount", offer.store):
        raise NotPermitted(_("Only a sales manager can approve or refuse an offer."))
    _move(offer, to)
    version = OfferVersion.objects.select_for_update().select_related("created_by").get(pk=offer.current_id)
    if version.created_by_id == actor.pk:
        raise NotPermitted(_("You cannot decide on your own offer: another manager must."), code="own_offer")
    note = (note or "").strip()
    if to == OfferStatus.REFUSED and not note:
        raise ValidationError({"note": [_("Say why the offer is refused, so the consultant can revise it.")]})
    version.decision = "approved" if to == OfferStatus.APPROVED else "refused"
    version.decided_by, version.decided_at, version.decision_note = actor, now or timezone.now(), note[:300]
    version.save(update_fields=["decision", "decided_by", "decided_at", "decision_note"])
    before = offer.status
    offer.status = to
    offer.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=f"offer.{to}",
        target=offer,
        diff={"status": [before, to], "version": [None, version.number]},
    )
    if to == OfferStatus.APPROVED:
        subject = _("Offer %(number)s was approved") % {"number": offer.number}
        body = _("%(manager)s approved offer %(number)s (version %(version)s). %(note)s")
    else:
        subject = _("Offer %(number)s was refused") % {"number": offer.number}
        body = _("%(manager)s refused offer %(number)s (version %(version)s): %(note)s")
    notification_queue(
        channel="in_app",
        subject=subject,
        body=(body % {"manager": actor, "number": offer.number, "version": version.number, "note": note}).strip(),
        recipient_user=version.created_by,
        store=offer.store,
        kind=f"offer.{to}",
    )
    return offer


@transaction.atomic
def offer_approve(*, actor, offer: Offer, note: str = "", now: datetime | None = None) -> Offer:
    """A sales manager approves an offer waiting for approval; its author is notified."""
    return _decide(actor=actor, offer=offer, to=OfferStatus.APPROVED, note=note, now=now)


@transaction.atomic
def offer_refuse(*, actor, offer: Offer, note: str, now: datetime | None = None) -> Offer:
    """A sales manager refuses an offer (with the reason); its author is notified and may revise it."""
    return _decide(actor=actor, offer=offer, to=OfferStatus.REFUSED, note=note, now=now)


@transaction.atomic
def offer_accept(*, actor, offer: Offer, now: datetime | None = None) -> Offer:
    """The customer accepts the offer: the promotions' budgets and quantities are used up by it."""
    now = now or timezone.now()
    offer = _lock(offer)
    _check_can_sell(actor, offer.customer)
    if offer.status == OfferStatus.PENDING_APPROVAL:
        raise TransitionRefused(
            _("A sales manager must approve this offer before the customer can accept it."), code="offer_needs_approval"
        )
    _move(offer, OfferStatus.ACCEPTED)
    if offer.valid_until < selectors.local_today(offer.store, now):
        raise TransitionRefused(
            _("This offer expired on %(date)s; revise it for a new one.") % {"date": offer.valid_until.isoformat()},
            code="offer_expired",
        )
    lines = list(OfferLine.objects.filter(version_id=offer.current_id, promotion__isnull=False))
    benefit: dict[int, Decimal] = {}
    for line in lines:
        benefit[line.promotion_id] = benefit.get(line.promotion_id, engine.ZERO) + (line.value or -line.amount)
    promotions = {p.pk: p for p in Promotion.objects.select_for_update().filter(pk__in=list(benefit)).order_by("pk")}
    for pid, value in benefit.items():
        p = promotions[pid]
        if p.quantity_remaining is not None and p.quantity_remaining < 1:
            raise DomainError(
                _("“%(name)s” is no longer available: quantity used up. Revise the offer.") % {"name": p.name},
                code="promotion_capped",
            )
        if p.budget_remaining is not None and p.budget_remaining < value:
            raise DomainError(
                _("“%(name)s” is no longer available: budget used up. Revise the offer.") % {"name": p.name},
                code="promotion_capped",
            )
    for pid, value in benefit.items():
        p = promotions[pid]
        updates: dict = {"updated_at": now}  # a new version: cached listings reload
        if p.quantity_remaining is not None:
            updates["quantity_remaining"] = F("quantity_remaining") - 1
        if p.budget_remaining is not None:
            updates["budget_remaining"] = F("budget_remaining") - value
        Promotion.objects.filter(pk=pid).update(**updates)
    before = offer.status
    offer.status, offer.accepted_at = OfferStatus.ACCEPTED, now
    offer.save(update_fields=["status", "accepted_at", "updated_at"])
    audit_record(actor=actor, action="offer.accepted", target=offer, diff={"status": [before, OfferStatus.ACCEPTED]})
    return offer


def offers_expire_due(*, now: datetime | None = None) -> int:
    """Mark open offers past their validity (in their store's calendar) as expired. Periodic and idempotent."""
    now = now or timezone.now()
    count = 0
    candidates = Offer.objects.filter(status__in=OPEN_STATUSES, valid_until__lte=timezone.localdate(now)).values_list(
        "pk", flat=True
    )
    for offer_id in list(candidates[:500]):
        with transaction.atomic():
            offer = _lock(Offer(pk=offer_id))
            if offer.status not in OPEN_STATUSES or offer.valid_until >= selectors.local_today(offer.store, now):
                continue
            before = offer.status
            offer.status = OfferStatus.EXPIRED
            offer.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=None, action="offer.expired", target=offer, diff={"status": [before, OfferStatus.EXPIRED]}
            )
            count += 1
    return count


def request_from_data(data: dict) -> OfferRequest:
    """An OfferRequest from validated API/form data (names as in the API)."""
    promotions = data.get("promotions")
    return OfferRequest(
        trim_id=getattr(data.get("trim"), "pk", data.get("trim")),
        colour_id=getattr(data.get("colour"), "pk", data.get("colour")),
        option_ids=tuple(getattr(o, "pk", o) for o in data.get("options") or ()),
        services=tuple(data.get("services") or ()),
        extra_discount=data.get("extra_discount"),
        promotion_ids=None if promotions is None else tuple(getattr(p, "pk", p) for p in promotions),
        trade_in=data.get("trade_in"),
        loan=data.get("loan"),
        first_car=data.get("first_car"),
        city=data.get("city"),
        stock_vehicle_id=getattr(data.get("stock_vehicle"), "pk", data.get("stock_vehicle")),
        note=data.get("note") or "",
    )


__all__ = [
    "OfferRequest",
    "context_for",
    "customer_context_for",
    "offer_accept",
    "offer_approve",
    "offer_create",
    "offer_policy_update",
    "offer_quote",
    "offer_refuse",
    "offer_revise",
    "offers_expire_due",
    "promotion_create",
    "promotion_update",
    "request_from_data",
]
