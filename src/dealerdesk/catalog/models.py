"""The vehicle catalogue (brand → series → trim, colours, options), the store's marked prices and its stock.

Brands, series and trims are the carmaker's data, shared by the group; marked prices and stock belong to a store.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import BodyType, CertificateHolder, ColourKind, DemoStatus, Drive, EnergyType, Origin, StockStatus

MONEY = {"max_digits": 12, "decimal_places": 2}


class Brand(models.Model):
    """A make (品牌), e.g. 比亚迪. `code` is what Store.brands lists."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Series(models.Model):
    """A model line (车系), e.g. 汉."""

    brand = models.ForeignKey(Brand, verbose_name=_("brand"), on_delete=models.PROTECT, related_name="series")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    body_type = models.CharField(_("body type"), max_length=12, choices=BodyType.choices)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["brand_id", "code"]
        constraints = [models.UniqueConstraint(fields=["brand", "code"], name="series_unique_code_per_brand")]

    def __str__(self) -> str:
        return f"{self.brand} {self.name}"


class Trim(models.Model):
    """A sellable version (车型) of a series with its specifications and MSRP (指导价)."""

    series = models.ForeignKey(Series, verbose_name=_("series"), on_delete=models.PROTECT, related_name="trims")
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    model_year = models.PositiveSmallIntegerField(_("model year"))
    energy_type = models.CharField(_("energy type"), max_length=6, choices=EnergyType.choices)
    body_type = models.CharField(_("body type"), max_length=12, choices=BodyType.choices)
    seats = models.PositiveSmallIntegerField(_("seats"))
    drive = models.CharField(_("drive"), max_length=4, choices=Drive.choices)
    power_kw = models.PositiveIntegerField(_("power (kW)"))
    electric_range_km = models.PositiveIntegerField(_("electric range (km, CLTC)"), null=True, blank=True)
    fuel_l_per_100km = models.DecimalField(
        _("fuel consumption (L/100 km, WLTC)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    length_mm = models.PositiveIntegerField(_("length (mm)"))
    width_mm = models.PositiveIntegerField(_("width (mm)"))
    height_mm = models.PositiveIntegerField(_("height (mm)"))
    wheelbase_mm = models.PositiveIntegerField(_("wheelbase (mm)"))
    key_features = models.JSONField(_("key features"), default=list, blank=True)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.DOMESTIC)
    msrp = models.DecimalField(_("MSRP (CNY)"), **MONEY)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("trim")
        verbose_name_plural = _("trims")
        ordering = ["series_id", "msrp", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(msrp__gt=0), name="trim_msrp_positive"),
            models.CheckConstraint(condition=Q(seats__gte=1, seats__lte=9), name="trim_seats_range"),
        ]
        indexes = [
            models.Index(fields=["is_active", "energy_type", "body_type"], name="trim_filter"),
            models.Index(fields=["is_active", "msrp"], name="trim_price"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.model_year}款 {self.name}"


class Colour(models.Model):
    """An exterior or interior colour offered on a trim, with its extra price."""

    trim = models.ForeignKey(Trim, verbose_name=_("trim"), on_delete=models.CASCADE, related_name="colours")
    kind = models.CharField(_("kind"), max_length=10, choices=ColourKind.choices)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=40)
    extra_price = models.DecimalField(_("extra price (CNY)"), default=0, **MONEY)

    class Meta:
        verbose_name = _("colour")
        verbose_name_plural = _("colours")
        ordering = ["trim_id", "kind", "extra_price", "id"]
        constraints = [
            models.UniqueConstraint(fields=["trim", "kind", "code"], name="colour_unique_code"),
            models.CheckConstraint(condition=Q(extra_price__gte=0), name="colour_extra_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Option(models.Model):
    """An option or package (选装) of a trim, with its price."""

    trim = models.ForeignKey(Trim, verbose_name=_("trim"), on_delete=models.CASCADE, related_name="options")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=80)
    price = models.DecimalField(_("price (CNY)"), **MONEY)
    is_package = models.BooleanField(_("package"), default=False)
    contents = models.JSONField(_("contents"), default=list, blank=True)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["trim_id", "price", "id"]
        constraints = [
            models.UniqueConstraint(fields=["trim", "code"], name="option_unique_code"),
            models.CheckConstraint(condition=Q(price__gte=0), name="option_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class MarkedPrice(models.Model):
    """The store's marked price (标价) of a trim from a date on. The newest one in force applies; history stays.

    Nobody may quote above the marked price in force (汽车销售管理办法 2017): offers snapshot it.
    """

    store = models.ForeignKey("accounts.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    trim = models.ForeignKey(Trim, verbose_name=_("trim"), on_delete=models.PROTECT, related_name="marked_prices")
    price = models.DecimalField(_("marked price (CNY)"), **MONEY)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("marked price")
        verbose_name_plural = _("marked prices")
        ordering = ["-valid_from", "-id"]
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="markedprice_positive")]
        indexes = [models.Index(fields=["store", "trim", "-valid_from"], name="markedprice_in_force")]

    def __str__(self) -> str:
        return f"{self.trim_id}@{self.store_id}: {self.price}"


class StockVehicle(models.Model):
    """A physical vehicle of the store (库存车), identified by its VIN. A demo car (试驾车) is one flagged `is_demo`."""

    store = models.ForeignKey("accounts.Store", verbose_name=_("store"), on_delete=models.PROTECT, related_name="+")
    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    trim = models.ForeignKey(Trim, verbose_name=_("trim"), on_delete=models.PROTECT, related_name="stock")
    exterior = models.ForeignKey(
        Colour, verbose_name=_("exterior colour"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    interior = models.ForeignKey(
        Colour, verbose_name=_("interior colour"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    options = models.ManyToManyField(Option, verbose_name=_("fitted options"), blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=StockStatus.choices, default=StockStatus.IN_TRANSIT)
    location = models.CharField(_("location"), max_length=60, blank=True)
    arrived_on = models.DateField(_("arrival date"), null=True, blank=True)
    certificate_holder = models.CharField(
        _("certificate of conformity held by"),
        max_length=10,
        choices=CertificateHolder.choices,
        default=CertificateHolder.STORE,
    )
    is_demo = models.BooleanField(_("demo car"), default=False)
    plate = models.CharField(_("plate"), max_length=10, blank=True)
    insurance_expires_on = models.DateField(_("insurance expires"), null=True, blank=True)
    odometer_km = models.PositiveIntegerField(_("odometer (km)"), default=0)
    demo_status = models.CharField(
        _("demo car status"), max_length=12, choices=DemoStatus.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("stock vehicle")
        verbose_name_plural = _("stock vehicles")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_demo=False) | ~Q(demo_status=""), name="stockvehicle_demo_has_status"
            ),
            models.CheckConstraint(condition=Q(is_demo=False) | ~Q(plate=""), name="stockvehicle_demo_has_plate"),
            models.UniqueConstraint(fields=["plate"], condition=~Q(plate=""), name="stockvehicle_unique_plate"),
        ]
        indexes = [
            models.Index(fields=["store", "status", "trim"], name="stock_store_status"),
            models.Index(fields=["store", "is_demo", "demo_status"], name="stock_store_demo"),
        ]

    def __str__(self) -> str:
        return f"{self.trim} {self.vin[-6:]}"
