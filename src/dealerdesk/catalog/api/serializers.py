"""Shapes of the catalogue and stock API. Output serializers are read-only; input serializers only parse, the
services validate (their ValidationError dicts come back keyed by field)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dealerdesk.core import fields as f
from dealerdesk.core.api import Serializer

from ..models import Brand, Colour, MarkedPrice, Option, Series, StockVehicle, Trim

# ---------------------------------------------------------------- catalogue


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "code", "name", "name_en"]
        read_only_fields = fields


class _BrandRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["id", "code", "name"]
        read_only_fields = fields


class SeriesSerializer(serializers.ModelSerializer):
    brand = _BrandRefSerializer(read_only=True)

    class Meta:
        model = Series
        fields = ["id", "brand", "code", "name", "body_type", "is_active"]
        read_only_fields = fields


class _SeriesRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Series
        fields = ["id", "code", "name"]
        read_only_fields = fields


class ColourSerializer(serializers.ModelSerializer):
    extra_price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, coerce_to_string=True)

    class Meta:
        model = Colour
        fields = ["id", "kind", "code", "name", "extra_price"]
        read_only_fields = fields


class OptionSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, coerce_to_string=True)
    contents = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Option
        fields = ["id", "code", "name", "price", "is_package", "contents"]
        read_only_fields = fields


class TrimSerializer(serializers.ModelSerializer):
    """A trim with its specifications, colours, options, MSRP and the marked price in force in the caller's store."""

    brand = serializers.SerializerMethodField()
    series = _SeriesRefSerializer(read_only=True)
    key_features = serializers.ListField(child=serializers.CharField(), read_only=True)
    msrp = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, coerce_to_string=True)
    marked_price = serializers.SerializerMethodField(
        help_text=_("The marked price in force in the store asked about (`store`), null when none is set.")
    )
    colours = ColourSerializer(many=True, read_only=True)
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = Trim
        fields = [
            "id",
            "code",
            "name",
            "brand",
            "series",
            "model_year",
            "energy_type",
            "body_type",
            "seats",
            "drive",
            "power_kw",
            "electric_range_km",
            "fuel_l_per_100km",
            "length_mm",
            "width_mm",
            "height_mm",
            "wheelbase_mm",
            "key_features",
            "origin",
            "msrp",
            "marked_price",
            "is_active",
            "colours",
            "options",
        ]
        read_only_fields = fields

    @extend_schema_field(_BrandRefSerializer)
    def get_brand(self, trim: Trim) -> dict:
        return _BrandRefSerializer(trim.series.brand).data

    @extend_schema_field(
        serializers.DecimalField(max_digits=12, decimal_places=2, coerce_to_string=True, allow_null=True)
    )
    def get_marked_price(self, trim: Trim) -> str | None:
        price = getattr(trim, "marked_price", None)
        return None if price is None else f"{price:.2f}"


class MarkedPriceSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, coerce_to_string=True)

    class Meta:
        model = MarkedPrice
        fields = ["id", "store", "trim", "price", "valid_from", "note", "set_by", "created_at"]
        read_only_fields = fields


class MarkedPriceRequestSerializer(Serializer):
    store = f.IdField(
        label=_("store"), required=False, help_text=_("Store id; may be left out when you work in one store only.")
    )
    price = f.MoneyField(label=_("marked price"), help_text=_('CNY, e.g. "189800.00".'))
    valid_from = serializers.DateTimeField(
        label=_("valid from"), required=False, allow_null=True, help_text=_("Default now; never in the past.")
    )
    note = f.TextField(label=_("note"), required=False, allow_blank=True, max_length=200, default="")


# ---------------------------------------------------------------- stock


class _TrimRefSerializer(serializers.ModelSerializer):
    series = serializers.CharField(source="series.name", read_only=True)
    brand = serializers.CharField(source="series.brand.name", read_only=True)

    class Meta:
        model = Trim
        fields = ["id", "code", "name", "series", "brand", "model_year"]
        read_only_fields = fields


class _ColourRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Colour
        fields = ["id", "code", "name"]
        read_only_fields = fields


class StockVehicleSerializer(serializers.ModelSerializer):
    """A stock vehicle; for a demo car also its plate, insurance expiry, odometer and demo status."""

    trim = _TrimRefSerializer(read_only=True)
    exterior = _ColourRefSerializer(read_only=True, allow_null=True)
    interior = _ColourRefSerializer(read_only=True, allow_null=True)
    options = serializers.SerializerMethodField()

    class Meta:
        model = StockVehicle
        fields = [
            "id",
            "store",
            "vin",
            "trim",
            "exterior",
            "interior",
            "options",
            "status",
            "location",
            "arrived_on",
            "certificate_holder",
            "is_demo",
            "plate",
            "insurance_expires_on",
            "odometer_km",
            "demo_status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_options(self, vehicle: StockVehicle) -> list[int]:
        """Ids of the fitted options."""
        return [option.pk for option in vehicle.options.all()]


class StockReceiveSerializer(Serializer):
    store = f.IdField(
        label=_("store"), required=False, help_text=_("Store id; may be left out when you work in one store only.")
    )
    vin = serializers.CharField(label=_("VIN"), max_length=40)
    trim = serializers.PrimaryKeyRelatedField(label=_("trim"), queryset=Trim.objects.select_related("series__brand"))
    exterior = serializers.PrimaryKeyRelatedField(
        label=_("exterior colour"), queryset=Colour.objects.all(), required=False, allow_null=True
    )
    interior = serializers.PrimaryKeyRelatedField(
        label=_("interior colour"), queryset=Colour.objects.all(), required=False, allow_null=True
    )
    options = serializers.PrimaryKeyRelatedField(
        label=_("fitted options"), queryset=Option.objects.all(), many=True, required=False
    )
    status = serializers.CharField(
        label=_("status"), required=False, default="in_transit", help_text=_("`in_transit` (default) or `in_stock`.")
    )
    location = serializers.CharField(label=_("location"), required=False, allow_blank=True, default="")
    arrived_on = serializers.DateField(label=_("arrival date"), required=False, allow_null=True)
    certificate_holder = serializers.CharField(
        label=_("certificate of conformity held by"),
        required=False,
        default="store",
        help_text=_("`store` (default), `lender` or `carmaker`."),
    )


class StockStatusRequestSerializer(Serializer):
    status = serializers.CharField(
        label=_("status"), help_text=_("The next status: in_transit, in_stock, reserved, sold or delivered.")
    )


class DemoFlagRequestSerializer(Serializer):
    plate = serializers.CharField(label=_("plate"), max_length=20)
    insurance_expires_on = serializers.DateField(label=_("insurance expires"))
    odometer_km = serializers.IntegerField(label=_("odometer (km)"), required=False, allow_null=True)
    demo_status = serializers.CharField(
        label=_("demo car status"), required=False, default="available", help_text=_("`available` or `maintenance`.")
    )
