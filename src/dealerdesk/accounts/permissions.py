"""The one place that decides whether a person may do something to a store's object.

`user_can(user, "customers.reveal", obj)` looks at the person's roles in the object's store.
The same codes are
registered with django-rules, so `user.has_perm("customers.reveal", obj)` and templates agree with services.
"""

from django.db import models

from .roles import PERMISSIONS


def _store_id(obj) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    if type(obj).__name__ == "Store":
        return obj.pk
    return getattr(obj, "store_id", None)


def user_can(user, perm: str, obj=None) -> bool:
    """True when `user` holds `perm` in the store that `obj` (a Store, a store id or a store row) belongs to.

    Without an object: whether the user holds it in any store.
    """
    if perm not in PERMISSIONS:
        raise KeyError(f"unknown permission {perm}")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    store_id = _store_id(obj)
    if store_id is None:
        if obj is not None and not isinstance(obj, models.Model):
            return False
        visible = user.visible_store_ids()
        if visible is None:
            return True
        return any(perm in user.perms_in(sid) for sid in visible)
    visible = user.visible_store_ids()
    if visible is not None and store_id not in visible:
        return False
    return perm in user.perms_in(store_id)
