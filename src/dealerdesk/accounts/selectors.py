"""Reads about stores and staff, always scoped to what the user may see."""

from django.db.models import QuerySet

from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.core.scoping import scope_to_stores

from .models import Membership, Store, User
from .permissions import user_can


def store_visible_to(user) -> QuerySet[Store]:
    """Stores the user belongs to (a group admin: the whole group)."""
    if not getattr(user, "is_authenticated", False):
        return Store.objects.none()
    ids = user.visible_store_ids()
    qs = Store.objects.filter(is_active=True).select_related("group")
    return qs if ids is None else qs.filter(id__in=ids)


def membership_summary_for(user) -> list[dict]:
    """One row per store the user sees: the store and the user's roles there, for the home page and /me."""
    stores = list(store_visible_to(user).order_by("group_id", "code"))
    return [{"store": store, "roles": sorted(user.roles_in(store.pk))} for store in stores]


def audit_recent_for_store(user, store: Store, *, limit: int = 10) -> list[AuditEntry]:
    """The store's latest audit entries, for people allowed to see the store's audit trail."""
    if not user_can(user, "store.view_audit", store):
        return []
    qs = scope_to_stores(AuditEntry.objects.all(), user).filter(store=store)
    return list(qs.select_related("actor").order_by("-created_at", "-id")[:limit])


def audit_visible_to(user) -> QuerySet[AuditEntry]:
    """Audit entries of stores where the user may see the audit trail."""
    ids = user.visible_store_ids() if getattr(user, "is_authenticated", False) else frozenset()
    if ids is None:
        return AuditEntry.objects.select_related("actor", "store")
    allowed = [sid for sid in ids if user_can(user, "store.view_audit", sid)]
    return AuditEntry.objects.filter(store_id__in=allowed).select_related("actor", "store")


def staff_of_store(user, store: Store) -> QuerySet[Membership]:
    """Active memberships of a store the user can see."""
    if store.pk not in (user.visible_store_ids() or {store.pk}):
        return Membership.objects.none()
    return (
        Membership.objects.filter(store=store, is_active=True).select_related("user").order_by("role", "user__username")
    )


def notification_visible_to(user) -> QuerySet[Notification]:
    """Outbox messages of the stores where the user may see the outbox."""
    ids = user.visible_store_ids() if getattr(user, "is_authenticated", False) else frozenset()
    if ids is None:
        return Notification.objects.select_related("store", "recipient_user")
    allowed = [sid for sid in ids if user_can(user, "store.view_outbox", sid)]
    return Notification.objects.filter(store_id__in=allowed).select_related("store", "recipient_user")


def staff_holding(store_id: int, perm: str) -> list[User]:
    """The active staff of a store who hold `perm` there (the people told when work waits for that permission),
    by id. One query."""
    memberships = Membership.objects.filter(store_id=store_id, is_active=True, user__is_active=True).select_related(
        "user"
    )
    users = {m.user_id: m.user for m in memberships}
    return sorted((u for u in users.values() if user_can(u, perm, store_id)), key=lambda u: u.pk)
