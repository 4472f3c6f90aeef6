"""Orders (订单): what the customer chose and agreed to buy, from an accepted offer to the delivered car.

Contracts, payments and the rest of chapter 5 hang off the order; deliveries and registrations live in their own
apps and point at it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.core.errors import TransitionRefused

from .choices import (
    LIVE_ORDER_STATUSES,
    ContractStatus,
    DepositDecision,
    LoanStatus,
    OrderStatus,
    PaymentChannel,
    PaymentKind,
    PaymentMethod,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
STORE = "accounts.Store"
USER = settings.AUTH_USER_MODEL


class Order(models.Model):
    """One purchase: the vehicle chosen, the price agreed (snapshotted from the offer), how it is paid, its status."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("order number"), max_length=32, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders"
    )
    consultant = models.ForeignKey(USER, verbose_name=_("sales consultant"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    # what was chosen (5.1.1): the accepted offer's version is the price snapshot
    offer = models.ForeignKey(
        "offers.Offer", verbose_name=_("offer"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offer_version = models.ForeignKey(
        "offers.OfferVersion",
        verbose_name=_("offer version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    trim = models.ForeignKey("catalog.Trim", verbose_name=_("trim"), on_delete=models.PROTECT, related_name="+")
    exterior = models.ForeignKey(
        "catalog.Colour",
        verbose_name=_("exterior colour"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    interior = models.ForeignKey(
        "catalog.Colour",
        verbose_name=_("interior colour"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    options = models.JSONField(_("options"), default=list, blank=True)  # [{"code", "label", "price"}]
    services = models.JSONField(_("optional services opted into"), default=list, blank=True)  # same shape
    price_lines = models.JSONField(_("price breakdown"), default=list, blank=True)  # the offer's lines, frozen
    marked_price_amount = models.DecimalField(_("marked price (CNY)"), **MONEY)
    total = models.DecimalField(_("total (CNY)"), **MONEY)
    deposit_amount = models.DecimalField(_("deposit (CNY)"), default=0, **MONEY)
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices, default=PaymentMethod.FULL
    )
    loan_status = models.CharField(_("loan"), max_length=10, choices=LoanStatus.choices, default=LoanStatus.NONE)
    # kept current by the payment services: received minus refunded
    amount_paid = models.DecimalField(_("paid (CNY)"), default=0, **MONEY)
    stock_vehicle = models.ForeignKey(
        "catalog.StockVehicle",
        verbose_name=_("stock vehicle"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    factory_order_ref = models.CharField(_("factory order reference"), max_length=40, blank=True)
    planned_delivery_on = models.DateField(_("planned delivery date"), null=True, blank=True)
    delivery_place = models.CharField(_("delivery place"), max_length=120, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    deposit_decision = models.CharField(
        _("deposit on cancellation"), max_length=10, choices=DepositDecision.choices, blank=True
    )
    # the contract in force: the latest signed one (an amendment replaces its original here)
    contract = models.ForeignKey(
        "Contract",
        verbose_name=_("contract in force"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(deposit_amount__gte=0) & Q(deposit_amount__lte=models.F("total")),
                name="order_deposit_within_total",
            ),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="order_paid_not_negative"),
            # two orders racing for one VIN: the database lets exactly one live order hold it
            models.UniqueConstraint(
                fields=["stock_vehicle"],
                condition=Q(stock_vehicle__isnull=False) & Q(status__in=sorted(LIVE_ORDER_STATUSES)),
                name="order_one_live_per_vehicle",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-created_at"], name="order_store_status"),
            models.Index(fields=["consultant", "status", "-created_at"], name="order_consultant_status"),
            models.Index(fields=["customer", "-created_at"], name="order_customer"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def balance_due(self):
        """What the customer still owes (never negative)."""
        return max(self.total - self.amount_paid, 0)


class ContractTemplate(models.Model):
    """A store's purchase-contract template (合同模板); its text lives in versions, the newest is in force."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("used for new contracts"), default=False)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contract template")
        verbose_name_plural = _("contract templates")
        ordering = ["store_id", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store"], condition=Q(is_default=True), name="contracttemplate_one_default")
        ]

    def __str__(self) -> str:
        return self.name


class ContractTemplateVersion(models.Model):
    """One version of a template's text with {{placeholders}}; never changed, a change is a new version."""

    template = models.ForeignKey(
        ContractTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    body = models.TextField(_("text"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contract template version")
        verbose_name_plural = _("contract template versions")
        ordering = ["template_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="contracttemplateversion_number")]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


# Columns that never change once a contract is signed: everything but the customer link (a merge of duplicate
# customers moves it) and the technical updated_at. The model, the services and a database trigger all refuse.
CONTRACT_FROZEN_FIELDS = (
    "store",
    "order",
    "number",
    "version",
    "amends",
    "template_version",
    "status",
    "body",
    "data",
    "total",
    "deposit_amount",
    "amendment_reason",
    "amendment_changes",
    "filled_at",
    "submitted_at",
    "customer_signed_name",
    "customer_signed_at",
    "customer_signature",
    "consultant_signed_by",
    "consultant_signed_at",
    "manager_signed_by",
    "manager_signed_at",
    "signed_at",
    "pdf",
    "sha256",
    "created_by",
    "created_at",
)


class Contract(models.Model):
    """A purchase contract (购车合同) of an order, filled from a template version; frozen once every party signed.

    An amendment is a new contract of the same order (`version` + 1) pointing at the one it amends.
    """

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="contracts")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    number = models.CharField(_("contract number"), max_length=40, unique=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    amends = models.ForeignKey(
        "self",
        verbose_name=_("amends"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    template_version = models.ForeignKey(
        ContractTemplateVersion, verbose_name=_("template version"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT)
    body = models.TextField(_("contract text"), blank=True)
    data = models.JSONField(_("filled values"), default=dict, blank=True)
    total = models.DecimalField(_("total (CNY)"), null=True, blank=True, **MONEY)
    deposit_amount = models.DecimalField(_("deposit (CNY)"), null=True, blank=True, **MONEY)
    amendment_reason = models.CharField(_("reason for the amendment"), max_length=300, blank=True)
    amendment_changes = models.JSONField(_("changes agreed"), default=dict, blank=True)
    filled_at = models.DateTimeField(_("filled"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted for signature"), null=True, blank=True)
    customer_signed_name = models.CharField(_("customer's typed name"), max_length=60, blank=True)
    customer_signed_at = models.DateTimeField(_("customer signed"), null=True, blank=True)
    customer_signature = models.BinaryField(_("customer's drawn signature (PNG)"), null=True, blank=True)
    consultant_signed_by = models.ForeignKey(
        USER,
        verbose_name=_("signed by the consultant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consultant_signed_at = models.DateTimeField(_("consultant signed"), null=True, blank=True)
    manager_signed_by = models.ForeignKey(
        USER,
        verbose_name=_("signed for the store by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    manager_signed_at = models.DateTimeField(_("store signed"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    pdf = models.BinaryField(_("signed PDF"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "version"], name="contract_order_version"),
            models.CheckConstraint(
                condition=~Q(status=ContractStatus.SIGNED) | (Q(signed_at__isnull=False) & ~Q(sha256="")),
                name="contract_signed_has_hash",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "status", "-signed_at"], name="contract_store_status"),
            models.Index(fields=["customer", "-id"], name="contract_customer"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        """No path may change a signed contract's frozen columns (the database trigger refuses too)."""
        if self.pk:
            names = [Contract._meta.get_field(f).attname for f in CONTRACT_FROZEN_FIELDS]
            stored = Contract.objects.filter(pk=self.pk, status=ContractStatus.SIGNED).values(*names).first()
            if stored is not None:
                changed = [n for n in names if _plain(getattr(self, n)) != _plain(stored[n])]
                if changed:
                    raise TransitionRefused(
                        _("A signed contract can no longer be changed; make an amendment instead."),
                        code="contract_signed",
                    )
        super().save(*args, **kwargs)

    @property
    def is_amendment(self) -> bool:
        return self.amends_id is not None

    @property
    def retain_until(self):
        """Signed contracts are kept 10 years from signing (legal hold)."""
        if self.signed_at is None:
            return None
        signed = self.signed_at
        try:
            return signed.replace(year=signed.year + 10)
        except ValueError:  # 29 February
            return signed.replace(year=signed.year + 10, day=28)


def _plain(value):
    if isinstance(value, memoryview):
        return bytes(value)
    return value


class Payment(models.Model):
    """Money received for an order (deposit, balance) or paid back (refund), with its receipt number."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PaymentKind.choices)
    method = models.CharField(_("method"), max_length=10, choices=PaymentChannel.choices)
    receipt_number = models.CharField(_("receipt number"), max_length=40)
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    received_at = models.DateTimeField(_("date"), default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "receipt_number"], name="payment_unique_receipt"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["order", "received_at"], name="payment_order")]

    def __str__(self) -> str:
        return f"{self.receipt_number}: {self.amount}"
