"""Reads of customers and their records, always scoped to what the user may see."""

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from dealerdesk.accounts.permissions import user_can

from .choices import FollowUpStatus
from .models import Consent, Customer, FollowUp, IntentGradePolicy, LossRequest, PurchaseNeed


def _visibility_q(user) -> Q | None:
    """Q over Customer for the user's reach; None = everything (superuser); Q(pk__in=[]) = nothing."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    store_ids = user.visible_store_ids()
    if store_ids is None:
        return None
    whole_store = [
        s for s in store_ids if user_can(user, "customers.view_store", s) or user_can(user, "customers.view_card", s)
    ]
    own_only = [s for s in store_ids if s not in whole_store and user_can(user, "customers.view_own", s)]
    q = Q(pk__in=[])
    if whole_store:
        q |= Q(store_id__in=whole_store)
    if own_only:
        q |= Q(store_id__in=own_only, owner_id=user.pk)
    return q


def customer_visible_to(user, *, include_aliases: bool = False) -> QuerySet[Customer]:
    """Customers the user may open: consultants their own, managers/care/clerks the store, group admins all."""
    qs = Customer.objects.all()
    q = _visibility_q(user)
    if q is not None:
        qs = qs.filter(q)
    if not include_aliases:
        qs = qs.filter(merged_into__isnull=True)
    return qs


def customer_get(user, pk: int) -> Customer:
    """One visible customer, or Customer.DoesNotExist (shown as 404). Aliases resolve to the survivor."""
    customer = customer_visible_to(user, include_aliases=True).select_related("owner", "store", "referrer").get(pk=pk)
    return customer


def customer_detail(user, pk: int) -> dict:
    """Everything the customer page shows, in a fixed number of queries."""
    customer = customer_get(user, pk)
    customer = (
        Customer.objects.filter(pk=customer.pk)
        .select_related("owner", "store", "referrer")
        .prefetch_related(
            "contact_points",
            "vehicles",
            Prefetch("needs", queryset=PurchaseNeed.objects.order_by("-created_at", "-id")),
            Prefetch("consents", queryset=Consent.objects.order_by("purpose", "-granted_at")),
        )
        .get()
    )
    follow_ups = list(
        FollowUp.objects.filter(customer=customer).select_related("assignee").order_by("-due_at", "-id")[:20]
    )
    pending_loss = LossRequest.objects.filter(customer=customer, status="pending").first()
    return {
        "customer": customer,
        "needs": list(customer.needs.all()),
        "follow_ups": follow_ups,
        "consents": list(customer.consents.all()),
        "pending_loss": pending_loss,
    }


def grade_policies_for(store_id: int) -> dict[str, IntentGradePolicy]:
    """The store's active intent grades by code (defaults are created with the store's first customer)."""
    return {p.code: p for p in IntentGradePolicy.objects.filter(store_id=store_id, is_active=True).order_by("position")}


def active_consents(customer: Customer) -> set[str]:
    return set(Consent.objects.filter(customer=customer, withdrawn_at__isnull=True).values_list("purpose", flat=True))


def followup_visible_to(user) -> QuerySet[FollowUp]:
    """Follow-ups of customers the user may see."""
    qs = FollowUp.objects.select_related("customer", "assignee")
    q = _visibility_q(user)
    if q is None:
        return qs
    return qs.filter(customer__in=Customer.objects.filter(q).values("pk"))


def followups_my_day(user, *, now: datetime | None = None) -> dict[str, list[FollowUp]]:
    """The consultant's open follow-ups: overdue and due today (store-local day), oldest first."""
    now = now or timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    open_mine = FollowUp.objects.filter(assignee=user, status=FollowUpStatus.OPEN).select_related("customer")
    overdue = list(open_mine.filter(due_at__lt=now).order_by("due_at", "id")[:200])
    today = list(open_mine.filter(due_at__gte=now, due_at__lte=end_of_today).order_by("due_at", "id")[:200])
    return {"overdue": overdue, "today": today}


def followups_overdue_for_store(user, store, *, now: datetime | None = None) -> QuerySet[FollowUp]:
    """A manager's view: every overdue open follow-up of the store."""
    if not user_can(user, "customers.view_store", store):
        return FollowUp.objects.none()
    now = now or timezone.now()
    return (
        FollowUp.objects.filter(store=store, status=FollowUpStatus.OPEN, due_at__lt=now)
        .select_related("customer", "assignee")
        .order_by("due_at", "id")
    )


def loss_requests_pending(user, store) -> QuerySet[LossRequest]:
    if not user_can(user, "customers.approve_lost", store):
        return LossRequest.objects.none()
    return LossRequest.objects.filter(store=store, status="pending").select_related("customer", "requested_by")
