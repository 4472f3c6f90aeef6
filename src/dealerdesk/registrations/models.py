"""Registration paperwork (上牌, standard 5.3): one case per order, its document checklist, status dates, the plate."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import LIVE_STATUSES, DocumentHolder, DocumentKind, OwnerKind, RegistrationStatus, status_label

STORE = "accounts.Store"
USER = settings.AUTH_USER_MODEL
DEFAULT_TARGET_WORKING_DAYS = 15


class RegistrationPolicy(models.Model):
    """A store's registration rules: how many working days after delivery the plates should be in hand."""

    store = models.OneToOneField(STORE, verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    target_working_days = models.PositiveSmallIntegerField(
        _("target (working days from delivery)"), default=DEFAULT_TARGET_WORKING_DAYS
    )
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registration policy")
        verbose_name_plural = _("registration policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(target_working_days__gte=1) & Q(target_working_days__lte=120),
                name="registrationpolicy_target_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.store_id}: {self.target_working_days}"


class Registration(models.Model):
    """The registration of one order's vehicle: by the store (documents tracked) or by the customer themselves."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        "sales.Order", verbose_name=_("sales order"), on_delete=models.PROTECT, related_name="registrations"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="registrations"
    )
    stock_vehicle = models.ForeignKey(
        "catalog.StockVehicle",
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    number = models.CharField(_("number"), max_length=40)
    status = models.CharField(
        _("status"), max_length=24, choices=RegistrationStatus.choices, default=RegistrationStatus.COLLECTING_DOCUMENTS
    )
    by_customer = models.BooleanField(_("registered by the customer themselves"), default=False)
    # the case (5.3.1): decides the checklist
    owner_kind = models.CharField(_("owner"), max_length=10, choices=OwnerKind.choices, default=OwnerKind.INDIVIDUAL)
    company_name = models.CharField(_("company name"), max_length=100, blank=True)
    is_local = models.BooleanField(_("local owner"), default=True)
    financed = models.BooleanField(_("loan (mortgage registration)"), default=False)
    imported = models.BooleanField(_("imported vehicle"), default=False)
    new_energy = models.BooleanField(_("new-energy vehicle"), default=False)
    # tracking (5.3.3)
    clerk = models.ForeignKey(
        USER, verbose_name=_("clerk responsible"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_on = models.DateField(_("target date"), null=True, blank=True)
    target_from_delivery = models.BooleanField(_("target counted from delivery"), default=False)
    office = models.CharField(_("vehicle office"), max_length=100, blank=True)
    overdue_reminded_on = models.DateField(_("overdue reminder sent"), null=True, blank=True, editable=False)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    plate_issued_at = models.DateTimeField(_("plate issued (recorded)"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    # the result (5.3.4)
    plate = models.CharField(_("plate"), max_length=10, blank=True)
    licence_issued_on = models.DateField(_("licence issued on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status__in=sorted(LIVE_STATUSES)),
                name="registration_one_live_per_order",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        RegistrationStatus.COLLECTING_DOCUMENTS,
                        RegistrationStatus.SUBMITTED,
                        RegistrationStatus.CANCELLED,
                    ]
                )
                | ~Q(plate=""),
                name="registration_plate_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(owner_kind=OwnerKind.INDIVIDUAL) | ~Q(company_name=""),
                name="registration_company_named",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-id"], name="registration_store_status"),
            models.Index(fields=["store", "status", "target_on"], name="registration_store_target"),
            models.Index(fields=["clerk", "status", "-id"], name="registration_clerk_status"),
            models.Index(fields=["customer", "-id"], name="registration_customer"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def status_display(self) -> str:
        return status_label(self.status, self.by_customer)


class RegistrationDocument(models.Model):
    """One document of a registration's checklist: whether it was received, who holds it, when."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="documents")
    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("document"), max_length=32, choices=DocumentKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    holder = models.CharField(_("held by"), max_length=10, choices=DocumentHolder.choices, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = models.ForeignKey(
        USER, verbose_name=_("received by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("registration document")
        verbose_name_plural = _("registration documents")
        ordering = ["registration_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "kind"], name="registrationdocument_unique_kind"),
            models.CheckConstraint(
                condition=Q(received_at__isnull=True) | ~Q(holder=""), name="registrationdocument_received_holder"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
