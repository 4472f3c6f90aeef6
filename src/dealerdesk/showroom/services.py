"""Writes of the showroom (standard ch. 3.1–3.3). Each service: one transaction, permission re-checked, validated,
written, audited, side effects (notifications) queued."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.catalog.models import Trim
from dealerdesk.core.audit import audit_record, diff_fields
from dealerdesk.core.errors import Conflict, NotPermitted, TransitionRefused
from dealerdesk.core.services import notification_queue
from dealerdesk.core.validators import cny_into
from dealerdesk.customers import services as customer_services
from dealerdesk.customers.lead_sources import active_codes
from dealerdesk.customers.models import Customer
from dealerdesk.customers.selectors import customer_visible_to

from . import selectors
from .choices import (
    GRADE_BY_TIMEFRAME,
    VISIT_MOVES,
    AssignMethod,
    BodyType,
    DecisionMaker,
    EnergyType,
    Material,
    PaymentMethod,
    Refreshment,
    Timeframe,
    Usage,
    VisitKind,
    VisitStatus,
    WalkaroundPoint,
)
from .models import ConsultantPresence, NeedsAssessment, Presentation, Recommendation, Visit
from .recommend import Needs, as_dict

MAX_BUDGET = Decimal("100000000")
MAX_PARTY = 50
MAX_LIST_ITEMS = 20
MAX_ITEM_LENGTH = 40
NEEDS_FIELDS = (
    "budget_min",
    "budget_max",
    "body_type",
    "seats",
    "energy_types",
    "usage",
    "annual_km",
    "home_charging",
    "timeframe",
    "payment_method",
    "trade_in",
    "trade_in_vehicle",
    "must_have",
    "competitors",
    "decision_maker",
    "notes",
)


# ---------------------------------------------------------------- permission helpers


def runs_desk(user, store) -> bool:
    """Reception (visits.log) and managers (customers.assign) run the desk: arrivals, assignments, departures."""
    return user_can(user, "visits.log", store) or user_can(user, "customers.assign", store)


def _require_desk(actor: User, store) -> None:
    if not runs_desk(actor, store):
        raise NotPermitted()


def _require_desk_or_consultant(actor: User, visit: Visit) -> None:
    if runs_desk(actor, visit.store_id):
        return
    if visit.consultant_id == actor.pk and user_can(actor, "sales.sell", visit.store_id):
        return
    raise NotPermitted()


def check_move(visit: Visit, target: str) -> None:
    """Refuse a move the visit's state machine does not allow (VISIT_MOVES)."""
    if target not in VISIT_MOVES.get(visit.status, set()):
        raise TransitionRefused(
            gettext("A visit that is “%(current)s” cannot become “%(target)s”.")
            % {"current": VisitStatus(visit.status).label, "target": VisitStatus(target).label},
            code="visit_transition_refused",
        )


def _lock(visit: Visit) -> Visit:
    return Visit.objects.select_for_update(of=("self",)).select_related("store", "customer").get(pk=visit.pk)


# ---------------------------------------------------------------- arrival


@transaction.atomic
def visit_arrive(
    *,
    actor: User,
    store: Store,
    party_size: int = 1,
    kind: str = VisitKind.FIRST,
    source: str = "",
    customer: Customer | None = None,
    notes: str = "",
    arrived_at: datetime.datetime | None = None,
) -> Visit:
    """Log a party walking in; the time is taken automatically. The visitor may stay anonymous."""
    _require_desk(actor, store)
    errors: dict[str, list] = {}
    if not isinstance(party_size, int) or not 1 <= party_size <= MAX_PARTY:
        errors["party_size"] = [_("A party has between 1 and 50 people.")]
    if kind not in VisitKind.values:
        errors["kind"] = [_("Choose first visit, return visit or appointment.")]
    if source and source not in active_codes(store.group_id):  # the group's lead sources (issue #10.13)
        errors["source"] = [_("Unknown source channel.")]
    if len(notes or "") > 200:
        errors["notes"] = [_("Notes can have at most 200 characters.")]
    now = timezone.now()
    if arrived_at is not None and arrived_at > now + datetime.timedelta(minutes=1):
        errors["arrived_at"] = [_("The arrival time cannot be in the future.")]
    if customer is not None and customer.store_id != store.pk:
        errors["customer"] = [_("This customer belongs to another store.")]
    if errors:
        raise ValidationError(errors)
    visit = Visit.objects.create(
        store=store,
        arrived_at=arrived_at or now,
        party_size=party_size,
        kind=kind,
        source=source or "",
        customer=customer,
        notes=notes or "",
        logged_by=actor,
    )
    audit_record(
        actor=actor,
        action="visit.arrived",
        target=visit,
        diff={"party_size": [None, party_size], "kind": [None, kind], "source": [None, source or ""]},
    )
    return visit


# ---------------------------------------------------------------- assignment


def _presence(store: Store, consultant: User, day: datetime.date) -> ConsultantPresence:
    presence, _created = ConsultantPresence.objects.select_for_update().get_or_create(
        store=store, day=day, consultant=consultant
    )
    return presence


def _check_servable(store: Store, consultant: User, *, now: datetime.datetime) -> None:
    """The picked consultant works in the store's rotation today and is not with another visitor."""
    in_rotation = consultant.memberships.filter(
        store=store, role__in=selectors.ROTATION_ROLES, is_active=True
    ).exists() or (consultant.is_active and user_can(consultant, "sales.sell", store))
    if not consultant.is_active or not in_rotation:
        raise ValidationError({"consultant": [_("Choose a sales consultant of this store.")]})
    day = selectors.local_day(store, now)
    if ConsultantPresence.objects.filter(store=store, day=day, consultant=consultant, absent=True).exists():
        raise Conflict(_("This consultant is marked absent today."), code="consultant_absent", field="consultant")
    # the same "in the showroom" as the board and the rotation: a visitor from before midnight still counts
    busy = (
        selectors.visits_in_showroom(store, now=now)
        .filter(consultant=consultant, status=VisitStatus.WITH_CONSULTANT)
        .exists()
    )
    if busy:
        raise Conflict(
            _("This consultant is with another visitor right now."), code="consultant_busy", field="consultant"
        )


def _claim_unowned_customer(customer: Customer | None, consultant: User, actor: User) -> None:
    """A walk-in registered before anyone served them belongs to the first consultant who receives them."""
    if customer is not None:
        customer_services.customer_claim_unowned(
            actor=actor, customer=customer, consultant=consultant, reason="showroom visit"
        )


@transaction.atomic
def visit_check_in(*, actor: User, store: Store, customer: Customer, consultant: User | None = None) -> Visit:
    """A customer expected for an appointment (a test drive, a handover) arrived: the visit is logged as an
    appointment, linked to them, and handed to the booking's consultant when that consultant is free; otherwise it
    waits for reception like any other visitor."""
    visit = visit_arrive(actor=actor, store=store, kind=VisitKind.APPOINTMENT, customer=customer)
    if consultant is not None:
        try:
            with transaction.atomic():
                visit = visit_assign(actor=actor, visit=visit, consultant=consultant)
        except (Conflict, ValidationError):
            pass  # busy, absent or not a consultant of the store: reception hands them over from the desk
    return visit


@transaction.atomic
def visit_assign(
    *, actor: User, visit: Visit, consultant: User | None = None, now: datetime.datetime | None = None
) -> Visit:
    """Hand a waiting visitor to a consultant: the one picked, or the next up in the store's rotation.

    The consultant moves to the back of the rotation and gets an in-app notification.
    """
    visit = _lock(visit)
    store = visit.store
    now = now or timezone.now()
    if runs_desk(actor, store):
        method = AssignMethod.PICKED if consultant is not None else AssignMethod.ROTATION
    elif consultant is not None and consultant.pk == actor.pk and user_can(actor, "sales.sell", store):
        method = AssignMethod.SELF
    else:
        raise NotPermitted()
    check_move(visit, VisitStatus.WITH_CONSULTANT)
    day = selectors.local_day(store, now)
    # Serialise assignments per store so two receptionists never hand two visitors to the same person at once.
    Store.objects.select_for_update().filter(pk=store.pk).first()
    if consultant is None:
        consultant = selectors.next_up(store, now=now)
        if consultant is None:
            raise Conflict(
                _("Every consultant is busy or absent: pick one or let the visitor wait."), code="nobody_free"
            )
    else:
        _check_servable(store, consultant, now=now)
    presence = _presence(store, consultant, day)
    presence.last_assigned_at = now
    presence.assignments += 1
    presence.save(update_fields=["last_assigned_at", "assignments"])
    visit.status = VisitStatus.WITH_CONSULTANT
    visit.consultant = consultant
    visit.assigned_at = max(now, visit.arrived_at)
    visit.assigned_by = actor
    visit.assign_method = method
    visit.save(update_fields=["status", "consultant", "assigned_at", "assigned_by", "assign_method"])
    _claim_unowned_customer(visit.customer, consultant, actor)
    audit_record(
        actor=actor,
        action="visit.assigned",
        target=visit,
        diff={
            "status": [VisitStatus.ARRIVED, visit.status],
            "consultant": [None, consultant.pk],
            "method": [None, method],
        },
    )
    if consultant.pk != actor.pk:
        subject = (
            gettext("Visitor waiting at reception: %(name)s") % {"name": visit.customer.name}
            if visit.customer_id
            else gettext("A new visitor is waiting at reception (party of %(count)d)") % {"count": visit.party_size}
        )
        notification_queue(
            channel="in_app",
            recipient_user=consultant,
            store=store,
            subject=subject,
            body=reverse("visit_detail", args=[visit.pk]),
            kind="visit.assigned",
        )
    return visit


@transaction.atomic
def presence_set(
    *, actor: User, store: Store, consultant: User, absent: bool, day: datetime.date | None = None
) -> ConsultantPresence:
    """Mark a consultant absent (or back) for a day; absent consultants are skipped by the rotation."""
    if not runs_desk(actor, store) and not (consultant.pk == actor.pk and user_can(actor, "sales.sell", store)):
        raise NotPermitted()
    if not consultant.memberships.filter(store=store, role__in=selectors.ROTATION_ROLES, is_active=True).exists():
        raise ValidationError({"consultant": [_("Choose a sales consultant of this store.")]})
    day = day or selectors.local_day(store)
    presence = _presence(store, consultant, day)
    if presence.absent == bool(absent):
        return presence
    presence.absent = bool(absent)
    presence.save(update_fields=["absent"])
    audit_record(
        actor=actor,
        action="rotation.presence_changed",
        target=presence,
        diff={"absent": [not presence.absent, presence.absent], "consultant": [None, consultant.pk]},
    )
    return presence


# ---------------------------------------------------------------- during the visit


@transaction.atomic
def visit_set_refreshments(
    *, actor: User, visit: Visit, offered: bool, refreshment: str = "", rest_area: bool = False
) -> Visit:
    """Record that refreshments and the rest area were offered, and what the visitor accepted."""
    visit = _lock(visit)
    _require_desk_or_consultant(actor, visit)
    if visit.status == VisitStatus.LEFT:
        raise TransitionRefused(_("The visitor has already left."), code="visit_left")
    if refreshment not in Refreshment.values:
        raise ValidationError({"refreshment": [_("Choose a refreshment from the list.")]})
    if refreshment and not offered:
        offered = True  # accepting implies it was offered
    before = {"offered": visit.refreshments_offered, "refreshment": visit.refreshment, "rest_area": visit.rest_area}
    visit.refreshments_offered, visit.refreshment, visit.rest_area = bool(offered), refreshment, bool(rest_area)
    changes = diff_fields(
        before, {"offered": visit.refreshments_offered, "refreshment": refreshment, "rest_area": visit.rest_area}
    )
    if changes:
        visit.save(update_fields=["refreshments_offered", "refreshment", "rest_area"])
        audit_record(actor=actor, action="visit.refreshments_recorded", target=visit, diff=changes)
    return visit


@transaction.atomic
def visit_link_customer(*, actor: User, visit: Visit, customer: Customer) -> Visit:
    """Link an anonymous (or wrongly linked) visit to a customer of the same store."""
    visit = _lock(visit)
    _require_desk_or_consultant(actor, visit)
    if customer.store_id != visit.store_id or customer.merged_into_id:
        raise ValidationError({"customer": [_("Choose a customer of this store.")]})
    if not customer_visible_to(actor).filter(pk=customer.pk).exists():
        raise ValidationError({"customer": [_("Choose a customer of this store.")]})
    if visit.customer_id == customer.pk:
        return visit
    before = visit.customer_id
    visit.customer = customer
    visit.save(update_fields=["customer"])
    if visit.consultant_id:
        _claim_unowned_customer(customer, visit.consultant, actor)
    audit_record(actor=actor, action="visit.customer_linked", target=visit, diff={"customer": [before, customer.pk]})
    return visit


@transaction.atomic
def visit_register_customer(
    *,
    actor: User,
    visit: Visit,
    name: str,
    mobile: str,
    consents: list[str] | None = None,
    notice_version: str = "2026-01",
) -> tuple[Visit, Customer, bool]:
    """Quick-register the visitor (name + mobile + consents) and link them; a known mobile links the existing
    customer instead (dedup). Returns (visit, customer, created)."""
    locked = _lock(visit)
    _require_desk_or_consultant(actor, locked)
    owner = locked.consultant if locked.consultant_id else None
    fields: dict[str, Any] = {}
    if locked.source:
        fields["source"] = locked.source
    try:
        customer = customer_services.customer_create(
            actor=actor,
            store=locked.store,
            name=name,
            mobile=mobile,
            owner=owner,
            consents=consents or [],
            notice_version=notice_version,
            **fields,
        )
        created = True
    except customer_services.DuplicateCustomer as exc:
        customer = exc.existing
        created = False
    if locked.customer_id != customer.pk:
        before = locked.customer_id
        locked.customer = customer
        locked.save(update_fields=["customer"])
        audit_record(
            actor=actor,
            action="visit.customer_linked",
            target=locked,
            diff={"customer": [before, customer.pk], "created": [None, created]},
        )
    if locked.consultant_id:
        _claim_unowned_customer(customer, locked.consultant, actor)
    return locked, customer, created


# ---------------------------------------------------------------- departure


@transaction.atomic
def visit_leave(*, actor: User, visit: Visit, left_at: datetime.datetime | None = None) -> Visit:
    """Record that the party left; the duration runs from arrival to now."""
    visit = _lock(visit)
    _require_desk_or_consultant(actor, visit)
    check_move(visit, VisitStatus.LEFT)
    now = timezone.now()
    left_at = left_at or now
    if left_at > now + datetime.timedelta(minutes=1):
        raise ValidationError({"left_at": [_("The departure time cannot be in the future.")]})
    if left_at < visit.arrived_at:
        raise ValidationError({"left_at": [_("The departure cannot be before the arrival.")]})
    before = visit.status
    visit.status = VisitStatus.LEFT
    visit.left_at = left_at
    visit.save(update_fields=["status", "left_at"])
    audit_record(
        actor=actor,
        action="visit.left",
        target=visit,
        diff={"status": [before, visit.status], "duration_minutes": [None, (visit.duration_seconds or 0) // 60]},
    )
    return visit


# ---------------------------------------------------------------- needs


def _int(value: Any, field: str, errors: dict, *, low: int, high: int, message) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = [message]
        return None
    if not low <= number <= high:
        errors[field] = [message]
        return None
    return number


def _word_list(value: Any, field: str, errors: dict) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        for separator in ("，", "、", ";", "；", "\n"):
            value = value.replace(separator, ",")
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors[field] = [_("Give a list of short words, separated by commas.")]
        return []
    items = list(dict.fromkeys(v.strip() for v in value if v and v.strip()))
    if len(items) > MAX_LIST_ITEMS or any(len(v) > MAX_ITEM_LENGTH for v in items):
        errors[field] = [_("At most 20 items of 40 characters each.")]
        return []
    return items


def _choice(value: Any, choices, field: str, errors: dict, message) -> str:
    value = value or ""
    if value not in choices.values:
        errors[field] = [message]
        return ""
    return value


def clean_needs(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise and validate needs fields (form, API, engine); raises ValidationError keyed by field."""
    unknown = set(data) - set(NEEDS_FIELDS)
    if unknown:
        raise ValidationError({f: [_("Unknown field.")] for f in sorted(unknown)})
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    out["budget_min"] = cny_into(errors, "budget_min", data.get("budget_min"), maximum=MAX_BUDGET)
    out["budget_max"] = cny_into(errors, "budget_max", data.get("budget_max"), maximum=MAX_BUDGET)
    if out["budget_min"] is not None and out["budget_max"] is not None and out["budget_min"] > out["budget_max"]:
        errors["budget_max"] = [_("The upper budget must not be below the lower budget.")]
    out["body_type"] = _choice(data.get("body_type"), BodyType, "body_type", errors, _("Unknown body type."))
    out["seats"] = _int(
        data.get("seats"), "seats", errors, low=1, high=9, message=_("Seats needed: a number from 1 to 9.")
    )
    energy = data.get("energy_types") or []
    if isinstance(energy, str):
        energy = [e for e in energy.split(",") if e]
    if not isinstance(energy, list | tuple) or any(e not in EnergyType.values or not e for e in energy):
        errors["energy_types"] = [_("Choose energy types from the list.")]
        energy = []
    out["energy_types"] = list(dict.fromkeys(energy))
    out["usage"] = _choice(data.get("usage"), Usage, "usage", errors, _("Choose the main use from the list."))
    out["annual_km"] = _int(
        data.get("annual_km"),
        "annual_km",
        errors,
        low=0,
        high=300_000,
        message=_("Distance per year: a number of kilometres up to 300,000."),
    )
    home = data.get("home_charging")
    if home not in (None, "", True, False):
        errors["home_charging"] = [_("Say yes, no or unknown.")]
        home = None
    out["home_charging"] = None if home == "" else home
    out["timeframe"] = _choice(data.get("timeframe"), Timeframe, "timeframe", errors, _("Unknown purchase timeframe."))
    out["payment_method"] = _choice(
        data.get("payment_method"), PaymentMethod, "payment_method", errors, _("Choose full payment, loan or lease.")
    )
    out["trade_in"] = bool(data.get("trade_in"))
    vehicle = (data.get("trade_in_vehicle") or "").strip()
    if len(vehicle) > 100:
        errors["trade_in_vehicle"] = [_("At most 100 characters.")]
    out["trade_in_vehicle"] = vehicle
    out["must_have"] = _word_list(data.get("must_have"), "must_have", errors)
    out["competitors"] = _word_list(data.get("competitors"), "competitors", errors)
    out["decision_maker"] = _choice(
        data.get("decision_maker"), DecisionMaker, "decision_maker", errors, _("Choose who decides from the list.")
    )
    out["notes"] = (data.get("notes") or "").strip()
    if errors:
        raise ValidationError(errors)
    return out


def needs_from(fields: dict[str, Any]) -> Needs:
    """The engine's view of cleaned needs fields."""
    return Needs(
        budget_min=fields.get("budget_min"),
        budget_max=fields.get("budget_max"),
        body_type=fields.get("body_type") or "",
        seats=fields.get("seats"),
        energy_types=tuple(fields.get("energy_types") or ()),
        usage=fields.get("usage") or "",
        annual_km=fields.get("annual_km"),
        home_charging=fields.get("home_charging"),
        timeframe=fields.get("timeframe") or "",
        payment_method=fields.get("payment_method") or "",
        trade_in=bool(fields.get("trade_in")),
        must_have=tuple(fields.get("must_have") or ()),
    )


def proposed_grade(store_id: int, timeframe: str) -> str:
    """The intent grade the timeframe suggests (week→H, month→A, quarter→B, later→C), if the store uses it."""
    code = GRADE_BY_TIMEFRAME.get(timeframe, "")
    if not code:
        return ""
    policies = customer_services.ensure_grade_policies(store_id)
    return code if code in policies else ""


@transaction.atomic
def needs_assessment_create(
    *, actor: User, customer: Customer, visit: Visit | None = None, **fields: Any
) -> NeedsAssessment:
    """Save a needs analysis: it also records the customer's purchase needs (history kept) and proposes an intent
    grade from the timeframe, which the consultant confirms with `needs_assessment_confirm_grade`."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not user_can(actor, "sales.sell", customer.store_id):
        raise NotPermitted()
    if customer.merged_into_id or customer.erased_at:
        raise TransitionRefused(_("This customer was merged or erased."), code="customer_inactive")
    data = clean_needs(fields)
    if visit is not None:
        visit = _lock(visit)
        if visit.store_id != customer.store_id:
            raise ValidationError({"visit": [_("This visit belongs to another store.")]})
        if visit.customer_id and visit.customer_id != customer.pk:
            raise ValidationError({"visit": [_("This visit is linked to another customer.")]})
    need_fields = {
        "budget_min": data["budget_min"],
        "budget_max": data["budget_max"],
        "body_type": data["body_type"],
        "seats": data["seats"],
        # every type considered: the customer card shows what the analysis recorded (issue #10.7)
        "energy_types": list(data["energy_types"]),
        "usage": str(Usage(data["usage"]).label) if data["usage"] else "",
        "timeframe": data["timeframe"],
        "payment_method": data["payment_method"],
        "trade_in": data["trade_in"],
        "notes": data["notes"],
    }
    # Raises NotPermitted when the consultant does not own the customer: nothing is written then.
    need = customer_services.need_record(actor=actor, customer=customer, **need_fields)
    assessment = NeedsAssessment.objects.create(
        store_id=customer.store_id,
        customer=customer,
        visit=visit,
        consultant=actor,
        purchase_need=need,
        proposed_grade=proposed_grade(customer.store_id, data["timeframe"]),
        **data,
    )
    if visit is not None and not visit.customer_id:
        visit.customer = customer
        visit.save(update_fields=["customer"])
    audit_record(
        actor=actor,
        action="needs_assessment.created",
        target=assessment,
        diff={
            "customer": [None, customer.pk],
            "proposed_grade": [None, assessment.proposed_grade],
            "timeframe": [None, assessment.timeframe],
        },
    )
    return assessment


@transaction.atomic
def needs_assessment_confirm_grade(
    *, actor: User, assessment: NeedsAssessment, grade: str | None = None
) -> NeedsAssessment:
    """Confirm the proposed intent grade (or another one): the customer's grade and follow-up plan change."""
    assessment = (
        NeedsAssessment.objects.select_for_update(of=("self",)).select_related("customer").get(pk=assessment.pk)
    )
    grade = (grade or assessment.proposed_grade or "").strip().upper()
    if not grade:
        raise ValidationError({"grade": [_("Choose the intent grade to confirm.")]})
    customer_services.customer_set_grade(actor=actor, customer=assessment.customer, grade=grade)
    before = assessment.confirmed_grade
    assessment.confirmed_grade = grade
    assessment.save(update_fields=["confirmed_grade"])
    audit_record(
        actor=actor,
        action="needs_assessment.grade_confirmed",
        target=assessment,
        diff={"grade": [before or None, grade]},
    )
    return assessment


def _check_owns(actor: User, customer: Customer) -> None:
    if user_can(actor, "customers.view_store", customer) and user_can(actor, "sales.sell", customer):
        return
    if user_can(actor, "sales.sell", customer) and customer.owner_id == actor.pk:
        return
    raise NotPermitted()


@transaction.atomic
def recommendation_record(
    *, actor: User, assessment: NeedsAssessment, trim_ids: list[int], notes: str = ""
) -> Recommendation:
    """Record the trims the consultant recommended, with the engine's reasons at that moment."""
    assessment = NeedsAssessment.objects.select_related("customer", "store").get(pk=assessment.pk)
    _check_owns(actor, assessment.customer)
    ids = list(dict.fromkeys(int(i) for i in trim_ids))
    if not ids:
        raise ValidationError({"trims": [_("Choose at least one trim you recommended.")]})
    if len(ids) > 10:
        raise ValidationError({"trims": [_("Recommend at most 10 trims.")]})
    facts = {f.id: f for f in selectors.trim_facts(assessment.store, trim_ids=ids)}
    if set(ids) - set(facts):
        raise ValidationError({"trims": [_("This store does not sell one of the chosen trims.")]})
    if len(notes or "") > 2000:
        raise ValidationError({"notes": [_("At most 2,000 characters.")]})
    needs = needs_from({f: getattr(assessment, f) for f in NEEDS_FIELDS})
    ranked = {r.trim.id: r for r in selectors.score_trims(assessment.store, needs, ids, customer=assessment.customer)}
    snapshot = [as_dict(ranked[i]) for i in ids]
    recommendation = Recommendation.objects.create(
        store_id=assessment.store_id, assessment=assessment, consultant=actor, snapshot=snapshot, notes=notes or ""
    )
    recommendation.trims.set(Trim.objects.filter(pk__in=ids))
    audit_record(actor=actor, action="recommendation.recorded", target=recommendation, diff={"trims": [None, ids]})
    return recommendation


# ---------------------------------------------------------------- presentation


@transaction.atomic
def presentation_record(
    *,
    actor: User,
    customer: Customer,
    visit: Visit | None = None,
    trim: Trim | None = None,
    points_covered: list[str] | None = None,
    highlights: str = "",
    questions: str = "",
    objections: str = "",
    materials: list[str] | None = None,
) -> Presentation:
    """Record a six-point walkaround: the positions covered, what was presented, asked and objected, and the
    materials handed over."""
    _check_owns(actor, customer)
    errors: dict[str, list] = {}
    points = list(dict.fromkeys(points_covered or []))
    if any(p not in WalkaroundPoint.values for p in points):
        errors["points_covered"] = [_("Choose the positions from the six-point walkaround.")]
    elif not points:
        errors["points_covered"] = [_("Tick at least one position you presented.")]
    given = list(dict.fromkeys(materials or []))
    if any(m not in Material.values for m in given):
        errors["materials"] = [_("Choose materials from the list.")]
    if trim is not None:
        store = customer.store
        if not selectors._trims_sold_by(store).filter(pk=trim.pk).exists():
            errors["trim"] = [_("This store does not sell this trim.")]
    if visit is not None and (visit.store_id != customer.store_id or visit.customer_id not in (None, customer.pk)):
        errors["visit"] = [_("This visit is linked to another customer.")]
    for name, text in (("highlights", highlights), ("questions", questions), ("objections", objections)):
        if len(text or "") > 4000:
            errors[name] = [_("At most 4,000 characters.")]
    if errors:
        raise ValidationError(errors)
    order = list(WalkaroundPoint.values)
    presentation = Presentation.objects.create(
        store_id=customer.store_id,
        customer=customer,
        visit=visit,
        consultant=actor,
        trim=trim,
        points_covered=sorted(points, key=order.index),
        highlights=(highlights or "").strip(),
        questions=(questions or "").strip(),
        objections=(objections or "").strip(),
        materials=given,
    )
    audit_record(
        actor=actor,
        action="presentation.recorded",
        target=presentation,
        diff={"points_covered": [None, presentation.points_covered], "trim": [None, trim.pk if trim else None]},
    )
    return presentation
