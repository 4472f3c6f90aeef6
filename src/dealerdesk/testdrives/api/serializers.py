"""Shapes of test drives and demo cars over the API. Times are ISO 8601 with offset."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dealerdesk.catalog.choices import DemoStatus
from dealerdesk.catalog.models import StockVehicle
from dealerdesk.core import fields as f
from dealerdesk.core.api import Serializer

from ..choices import BriefingItem, Channel, FirstDriver, LicenceClass, TestDriveStatus
from ..models import TestDrive
from ..services import mask_licence


class DemoCarSerializer(serializers.ModelSerializer):
    trim_name = serializers.CharField(source="trim.__str__", read_only=True)
    series = serializers.IntegerField(source="trim.series_id", read_only=True)

    class Meta:
        model = StockVehicle
        fields = [
            "id",
            "store",
            "vin",
            "plate",
            "trim",
            "trim_name",
            "series",
            "demo_status",
            "insurance_expires_on",
            "odometer_km",
        ]
        read_only_fields = fields


class TestDriveSerializer(serializers.ModelSerializer):
    """A booking: who, which car, when (ISO 8601), with whom, where, how it was asked for, and its status."""

    number = serializers.CharField(read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    start = serializers.DateTimeField(source="start_at", read_only=True)
    end = serializers.DateTimeField(source="end_at", read_only=True)
    status = serializers.ChoiceField(choices=TestDriveStatus.choices, read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    licence = serializers.SerializerMethodField(help_text=_("Class, validity and the masked number."))
    distance_km = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = TestDrive
        fields = [
            "id",
            "number",
            "store",
            "customer",
            "customer_name",
            "trim",
            "demo_car",
            "consultant",
            "start",
            "end",
            "blocked_until",
            "route",
            "channel",
            "status",
            "notes",
            "needs_attention",
            "status_reason",
            "prep_clean",
            "prep_energy_percent",
            "prep_no_warning_lights",
            "prep_equipment",
            "licence",
            "started_at",
            "odometer_out",
            "ended_at",
            "odometer_in",
            "distance_km",
            "incident",
            "return_damage",
            "drive_rating",
            "consultant_rating",
            "feedback_comment",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_licence(self, td: TestDrive) -> dict | None:
        if td.licence_id is None:
            return None
        return {
            "licence_class": td.licence.licence_class,
            "expires_on": td.licence.expires_on.isoformat(),
            "number": mask_licence(td.licence.number),
        }


class TestDriveBookSerializer(Serializer):
    customer = f.IdField()
    demo_car = f.IdField(required=False, allow_null=True)
    trim = f.IdField(required=False, allow_null=True)
    series = f.IdField(required=False, allow_null=True)
    consultant = f.IdField(required=False, allow_null=True)
    route = f.IdField(required=False, allow_null=True)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in Channel if c != Channel.ONLINE])
    notes = f.TextField(required=False, allow_blank=True, max_length=300)


class TestDriveConfirmSerializer(Serializer):
    consultant = f.IdField(required=False, allow_null=True)


class TestDriveRescheduleSerializer(Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(required=False, allow_null=True)
    demo_car = f.IdField(required=False, allow_null=True)
    consultant = f.IdField(required=False, allow_null=True)
    reason = f.TextField(required=False, allow_blank=True, max_length=200)


class TestDriveReasonSerializer(Serializer):
    reason = f.TextField(max_length=200)


class TestDriveChecklistSerializer(Serializer):
    clean = serializers.BooleanField()
    energy_percent = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    no_warning_lights = serializers.BooleanField()
    equipment_present = serializers.BooleanField()
    route = f.IdField(required=False, allow_null=True)


class TestDriveLicenceSerializer(Serializer):
    number = serializers.CharField(max_length=30)
    licence_class = serializers.ChoiceField(choices=LicenceClass.choices)
    expires_on = serializers.DateField()


class LicenceRevealRequestSerializer(Serializer):
    reason = serializers.CharField(
        label=_("reason"),
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        help_text=_("Why the full number is needed; kept in the access log."),
    )


class LicenceRevealSerializer(serializers.Serializer):
    licence = serializers.IntegerField(help_text=_("The driver's licence record."))
    number = serializers.CharField(help_text=_("The full licence number."))


class TestDriveAcceptSerializer(Serializer):
    typed_name = serializers.CharField(max_length=60)
    signature = serializers.CharField(required=False, allow_blank=True, help_text=_("A PNG data URL, optional."))


class TestDriveStartSerializer(Serializer):
    odometer_out = serializers.IntegerField(min_value=0)
    first_driver = serializers.ChoiceField(choices=FirstDriver.choices)
    briefing = serializers.ListField(child=serializers.ChoiceField(choices=BriefingItem.choices))
    precautions_acknowledged = serializers.BooleanField()


class TestDriveCompleteSerializer(Serializer):
    odometer_in = serializers.IntegerField(min_value=0)
    incident = f.TextField(required=False, allow_blank=True, max_length=300)


class TestDriveCheckSerializer(Serializer):
    damage = serializers.BooleanField()
    damage_notes = f.TextField(required=False, allow_blank=True, max_length=300)
    energy_percent = serializers.IntegerField(min_value=0, max_value=100)
    clean = serializers.BooleanField()
    equipment_returned = serializers.BooleanField()


class TestDriveFeedbackSerializer(Serializer):
    drive_rating = serializers.IntegerField(min_value=1, max_value=5)
    consultant_rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = f.TextField(required=False, allow_blank=True, max_length=500)


class TestDrivePublicFeedbackSerializer(TestDriveFeedbackSerializer):
    token = serializers.CharField()


class TestDriveDebriefSerializer(Serializer):
    impression = f.TextField(max_length=500)
    next_step = f.TextField(max_length=200)
    grade = serializers.CharField(required=False, allow_blank=True, max_length=2)


class TestDriveSlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    free = serializers.BooleanField()


class DemoCarAvailabilitySerializer(serializers.Serializer):
    demo_car = DemoCarSerializer()
    slots = TestDriveSlotSerializer(many=True)


class DemoCarStatusSerializer(Serializer):
    demo_status = serializers.ChoiceField(choices=DemoStatus.choices)
    reason = f.TextField(required=False, allow_blank=True, max_length=200)


class DemoCarInsuranceSerializer(Serializer):
    insurance_expires_on = serializers.DateField()


class DemoCarOdometerSerializer(Serializer):
    odometer_km = serializers.IntegerField(min_value=0)
    reason = f.TextField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("Required when a fleet manager corrects the reading downward."),
    )


class DemoCarUtilisationSerializer(serializers.Serializer):
    demo_car = serializers.IntegerField()
    plate = serializers.CharField()
    booked_hours = serializers.FloatField()
    open_hours = serializers.FloatField()
    drives = serializers.IntegerField()
    percent = serializers.FloatField()


class TestDrivePublicBookSerializer(Serializer):
    store = serializers.SlugField(help_text=_("The store's code, e.g. sz-futian."))
    series = f.IdField()
    start = serializers.DateTimeField()
    name = serializers.CharField(max_length=60)
    mobile = serializers.CharField(max_length=30)
    notice_accepted = serializers.BooleanField()


class TestDrivePublicBookedSerializer(serializers.Serializer):
    number = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    status = serializers.CharField()


class PublicSlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    free = serializers.BooleanField()
