"""Promotions (促销活动) and offers (报价): what the store gives, and what a customer was offered, by version."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import LineKind, OfferStatus, PromotionKind

MONEY = {"max_digits": 12, "decimal_places": 2}
STORE = "accounts.Store"
USER = settings.AUTH_USER_MODEL
DEFAULT_DISCOUNT_LIMIT = Decimal("3000.00")


class Promotion(models.Model):
    """A promotion of one store, or of the whole dealer group when `store` is empty."""

    group = models.ForeignKey(
        "accounts.DealerGroup", verbose_name=_("dealer group"), on_delete=models.PROTECT, related_name="+"
    )
    store = models.ForeignKey(
        STORE,
        verbose_name=_("store"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every store of the group."),
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    kind = models.CharField(_("type"), max_length=24, choices=PromotionKind.choices)
    amount = models.DecimalField(
        _("amount (CNY)"),
        null=True,
        blank=True,
        help_text=_("The discount or subsidy, or the value of a gift or maintenance package."),
        **MONEY,
    )
    percentage = models.DecimalField(
        _("percentage"), max_digits=5, decimal_places=2, null=True, blank=True, help_text=_("For percentage discounts.")
    )
    gift_description = models.CharField(_("gift description"), max_length=200, blank=True)
    # scope: every field that is set must match
    brand = models.ForeignKey(
        "catalog.Brand", verbose_name=_("brand"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    series = models.ForeignKey(
        "catalog.Series", verbose_name=_("series"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trim = models.ForeignKey(
        "catalog.Trim", verbose_name=_("trim"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    min_stock_age_days = models.PositiveIntegerField(
        _("only stock older than (days)"), null=True, blank=True, help_text=_("Empty: any vehicle.")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # eligibility
    requires_trade_in = models.BooleanField(_("needs a trade-in"), default=False)
    requires_loan = models.BooleanField(_("needs a loan"), default=False)
    requires_first_car = models.BooleanField(_("first car only"), default=False)
    cities = models.JSONField(_("cities / regions"), default=list, blank=True, help_text=_("Empty: everywhere."))
    # stacking
    exclusive = models.BooleanField(_("exclusive (combines with nothing)"), default=False)
    stacking_group = models.CharField(
        _("stacking group"),
        max_length=40,
        blank=True,
        help_text=_("At most one promotion of a group applies; promotions of different groups combine."),
    )
    # caps
    budget_remaining = models.DecimalField(_("budget left (CNY)"), null=True, blank=True, **MONEY)
    quantity_remaining = models.PositiveIntegerField(_("quantity left"), null=True, blank=True)
    needs_approval = models.BooleanField(_("needs manager approval"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="promotion_window_order"),
            models.CheckConstraint(
                condition=(Q(exclusive=True) & Q(stacking_group="")) | (Q(exclusive=False) & ~Q(stacking_group="")),
                name="promotion_exclusive_or_group",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="promotion_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(percentage__isnull=True) | (Q(percentage__gt=0) & Q(percentage__lte=100)),
                name="promotion_percentage_range",
            ),
            models.CheckConstraint(
                condition=Q(budget_remaining__isnull=True) | Q(budget_remaining__gte=0),
                name="promotion_budget_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "is_active", "ends_on"], name="promotion_store_active"),
            models.Index(fields=["group", "is_active", "ends_on"], name="promotion_group_active"),
        ]

    def __str__(self) -> str:
        return self.name


class OfferPolicy(models.Model):
    """A store's offer rules: how much extra discount a consultant may give without a manager."""

    store = models.OneToOneField(STORE, verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    discount_limit = models.DecimalField(
        _("consultant's extra discount limit (CNY)"), default=DEFAULT_DISCOUNT_LIMIT, **MONEY
    )
    validity_days = models.PositiveSmallIntegerField(_("offer valid for (days)"), default=7)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("offer policy")
        verbose_name_plural = _("offer policies")
        constraints = [
            models.CheckConstraint(condition=Q(discount_limit__gte=0), name="offerpolicy_limit_not_negative"),
            models.CheckConstraint(condition=Q(validity_days__gte=1), name="offerpolicy_validity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}: {self.discount_limit}"


class Offer(models.Model):
    """An offer to a customer. Its content lives in versions; an edit adds a version, old ones stay read-only."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="offers"
    )
    consultant = models.ForeignKey(USER, verbose_name=_("sales consultant"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=OfferStatus.choices, default=OfferStatus.DRAFT)
    current = models.ForeignKey(
        "OfferVersion", verbose_name=_("current version"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_until = models.DateField(_("valid until"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [
            models.Index(fields=["store", "-id"], name="offer_store_recent"),
            models.Index(fields=["store", "consultant", "-id"], name="offer_store_consultant"),
            models.Index(fields=["store", "status", "-id"], name="offer_store_status"),
            models.Index(fields=["customer", "-id"], name="offer_customer"),
        ]

    def __str__(self) -> str:
        return _("Offer %(number)s") % {"number": self.number}

    @property
    def number(self) -> str:
        return f"BJ{self.pk:06d}" if self.pk else "—"


class OfferVersion(models.Model):
    """One immutable version of an offer: the vehicle, the customer's situation, the promotions and the lines."""

    offer = models.ForeignKey(Offer, verbose_name=_("offer"), on_delete=models.CASCADE, related_name="versions")
    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(_("version"))
    trim = models.ForeignKey("catalog.Trim", verbose_name=_("trim"), on_delete=models.PROTECT, related_name="+")
    colour = models.ForeignKey(
        "catalog.Colour", verbose_name=_("colour"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stock_vehicle = models.ForeignKey(
        "catalog.StockVehicle",
        verbose_name=_("stock vehicle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    marked_price = models.ForeignKey(
        "catalog.MarkedPrice", verbose_name=_("marked price in force"), on_delete=models.PROTECT, related_name="+"
    )
    marked_price_amount = models.DecimalField(_("marked price (CNY)"), **MONEY)
    vehicle_price = models.DecimalField(_("vehicle price with colour and options (CNY)"), **MONEY)
    discount_total = models.DecimalField(_("discounts (CNY)"), **MONEY)
    extra_discount = models.DecimalField(_("extra discount (CNY)"), default=0, **MONEY)
    services_total = models.DecimalField(_("optional services (CNY)"), default=0, **MONEY)
    total = models.DecimalField(_("total (CNY)"), **MONEY)
    gift_value = models.DecimalField(_("value of gifts (CNY)"), default=0, **MONEY)
    # the customer's situation the promotions were judged on
    trade_in = models.BooleanField(_("trade-in"), default=False)
    loan = models.BooleanField(_("loan"), default=False)
    first_car = models.BooleanField(_("first car"), default=False)
    city = models.CharField(_("city / region"), max_length=60, blank=True)
    promotions_chosen = models.CharField(_("promotions chosen"), max_length=10, default="best")  # "best" | "manual"
    eligibility = models.JSONField(_("promotions considered"), default=list, blank=True)
    approval_reasons = models.JSONField(_("why approval is needed"), default=list, blank=True)
    decision = models.CharField(_("decision"), max_length=10, blank=True)  # "" | approved | refused
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)
    note = models.CharField(_("note to the customer"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("offer version")
        verbose_name_plural = _("offer versions")
        ordering = ["offer_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "number"], name="offerversion_unique_number"),
            models.CheckConstraint(condition=Q(total__gte=0), name="offerversion_total_not_negative"),
            models.CheckConstraint(condition=Q(extra_discount__gte=0), name="offerversion_extra_not_negative"),
            models.CheckConstraint(
                condition=Q(discount_total__gte=0) & Q(discount_total__lte=models.F("vehicle_price")),
                name="offerversion_discount_within_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id} v{self.number}"


class OfferLine(models.Model):
    """One line of a version's price breakdown, in order. Discounts are negative; a gift line is 0 with a value."""

    version = models.ForeignKey(OfferVersion, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind.choices)
    code = models.CharField(_("code"), max_length=30, blank=True)  # the service kind, the option code…
    label = models.CharField(_("label"), max_length=200, blank=True)  # the bare name: see engine.line_text
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    value = models.DecimalField(_("value (CNY)"), null=True, blank=True, **MONEY)
    promotion = models.ForeignKey(Promotion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    optional = models.BooleanField(_("optional"), default=False)

    class Meta:
        verbose_name = _("offer line")
        verbose_name_plural = _("offer lines")
        ordering = ["version_id", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="offerline_unique_position")]

    def __str__(self) -> str:
        return f"{self.text}: {self.amount}"

    @property
    def text(self) -> str:
        """What a person reads, in the current language."""
        from .engine import line_text

        return line_text(self.kind, self.code, self.label)
