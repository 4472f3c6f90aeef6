"""Writes about stores and staff."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import audit_record
from dealerdesk.core.errors import DomainError, NotPermitted

from .models import Membership, Store, User
from .permissions import user_can
from .roles import Role


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    """Save the interface language a person prefers (zh-hans or en)."""
    allowed = dict(User._meta.get_field("language").choices)
    if language not in allowed:
        raise DomainError(_("Choose Chinese or English."), code="invalid_language", field="language")
    before = actor.language
    if before != language:
        User.objects.filter(pk=actor.pk).update(language=language)
        actor.language = language
        audit_record(actor=actor, action="user.language_changed", target=actor, diff={"language": [before, language]})
    return actor


@transaction.atomic
def membership_grant(*, actor: User, user: User, store: Store, role: str) -> Membership:
    """Give a person a role in a store. Only a store admin of that store (or a group admin) may."""
    if not user_can(actor, "store.manage", store):
        raise NotPermitted()
    if role not in Role.values:
        raise DomainError(_("Unknown role."), code="invalid_role", field="role")
    if role == Role.GROUP_ADMIN and Role.GROUP_ADMIN not in actor.roles_in(store.pk) and not actor.is_superuser:
        raise NotPermitted(_("Only a group administrator can appoint another."))
    membership, created = Membership.objects.get_or_create(user=user, store=store, role=role)
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
        created = True
    if created:
        audit_record(actor=actor, action="membership.granted", target=membership, diff={"role": [None, role]})
    return membership


@transaction.atomic
def membership_revoke(*, actor: User, membership: Membership) -> Membership:
    """Take a role away (kept as inactive for the history)."""
    if not user_can(actor, "store.manage", membership.store):
        raise NotPermitted()
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="membership.revoked",
            target=membership,
            diff={"role": [membership.role, None]},
        )
    return membership


@transaction.atomic
def user_change_password(*, actor: User, new_password: str) -> User:
    """Set a new password for the person themself (the form has checked the old one and the rules)."""
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    audit_record(actor=actor, action="user.password_changed", target=actor)
    return actor
