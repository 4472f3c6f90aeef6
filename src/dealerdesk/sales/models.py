"""Orders (订单): what the customer chose and agreed to buy, from an accepted offer to the delivered car.

Contracts, payments and the rest of chapter 5 hang off the order; deliveries and registrations live in their own
apps and point at it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import LIVE_ORDER_STATUSES, LoanStatus, OrderStatus, PaymentMethod

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
