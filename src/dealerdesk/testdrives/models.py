"""Test drives (试乘试驾, standard ch. 4): the store's settings and routes, the booking with its preparation, drive
and after-drive records, the driver's licence, the signed agreement, and the demo cars' odometer history.

A demo car is a `catalog.StockVehicle` with `is_demo` (docs/decisions/0009-presales-apps.md)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dealerdesk.core.crypto import EncryptedTextField

from .choices import (
    Channel,
    FeedbackChannel,
    FirstDriver,
    FleetAlertKind,
    LicenceClass,
    OdometerSource,
    TestDriveStatus,
)

STORE = "accounts.Store"
USER = settings.AUTH_USER_MODEL
DEMO_CAR = "catalog.StockVehicle"

DEFAULT_AGREEMENT = (
    "试乘试驾协议\n"
    "\n"
    "甲方（门店）：{store}\n"
    "乙方（试驾人）：{customer}\n"
    "试驾车辆：{vehicle}（号牌 {plate}）\n"
    "试驾时间：{start} 至 {end}\n"
    "试驾路线：{route}\n"
    "\n"
    "一、乙方持有有效的机动车驾驶证，准驾车型与试驾车辆相符，并已向甲方出示。\n"
    "二、乙方在试驾过程中严格遵守道路交通安全法律法规，服从销售顾问的指引，按指定路线行驶，不超速、不饮酒驾驶。\n"
    "三、因乙方违反交通法规或操作不当造成的交通事故、违章及车辆损失，由乙方依法承担相应责任。\n"
    "四、试驾过程中全程系好安全带，不得使用手机，不得搭载无关人员。\n"
    "五、乙方签字即表示已阅读并同意本协议全部内容。\n"
)


class TestDriveSettings(models.Model):
    """A store's test-drive rules: slot length, buffer after a drive, maximum length, energy threshold, texts."""

    store = models.OneToOneField(STORE, verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=60)
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer after a drive (minutes)"), default=15, help_text=_("For cleaning or charging the car.")
    )
    max_minutes = models.PositiveSmallIntegerField(_("longest drive (minutes)"), default=120)
    min_energy_percent = models.PositiveSmallIntegerField(_("minimum fuel or charge (%)"), default=30)
    reminder_hour = models.PositiveSmallIntegerField(
        _("reminder sent the day before at (hour)"), default=10, help_text=_("Store time, 0–23.")
    )
    agreement_template = models.TextField(_("agreement template"), default=DEFAULT_AGREEMENT)
    public_notice = models.TextField(
        _("notice on the public booking page"),
        default="提交预约即表示您同意门店为安排试驾而处理您的姓名和手机号。试驾当天请携带有效驾驶证。",
    )
    public_booking_enabled = models.BooleanField(_("public booking page open"), default=True)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("test-drive settings")
        verbose_name_plural = _("test-drive settings")
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gte=15), name="testdrivesettings_slot_min"),
            models.CheckConstraint(condition=Q(max_minutes__gte=F("slot_minutes")), name="testdrivesettings_max"),
            models.CheckConstraint(condition=Q(min_energy_percent__lte=100), name="testdrivesettings_energy"),
            models.CheckConstraint(condition=Q(reminder_hour__lte=23), name="testdrivesettings_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.store_id}"


class Route(models.Model):
    """A test-drive route of a store, with its distance and expected duration."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    # "name" alone is translated as a person's name (姓名); a route's name needs its own context
    name = models.CharField(pgettext_lazy("route", "Name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    distance_km = models.DecimalField(_("distance (km)"), max_digits=5, decimal_places=1)
    duration_minutes = models.PositiveSmallIntegerField(_("expected duration (minutes)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("test-drive route")
        verbose_name_plural = _("test-drive routes")
        ordering = ["store_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="route_unique_name"),
            models.CheckConstraint(condition=Q(distance_km__gt=0), name="route_distance_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.distance_km} km · {self.duration_minutes} min)"


class DriverLicence(models.Model):
    """A customer's driver's licence as shown at the store; the number is encrypted and blind-indexed."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    number = EncryptedTextField(_("licence number"))
    number_index = models.CharField(max_length=64, editable=False)
    licence_class = models.CharField(_("licence class"), max_length=2, choices=LicenceClass.choices)
    expires_on = models.DateField(_("valid until"))
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("driver's licence")
        verbose_name_plural = _("driver's licences")
        indexes = [
            models.Index(fields=["customer", "-id"], name="licence_customer"),
            models.Index(fields=["store", "number_index"], name="licence_number_index"),
        ]

    def __str__(self) -> str:
        return f"{self.get_licence_class_display()} · {self.expires_on}"


class TestDrive(models.Model):
    """A test-drive booking and everything recorded about it: preparation, the drive, the check and feedback.

    The demo car is blocked for [start_at, blocked_until) — the drive plus the store's buffer — and the consultant
    for [start_at, end_at), while the booking is active (see choices.ACTIVE_STATUSES)."""

    store = models.ForeignKey(STORE, verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="test_drives"
    )
    trim = models.ForeignKey("catalog.Trim", verbose_name=_("trim"), on_delete=models.PROTECT, related_name="+")
    demo_car = models.ForeignKey(DEMO_CAR, verbose_name=_("demo car"), on_delete=models.PROTECT, related_name="+")
    consultant = models.ForeignKey(
        USER, verbose_name=_("sales consultant"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    route = models.ForeignKey(
        Route, verbose_name=_("route"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    start_at = models.DateTimeField(_("start"))
    end_at = models.DateTimeField(_("end"))
    blocked_until = models.DateTimeField(_("car blocked until"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=TestDriveStatus.choices, default=TestDriveStatus.REQUESTED
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    needs_attention = models.CharField(
        _("needs attention"), max_length=200, blank=True, help_text=_("Set when the demo car became unavailable.")
    )
    status_reason = models.CharField(_("reason"), max_length=200, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # preparation (4.2)
    prep_clean = models.BooleanField(_("car clean"), default=False)
    prep_energy_percent = models.PositiveSmallIntegerField(_("fuel or charge (%)"), null=True, blank=True)
    prep_no_warning_lights = models.BooleanField(_("no warning lights"), default=False)
    prep_equipment = models.BooleanField(_("equipment present"), default=False)
    licence = models.ForeignKey(
        DriverLicence,
        verbose_name=_("driver's licence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    prepared_at = models.DateTimeField(_("prepared"), null=True, blank=True)
    # the drive (4.3)
    briefing = models.JSONField(_("briefing"), default=list, blank=True)
    precautions_acknowledged = models.BooleanField(_("precautions acknowledged"), default=False)
    first_driver = models.CharField(_("drives first"), max_length=10, choices=FirstDriver.choices, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    odometer_out = models.PositiveIntegerField(_("odometer out (km)"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    odometer_in = models.PositiveIntegerField(_("odometer in (km)"), null=True, blank=True)
    incident = models.CharField(_("incident"), max_length=300, blank=True)
    # after the drive (4.4)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    return_damage = models.BooleanField(_("damage found"), default=False)
    return_damage_notes = models.CharField(_("damage"), max_length=300, blank=True)
    return_energy_percent = models.PositiveSmallIntegerField(_("fuel or charge on return (%)"), null=True, blank=True)
    return_clean = models.BooleanField(_("clean on return"), default=False)
    return_equipment = models.BooleanField(_("equipment returned"), default=False)
    drive_rating = models.PositiveSmallIntegerField(_("rating of the drive"), null=True, blank=True)
    consultant_rating = models.PositiveSmallIntegerField(_("rating of the consultant"), null=True, blank=True)
    feedback_comment = models.CharField(_("comment"), max_length=500, blank=True)
    feedback_channel = models.CharField(_("feedback given"), max_length=6, choices=FeedbackChannel.choices, blank=True)
    feedback_at = models.DateTimeField(_("feedback received"), null=True, blank=True)
    impression = models.CharField(_("consultant's impressions"), max_length=500, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    debriefed_at = models.DateTimeField(_("debriefed"), null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("test drive")
        verbose_name_plural = _("test drives")
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="testdrive_end_after_start"),
            models.CheckConstraint(condition=Q(blocked_until__gte=F("end_at")), name="testdrive_blocked_after_end"),
            models.CheckConstraint(
                condition=Q(odometer_in__isnull=True)
                | Q(odometer_out__isnull=True)
                | Q(odometer_in__gte=F("odometer_out")),
                name="testdrive_odometer_in_not_below_out",
            ),
            models.CheckConstraint(
                condition=Q(drive_rating__isnull=True) | Q(drive_rating__gte=1, drive_rating__lte=5),
                name="testdrive_drive_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(consultant_rating__isnull=True) | Q(consultant_rating__gte=1, consultant_rating__lte=5),
                name="testdrive_consultant_rating_range",
            ),
        ]
        indexes = [
            models.Index(fields=["store", "start_at"], name="testdrive_store_start"),
            models.Index(fields=["demo_car", "start_at"], name="testdrive_car_start"),
            models.Index(fields=["consultant", "start_at"], name="testdrive_consultant_start"),
            models.Index(fields=["customer", "-id"], name="testdrive_customer"),
            models.Index(fields=["status", "start_at"], name="testdrive_status_start"),
        ]

    def __str__(self) -> str:
        return _("Test drive %(number)s") % {"number": self.number}

    @property
    def number(self) -> str:
        return f"SJ{self.pk:06d}" if self.pk else "—"

    @property
    def distance_km(self) -> int | None:
        if self.odometer_in is None or self.odometer_out is None:
            return None
        return self.odometer_in - self.odometer_out


class TestDriveChange(models.Model):
    """One rescheduling of a booking: what it was before, so the history is kept."""

    test_drive = models.ForeignKey(TestDrive, on_delete=models.CASCADE, related_name="changes")
    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    old_start_at = models.DateTimeField()
    old_end_at = models.DateTimeField()
    old_demo_car = models.ForeignKey(DEMO_CAR, on_delete=models.PROTECT, related_name="+")
    old_consultant = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rescheduling")
        verbose_name_plural = _("reschedulings")
        ordering = ["test_drive_id", "-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.test_drive_id} @ {self.changed_at}"


class TestDriveAgreement(models.Model):
    """The test-drive agreement (试驾协议): the text given to the customer, the PDF and its SHA-256, the acceptance."""

    test_drive = models.OneToOneField(TestDrive, on_delete=models.PROTECT, related_name="agreement")
    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("text"))
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    generated_at = models.DateTimeField(_("generated"), default=timezone.now)
    accepted_name = models.CharField(_("typed name"), max_length=60, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    signature_png = models.BinaryField(_("drawn signature (PNG)"), null=True, blank=True)
    witnessed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("test-drive agreement")
        verbose_name_plural = _("test-drive agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | ~Q(accepted_name=""), name="agreement_accepted_has_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test_drive_id} {self.sha256[:12]}"


class OdometerReading(models.Model):
    """A demo car's odometer reading: the car's history of kilometres, one row per drive, check or correction."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey(DEMO_CAR, verbose_name=_("demo car"), on_delete=models.PROTECT, related_name="+")
    km = models.PositiveIntegerField(_("odometer (km)"))
    source = models.CharField(_("source"), max_length=12, choices=OdometerSource.choices)
    test_drive = models.ForeignKey(TestDrive, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # why a fleet manager corrected the reading (downward); blank for ordinary readings
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("odometer reading")
        verbose_name_plural = _("odometer readings")
        indexes = [models.Index(fields=["vehicle", "-recorded_at"], name="odometer_vehicle_recent")]

    def __str__(self) -> str:
        return f"{self.vehicle_id}: {self.km} km"


class FleetAlert(models.Model):
    """An alert sent about a demo car (e.g. its insurance expiring), kept so each is sent once."""

    store = models.ForeignKey(STORE, on_delete=models.PROTECT, related_name="+")
    vehicle = models.ForeignKey(DEMO_CAR, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=FleetAlertKind.choices)
    about = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fleet alert")
        verbose_name_plural = _("fleet alerts")
        constraints = [models.UniqueConstraint(fields=["vehicle", "kind", "about"], name="fleetalert_once")]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.kind} {self.about}"
