"""Deliveries (交车): appointment, PDI, the document pack, gifts, the signed confirmation and warranty clocks."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.catalog.choices import CertificateHolder, Origin

from .choices import (
    DEFAULT_SLOT_MINUTES,
    ODOMETER_WARNING_KM,
    DeliveryStatus,
    DocumentKind,
    FollowUpRole,
    OriginSource,
    PdiResult,
    PromisedGiftStatus,
    WarrantyKind,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
STORE = "accounts.Store"
USER = settings.AUTH_USER_MODEL


def _default_bays() -> list:
    from .choices import DEFAULT_BAYS

    return list(DEFAULT_BAYS)


def _default_pdi() -> list:
    from .choices import DEFAULT_PDI_ITEMS

    return [{"code": code, "label": ""} for code, _label in DEFAULT_PDI_ITEMS]


def _default_followups() -> list:
    from .choices import DEFAULT_FOLLOWUPS

    return [dict(f) for f in DEFAULT_FOLLOWUPS]


class DeliverySettings(models.Model):
    """A store's delivery rules: bays, slot length, its PDI checklist and the post-delivery follow-up plan."""

    store = models.OneToOneField(STORE, verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    bays = models.JSONField(_("delivery bays"), default=_default_bays)
    slot_minutes = models.PositiveSmallIntegerField(_("appointment length (minutes)"), default=DEFAULT_SLOT_MINUTES)
    pdi_items = models.JSONField(_("PDI checklist"), default=_default_pdi)  # [{"code", "label"}], "" = default label
    followups = models.JSONField(_("post-delivery follow-ups"), default=_default_followups)  # [{"day", "role"}]
    odometer_warning_km = models.PositiveIntegerField(_("warn above (km at handover)"), default=ODOMETER_WARNING_KM)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("delivery settings")
        verbose_name_plural = _("delivery settings")
        constraints = [models.CheckConstraint(condition=Q(slot_minutes__gte=15), name="deliverysettings_slot_min")]

    def __str__(self) -> str:
        return f"{self.store_id}"


class Delivery(models.Model):
    """The handover of one order's car: appointment, preparation, and the signed confirmation (交车确认单)."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("order number"), max_length=32)
    order = models.OneToOneField(
        "sales.Order", verbose_name=_("sales order"), on_delete=models.PROTECT, related_name="delivery"
    )
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="deliveries"
    )
    consultant = models.ForeignKey(USER, verbose_name=_("sales consultant"), on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey(
        "catalog.StockVehicle", verbose_name=_("vehicle"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.SCHEDULED
    )
    scheduled_at = models.DateTimeField(_("appointment"))
    ends_at = models.DateTimeField(_("appointment ends"))
    bay = models.CharField(_("delivery bay"), max_length=40)
    # the document pack depends on where the car was made; the decision is written down
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices)
    origin_source = models.CharField(_("origin decided"), max_length=10, choices=OriginSource.choices)
    origin_note = models.CharField(_("origin note"), max_length=200, blank=True)
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    prepared_at = models.DateTimeField(_("prepared"), null=True, blank=True)
    # handover (5.2.3)
    explained = models.JSONField(_("explained to the customer"), default=list, blank=True)
    odometer_km = models.PositiveIntegerField(_("odometer at handover (km)"), null=True, blank=True)
    odometer_warning = models.BooleanField(_("odometer above the warning limit"), default=False)
    handover_note = models.CharField(_("handover note"), max_length=300, blank=True)
    # confirmation (5.2.4)
    customer_signed_name = models.CharField(_("customer's name as signed"), max_length=60, blank=True)
    customer_signed_at = models.DateTimeField(_("customer signed"), null=True, blank=True)
    customer_signature_png = models.BinaryField(_("customer's drawn signature"), null=True, blank=True)
    consultant_signed_by = models.ForeignKey(
        USER,
        verbose_name=_("signed for the store by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consultant_signed_at = models.DateTimeField(_("store signed"), null=True, blank=True)
    confirmation_pdf = models.BinaryField(_("delivery confirmation (PDF)"), null=True, blank=True)
    confirmation_sha256 = models.CharField(_("SHA-256 of the confirmation"), max_length=64, blank=True)
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["scheduled_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("scheduled_at")), name="delivery_slot_order"),
            # one bay, one car at a time: the service checks overlaps; this catches two bookings at the same start
            models.UniqueConstraint(
                fields=["store", "bay", "scheduled_at"],
                condition=~Q(status="cancelled"),
                name="delivery_bay_slot_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status="handed_over") | (Q(handed_over_at__isnull=False) & ~Q(confirmation_sha256="")),
                name="delivery_handed_over_signed",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "scheduled_at"], name="delivery_store_calendar"),
            models.Index(fields=["store", "status", "scheduled_at"], name="delivery_store_status"),
            models.Index(fields=["consultant", "status", "scheduled_at"], name="delivery_consultant"),
        ]

    def __str__(self) -> str:
        return self.number


class PdiCheck(models.Model):
    """One item of a delivery's pre-delivery inspection, with who checked it, when, and the note of a failure."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="pdi_checks")
    code = models.CharField(_("item"), max_length=40)
    label = models.CharField(_("label"), max_length=120)
    position = models.PositiveSmallIntegerField(default=0)
    result = models.CharField(_("result"), max_length=10, choices=PdiResult.choices, default=PdiResult.PENDING)
    note = models.CharField(_("note"), max_length=300, blank=True)
    checked_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)

    class Meta:
        verbose_name = _("PDI item")
        verbose_name_plural = _("PDI items")
        ordering = ["delivery_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "code"], name="pdicheck_unique_item"),
            models.CheckConstraint(condition=~Q(result="failed") | ~Q(note=""), name="pdicheck_failure_has_note"),
        ]

    def __str__(self) -> str:
        return self.label


class DeliveryDocument(models.Model):
    """One document or item of the pack (合格证, invoice, keys …): received when, by whom; who holds it if not us."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=24, choices=DocumentKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    holder = models.CharField(
        _("held by"), max_length=10, choices=CertificateHolder.choices, default=CertificateHolder.STORE
    )
    holder_name = models.CharField(_("holder's name"), max_length=100, blank=True)
    promised_on = models.DateField(_("promised by"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("delivery document")
        verbose_name_plural = _("delivery documents")
        ordering = ["delivery_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "kind"], name="deliverydocument_unique_kind"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="deliverydocument_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class GiftItem(models.Model):
    """A gift the store hands over at delivery (floor mats, dash cam …), with its stock."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("gift name"), max_length=100)
    unit_value = models.DecimalField(_("value (CNY)"), default=0, **MONEY)
    stock = models.IntegerField(_("in stock"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        ordering = ["store_id", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="giftitem_stock_not_negative"),
            models.CheckConstraint(condition=Q(unit_value__gte=0), name="giftitem_value_not_negative"),
            models.UniqueConstraint(fields=["store", "name"], name="giftitem_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class GiftRule(models.Model):
    """Company policy: which orders get a gift. Every criterion that is set must match (trim, promotion, value)."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    gift = models.ForeignKey(GiftItem, verbose_name=_("gift"), on_delete=models.CASCADE, related_name="rules")
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    trim = models.ForeignKey(
        "catalog.Trim", verbose_name=_("trim"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    promotion = models.ForeignKey(
        "offers.Promotion",
        verbose_name=_("promotion"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    min_order_total = models.DecimalField(_("order total at least (CNY)"), null=True, blank=True, **MONEY)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("gift rule")
        verbose_name_plural = _("gift rules")
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="giftrule_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.gift_id} × {self.quantity}"


class DeliveryGift(models.Model):
    """A gift for this delivery; taken from stock when the car is handed over."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="gifts")
    gift = models.ForeignKey(GiftItem, verbose_name=_("gift"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    rule = models.ForeignKey(GiftRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handed_over_at = models.DateTimeField(_("handed over"), null=True, blank=True)
    shortage_notified_at = models.DateTimeField(_("shortage reported"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery gift")
        verbose_name_plural = _("delivery gifts")
        ordering = ["delivery_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "gift"], name="deliverygift_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="deliverygift_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.gift_id} × {self.quantity}"


class PromisedGift(models.Model):
    """One gift item the signed contract promised (from the order's gift lines), on the handover checklist: handed
    over (optionally as a gift item from the store's stock) or substituted, with what was given instead and why —
    the customer accepts a substitution by signing the delivery confirmation, which prints it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="promised_gifts")
    position = models.PositiveSmallIntegerField(default=0)
    item = models.CharField(_("promised gift"), max_length=100)
    source = models.CharField(_("promised as"), max_length=200, blank=True)  # the gift line of the contract
    status = models.CharField(
        _("status"), max_length=12, choices=PromisedGiftStatus.choices, default=PromisedGiftStatus.PENDING
    )
    gift = models.ForeignKey(
        GiftItem,
        verbose_name=_("gift item from stock"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    substitute = models.CharField(_("given instead"), max_length=100, blank=True)
    reason = models.CharField(_("reason for the substitution"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)

    class Meta:
        verbose_name = _("promised gift")
        verbose_name_plural = _("promised gifts")
        ordering = ["delivery_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "position"], name="promisedgift_unique_position"),
            models.CheckConstraint(
                condition=~Q(status="substituted") | (~Q(substitute="") & ~Q(reason="")),
                name="promisedgift_substitution_explained",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(recorded_at__isnull=False), name="promisedgift_recorded_when"
            ),
        ]

    def __str__(self) -> str:
        return self.item


class WarrantyClock(models.Model):
    """A warranty period started at handover from the invoice date: whichever of time or distance runs out first."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="warranty_clocks"
    )
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="warranty_clocks")
    vin = models.CharField(_("VIN"), max_length=17)
    kind = models.CharField(_("warranty"), max_length=20, choices=WarrantyKind.choices)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    km_limit = models.PositiveIntegerField(_("distance limit (km)"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("warranty clock")
        verbose_name_plural = _("warranty clocks")
        ordering = ["delivery_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "kind"], name="warrantyclock_unique_kind"),
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")), name="warrantyclock_order"),
        ]
        indexes = [models.Index(fields=["vin"], name="warrantyclock_vin")]

    def __str__(self) -> str:
        return f"{self.vin} {self.kind}"


class DeliveryFollowUp(models.Model):
    """A post-delivery call planned at handover: which day, which role answers for it, and the customer follow-up."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="followups")
    day = models.PositiveSmallIntegerField(_("day after delivery"))
    role = models.CharField(_("responsible"), max_length=20, choices=FollowUpRole.choices)
    follow_up = models.ForeignKey(
        "customers.FollowUp", verbose_name=_("follow-up"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("post-delivery call")
        verbose_name_plural = _("post-delivery calls")
        ordering = ["delivery_id", "day"]
        constraints = [models.UniqueConstraint(fields=["delivery", "day"], name="deliveryfollowup_unique_day")]

    def __str__(self) -> str:
        return f"{self.delivery_id} +{self.day}"


def handover_photo_upload_to(photo: "HandoverPhoto", filename: str) -> str:
    """deliveries/<delivery id>/photos/<random name>: never the uploaded name, so paths cannot be guessed."""
    return f"deliveries/{photo.delivery_id}/photos/{filename}"


class HandoverPhoto(models.Model):
    """A photo taken at the handover (5.2.3, optional): re-encoded without EXIF, served only to who may see the
    delivery, fixed once the car is handed over."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to=handover_photo_upload_to, max_length=200)
    thumbnail = models.FileField(_("thumbnail"), upload_to=handover_photo_upload_to, max_length=200)
    content_type = models.CharField(_("image type"), max_length=20)
    width = models.PositiveIntegerField(_("width (px)"))
    height = models.PositiveIntegerField(_("height (px)"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256 of the stored photo"), max_length=64)
    original_name = models.CharField(_("uploaded file name"), max_length=255, blank=True)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    taken_by = models.ForeignKey(USER, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("handover photo")
        verbose_name_plural = _("handover photos")
        ordering = ["delivery_id", "created_at", "id"]
        indexes = [models.Index(fields=["delivery", "created_at"], name="handoverphoto_delivery")]

    def __str__(self) -> str:
        return f"{self.delivery_id}/{self.pk}"
