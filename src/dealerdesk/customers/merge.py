"""Merging two records of the same person. Related records move to the survivor; the merged one stays as an
alias that redirects. Other apps join by registering their models that point at a customer."""

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.audit import audit_record
from dealerdesk.core.errors import DomainError, NotPermitted, TransitionRefused

from .models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerNote,
    FeedbackItem,
    FollowUp,
    LossRequest,
    OwnedVehicle,
    OwnerChange,
    PurchaseNeed,
    SubjectRequest,
)
from .search import reindex_customer
from .services import customer_refresh_next_follow_up

# (model, name of its customer foreign key). Apps add theirs with `register_customer_relation`.
RELATED: list[tuple[type[models.Model], str]] = [
    (ContactPoint, "customer"),
    (PurchaseNeed, "customer"),
    (OwnedVehicle, "customer"),
    (FollowUp, "customer"),
    (CustomerNote, "customer"),
    (OwnerChange, "customer"),
    (LossRequest, "customer"),
    (FeedbackItem, "customer"),
    (SubjectRequest, "customer"),
]


def register_customer_relation(model: type[models.Model], field: str = "customer") -> None:
    """Let a later app's records follow a customer through a merge."""
    if (model, field) not in RELATED:
        RELATED.append((model, field))


@transaction.atomic
def customer_merge(*, actor, survivor: Customer, merged: Customer) -> Customer:
    """Move everything of `merged` to `survivor` and keep `merged` as an alias. Same store only."""
    if survivor.pk == merged.pk:
        raise DomainError(_("Choose two different customers to merge."), code="same_customer")
    pair = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk])}
    survivor, merged = pair[survivor.pk], pair[merged.pk]
    if survivor.store_id != merged.store_id:
        raise DomainError(_("Only customers of the same store can be merged."), code="different_stores")
    if not user_can(actor, "customers.assign", survivor):
        raise NotPermitted(_("Only a manager can merge customers."))
    if survivor.merged_into_id or merged.merged_into_id:
        raise TransitionRefused(_("One of these customers was already merged."), code="already_merged")
    moved: dict[str, int] = {}
    # Consents: keep the survivor's active consent for a purpose; move the rest.
    survivor_purposes = set(
        Consent.objects.filter(customer=survivor, withdrawn_at__isnull=True).values_list("purpose", flat=True)
    )
    Consent.objects.filter(customer=merged, purpose__in=survivor_purposes, withdrawn_at__isnull=True).update(
        withdrawn_at=models.functions.Now()
    )
    moved["consent"] = Consent.objects.filter(customer=merged).update(customer=survivor)
    # Contact points: drop exact duplicates, move the rest.
    survivor_points = set(ContactPoint.objects.filter(customer=survivor).values_list("kind", "value"))
    for point in ContactPoint.objects.filter(customer=merged):
        if (point.kind, point.value) in survivor_points:
            point.delete()
    if merged.mobile and merged.mobile != survivor.mobile:
        ContactPoint.objects.get_or_create(
            customer=survivor,
            kind="mobile",
            value=merged.mobile,
            defaults={"store_id": survivor.store_id, "label": "merged"},
        )
    for model, field in RELATED:
        if model is Consent:
            continue
        count = model.objects.filter(**{field: merged}).update(**{field: survivor})
        if count:
            moved[model._meta.label_lower] = count
    PurchaseNeed.objects.filter(customer=survivor, is_current=True).exclude(
        pk=PurchaseNeed.objects.filter(customer=survivor).order_by("-created_at", "-id").values("pk")[:1]
    ).update(is_current=False)
    # Fill the survivor's gaps from the merged record.
    for field in ["birthday", "city", "occupation", "employer", "campaign", "preferred_time"]:
        if not getattr(survivor, field) and getattr(merged, field):
            setattr(survivor, field, getattr(merged, field))
    if not survivor.id_number and merged.id_number:
        survivor.id_number, survivor.id_number_index = merged.id_number, merged.id_number_index
        merged.id_number, merged.id_number_index = "", ""
    survivor.tags = list(dict.fromkeys([*survivor.tags, *merged.tags]))
    merged.merged_into = survivor
    merged.save()
    survivor.save()
    # the follow-ups moved: each record's next follow-up is recomputed (after the saves, which wrote the old values)
    customer_refresh_next_follow_up(merged)
    customer_refresh_next_follow_up(survivor)
    reindex_customer(merged)
    reindex_customer(survivor)
    audit_record(
        actor=actor,
        action="customer.merged",
        target=survivor,
        diff={"merged": [None, merged.pk], "moved": [None, moved]},
    )
    audit_record(actor=actor, action="customer.merged_away", target=merged, diff={"merged_into": [None, survivor.pk]})
    return survivor
