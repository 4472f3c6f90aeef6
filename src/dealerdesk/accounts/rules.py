"""Registers every permission code with django-rules (autodiscovered), so `user.has_perm(code, obj)` works."""

import rules

from .permissions import user_can
from .roles import PERMISSIONS


def _predicate_for(perm: str):
    @rules.predicate(name=perm)
    def check(user, obj=None) -> bool:
        return user_can(user, perm, obj)

    return check


for _code in PERMISSIONS:
    rules.add_perm(_code, _predicate_for(_code))
