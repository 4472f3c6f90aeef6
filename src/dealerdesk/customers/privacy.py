"""Personal-data protection for customers (DESIGN §7): masking by role, logged reveals, subject requests,
export of one person's data, and erasure that keeps records under legal hold."""

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.permissions import user_can
from dealerdesk.core import validators as v
from dealerdesk.core.audit import access_record, audit_record
from dealerdesk.core.errors import DomainError, NotPermitted, TransitionRefused
from dealerdesk.core.tabular import write_xlsx

from .choices import SubjectRequestKind, SubjectRequestStatus
from .models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerNote,
    FeedbackItem,
    FollowUp,
    OwnedVehicle,
    PurchaseNeed,
    SubjectRequest,
)
from .search import reindex_customer
from .services import customer_refresh_next_follow_up

REVEALABLE = {"mobile", "id_number"}
SUBJECT_REQUEST_DAYS = 15  # PIPL asks for a timely answer; we commit to 15 days


def can_reveal(user, customer: Customer) -> bool:
    return user_can(user, "customers.reveal", customer)


def masked_mobile(customer: Customer) -> str:
    return v.mask_mobile(customer.mobile) if customer.mobile else ""


def masked_id_number(customer: Customer) -> str:
    return v.mask_resident_id(customer.id_number) if customer.id_number else ""


@transaction.atomic
def customer_reveal(*, actor, customer: Customer, field: str, reason: str = "") -> str:
    """The full value of a masked field, for a permitted role; every reveal is written to the access log."""
    if field not in REVEALABLE:
        raise DomainError(_("This field cannot be revealed."), code="invalid_field", field="field")
    if not can_reveal(actor, customer):
        raise NotPermitted(_("Your role may not see this customer's full contact data."))
    access_record(
        actor=actor,
        kind="reveal",
        target_type="customers.customer",
        target_id=str(customer.pk),
        store_id=customer.store_id,
        fields=[field],
        reason=reason[:200],
    )
    return getattr(customer, field) or ""


@transaction.atomic
def subject_request_open(*, actor, customer: Customer, kind: str, details: str = "") -> SubjectRequest:
    """Log a data-subject request with its due date."""
    if not user_can(actor, "customers.view_store", customer):
        raise NotPermitted()
    if kind not in SubjectRequestKind.values:
        raise DomainError(_("Unknown request kind."), code="invalid_kind", field="kind")
    now = timezone.now()
    request = SubjectRequest.objects.create(
        store_id=customer.store_id,
        customer=customer,
        kind=kind,
        details=details,
        received_at=now,
        due_at=now + timedelta(days=SUBJECT_REQUEST_DAYS),
        handled_by=actor,
    )
    audit_record(actor=actor, action="subject_request.opened", target=request, diff={"kind": [None, kind]})
    return request


def _close_requests(customer: Customer, kind: str) -> None:
    SubjectRequest.objects.filter(customer=customer, kind=kind, status=SubjectRequestStatus.OPEN).update(
        status=SubjectRequestStatus.DONE, completed_at=timezone.now()
    )


def customer_data(customer: Customer) -> dict:
    """Everything we hold about one person, in plain JSON-able form."""

    def rows(qs, fields):
        return [{f: _plain(getattr(o, f)) for f in fields} for o in qs]

    data = {
        "customer": {
            f: _plain(getattr(customer, f))
            for f in [
                "id",
                "name",
                "gender",
                "birthday",
                "city",
                "occupation",
                "employer",
                "mobile",
                "id_number",
                "source",
                "campaign",
                "stage",
                "intent_grade",
                "preferred_channel",
                "preferred_time",
                "notes",
                "tags",
                "created_at",
            ]
        },
        "contact_points": rows(ContactPoint.objects.filter(customer=customer), ["kind", "value", "label"]),
        "needs": rows(
            PurchaseNeed.objects.filter(customer=customer),
            [
                "created_at",
                "budget_min",
                "budget_max",
                "body_type",
                "seats",
                "energy_types",
                "usage",
                "timeframe",
                "payment_method",
                "trade_in",
                "notes",
            ],
        ),
        "vehicles": rows(
            OwnedVehicle.objects.filter(customer=customer),
            ["brand", "series", "model_year", "plate", "vin", "purchase_date", "bought_here"],
        ),
        "consents": rows(
            Consent.objects.filter(customer=customer),
            ["purpose", "notice_version", "channel", "granted_at", "withdrawn_at"],
        ),
        "follow_ups": rows(
            FollowUp.objects.filter(customer=customer),
            ["due_at", "status", "purpose", "channel", "outcome", "completed_at", "notes"],
        ),
        "feedback": rows(FeedbackItem.objects.filter(customer=customer), ["created_at", "kind", "body", "status"]),
    }
    # what later apps hold about the person (visits, offers, test drives, orders, deliveries, registrations)
    for name, section in SUBJECT_SECTIONS.items():
        data[name] = [{key: _plain(value) for key, value in row.items()} for row in section(customer)]
    return data


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


@transaction.atomic
def customer_subject_export(*, actor, customer: Customer, fmt: str = "json") -> tuple[bytes, str]:
    """One person's data as JSON or XLSX (access request); logged as an export and closes open access requests."""
    if not user_can(actor, "customers.reveal", customer) or not user_can(actor, "customers.view_store", customer):
        raise NotPermitted()
    data = customer_data(customer)
    access_record(
        actor=actor,
        kind="export",
        target_type="customers.customer",
        target_id=str(customer.pk),
        store_id=customer.store_id,
        fields=sorted(data),
        reason="subject access request",
    )
    _close_requests(customer, SubjectRequestKind.ACCESS)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2).encode(), "application/json"
    rows = []
    for section, content in data.items():
        items = content if isinstance(content, list) else [content]
        for item in items:
            for key, value in item.items():
                rows.append([section, key, "" if value is None else str(value)])
    return write_xlsx(rows, ["section", "field", "value"], sheet_title="data"), (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


# Registry of record types under legal hold (contracts, deliveries, registrations): later apps add a
# function `customer -> bool` that says whether that customer has such records.
LEGAL_HOLDS: list = []

# Registry of erasers: later apps add a function `(customer, on_hold: bool) -> None` that anonymises the personal
# data their own records hold about the customer (e.g. driver's licence numbers), inside the erase transaction.
ERASERS: list = []


def register_eraser(eraser) -> None:
    """Let a later app anonymise its own records of a customer when the customer is erased."""
    if eraser not in ERASERS:
        ERASERS.append(eraser)


# Registry of subject-access sections: later apps add, under a section name, a function `customer -> list[dict]`
# returning the rows their own records hold about the person (plain values; dates and amounts are turned into
# text like the customers app's own sections). Each function should run one query, so the export stays bounded.
SUBJECT_SECTIONS: dict = {}
_CORE_SECTIONS = frozenset({"customer", "contact_points", "needs", "vehicles", "consents", "follow_ups", "feedback"})


def register_subject_section(name: str, fn) -> None:
    """Let a later app add its records of a customer to the subject-access export (`customer_data`)."""
    if name in _CORE_SECTIONS:
        raise ValueError(f"{name!r} is a section of the customers app itself")
    registered = SUBJECT_SECTIONS.get(name)
    if registered is not None and _qualname(registered) != _qualname(fn):
        raise ValueError(f"subject section {name!r} is already registered")
    SUBJECT_SECTIONS[name] = fn


def _qualname(fn) -> str:
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


@transaction.atomic
def customer_erase(*, actor, customer: Customer, reason: str) -> Customer:
    """Erase a person (deletion request): personal data is anonymised, sales records under legal hold stay."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not user_can(actor, "customers.approve_lost", customer):
        raise NotPermitted(_("Only a manager can erase a customer's personal data."))
    if customer.erased_at:
        raise TransitionRefused(_("This customer has already been erased."), code="already_erased")
    if not (reason or "").strip():
        raise DomainError(_("Give the reason (e.g. the request number)."), code="reason_required", field="reason")
    on_hold = any(hold(customer) for hold in LEGAL_HOLDS)
    customer.name = "已删除客户"
    customer.mobile = ""
    customer.id_number = ""
    customer.id_number_index = ""
    customer.birthday = None
    customer.city = customer.occupation = customer.employer = customer.notes = customer.campaign = ""
    customer.preferred_time = ""
    customer.tags = []
    customer.erased_at = timezone.now()
    customer.save()
    ContactPoint.objects.filter(customer=customer).delete()
    CustomerNote.objects.filter(customer=customer).update(body="（已删除）")
    PurchaseNeed.objects.filter(customer=customer).update(notes="", usage="")
    FollowUp.objects.filter(customer=customer).update(notes="")
    FollowUp.objects.filter(customer=customer, status="open").update(status="cancelled")
    customer_refresh_next_follow_up(customer)
    FeedbackItem.objects.filter(customer=customer).update(body="（已删除）", resolution="")
    Consent.objects.filter(customer=customer, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
    if not on_hold:
        OwnedVehicle.objects.filter(customer=customer).update(plate="", vin="")
    for eraser in ERASERS:
        eraser(customer, on_hold)
    reindex_customer(customer)
    _close_requests(customer, SubjectRequestKind.DELETION)
    audit_record(
        actor=actor,
        action="customer.erased",
        target=customer,
        diff={"reason": [None, reason], "legal_hold": [None, on_hold]},
    )
    return customer
