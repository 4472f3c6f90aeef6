"""Customer information (standard ch. 2): the person, how to reach them, what they want, what they own,
what they agreed to, and every follow-up."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealerdesk.core.crypto import EncryptedTextField

from .choices import (
    BodyType,
    ConsentChannel,
    ConsentPurpose,
    ContactKind,
    EnergyType,
    FeedbackKind,
    FeedbackStatus,
    FollowUpChannel,
    FollowUpNextStep,
    FollowUpOutcome,
    FollowUpPurpose,
    FollowUpStatus,
    Gender,
    LossReason,
    PaymentMethod,
    PreferredChannel,
    RequestStatus,
    Source,
    Stage,
    SubjectRequestKind,
    SubjectRequestStatus,
    Timeframe,
)

STORE = "accounts.Store"
USER = settings.AUTH_USER_MODEL


class IntentGradePolicy(models.Model):
    """One intent grade (意向级别) of a store: its purchase window and how often to follow up."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("grade"), max_length=2)
    label = models.CharField(_("label"), max_length=60)
    purchase_window = models.CharField(_("purchase window"), max_length=60, blank=True)
    follow_up_hours = models.PositiveIntegerField(_("follow up every (hours)"))
    position = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("intent grade")
        verbose_name_plural = _("intent grades")
        ordering = ["store_id", "position"]
        constraints = [models.UniqueConstraint(fields=["store", "code"], name="intentgradepolicy_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class LeadSource(models.Model):
    """One way customers find the stores (线索来源), in the dealer group's list that store administrators extend.

    Customers keep the code (`Customer.source`), so a renamed source relabels every customer at once and the API's
    values stay valid; a source in use is switched off, never deleted (docs/decisions/0018-lead-sources.md).
    """

    group = models.ForeignKey(
        "accounts.DealerGroup", verbose_name=_("dealer group"), on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")
        ordering = ["group_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "code"], name="leadsource_unique_code"),
            models.UniqueConstraint(fields=["group", "name"], name="leadsource_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person the store serves, from first contact (lead) to owner. Everything else hangs off it."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=60)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    city = models.CharField(_("city / region"), max_length=60, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    employer = models.CharField(_("employer"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # a code of the group's LeadSource list (validated by the services against the active ones)
    source = models.CharField(_("source"), max_length=20, default=Source.WALK_IN)
    # what an import said when it was none of the group's sources (the source is then "other")
    source_detail = models.CharField(_("source as given"), max_length=100, blank=True)
    campaign = models.CharField(_("campaign"), max_length=100, blank=True)
    referrer = models.ForeignKey(
        "self", verbose_name=_("referred by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, help_text=_("E.164, e.g. +8613800138000"))
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=PreferredChannel.choices, blank=True, default=""
    )
    preferred_time = models.CharField(_("preferred time"), max_length=60, blank=True)
    id_number = EncryptedTextField(_("resident ID number"), blank=True, default="")
    id_number_index = models.CharField(max_length=64, blank=True, default="", editable=False)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.LEAD)
    intent_grade = models.CharField(_("intent grade"), max_length=2, default="N")
    owner = models.ForeignKey(
        USER, verbose_name=_("consultant"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            # Dedup is enforced by the database too: one live customer per mobile and per ID in a store.
            models.UniqueConstraint(
                fields=["store", "mobile"],
                condition=Q(merged_into__isnull=True) & ~Q(mobile=""),
                name="customer_unique_mobile_per_store",
            ),
            models.UniqueConstraint(
                fields=["store", "id_number_index"],
                condition=Q(merged_into__isnull=True) & ~Q(id_number_index=""),
                name="customer_unique_id_per_store",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="customer_has_name"),
        ]
        indexes = [
            models.Index(fields=["store", "-id"], name="customer_store_recent"),
            models.Index(fields=["store", "owner", "-id"], name="customer_store_owner"),
            models.Index(fields=["store", "intent_grade", "-id"], name="customer_store_grade"),
            models.Index(fields=["store", "stage", "-id"], name="customer_store_stage"),
            models.Index(fields=["store", "owner", "next_follow_up_at"], name="customer_owner_due"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_alias(self) -> bool:
        return self.merged_into_id is not None

    @property
    def source_label(self) -> str:
        """The source's name in the reader's language, from the group's list (cached; no query per customer)."""
        from .lead_sources import lead_source_label

        return lead_source_label(self.store.group_id, self.source)


class ContactPoint(models.Model):
    """Another way to reach a customer besides the primary mobile."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=200)
    label = models.CharField(_("label"), max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        indexes = [models.Index(fields=["store", "kind", "value"], name="contactpoint_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "value"], name="contactpoint_unique_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class PurchaseNeed(models.Model):
    """What the customer wants to buy. A change adds a row; the newest is current, the rest is history."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="needs")
    budget_min = models.DecimalField(_("budget from (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    budget_max = models.DecimalField(_("budget up to (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True)
    body_type = models.CharField(_("body type"), max_length=12, choices=BodyType.choices, blank=True, default="")
    seats = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)
    # every energy type the customer considers (EnergyType values), as the needs analysis records them: one truth
    # for the customer card, the needs analysis and the offers (issue #10.7); empty: not said (any)
    energy_types = models.JSONField(_("energy types"), default=list, blank=True)
    usage = models.CharField(_("main use"), max_length=100, blank=True)
    timeframe = models.CharField(_("purchase timeframe"), max_length=10, choices=Timeframe.choices, blank=True)
    payment_method = models.CharField(
        _("payment method"), max_length=10, choices=PaymentMethod.choices, blank=True, default=""
    )
    trade_in = models.BooleanField(_("trade-in"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("purchase need")
        verbose_name_plural = _("purchase needs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_min__lte=models.F("budget_max")),
                name="purchaseneed_budget_order",
            ),
        ]
        indexes = [models.Index(fields=["customer", "is_current"], name="purchaseneed_current")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.body_type} {','.join(self.energy_types)}"

    @property
    def energy_labels(self) -> str:
        """The energy types in the reader's language, joined ("插电混动、纯电"), or "" when none was said."""
        return "、".join(str(EnergyType(e).label) for e in self.energy_types or [] if e and e in EnergyType.values)


class OwnedVehicle(models.Model):
    """A vehicle the customer owns or owned, bought here or elsewhere."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicles")
    brand = models.CharField(_("brand"), max_length=40)
    series = models.CharField(_("series"), max_length=60, blank=True)
    model_year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    plate = models.CharField(_("plate"), max_length=10, blank=True)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    bought_here = models.BooleanField(_("bought at this store"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("owned vehicle")
        verbose_name_plural = _("owned vehicles")
        indexes = [models.Index(fields=["store", "vin"], name="ownedvehicle_vin")]

    def __str__(self) -> str:
        return " ".join(filter(None, [self.brand, self.series, self.plate]))


class Consent(models.Model):
    """Consent for one purpose, with the notice shown, how it was given, and its withdrawal."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    notice_version = models.CharField(_("notice version"), max_length=20)
    channel = models.CharField(_("given through"), max_length=12, choices=ConsentChannel.choices)
    granted_at = models.DateTimeField(_("given"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "purpose"], condition=Q(withdrawn_at__isnull=True), name="consent_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.purpose}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class FollowUp(models.Model):
    """A planned or completed contact with a customer (回访/跟进)."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="follow_ups")
    assignee = models.ForeignKey(
        USER, verbose_name=_("assigned to"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=FollowUpPurpose.choices)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=FollowUpChannel.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=FollowUpOutcome.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # planned for a role ("care_specialist": the care desk's call, whoever of the desk makes it); empty: the assignee's
    role = models.CharField(_("responsible role"), max_length=20, blank=True, default="")
    satisfaction_score = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=20, choices=FollowUpNextStep.choices, blank=True)
    grade_before = models.CharField(_("grade before"), max_length=2, blank=True)
    grade_after = models.CharField(_("grade after"), max_length=2, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["store", "assignee", "status", "due_at"], name="followup_my_day"),
            models.Index(fields=["store", "status", "due_at"], name="followup_store_due"),
            models.Index(fields=["customer", "status"], name="followup_customer"),
            models.Index(fields=["store", "role", "status", "due_at"], name="followup_role_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", completed_at__isnull=False) | ~Q(status="done"),
                name="followup_done_has_time",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction_score__isnull=True) | Q(satisfaction_score__gte=1, satisfaction_score__lte=5),
                name="followup_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {timezone.localtime(self.due_at):%Y-%m-%d %H:%M}"


class CustomerNote(models.Model):
    """A note shared with the store team; @mentions notify colleagues."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="shared_notes")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("note"))
    mentions = models.ManyToManyField(USER, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("shared note")
        verbose_name_plural = _("shared notes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:40]


class OwnerChange(models.Model):
    """A handover of a customer from one consultant to another, with the reason."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="owner_changes")
    from_owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_owner_id} → {self.to_owner_id}"


class LossRequest(models.Model):
    """A consultant's request to mark a prospect lost (战败); a manager approves or rejects it."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="loss_requests")
    reason = models.CharField(_("reason"), max_length=30, choices=LossReason.choices)
    notes = models.TextField(_("details"), blank=True)
    competitor = models.CharField(_("competitor bought"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("loss request")
        verbose_name_plural = _("loss requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status="pending"), name="lossrequest_one_pending_per_customer"
            )
        ]
        indexes = [models.Index(fields=["store", "status"], name="lossrequest_store_status")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason} ({self.status})"


class FeedbackItem(models.Model):
    """A remark or request from the customer, tracked until it is handled."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(_("kind"), max_length=12, choices=FeedbackKind.choices)
    body = models.TextField(_("what the customer said"))
    status = models.CharField(_("status"), max_length=12, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    resolution = models.TextField(_("what we did"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["store", "status", "-created_at"], name="feedback_store_status")]

    def __str__(self) -> str:
        return self.body[:40]


class SubjectRequest(models.Model):
    """A data-subject request under PIPL (access, correction, deletion) with its due date."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="subject_requests")
    kind = models.CharField(_("kind"), max_length=12, choices=SubjectRequestKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=SubjectRequestStatus.choices, default=SubjectRequestStatus.OPEN
    )
    details = models.TextField(_("details"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    handled_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["store", "status", "due_at"], name="subjectrequest_due")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.kind}"


class SearchToken(models.Model):
    """One searchable fragment of a customer (name suffix, pinyin, initials, mobile, plate, VIN tail).

    `token` is "<kind letter>:<text>"; a prefix scan on (store, token) answers every kind of the one-box search.
    """

    store = models.ForeignKey(STORE, on_delete=models.CASCADE, related_name="+", db_index=False)
    token = models.CharField(max_length=40)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        indexes = [
            models.Index(fields=["store", "token", "-customer"], name="searchtoken_prefix_recent"),
            models.Index(fields=["customer"], name="searchtoken_customer"),
        ]

    def __str__(self) -> str:
        return self.token
