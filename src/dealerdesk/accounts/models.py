"""Dealer groups, stores, staff and their roles per store."""

import re
import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_PERMISSIONS, Role

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone (e.g. Asia/Shanghai)."), params={"value": value})


def validate_opening_hours(value) -> None:
    """{"mon": ["09:00", "18:00"], …}; a day left out is closed."""
    if not isinstance(value, dict):
        raise ValidationError(_("Opening hours must map weekdays to [open, close] times."))
    for day, hours in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(_("“%(day)s” is not a weekday code (mon … sun)."), params={"day": day})
        if (
            not isinstance(hours, list | tuple)
            or len(hours) != 2
            or not all(isinstance(h, str) and _HHMM.match(h) for h in hours)
            or hours[0] >= hours[1]
        ):
            raise ValidationError(
                _("Opening hours for %(day)s must be [open, close] as HH:MM with open before close."),
                params={"day": day},
            )


def default_opening_hours() -> dict:
    return {day: ["09:00", "18:00"] for day in WEEKDAYS}


class DealerGroup(models.Model):
    """A dealer group (集团) owning one or more stores."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("dealer group")
        verbose_name_plural = _("dealer groups")

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    """A 4S store (门店): the unit every domain record belongs to."""

    group = models.ForeignKey(
        DealerGroup, verbose_name=_("dealer group"), on_delete=models.PROTECT, related_name="stores"
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    city = models.CharField(_("city"), max_length=50)
    time_zone = models.CharField(
        _("time zone"), max_length=50, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    brands = models.JSONField(_("brands sold"), default=list, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_hours = models.JSONField(
        _("opening hours"), default=default_opening_hours, validators=[validate_opening_hours]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["group_id", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class User(AbstractUser):
    """A member of staff. Roles are per store, through Membership."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    mobile = models.CharField(_("work mobile"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=10, default="zh-hans", choices=[("zh-hans", "简体中文"), ("en", "English")]
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def active_memberships(self) -> list["Membership"]:
        return list(
            self.memberships.filter(is_active=True, store__is_active=True).select_related("store", "store__group")
        )

    def _store_sets(self) -> tuple[frozenset[int], frozenset[int]]:
        """(stores with a direct membership, stores reached as group admin), computed once per request."""
        cached = self.__dict__.get("_store_sets_cache")
        if cached is None:
            direct = frozenset(m.store_id for m in self.active_memberships)
            admin_groups = {m.store.group_id for m in self.active_memberships if m.role == Role.GROUP_ADMIN}
            via_group = (
                frozenset(Store.objects.filter(group_id__in=admin_groups, is_active=True).values_list("id", flat=True))
                if admin_groups
                else frozenset()
            )
            cached = self.__dict__["_store_sets_cache"] = (direct, via_group)
        return cached

    def visible_store_ids(self) -> frozenset[int] | None:
        """Stores this person may see; None means all (superuser). A group admin sees the whole group."""
        if self.is_superuser:
            return None
        direct, via_group = self._store_sets()
        return direct | via_group

    def roles_in(self, store_id: int) -> set[str]:
        roles = {m.role for m in self.active_memberships if m.store_id == store_id}
        if store_id in self._store_sets()[1]:
            roles.add(Role.GROUP_ADMIN)
        return roles

    def perms_in(self, store_id: int) -> frozenset[str]:
        if self.is_superuser:
            return ROLE_PERMISSIONS[Role.GROUP_ADMIN]
        perms: set[str] = set()
        for role in self.roles_in(store_id):
            perms |= ROLE_PERMISSIONS[role]
        return frozenset(perms)


class Membership(models.Model):
    """A person's role in one store. Several memberships give several roles or stores."""

    user = models.ForeignKey(User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="memberships")
    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "store", "role"], name="membership_unique_role_per_store"),
        ]
        indexes = [models.Index(fields=["store", "role", "is_active"], name="membership_store_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.store} · {self.get_role_display()}"
