"""Kernel records with no domain knowledge: audit trail, access log, notification outbox, duty runs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """A row that is written once. The database refuses UPDATE too (trigger in the migration)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditEntry(AppendOnlyModel):
    """Who did what to which record, with the change, written by services in the same transaction."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    store = models.ForeignKey(
        "accounts.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=80)
    target_type = models.CharField(_("target type"), max_length=80)
    target_id = models.CharField(_("target id"), max_length=64)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    diff = models.JSONField(_("change"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The person the record is about (a plain id: core knows no domain app). Lets the customer's timeline and a
    # subject-access request find every step of every app in one indexed read.
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-id"], name="auditentry_store_recent"),
            models.Index(fields=["target_type", "target_id", "-created_at"], name="auditentry_target"),
            models.Index(fields=["actor", "-created_at"], name="auditentry_actor"),
            models.Index(
                fields=["customer_id", "-created_at"],
                name="auditentry_customer",
                condition=models.Q(customer_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"


class AccessLog(AppendOnlyModel):
    """A reveal of masked personal data, an export, or a lookup (a duplicate check or a search that matched personal
    data against what is stored): who saw what, when, why."""

    class Kind(models.TextChoices):
        REVEAL = "reveal", _("Reveal")
        EXPORT = "export", _("Export")
        LOOKUP = "lookup", _("Lookup")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    store = models.ForeignKey(
        "accounts.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    target_type = models.CharField(_("target type"), max_length=80)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=1)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-created_at"], name="accesslog_store_recent"),
            models.Index(fields=["target_type", "target_id"], name="accesslog_target"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_type}#{self.target_id}"


class Notification(models.Model):
    """One message in the outbox. The worker delivers it; failures are retried with back-off."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        IN_APP = "in_app", _("In-app")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    store = models.ForeignKey(
        "accounts.Store",
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient (staff)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    kind = models.CharField(_("kind"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["store", "-created_at", "-id"], name="notification_store_recent"),
            models.Index(fields=["recipient_user", "read_at"], name="notification_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel="in_app", recipient_user__isnull=False)
                | (~models.Q(channel="in_app") & ~models.Q(recipient="")),
                name="notification_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.subject}"


class PeriodicDutyRun(models.Model):
    """When a periodic duty last ran, so `dealerdesk tick` runs each one only when it is due."""

    name = models.CharField(max_length=80, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("periodic duty run")
        verbose_name_plural = _("periodic duty runs")

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(models.Model):
    """An API client's Idempotency-Key on a creating POST, with what it created: kept in the database (at least 24
    hours), so a retry after a restart, or on another app server, gets the first object back instead of a second."""

    scope = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64)  # SHA-256 of the client's key: the key itself is not kept
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the request body
    object_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["scope", "user", "key_hash"], name="idempotencykey_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} #{self.object_id or '…'}"
