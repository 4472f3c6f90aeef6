"""Writes of customer information (standard ch. 2). Each service: one transaction, permission re-checked,
validated, written, audited, side effects queued on commit."""

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import Role
from dealerdesk.accounts.selectors import staff_holding
from dealerdesk.core import validators as v
from dealerdesk.core.audit import access_record, audit_record, diff_fields
from dealerdesk.core.crypto import blind_index
from dealerdesk.core.errors import Conflict, DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.services import notification_queue

from .choices import (
    CARE_ROLE,
    DISSATISFIED_AT_OR_BELOW,
    MARKETING_PURPOSES,
    OPEN_STAGES,
    SATISFACTION_SCORES,
    STAGE_MOVES,
    ConsentChannel,
    ConsentPurpose,
    EnergyType,
    FollowUpChannel,
    FollowUpNextStep,
    FollowUpOutcome,
    FollowUpPurpose,
    FollowUpStatus,
    Gender,
    LossReason,
    RequestStatus,
    Source,
    Stage,
)
from .grades import DEFAULT_GRADES
from .lead_sources import group_of_store, validate_source
from .models import Consent, Customer, FollowUp, IntentGradePolicy, LossRequest, OwnerChange
from .search import reindex_customer

ID_PURPOSE = "customer.id_number"
_GENDERS = frozenset(Gender.values)
_SOURCE_CODE = re.compile(r"^[a-z0-9_]{1,20}$")
EDITABLE_FIELDS = [
    "name",
    "gender",
    "birthday",
    "city",
    "occupation",
    "employer",
    "notes",
    "tags",
    "source",
    "campaign",
    "mobile",
    "preferred_channel",
    "preferred_time",
    "id_number",
]
MASKED_IN_AUDIT = ["id_number"]


class DuplicateCustomer(Conflict):
    """The mobile or ID number already belongs to a customer of this store.

    What the answer tells the caller is decided per actor by `_duplicate_answer` (docs/decisions/0013): `disclose`
    names the field and the existing customer's id; otherwise the answer says only that such a customer exists.
    `existing` and `duplicate_field` are for the calling code (e.g. the reception desk links the existing customer),
    never for the answer.
    """

    default_code = "duplicate_customer"

    def __init__(self, existing: Customer, field: str, *, disclose: bool = True):
        if disclose:
            message = (
                _("A customer with this mobile already exists in this store.")
                if field == "mobile"
                else _("A customer with this ID number already exists in this store.")
            )
            super().__init__(message, field=field, extra={"existing_id": existing.pk})
        else:
            super().__init__(_("A customer with these details already exists in this store. Ask your sales manager."))
        self.existing = existing
        self.duplicate_field = field
        self.disclosed = disclose


# ---------------------------------------------------------------- helpers


def _require(actor: User, perm: str, store_or_obj) -> None:
    if not user_can(actor, perm, store_or_obj):
        raise NotPermitted()


def _check_may_submit_id_number(actor: User, store_or_obj, id_number: Any) -> None:
    """Only a role that may reveal ID numbers may type one in: the duplicate check would otherwise confirm a number
    the role only sees masked (docs/decisions/0013). Reception registers with name and mobile."""
    if isinstance(id_number, str) and id_number.strip() and not user_can(actor, "customers.reveal", store_or_obj):
        raise NotPermitted(
            _("Your role may not record resident ID numbers: the sales consultant or a manager adds it."),
            code="id_number_not_permitted",
            field="id_number",
        )


def _duplicate_answer(actor: User, duplicate: DuplicateCustomer) -> DuplicateCustomer:
    """The duplicate as the actor may be told it, the lookup written to the access log (docs/decisions/0013).

    The field and the existing customer's id are given when the actor may open that customer and, for an ID number,
    may reveal it; otherwise only that a customer with these details exists. Called outside the service's
    transaction, so the log entry stays although the create or update is rolled back.
    """
    from .selectors import customer_visible_to

    existing, field = duplicate.existing, duplicate.duplicate_field
    disclose = customer_visible_to(actor).filter(pk=existing.pk).exists() and (
        field == "mobile" or user_can(actor, "customers.reveal", existing)
    )
    access_record(
        actor=actor,
        kind="lookup",
        target_type="customers.customer",
        target_id=str(existing.pk),
        store_id=existing.store_id,
        fields=[field],
        reason="duplicate check: " + ("existing customer named" if disclose else "not named"),
    )
    return DuplicateCustomer(existing, field, disclose=disclose)


def _check_can_edit(actor: User, customer: Customer) -> None:
    """Consultants edit their own customers; managers and admins any in the store; receptionists none after creation."""
    if user_can(actor, "customers.view_store", customer) and user_can(actor, "customers.edit", customer):
        return
    if user_can(actor, "customers.edit", customer) and customer.owner_id == actor.pk:
        return
    raise NotPermitted()


def ensure_grade_policies(store_id: int) -> dict[str, IntentGradePolicy]:
    """The store's grades, creating the defaults the first time."""
    policies = {p.code: p for p in IntentGradePolicy.objects.filter(store_id=store_id)}
    if not policies:
        # two first customers of a store at once both get here: the second waits for the first's rows and keeps them
        IntentGradePolicy.objects.bulk_create(
            (
                IntentGradePolicy(
                    store_id=store_id, code=c, label=label, purchase_window=window, follow_up_hours=h, position=i
                )
                for i, (c, label, window, h) in enumerate(DEFAULT_GRADES)
            ),
            ignore_conflicts=True,
        )
        policies = {p.code: p for p in IntentGradePolicy.objects.filter(store_id=store_id)}
    return {code: p for code, p in policies.items() if p.is_active}


def clean_customer_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise and validate customer fields; raises ValidationError keyed by field, in the user's language."""
    errors: dict[str, list] = {}
    out: dict[str, Any] = {}
    for field, value in data.items():
        try:
            out[field] = _clean_one(field, value)
        except ValidationError as exc:
            errors[field] = exc.error_list
    if "id_number" in out and out["id_number"] and not out.get("birthday") and "birthday" not in errors:
        out.setdefault("_birthday_from_id", v.resident_id_birth_date(out["id_number"]))
    if errors:
        raise ValidationError(errors)
    return out


def _clean_one(field: str, value: Any) -> Any:
    if isinstance(value, str):
        value = v.to_halfwidth(value).strip()
    if field == "name":
        if not value:
            raise ValidationError(_("Enter the customer's name (a surname is enough)."), code="required")
        if len(value) > 60:
            raise ValidationError(_("A name can have at most 60 characters."), code="max_length")
        return value
    if field == "mobile":
        if not value:
            raise ValidationError(_("Enter a mobile number."), code="required")
        return v.normalize_mobile(value)
    if field == "id_number":
        return v.normalize_resident_id(value) if value else ""
    if field == "birthday":
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise ValidationError(_("Enter the birthday as YYYY-MM-DD."), code="invalid") from None
        if value > timezone.localdate():
            raise ValidationError(_("The birthday cannot be in the future."), code="future")
        if value.year < 1900:
            raise ValidationError(_("The birthday is too far in the past."), code="too_old")
        return value
    if field == "gender":
        value = value or Gender.UNKNOWN
        if value not in _GENDERS:
            raise ValidationError(_("Choose male, female or unknown."), code="invalid_choice")
        return value
    if field == "source":
        # the shape only: whether it is one of the group's active sources is checked with the store (lead_sources)
        value = value or Source.WALK_IN
        if not isinstance(value, str) or not _SOURCE_CODE.match(value):
            raise ValidationError(_("Unknown source channel."), code="invalid_choice")
        return value
    if field == "tags":
        if isinstance(value, str):
            value = [t.strip() for t in value.replace("，", ",").split(",") if t.strip()]
        if not isinstance(value, list) or not all(isinstance(t, str) and len(t) <= 20 for t in value):
            raise ValidationError(_("Tags are short words separated by commas (20 characters each at most)."))
        return list(dict.fromkeys(value))[:20]
    if value is None:
        return ""
    return value


def _find_duplicate(store_id: int, *, mobile: str = "", id_index: str = "", exclude: int | None = None):
    live = Customer.objects.filter(store_id=store_id, merged_into__isnull=True)
    if exclude:
        live = live.exclude(pk=exclude)
    if mobile and (existing := live.filter(mobile=mobile).first()):
        raise DuplicateCustomer(existing, "mobile")
    if mobile and (point := _secondary_mobile_owner(store_id, mobile, exclude)):
        raise DuplicateCustomer(point, "mobile")
    if id_index and (existing := live.filter(id_number_index=id_index).first()):
        raise DuplicateCustomer(existing, "id_number")


def _secondary_mobile_owner(store_id: int, mobile: str, exclude: int | None) -> Customer | None:
    """A live customer who has this mobile as an extra contact point (e.g. after a merge)."""
    from .models import ContactPoint

    points = ContactPoint.objects.filter(
        store_id=store_id, kind="mobile", value=mobile, customer__merged_into__isnull=True
    )
    if exclude:
        points = points.exclude(customer_id=exclude)
    point = points.select_related("customer").first()
    return point.customer if point else None


def _schedule_follow_up(
    customer: Customer, *, actor: User | None, due_at: datetime, purpose: str = FollowUpPurpose.REGULAR
) -> FollowUp | None:
    """Open the next follow-up (replacing any open regular one) and keep the customer's due date current."""
    FollowUp.objects.filter(
        customer=customer,
        status=FollowUpStatus.OPEN,
        purpose__in=[FollowUpPurpose.FIRST_CONTACT, FollowUpPurpose.REGULAR],
    ).update(status=FollowUpStatus.CANCELLED)
    follow_up = None
    if customer.stage in OPEN_STAGES:
        follow_up = FollowUp.objects.create(
            store_id=customer.store_id,
            customer=customer,
            assignee_id=customer.owner_id,
            purpose=purpose,
            due_at=due_at,
            created_by=actor,
            grade_before=customer.intent_grade,
        )
    customer_refresh_next_follow_up(customer)
    return follow_up


def customer_refresh_next_follow_up(customer: Customer) -> datetime | None:
    """Keep `Customer.next_follow_up_at` the earliest open follow-up of any kind (any purpose, assignee or role).

    The one function every follow-up write calls (schedule, complete, cancel, merge, erase), so the customer page,
    the list and the API never say "—" while a call is open (issue #10.7). The data migration
    (0010) recomputed every customer once."""
    due = FollowUp.objects.filter(customer_id=customer.pk, status=FollowUpStatus.OPEN).aggregate(due=Min("due_at"))[
        "due"
    ]
    Customer.objects.filter(pk=customer.pk).update(next_follow_up_at=due)
    customer.next_follow_up_at = due
    return due


def _next_due(customer: Customer, *, after: datetime) -> datetime:
    policies = ensure_grade_policies(customer.store_id)
    policy = policies.get(customer.intent_grade) or policies.get("N")
    hours = policy.follow_up_hours if policy else 24
    return after + timedelta(hours=hours)


# ---------------------------------------------------------------- create and edit


def customer_create(
    *,
    actor: User,
    store: Store,
    name: str,
    mobile: str,
    owner: User | None = None,
    consents: list[str] | None = None,
    consent_channel: str = ConsentChannel.IN_PERSON,
    notice_version: str = "2026-01",
    **fields: Any,
) -> Customer:
    """Register a customer with the minimum (name + mobile); dedup by mobile and ID number in the store.

    The first follow-up is due within 24 hours. Raises DuplicateCustomer (409), with the field and the existing id
    only when the actor may be told them (`_duplicate_answer`); every duplicate hit is logged as a lookup.
    """
    try:
        return _customer_create(
            actor=actor,
            store=store,
            name=name,
            mobile=mobile,
            owner=owner,
            consents=consents,
            consent_channel=consent_channel,
            notice_version=notice_version,
            **fields,
        )
    except DuplicateCustomer as duplicate:
        raise _duplicate_answer(actor, duplicate) from None


@transaction.atomic
def _customer_create(
    *,
    actor: User,
    store: Store,
    name: str,
    mobile: str,
    owner: User | None,
    consents: list[str] | None,
    consent_channel: str,
    notice_version: str,
    **fields: Any,
) -> Customer:
    _require(actor, "customers.edit", store)
    _check_may_submit_id_number(actor, store, fields.get("id_number"))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            gettext("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    data = clean_customer_fields({"name": name, "mobile": mobile, **fields})
    if "source" in data:
        validate_source(store.group_id, data["source"])
    birthday_from_id = data.pop("_birthday_from_id", None)
    id_number = data.get("id_number", "")
    id_index = blind_index(id_number, purpose=ID_PURPOSE) if id_number else ""
    _find_duplicate(store.pk, mobile=data["mobile"], id_index=id_index)
    if owner is None and user_can(actor, "sales.sell", store) and not user_can(actor, "customers.view_store", store):
        owner = actor  # a consultant registering a customer owns it
    if owner is not None and not user_can(owner, "sales.sell", store):
        raise DomainError(_("The owner must be a sales consultant of this store."), code="invalid_owner", field="owner")
    customer = Customer(store=store, owner=owner, created_by=actor, id_number_index=id_index, stage=Stage.LEAD, **data)
    if birthday_from_id and not customer.birthday:
        customer.birthday = birthday_from_id
    if id_number and customer.gender == Gender.UNKNOWN:
        customer.gender = v.resident_id_gender(id_number)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        # Lost a race with a concurrent create of the same person: report it like any duplicate.
        _find_duplicate(store.pk, mobile=data["mobile"], id_index=id_index)
        raise
    ensure_grade_policies(store.pk)
    reindex_customer(customer)
    for purpose in consents or []:
        _consent_grant(customer, actor=actor, purpose=purpose, channel=consent_channel, notice_version=notice_version)
    _schedule_follow_up(
        customer, actor=actor, due_at=timezone.now() + timedelta(hours=24), purpose=FollowUpPurpose.FIRST_CONTACT
    )
    audit_record(
        actor=actor,
        action="customer.created",
        target=customer,
        diff=diff_fields({}, {**data, "owner": owner.pk if owner else None}, masked=MASKED_IN_AUDIT),
    )
    if owner and owner != actor:
        _notify_owner(customer, owner, gettext("New customer assigned: %(name)s") % {"name": customer.name})
    return customer


@transaction.atomic
def customer_register_lead(
    *, store: Store, name: str, mobile: str, source: str, now: datetime | None = None
) -> Customer:
    """The store's customer with this mobile, or a new lead registered by a public page (no staff actor).

    Validated and deduplicated like `customer_create` (mobile, also as an extra contact point), indexed for search,
    first contact due within 24 hours; the audit entry's actor is the system.
    """
    now = now or timezone.now()
    data = clean_customer_fields({"name": name, "mobile": mobile})
    data.pop("_birthday_from_id", None)
    try:
        _find_duplicate(store.pk, mobile=data["mobile"])
    except DuplicateCustomer as duplicate:
        return duplicate.existing
    customer = Customer(store=store, stage=Stage.LEAD, source=source, created_at=now, **data)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:  # a concurrent registration of the same mobile won
        return Customer.objects.get(store=store, mobile=data["mobile"], merged_into__isnull=True)
    ensure_grade_policies(store.pk)
    reindex_customer(customer)
    _schedule_follow_up(customer, actor=None, due_at=now + timedelta(hours=24), purpose=FollowUpPurpose.FIRST_CONTACT)
    audit_record(
        actor=None,
        action="customer.created",
        target=customer,
        diff={"name": [None, customer.name], "source": [None, source]},
    )
    return customer


def customer_update(*, actor: User, customer: Customer, **fields: Any) -> Customer:
    """Change basic information; audited with a diff (the ID number is recorded only as changed). A mobile or ID
    number of another customer raises DuplicateCustomer as told to the actor (`_duplicate_answer`)."""
    try:
        return _customer_update(actor=actor, customer=customer, **fields)
    except DuplicateCustomer as duplicate:
        raise _duplicate_answer(actor, duplicate) from None


@transaction.atomic
def _customer_update(*, actor: User, customer: Customer, **fields: Any) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _check_can_edit(actor, customer)
    _check_may_submit_id_number(actor, customer, fields.get("id_number"))
    if customer.merged_into_id or customer.erased_at:
        raise TransitionRefused(_("This customer was merged or erased and can no longer be edited."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            gettext("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}, code="unknown_field"
        )
    data = clean_customer_fields(fields)
    if "source" in data:
        validate_source(group_of_store(customer.store_id), data["source"], current=customer.source)
    birthday_from_id = data.pop("_birthday_from_id", None)
    before = {f: getattr(customer, f) for f in data}
    if "id_number" in data:
        data_index = blind_index(data["id_number"], purpose=ID_PURPOSE) if data["id_number"] else ""
        _find_duplicate(customer.store_id, id_index=data_index, exclude=customer.pk)
        customer.id_number_index = data_index
    if "mobile" in data:
        _find_duplicate(customer.store_id, mobile=data["mobile"], exclude=customer.pk)
    for field, value in data.items():
        setattr(customer, field, value)
    if birthday_from_id and not customer.birthday:
        customer.birthday = birthday_from_id
        data["birthday"] = birthday_from_id
    changes = diff_fields(before, data, masked=MASKED_IN_AUDIT)
    if not changes:
        return customer
    customer.save()
    if {"name", "mobile"} & set(changes):
        reindex_customer(customer)
    audit_record(actor=actor, action="customer.updated", target=customer, diff=changes)
    return customer


def customer_record_id_number(*, actor: User, customer: Customer, id_number: str) -> Customer:
    """The resident ID number read from the card collected for registration (standard 5.3.2), written to the
    customer's encrypted field. The clerk who collects documents may record it without editing rights; a number
    that differs from the one on record is refused (a correction belongs on the customer page). A number of another
    customer raises DuplicateCustomer as told to the actor (`_duplicate_answer`)."""
    try:
        return _customer_record_id_number(actor=actor, customer=customer, id_number=id_number)
    except DuplicateCustomer as duplicate:
        raise _duplicate_answer(actor, duplicate) from None


@transaction.atomic
def _customer_record_id_number(*, actor: User, customer: Customer, id_number: str) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not user_can(actor, "paperwork.manage", customer):
        _check_can_edit(actor, customer)
    _check_may_submit_id_number(actor, customer, id_number)
    if customer.merged_into_id or customer.erased_at:
        raise TransitionRefused(_("This customer was merged or erased and can no longer be edited."))
    number = clean_customer_fields({"id_number": id_number or ""})["id_number"]
    if not number:
        raise ValidationError({"id_number": [_("Enter the owner's resident ID number from the card.")]})
    if customer.id_number:
        if customer.id_number == number:
            return customer
        raise Conflict(
            _("The customer's record holds a different ID number: check the card, or correct the record first."),
            code="id_number_differs",
            field="id_number",
        )
    index = blind_index(number, purpose=ID_PURPOSE)
    _find_duplicate(customer.store_id, id_index=index, exclude=customer.pk)
    customer.id_number, customer.id_number_index = number, index
    if not customer.birthday:
        customer.birthday = v.resident_id_birth_date(number)
    if customer.gender == Gender.UNKNOWN:
        customer.gender = v.resident_id_gender(number)
    customer.save()
    audit_record(
        actor=actor,
        action="customer.updated",
        target=customer,
        diff=diff_fields({"id_number": ""}, {"id_number": number}, masked=MASKED_IN_AUDIT),
    )
    return customer


def _notify_owner(customer: Customer, owner: User, subject: str) -> None:
    notification_queue(
        channel="in_app",
        recipient_user=owner,
        store=customer.store,
        subject=subject,
        body=f"/customers/{customer.pk}/",
        kind="customer.assigned",
    )


# ---------------------------------------------------------------- grade and follow-ups


@transaction.atomic
def customer_set_grade(*, actor: User, customer: Customer, grade: str) -> Customer:
    """Change the intent grade; the next follow-up is rescheduled by the grade's interval."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _check_can_edit(actor, customer)
    policies = ensure_grade_policies(customer.store_id)
    if grade not in policies:
        raise DomainError(
            gettext("Unknown intent grade “%(grade)s”. Use one of: %(codes)s.")
            % {"grade": grade, "codes": ", ".join(policies)},
            code="invalid_grade",
            field="intent_grade",
        )
    if grade == customer.intent_grade:
        return customer
    return _regrade(customer, grade, actor=actor)


def _regrade(customer: Customer, grade: str, *, actor: User, reason: str = "", reschedule: bool = True) -> Customer:
    """Set the grade (a graded lead becomes a prospect), open the next follow-up at its interval, audit."""
    before = customer.intent_grade
    customer.intent_grade = grade
    if customer.stage == Stage.LEAD and grade != "N":
        customer.stage = Stage.PROSPECT
    customer.save(update_fields=["intent_grade", "stage", "updated_at"])
    if reschedule:
        _schedule_follow_up(customer, actor=actor, due_at=_next_due(customer, after=timezone.now()))
    diff = {"intent_grade": [before, grade], **({"reason": [None, reason]} if reason else {})}
    audit_record(actor=actor, action="customer.graded", target=customer, diff=diff)
    return customer


DEPOSIT_PAID_GRADE = "O"


@transaction.atomic
def customer_grade_deposit_paid(*, actor: User, customer: Customer) -> Customer:
    """The order's deposit is paid: the customer is graded `O` (DESIGN §6) by rule, whoever recorded the payment
    (a cashier may not edit the customer), and followed up at O's interval until the car is handed over."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    policies = ensure_grade_policies(customer.store_id)
    if customer.intent_grade == DEPOSIT_PAID_GRADE or DEPOSIT_PAID_GRADE not in policies:
        return customer
    return _regrade(
        customer, DEPOSIT_PAID_GRADE, actor=actor, reason="deposit paid", reschedule=customer.stage != Stage.OWNER
    )


@transaction.atomic
def followup_complete(
    *,
    actor: User,
    follow_up: FollowUp,
    channel: str,
    outcome: str,
    notes: str = "",
    new_grade: str | None = None,
    next_due_at: datetime | None = None,
    score: Any = None,
    next_step: str = "",
) -> tuple[FollowUp, FollowUp | None]:
    """Record a follow-up as done and open the next one: the one service of the customer page, the care desk and
    the API.

    A sales call opens the next one by the (new) grade's interval (or at `next_due_at`). A care call (`is_care_call`)
    keeps the sales cadence as it is and opens a next care call only when `next_due_at` is given. `score` (1–5) and
    `next_step` are the care desk's; a score of 2 or less, or the "complaint" outcome, tells the store's sales
    managers at once (in-app, in this transaction).
    """
    follow_up = FollowUp.objects.select_for_update().select_related("customer", "store").get(pk=follow_up.pk)
    customer = follow_up.customer
    if not followup_may_complete(actor, follow_up):
        raise NotPermitted(_("You may not complete this follow-up: it is someone else's call."))
    if follow_up.status != FollowUpStatus.OPEN:
        raise TransitionRefused(_("This follow-up is already closed."), code="followup_closed")
    errors = {}
    if channel not in FollowUpChannel.values:
        errors["channel"] = [_("Choose how you contacted the customer.")]
    if outcome not in FollowUpOutcome.values:
        errors["outcome"] = [_("Choose the outcome of the contact.")]
    if next_due_at and next_due_at <= timezone.now():
        errors["next_due_at"] = [_("The next follow-up must be in the future.")]
    if score in ("", None):
        score = None
    elif isinstance(score, bool) or not isinstance(score, int | str) or str(score).strip() not in _SCORE_TEXTS:
        errors["score"] = [_("Give a satisfaction score from 1 (very dissatisfied) to 5 (very satisfied).")]
    else:
        score = int(str(score).strip())
    if next_step and next_step not in FollowUpNextStep.values:
        errors["next_step"] = [_("Choose one of the next steps offered.")]
    if next_step == FollowUpNextStep.CALL_AGAIN and not next_due_at:
        errors["next_due_at"] = [_("Give the date of the next call.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    care_call = is_care_call(follow_up)
    follow_up.status = FollowUpStatus.DONE
    follow_up.completed_at = now
    follow_up.channel, follow_up.outcome, follow_up.notes = channel, outcome, notes
    follow_up.satisfaction_score, follow_up.next_step = score, next_step
    follow_up.grade_before = customer.intent_grade
    if new_grade and new_grade != customer.intent_grade:
        customer_set_grade(actor=actor, customer=customer, grade=new_grade)
        customer.refresh_from_db()
    follow_up.grade_after = customer.intent_grade
    follow_up.save()
    Customer.objects.filter(pk=customer.pk).update(last_contact_at=now)
    customer.last_contact_at = now
    if care_call:
        next_follow_up = _next_care_call(actor, follow_up, next_due_at) if next_due_at else None
    else:
        next_follow_up = _schedule_follow_up(
            customer, actor=actor, due_at=next_due_at or _next_due(customer, after=now)
        )
    customer_refresh_next_follow_up(customer)
    diff = {
        "outcome": [None, outcome],
        "channel": [None, channel],
        "grade": [follow_up.grade_before, follow_up.grade_after],
    }
    if score is not None:
        diff["satisfaction_score"] = [None, score]
    if next_step:
        diff["next_step"] = [None, next_step]
    audit_record(actor=actor, action="followup.completed", target=follow_up, store_id=customer.store_id, diff=diff)
    if is_dissatisfied(follow_up):
        _alert_managers(follow_up)
    return follow_up, next_follow_up


_SCORE_TEXTS = frozenset(str(n) for n in SATISFACTION_SCORES)


def is_care_call(follow_up: FollowUp) -> bool:
    """A call of the care desk: planned for the care role (the post-delivery calls of days 3 and 30, a care call)."""
    return follow_up.role == CARE_ROLE or follow_up.purpose == FollowUpPurpose.CARE


def is_dissatisfied(follow_up: FollowUp) -> bool:
    """The customer said they are unhappy: a score of 2 or less, or a complaint."""
    score = follow_up.satisfaction_score
    return (score is not None and score <= DISSATISFIED_AT_OR_BELOW) or follow_up.outcome == FollowUpOutcome.COMPLAINT


def followup_may_complete(user: User, follow_up: FollowUp) -> bool:
    """Who may record a follow-up as done (the one rule of the customer page, the care desk and the API).

    The store's managers (`customers.assign`) any; a care call its assignee and anyone of the store's care desk
    (`care.manage`), never the customer's consultant unless it was given to them; any other call its assignee and
    whoever may edit the customer (their consultant, the store's editors). The row must also be visible to the user:
    the callers fetch it through `followup_visible_to`.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    store_id = follow_up.store_id
    if user_can(user, "customers.assign", store_id):
        return True
    works_calls = user_can(user, "care.manage", store_id) or user_can(user, "customers.edit", store_id)
    if follow_up.assignee_id == user.pk and works_calls:
        return True
    if is_care_call(follow_up):
        return user_can(user, "care.manage", store_id)
    try:
        _check_can_edit(user, follow_up.customer)
    except NotPermitted:
        return False
    return True


def _next_care_call(actor: User, done: FollowUp, due_at: datetime) -> FollowUp:
    """The next call the care desk asked for: a care call to the same assignee (or the desk)."""
    follow_up = FollowUp.objects.create(
        store_id=done.store_id,
        customer_id=done.customer_id,
        assignee_id=done.assignee_id,
        role=CARE_ROLE,
        purpose=FollowUpPurpose.CARE,
        due_at=due_at,
        created_by=actor,
        grade_before=done.customer.intent_grade,
    )
    audit_record(
        actor=actor,
        action="followup.scheduled",
        target=follow_up,
        store_id=done.store_id,
        diff={"due_at": [None, due_at.isoformat()], "purpose": [None, follow_up.purpose]},
    )
    return follow_up


ALERT_COMMENT_CHARS = 80  # of the comment, in the alert's subject (the inbox shows the subject)


def _managers_to_alert(store_id: int) -> list[User]:
    """The store's sales managers; when it has none, whoever manages its customers (store admin, group admin)."""
    managers = [u for u in staff_holding(store_id, "customers.assign") if Role.SALES_MANAGER in u.roles_in(store_id)]
    return managers or staff_holding(store_id, "customers.assign")


def _alert_managers(follow_up: FollowUp) -> None:
    """Tell the store's sales managers at once that a customer is unhappy: who, the score and what they said. The
    customer's name is written as each manager may see it (field-visibility policy); no contact data is sent."""
    from . import visibility

    customer = follow_up.customer
    comment = " ".join(follow_up.notes.split())
    if len(comment) > ALERT_COMMENT_CHARS:
        comment = comment[: ALERT_COMMENT_CHARS - 1] + "…"
    for manager in _managers_to_alert(follow_up.store_id):
        name = visibility.value(manager, visibility.CUSTOMER, customer, "name") or _("a customer")
        with translation.override(manager.language or None):
            if follow_up.satisfaction_score is not None:
                subject = gettext("Dissatisfied customer %(name)s: score %(score)s/5 — “%(comment)s”") % {
                    "name": name,
                    "score": follow_up.satisfaction_score,
                    "comment": comment or "—",
                }
            else:
                subject = gettext("Complaint from customer %(name)s — “%(comment)s”") % {
                    "name": name,
                    "comment": comment or "—",
                }
        notification_queue(
            channel="in_app",
            recipient_user=manager,
            store=follow_up.store,
            subject=subject,
            body=f"/customers/{customer.pk}/#followup",
            kind="followup.dissatisfied",
        )


@transaction.atomic
def followup_schedule(
    *,
    actor: User,
    customer: Customer,
    due_at: datetime,
    purpose: str = FollowUpPurpose.REGULAR,
    notes: str = "",
    assignee: User | None = None,
    role: str = "",
) -> FollowUp:
    """Plan an extra follow-up. A marketing call needs the customer's marketing consent.

    The call goes to the customer's consultant unless `assignee` names someone of the store who makes such calls
    (customer care, or staff who edit customers), e.g. the care specialist's post-delivery calls.
    `role="care_specialist"` plans it for the care desk: on the queue of every care specialist of the store.
    """
    _check_can_edit(actor, customer)
    if assignee is not None and not (
        user_can(assignee, "care.manage", customer) or user_can(assignee, "customers.edit", customer)
    ):
        raise DomainError(
            _("%(name)s does not make follow-up calls in this store; choose someone who does.")
            % {"name": str(assignee)},
            code="invalid_assignee",
            field="assignee",
        )
    if purpose not in FollowUpPurpose.values:
        raise DomainError(_("Unknown follow-up purpose."), code="invalid_purpose", field="purpose")
    if role not in ("", CARE_ROLE):
        raise DomainError(_("Unknown responsible role."), code="invalid_role", field="role")
    if (
        purpose == FollowUpPurpose.MARKETING
        and not Consent.objects.filter(
            customer=customer, purpose__in=MARKETING_PURPOSES, withdrawn_at__isnull=True
        ).exists()
    ):
        raise DomainError(
            _("The customer has not agreed to marketing contact, so no marketing follow-up can be planned."),
            code="no_marketing_consent",
            field="purpose",
        )
    if due_at <= timezone.now() - timedelta(minutes=5):
        raise ValidationError({"due_at": [_("The follow-up must be due in the future.")]})
    follow_up = FollowUp.objects.create(
        store_id=customer.store_id,
        customer=customer,
        assignee_id=assignee.pk if assignee is not None else customer.owner_id or actor.pk,
        purpose=purpose,
        role=role,
        due_at=due_at,
        notes=notes,
        created_by=actor,
        grade_before=customer.intent_grade,
    )
    customer_refresh_next_follow_up(customer)
    audit_record(
        actor=actor,
        action="followup.scheduled",
        target=follow_up,
        store_id=customer.store_id,
        diff={"due_at": [None, due_at.isoformat()], "purpose": [None, purpose]},
    )
    return follow_up


# ---------------------------------------------------------------- stage: lost and dormant


@transaction.atomic
def customer_request_lost(
    *, actor: User, customer: Customer, reason: str, notes: str = "", competitor: str = ""
) -> LossRequest:
    """A consultant asks to mark the prospect lost (战败); a manager must approve."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _check_can_edit(actor, customer)
    if reason not in LossReason.values:
        raise ValidationError({"reason": [_("Choose why the prospect was lost.")]})
    if reason == LossReason.OTHER and not notes.strip():
        raise ValidationError({"notes": [_("Describe the reason when you choose “Other”.")]})
    if Stage.LOST not in STAGE_MOVES[customer.stage]:
        raise TransitionRefused(_("Only an open prospect can be marked lost."), code="stage_move_refused")
    if LossRequest.objects.filter(customer=customer, status=RequestStatus.PENDING).exists():
        raise Conflict(_("A loss request for this customer is already waiting for approval."), code="loss_pending")
    request = LossRequest.objects.create(
        store_id=customer.store_id,
        customer=customer,
        reason=reason,
        notes=notes,
        competitor=competitor,
        requested_by=actor,
    )
    audit_record(actor=actor, action="customer.loss_requested", target=customer, diff={"reason": [None, reason]})
    return request


@transaction.atomic
def loss_request_decide(*, actor: User, request: LossRequest, approve: bool, note: str = "") -> LossRequest:
    """A manager approves (the customer becomes lost, open follow-ups are cancelled) or rejects."""
    request = LossRequest.objects.select_for_update().select_related("customer").get(pk=request.pk)
    _require(actor, "customers.approve_lost", request.store_id)
    if request.status != RequestStatus.PENDING:
        raise TransitionRefused(_("This request has already been decided."), code="already_decided")
    if not approve and not note.strip():
        raise ValidationError({"note": [_("Say why the request is rejected, so the consultant knows what to do.")]})
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note
    request.save()
    customer = request.customer
    if approve:
        before = customer.stage
        customer.stage = Stage.LOST
        customer.save(update_fields=["stage", "updated_at"])
        _schedule_follow_up(customer, actor=actor, due_at=timezone.now())  # cancels the open ones; lost gets none
        audit_record(actor=actor, action="customer.lost", target=customer, diff={"stage": [before, Stage.LOST]})
    else:
        audit_record(actor=actor, action="customer.loss_rejected", target=customer, diff={"note": [None, note]})
    if request.requested_by_id != actor.pk:
        notification_queue(
            channel="in_app",
            recipient_user=request.requested_by,
            store=customer.store,
            subject=(gettext("Loss approved: %(name)s") if approve else gettext("Loss rejected: %(name)s"))
            % {"name": customer.name},
            body=note or f"/customers/{customer.pk}/",
            kind="customer.loss_decided",
        )
    return request


@transaction.atomic
def customer_change_stage(*, actor: User, customer: Customer, stage: str) -> Customer:
    """Move along the stage machine (lost only through an approved loss request)."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _check_can_edit(actor, customer)
    if stage == Stage.LOST:
        raise TransitionRefused(
            _("Marking a customer lost needs a reason and a manager's approval."), code="lost_needs_approval"
        )
    if stage not in STAGE_MOVES.get(customer.stage, set()):
        raise TransitionRefused(
            gettext("A customer cannot move from “%(from)s” to “%(to)s”.")
            % {"from": customer.get_stage_display(), "to": Stage(stage).label if stage in Stage.values else stage},
            code="stage_move_refused",
        )
    before = customer.stage
    customer.stage = stage
    customer.save(update_fields=["stage", "updated_at"])
    if stage in OPEN_STAGES:
        _schedule_follow_up(customer, actor=actor, due_at=_next_due(customer, after=timezone.now()))
    else:
        _schedule_follow_up(customer, actor=actor, due_at=timezone.now())
    audit_record(actor=actor, action="customer.stage_changed", target=customer, diff={"stage": [before, stage]})
    return customer


# ---------------------------------------------------------------- assignment


@transaction.atomic
def customers_assign(*, actor: User, customers: list[Customer], new_owner: User, reason: str) -> int:
    """A manager hands customers to another consultant, with a reason; the new owner is notified once."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give a reason for the handover.")]})
    ids = [c.pk for c in customers]
    locked = list(Customer.objects.select_for_update().filter(pk__in=ids, merged_into__isnull=True))
    if len(locked) != len(set(ids)):
        raise DomainError(_("Some of the selected customers no longer exist."), code="missing_customers")
    stores = {c.store_id for c in locked}
    for store_id in stores:
        _require(actor, "customers.assign", store_id)
        if not user_can(new_owner, "sales.sell", store_id):
            raise DomainError(
                _("The new owner must be a sales consultant of the customer's store."),
                code="invalid_owner",
                field="new_owner",
            )
    moved = 0
    for customer in locked:
        if customer.owner_id == new_owner.pk:
            continue
        OwnerChange.objects.create(
            store_id=customer.store_id,
            customer=customer,
            from_owner_id=customer.owner_id,
            to_owner=new_owner,
            reason=reason,
            changed_by=actor,
        )
        audit_record(
            actor=actor,
            action="customer.reassigned",
            target=customer,
            diff={"owner": [customer.owner_id, new_owner.pk], "reason": [None, reason]},
        )
        customer.owner = new_owner
        customer.save(update_fields=["owner", "updated_at"])
        FollowUp.objects.filter(customer=customer, status=FollowUpStatus.OPEN).update(assignee=new_owner)
        moved += 1
    if moved:
        first = locked[0]
        subject = (
            gettext("New customer assigned: %(name)s") % {"name": first.name}
            if moved == 1
            else gettext("%(count)d customers were handed over to you") % {"count": moved}
        )
        notification_queue(
            channel="in_app",
            recipient_user=new_owner,
            store=first.store,
            subject=subject,
            body=reason,
            kind="customer.assigned",
        )
    return moved


# ---------------------------------------------------------------- consent


def _consent_grant(
    customer: Customer, *, actor: User | None, purpose: str, channel: str, notice_version: str
) -> Consent:
    if purpose not in ConsentPurpose.values:
        raise ValidationError({"purpose": [_("Unknown consent purpose.")]})
    if channel not in ConsentChannel.values:
        raise ValidationError({"channel": [_("Say how the consent was given.")]})
    if not notice_version.strip():
        raise ValidationError({"notice_version": [_("Record which version of the privacy notice the customer saw.")]})
    existing = Consent.objects.filter(customer=customer, purpose=purpose, withdrawn_at__isnull=True).first()
    if existing:
        return existing
    consent = Consent.objects.create(
        store_id=customer.store_id,
        customer=customer,
        purpose=purpose,
        channel=channel,
        notice_version=notice_version,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="consent.granted",
        target=customer,
        diff={"purpose": [None, purpose], "notice_version": [None, notice_version]},
    )
    return consent


@transaction.atomic
def consent_grant(*, actor: User, customer: Customer, purpose: str, channel: str, notice_version: str) -> Consent:
    """Record the customer's consent for one purpose."""
    _check_can_edit(actor, customer)
    return _consent_grant(customer, actor=actor, purpose=purpose, channel=channel, notice_version=notice_version)


@transaction.atomic
def consent_withdraw(*, actor: User, customer: Customer, purpose: str) -> Consent | None:
    """Withdraw a consent in one step; open marketing follow-ups are cancelled at once."""
    _check_can_edit(actor, customer)
    consent = (
        Consent.objects.select_for_update()
        .filter(customer=customer, purpose=purpose, withdrawn_at__isnull=True)
        .first()
    )
    if consent is None:
        return None
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    if (
        purpose in MARKETING_PURPOSES
        and not Consent.objects.filter(
            customer=customer, purpose__in=MARKETING_PURPOSES, withdrawn_at__isnull=True
        ).exists()
    ):
        FollowUp.objects.filter(
            customer=customer, status=FollowUpStatus.OPEN, purpose=FollowUpPurpose.MARKETING
        ).update(status=FollowUpStatus.CANCELLED)
        customer_refresh_next_follow_up(customer)
    audit_record(actor=actor, action="consent.withdrawn", target=customer, diff={"purpose": [purpose, None]})
    return consent


# ---------------------------------------------------------------- needs, vehicles, contact points, notes, feedback


@transaction.atomic
def need_record(*, actor: User, customer: Customer, **fields: Any):
    """Record the customer's current purchase needs; the previous ones are kept as history."""
    from .models import PurchaseNeed

    _check_can_edit(actor, customer)
    energy = fields.get("energy_types")
    if energy in (None, ""):
        energy = []
    if not isinstance(energy, list | tuple) or any(e not in EnergyType.values for e in energy):
        raise ValidationError({"energy_types": [_("Choose energy types from the list.")]})
    fields["energy_types"] = [e for e in EnergyType.values if e and e in set(energy)]  # "" is "any": none listed
    need = PurchaseNeed(store_id=customer.store_id, customer=customer, created_by=actor, **fields)
    try:
        need.full_clean(exclude=["store", "customer", "created_by"], validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if need.budget_min is not None and need.budget_max is not None and need.budget_min > need.budget_max:
        raise ValidationError({"budget_max": [_("The upper budget must not be below the lower budget.")]})
    PurchaseNeed.objects.filter(customer=customer, is_current=True).update(is_current=False)
    need.save()
    audit_record(
        actor=actor,
        action="customer.needs_recorded",
        target=customer,
        diff={k: [None, str(val)] for k, val in fields.items() if val not in (None, "")},
    )
    return need


@transaction.atomic
def vehicle_add(*, actor: User, customer: Customer, brand: str, plate: str = "", vin: str = "", **fields: Any):
    """Add a vehicle the customer owns (bought here or elsewhere); plate and VIN become searchable."""
    from .models import OwnedVehicle

    _check_can_edit(actor, customer)
    errors: dict[str, list] = {}
    if not (brand or "").strip():
        errors["brand"] = [_("Enter the brand.")]
    try:
        plate = v.normalize_plate(plate) if plate else ""
    except ValidationError as exc:
        errors["plate"] = exc.messages
    try:
        vin = v.normalize_vin(vin) if vin else ""
    except ValidationError as exc:
        errors["vin"] = exc.messages
    if errors:
        raise ValidationError(errors)
    vehicle = OwnedVehicle(
        store_id=customer.store_id, customer=customer, brand=brand.strip(), plate=plate, vin=vin, **fields
    )
    try:
        vehicle.full_clean(exclude=["store", "customer"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    vehicle.save()
    reindex_customer(customer)
    audit_record(actor=actor, action="customer.vehicle_added", target=customer, diff={"vehicle": [None, str(vehicle)]})
    return vehicle


@transaction.atomic
def contact_point_add(*, actor: User, customer: Customer, kind: str, value: str, label: str = ""):
    """Add another mobile, landline, WeChat ID, email or address."""
    from .choices import ContactKind
    from .models import ContactPoint

    _check_can_edit(actor, customer)
    value = v.to_halfwidth(value or "").strip()
    try:
        if kind == ContactKind.MOBILE:
            value = v.normalize_mobile(value)
        elif kind == ContactKind.LANDLINE:
            value = v.normalize_phone(value)
        elif kind == ContactKind.EMAIL:
            value = v.normalize_email(value)
        elif kind not in ContactKind.values:
            raise ValidationError(_("Unknown contact kind."))
        elif not value:
            raise ValidationError(_("Enter a value."))
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from None
    point, created = ContactPoint.objects.get_or_create(
        customer=customer, kind=kind, value=value, defaults={"store_id": customer.store_id, "label": label}
    )
    if created:
        audit_record(actor=actor, action="customer.contact_added", target=customer, diff={"kind": [None, kind]})
    return point


@transaction.atomic
def note_add(*, actor: User, customer: Customer, body: str):
    """A note shared with the store team; each @username of a colleague in the store is notified."""
    import re

    from .models import CustomerNote

    _require(actor, "store.view", customer)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something first.")]})
    if len(body) > 2000:
        raise ValidationError({"body": [_("A note can have at most 2,000 characters.")]})
    note = CustomerNote.objects.create(store_id=customer.store_id, customer=customer, author=actor, body=body)
    usernames = set(re.findall(r"@([\w.\-]+)", body))
    mentioned = [
        u for u in User.objects.filter(username__in=usernames, is_active=True) if user_can(u, "store.view", customer)
    ]
    if mentioned:
        note.mentions.set(mentioned)
        for user in mentioned:
            if user != actor:
                notification_queue(
                    channel="in_app",
                    recipient_user=user,
                    store=customer.store,
                    subject=gettext("%(who)s mentioned you on %(name)s") % {"who": actor, "name": customer.name},
                    body=body[:500],
                    kind="customer.mentioned",
                )
    audit_record(
        actor=actor, action="customer.note_added", target=customer, diff={"mentions": [None, sorted(usernames)]}
    )
    return note


@transaction.atomic
def feedback_add(*, actor: User, customer: Customer, kind: str, body: str):
    """Record a remark or request of the customer, for the manager's feedback list."""
    from .choices import FeedbackKind
    from .models import FeedbackItem

    _require(actor, "store.view", customer)
    errors = {}
    if kind not in FeedbackKind.values:
        errors["kind"] = [_("Choose what kind of feedback this is.")]
    if not (body or "").strip():
        errors["body"] = [_("Write down what the customer said.")]
    if errors:
        raise ValidationError(errors)
    item = FeedbackItem.objects.create(
        store_id=customer.store_id, customer=customer, kind=kind, body=body.strip(), created_by=actor
    )
    audit_record(actor=actor, action="feedback.recorded", target=item)
    return item


@transaction.atomic
def feedback_set_status(*, actor: User, item, status: str, resolution: str = ""):
    """A manager moves a feedback item along (open → in progress → done)."""
    from .choices import FeedbackStatus
    from .models import FeedbackItem

    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    _require(actor, "customers.view_store", item.store_id)
    if status not in FeedbackStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status == FeedbackStatus.DONE and not (resolution or item.resolution).strip():
        raise ValidationError({"resolution": [_("Say what was done before closing the item.")]})
    before = item.status
    item.status = status
    if resolution:
        item.resolution = resolution
    item.save()
    audit_record(actor=actor, action="feedback.status_changed", target=item, diff={"status": [before, status]})
    return item


def customer_claim_unowned(*, actor: User, customer: Customer, consultant: User, reason: str) -> bool:
    """An unowned customer (e.g. a walk-in registered at the desk) goes to the consultant who serves them.

    Runs inside the caller's transaction; does nothing (False) when someone already owns the customer.
    """
    if customer.owner_id is not None or not user_can(consultant, "sales.sell", customer.store_id):
        return False
    if not Customer.objects.filter(pk=customer.pk, owner__isnull=True).update(owner=consultant):
        return False
    FollowUp.objects.filter(customer=customer, status=FollowUpStatus.OPEN, assignee__isnull=True).update(
        assignee=consultant
    )
    customer.owner = consultant
    audit_record(
        actor=actor,
        action="customer.reassigned",
        target=customer,
        diff={"owner": [None, consultant.pk], "reason": [None, reason]},
    )
    return True
