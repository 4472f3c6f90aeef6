"""Writes about stores and staff."""

import secrets

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
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


# ---------------------------------------------------------------- what a staff action allows (one rule each)
# The staff page asks these before it offers a button, and the services ask them again before acting: an action the
# page shows works, and one that would be refused is not shown (issue #10.15).


def _is_group_admin_of(actor: User, store: Store) -> bool:
    return actor.is_superuser or Role.GROUP_ADMIN in actor.roles_in(store.pk)


def staff_roles_grantable(actor: User, store: Store) -> list[tuple[str, str]]:
    """(code, label) of the roles the actor may give in the store: a group administrator is appointed by another."""
    if not user_can(actor, "store.manage", store):
        return []
    return [(c, label) for c, label in Role.choices if c != Role.GROUP_ADMIN or _is_group_admin_of(actor, store)]


def staff_reset_refusal(actor: User, store: Store, user: User, *, is_group_admin: bool | None = None) -> str | None:
    """Why the actor may not give `user` a new password in `store`, or None when they may. `is_group_admin` (whether
    `user` is a group administrator anywhere) saves the query when the caller knows it."""
    if not user_can(actor, "store.manage", store):
        return str(NotPermitted.default_message)
    if is_group_admin is None:
        is_group_admin = Membership.objects.filter(user=user, role=Role.GROUP_ADMIN, is_active=True).exists()
    if user.is_superuser or (is_group_admin and not _is_group_admin_of(actor, store)):
        return str(_("Only a group administrator can reset this person's password."))
    return None


def staff_remove_refusal(actor: User, membership: Membership, *, is_group_admin: bool | None = None) -> str | None:
    """Why the actor may not take this role away, or None when they may."""
    if not user_can(actor, "store.manage", membership.store_id):
        return str(NotPermitted.default_message)
    if membership.user_id == actor.pk and membership.role in (Role.STORE_ADMIN, Role.GROUP_ADMIN):
        return str(_("You cannot take away your own administrator role; ask another administrator."))
    if is_group_admin is None:
        is_group_admin = Membership.objects.filter(
            user_id=membership.user_id, role=Role.GROUP_ADMIN, is_active=True
        ).exists()
    if is_group_admin and not _is_group_admin_of(actor, membership.store):
        return str(_("Only a group administrator can change a group administrator's roles."))
    return None


def staff_actions(actor: User, store: Store, members: list[Membership]) -> dict[int, dict[str, bool]]:
    """{membership id: {"reset": bool, "remove": bool}}: what the staff page offers on each row, in one query."""
    group_admins = set(
        Membership.objects.filter(
            user_id__in={m.user_id for m in members}, role=Role.GROUP_ADMIN, is_active=True
        ).values_list("user_id", flat=True)
    )
    return {
        m.pk: {
            "reset": staff_reset_refusal(actor, store, m.user, is_group_admin=m.user_id in group_admins) is None,
            "remove": staff_remove_refusal(actor, m, is_group_admin=m.user_id in group_admins) is None,
        }
        for m in members
    }


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


def _temporary_password() -> str:
    """A one-time password the administrator hands over; the person changes it after logging in."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes (l/1, O/0)
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def _same_group_member(user: User, store: Store) -> bool:
    return Membership.objects.filter(user=user, store__group_id=store.group_id).exists()


@transaction.atomic
def staff_add(
    *, actor: User, store: Store, username: str, full_name: str, role: str
) -> tuple[User, Membership, str | None]:
    """Add a person to a store with a role. A new username gets an account and a one-time password (returned,
    never stored or logged); a colleague already working in the dealer group just gains the role."""
    if not user_can(actor, "store.manage", store):
        raise NotPermitted()
    username = (username or "").strip()
    full_name = (full_name or "").strip()
    errors: dict[str, list] = {}
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        errors["username"] = [_("Use letters, digits and @/./+/-/_ only.")]
    if not username:
        errors["username"] = [_("Enter a username.")]
    if role not in Role.values:
        errors["role"] = [_("Unknown role.")]
    existing = User.objects.filter(username__iexact=username).first() if username else None
    if existing is None and not full_name:
        errors["full_name"] = [_("Enter the person's full name.")]
    if existing is not None and not _same_group_member(existing, store):
        errors["username"] = [_("This username is taken. Choose another.")]
    if errors:
        raise ValidationError(errors)
    password = None
    if existing is None:
        password = _temporary_password()
        existing = User.objects.create_user(username=username, password=password, full_name=full_name)
        audit_record(actor=actor, action="user.created", target=existing, store_id=store.pk, diff={})
    elif not existing.is_active:
        existing.is_active = True
        existing.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.reactivated", target=existing, store_id=store.pk, diff={})
    membership = membership_grant(actor=actor, user=existing, store=store, role=role)
    return existing, membership, password


@transaction.atomic
def staff_reset_password(*, actor: User, store: Store, user: User) -> str:
    """A new one-time password for a person of the store (forgotten password); their lockout is lifted."""
    from axes.utils import reset as axes_reset

    if not user_can(actor, "store.manage", store):
        raise NotPermitted()
    if not Membership.objects.filter(user=user, store=store, is_active=True).exists():
        raise NotPermitted(_("This person does not work in this store."))
    refusal = staff_reset_refusal(actor, store, user)
    if refusal:
        raise NotPermitted(refusal)
    password = _temporary_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    axes_reset(username=user.username)
    audit_record(actor=actor, action="user.password_reset", target=user, store_id=store.pk, diff={})
    return password


@transaction.atomic
def staff_remove_role(*, actor: User, membership: Membership) -> Membership:
    """Take a role away; a person left without any role can no longer log in (a leaver)."""
    if membership.user_id == actor.pk and membership.role in (Role.STORE_ADMIN, Role.GROUP_ADMIN):
        raise DomainError(
            _("You cannot take away your own administrator role; ask another administrator."), code="own_admin_role"
        )
    if not user_can(actor, "store.manage", membership.store_id):
        raise NotPermitted()
    refusal = staff_remove_refusal(actor, membership)
    if refusal:
        raise NotPermitted(refusal)
    membership = membership_revoke(actor=actor, membership=membership)
    user = membership.user
    if user.is_active and not Membership.objects.filter(user=user, is_active=True).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, action="user.deactivated", target=user, store_id=membership.store_id, diff={})
    return membership
