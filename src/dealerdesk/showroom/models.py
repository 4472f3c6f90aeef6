"""Showroom records (standard ch. 3): visits (客流), the consultants' rotation, needs assessments (需求分析), the
advice given, and walkaround presentations (六方位绕车介绍)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    AssignMethod,
    BodyType,
    DecisionMaker,
    PaymentMethod,
    Refreshment,
    Source,
    Timeframe,
    Usage,
    VisitKind,
    VisitStatus,
)

STORE = "accounts.Store"
USER = settings.AUTH_USER_MODEL
MONEY = {"max_digits": 12, "decimal_places": 2}


class Visit(models.Model):
    """One party walking into the showroom: arrival, who served them, refreshments, departure.

    A walk-in may stay anonymous (`customer` empty) and be linked to a customer later.
    """

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=VisitStatus.choices, default=VisitStatus.ARRIVED)
    arrived_at = models.DateTimeField(_("arrived"), default=timezone.now)
    party_size = models.PositiveSmallIntegerField(_("party size"), default=1)
    kind = models.CharField(_("visit type"), max_length=12, choices=VisitKind.choices, default=VisitKind.FIRST)
    source = models.CharField(_("heard of us through"), max_length=20, choices=Source.choices, blank=True, default="")
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    consultant = models.ForeignKey(
        USER, verbose_name=_("consultant"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("served from"), null=True, blank=True)
    assigned_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assign_method = models.CharField(
        _("assigned through"), max_length=10, choices=AssignMethod.choices, blank=True, default=""
    )
    refreshments_offered = models.BooleanField(_("refreshments offered"), default=False)
    refreshment = models.CharField(
        _("refreshment accepted"), max_length=10, choices=Refreshment.choices, blank=True, default=""
    )
    rest_area = models.BooleanField(_("used the rest area"), default=False)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    logged_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("showroom visit")
        verbose_name_plural = _("showroom visits")
        ordering = ["-arrived_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(party_size__gte=1, party_size__lte=50), name="visit_party_size"),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=F("arrived_at")), name="visit_leaves_after_arrival"
            ),
            models.CheckConstraint(
                condition=~Q(status="with_consultant") | Q(consultant__isnull=False, assigned_at__isnull=False),
                name="visit_served_has_consultant",
            ),
            models.CheckConstraint(condition=~Q(status="left") | Q(left_at__isnull=False), name="visit_left_has_time"),
        ]
        indexes = [
            models.Index(fields=["store", "arrived_at"], name="visit_store_day"),
            models.Index(fields=["store", "consultant", "status"], name="visit_store_busy"),
            models.Index(fields=["customer", "arrived_at"], name="visit_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}#{self.pk} {self.arrived_at:%Y-%m-%d %H:%M}"

    @property
    def waiting_seconds(self) -> int | None:
        """Arrival until a consultant took over (None while still waiting)."""
        if self.assigned_at is None:
            return None
        return max(int((self.assigned_at - self.arrived_at).total_seconds()), 0)

    @property
    def duration_seconds(self) -> int | None:
        """Arrival until departure (None while still in the showroom)."""
        if self.left_at is None:
            return None
        return max(int((self.left_at - self.arrived_at).total_seconds()), 0)


class ConsultantPresence(models.Model):
    """A consultant's place in the store's "next up" rotation on one day: absent or not, last assignment."""

    store = models.ForeignKey(STORE, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    consultant = models.ForeignKey(USER, verbose_name=_("consultant"), on_delete=models.CASCADE, related_name="+")
    absent = models.BooleanField(_("absent"), default=False)
    last_assigned_at = models.DateTimeField(_("last assigned"), null=True, blank=True)
    assignments = models.PositiveIntegerField(_("visitors served"), default=0)

    class Meta:
        verbose_name = _("consultant presence")
        verbose_name_plural = _("consultant presence")
        constraints = [
            models.UniqueConstraint(fields=["store", "day", "consultant"], name="consultantpresence_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.store_id} {self.day} {self.consultant_id}"


class NeedsAssessment(models.Model):
    """The structured needs analysis (需求分析) a consultant takes with a customer."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="needs_assessments"
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs_assessments",
    )
    consultant = models.ForeignKey(USER, verbose_name=_("consultant"), on_delete=models.PROTECT, related_name="+")
    budget_min = models.DecimalField(_("budget from (CNY)"), null=True, blank=True, **MONEY)
    budget_max = models.DecimalField(_("budget up to (CNY)"), null=True, blank=True, **MONEY)
    body_type = models.CharField(_("body type"), max_length=12, choices=BodyType.choices, blank=True, default="")
    seats = models.PositiveSmallIntegerField(_("seats needed"), null=True, blank=True)
    energy_types = models.JSONField(_("energy preferences"), default=list, blank=True)
    usage = models.CharField(_("main use"), max_length=20, choices=Usage.choices, blank=True, default="")
    annual_km = models.PositiveIntegerField(_("distance per year (km)"), null=True, blank=True)
    home_charging = models.BooleanField(_("home charging available"), null=True, blank=True)
    timeframe = models.CharField(
        _("purchase timeframe"), max_length=10, choices=Timeframe.choices, blank=True, default=""
    )
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices, blank=True, default=""
    )
    trade_in = models.BooleanField(_("trade-in"), default=False)
    trade_in_vehicle = models.CharField(_("trade-in vehicle"), max_length=100, blank=True)
    must_have = models.JSONField(_("must-have features"), default=list, blank=True)
    competitors = models.JSONField(_("competitors considered"), default=list, blank=True)
    decision_maker = models.CharField(
        _("who decides"), max_length=10, choices=DecisionMaker.choices, blank=True, default=""
    )
    notes = models.TextField(_("notes"), blank=True)
    proposed_grade = models.CharField(_("proposed intent grade"), max_length=2, blank=True)
    confirmed_grade = models.CharField(_("confirmed intent grade"), max_length=2, blank=True)
    purchase_need = models.ForeignKey(
        "customers.PurchaseNeed", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("taken"), default=timezone.now)

    class Meta:
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True) | Q(budget_max__isnull=True) | Q(budget_min__lte=F("budget_max")),
                name="needsassessment_budget_order",
            ),
            models.CheckConstraint(
                condition=Q(seats__isnull=True) | Q(seats__gte=1, seats__lte=9), name="needsassessment_seats_range"
            ),
        ]
        indexes = [
            models.Index(fields=["store", "-id"], name="needs_store_recent"),
            models.Index(fields=["store", "consultant", "-id"], name="needs_store_consultant"),
            models.Index(fields=["customer", "-created_at"], name="needs_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.created_at:%Y-%m-%d}"


class Recommendation(models.Model):
    """The advice a consultant gave after a needs assessment: the trims recommended and why (a snapshot)."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        NeedsAssessment, verbose_name=_("needs assessment"), on_delete=models.CASCADE, related_name="recommendations"
    )
    consultant = models.ForeignKey(USER, verbose_name=_("consultant"), on_delete=models.PROTECT, related_name="+")
    trims = models.ManyToManyField("catalog.Trim", verbose_name=_("trims recommended"), related_name="+")
    snapshot = models.JSONField(_("ranking when advised"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("advised"), default=timezone.now)

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.assessment_id} @ {self.created_at:%Y-%m-%d}"


class Presentation(models.Model):
    """A six-point walkaround (六方位绕车) of a trim for a customer: what was covered, asked, objected, handed out."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="presentations"
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="presentations"
    )
    consultant = models.ForeignKey(USER, verbose_name=_("consultant"), on_delete=models.PROTECT, related_name="+")
    trim = models.ForeignKey(
        "catalog.Trim", verbose_name=_("trim shown"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    points_covered = models.JSONField(_("positions covered"), default=list, blank=True)
    highlights = models.TextField(_("points presented"), blank=True)
    questions = models.TextField(_("questions raised"), blank=True)
    objections = models.TextField(_("objections raised"), blank=True)
    materials = models.JSONField(_("materials given"), default=list, blank=True)
    created_at = models.DateTimeField(_("presented"), default=timezone.now)

    class Meta:
        verbose_name = _("walkaround presentation")
        verbose_name_plural = _("walkaround presentations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["store", "-id"], name="presentation_store_recent"),
            models.Index(fields=["customer", "-created_at"], name="presentation_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.created_at:%Y-%m-%d}"
