"""The one helper every selector uses to keep a user inside the stores they belong to."""

from django.db.models import QuerySet


def scope_to_stores(queryset: QuerySet, user, *, store_field: str = "store") -> QuerySet:
    """Rows of `queryset` whose store the user may see; nothing for an anonymous or store-less user."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    store_ids = user.visible_store_ids()
    if store_ids is None:  # superuser: every store
        return queryset
    return queryset.filter(**{f"{store_field}_id__in": store_ids})
