"""Shapes of the customers API. Output serializers give each caller what the field-visibility policy
(`customers.visibility`) lets their role see: a hidden field is left out of the answer, a masked one is masked; input
serializers only parse, the services validate (their ValidationError dicts come back keyed by field)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dealerdesk.core.audit import action_label
from dealerdesk.core.models import AuditEntry

from .. import visibility
from ..choices import ConsentChannel, ConsentPurpose, FollowUpChannel, FollowUpNextStep, FollowUpOutcome, Gender
from ..models import Consent, Customer, FollowUp


def _viewer(serializer: serializers.BaseSerializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class _PolicyFields:
    """Cuts each row to what the caller's role sees (`visibility.present`); without a request in the context nothing
    is shown, so a forgotten context fails closed."""

    resource = ""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return visibility.present(_viewer(self), self.resource, instance, data)


# ---------------------------------------------------------------- customers


class CustomerSerializer(_PolicyFields, serializers.ModelSerializer):
    """A customer as the caller's role sees it (docs/decisions/0013): reception gets the reduced card (id, name,
    masked mobile, owner, grade, store); the others every field, with mobile and ID number masked (the reveal
    endpoint gives full values). Fields the role may not see are left out."""

    resource = visibility.CUSTOMER
    mobile = serializers.CharField(read_only=True, help_text=_("Masked, e.g. 138****8000."))
    id_number = serializers.CharField(read_only=True, help_text=_("Masked, e.g. 1101**********1234."))
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "gender",
            "birthday",
            "mobile",
            "id_number",
            "source",
            "campaign",
            "city",
            "occupation",
            "employer",
            "notes",
            "tags",
            "stage",
            "intent_grade",
            "owner",
            "store",
            "next_follow_up_at",
            "created_at",
        ]
        read_only_fields = fields


class _CustomerFieldsSerializer(serializers.Serializer):
    """Editable customer fields, parsed leniently: the service normalises and validates them."""

    name = serializers.CharField(label=_("name"), allow_blank=True, trim_whitespace=False)
    mobile = serializers.CharField(
        label=_("mobile"), allow_blank=True, help_text=_("The full number in any common notation.")
    )
    gender = serializers.ChoiceField(label=_("gender"), choices=Gender.choices, required=False)
    birthday = serializers.DateField(label=_("birthday"), required=False, allow_null=True)
    id_number = serializers.CharField(
        label=_("resident ID number"), required=False, allow_blank=True, help_text=_("The full 18-character number.")
    )
    source = serializers.CharField(
        label=_("source"),
        required=False,
        max_length=20,
        help_text=_("The code of one of the group's active lead sources (GET /api/v1/lead-sources/)."),
    )
    campaign = serializers.CharField(label=_("campaign"), required=False, allow_blank=True, max_length=100)
    city = serializers.CharField(label=_("city / region"), required=False, allow_blank=True, max_length=60)
    occupation = serializers.CharField(label=_("occupation"), required=False, allow_blank=True, max_length=60)
    employer = serializers.CharField(label=_("employer"), required=False, allow_blank=True, max_length=100)
    notes = serializers.CharField(label=_("notes"), required=False, allow_blank=True)
    tags = serializers.ListField(label=_("tags"), child=serializers.CharField(), required=False)


class CustomerCreateSerializer(_CustomerFieldsSerializer):
    """A new customer: name and mobile at least; store when the caller works in several stores."""

    store = serializers.IntegerField(
        label=_("store"), required=False, help_text=_("Store id; may be left out when you work in one store only.")
    )
    owner = serializers.IntegerField(
        label=_("consultant"), required=False, allow_null=True, help_text=_("User id of the consultant who owns it.")
    )


class CustomerUpdateSerializer(_CustomerFieldsSerializer):
    """Changed basic information; send only the fields that change."""


class SearchRequestSerializer(serializers.Serializer):
    q = serializers.CharField(
        label=_("search"),
        allow_blank=True,
        max_length=60,
        help_text=_("Name, pinyin or initials, mobile (full or last 4), plate or VIN tail."),
    )


class CustomerListSerializer(serializers.Serializer):
    results = CustomerSerializer(many=True)


class CustomerSearchResultSerializer(_PolicyFields, serializers.ModelSerializer):
    """A search hit: just enough to pick the right person (the full record is one GET away), cut by the policy."""

    resource = visibility.CUSTOMER
    mobile = serializers.CharField(read_only=True, help_text=_("Masked, e.g. 138****8000."))
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "name", "mobile", "stage", "intent_grade", "owner", "owner_name", "store"]
        read_only_fields = fields

    def get_owner_name(self, customer: Customer) -> str:
        return str(customer.owner) if customer.owner_id else ""


class CustomerSearchResponseSerializer(serializers.Serializer):
    results = CustomerSearchResultSerializer(many=True)


class RevealRequestSerializer(serializers.Serializer):
    field = serializers.ChoiceField(label=_("field"), choices=[("mobile", _("mobile")), ("id_number", _("ID number"))])
    reason = serializers.CharField(label=_("reason"), required=False, allow_blank=True, max_length=200, default="")


class RevealSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class GradeRequestSerializer(serializers.Serializer):
    intent_grade = serializers.CharField(label=_("intent grade"), max_length=2)


class AssignRequestSerializer(serializers.Serializer):
    owner = serializers.IntegerField(label=_("consultant"), help_text=_("User id of the new consultant."))
    reason = serializers.CharField(label=_("reason"), allow_blank=True, max_length=200)


class MergeRequestSerializer(serializers.Serializer):
    merged_id = serializers.IntegerField(
        label=_("duplicate customer"), help_text=_("Id of the duplicate; it becomes an alias of this customer.")
    )


class EraseRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("reason"), allow_blank=True, max_length=200)


class SubjectExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        label=_("format"), choices=[("json", "JSON"), ("xlsx", "XLSX")], required=False, default="json"
    )


# ---------------------------------------------------------------- timeline and consents


class TimelineEntrySerializer(serializers.ModelSerializer):
    """One audit entry of the customer; the change shows only the fields the caller's role sees of the customer
    (`visibility.audit_diff`: hidden fields left out, mobiles masked). Needs `customer` in the context."""

    label = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    actor_id = serializers.IntegerField(read_only=True, allow_null=True)
    time = serializers.DateTimeField(source="created_at", read_only=True)
    diff = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = ["id", "action", "label", "actor", "actor_id", "time", "diff"]
        read_only_fields = fields

    def get_label(self, entry: AuditEntry) -> str:
        return action_label(entry.action)

    def get_actor(self, entry: AuditEntry) -> str | None:
        return str(entry.actor) if entry.actor_id else None

    def get_diff(self, entry: AuditEntry) -> dict[str, Any]:
        return visibility.audit_diff(_viewer(self), self.context["customer"], entry.diff or {})


class TimelineSerializer(serializers.Serializer):
    results = TimelineEntrySerializer(many=True)


class ConsentSerializer(serializers.ModelSerializer):
    # Plain strings here: the request serializer documents the choices (one enum per name in the schema).
    purpose = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = Consent
        fields = ["id", "purpose", "notice_version", "channel", "granted_at", "withdrawn_at", "is_active"]
        read_only_fields = fields


class ConsentListSerializer(serializers.Serializer):
    results = ConsentSerializer(many=True)


class ConsentActionSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(label=_("purpose"), choices=ConsentPurpose.choices)
    action = serializers.ChoiceField(label=_("action"), choices=[("grant", _("Grant")), ("withdraw", _("Withdraw"))])
    channel = serializers.ChoiceField(
        label=_("given through"), choices=ConsentChannel.choices, required=False, default=ConsentChannel.IN_PERSON
    )
    notice_version = serializers.CharField(label=_("notice version"), required=False, allow_blank=True, max_length=20)


# ---------------------------------------------------------------- follow-ups


class FollowUpSerializer(_PolicyFields, serializers.ModelSerializer):
    """A follow-up as the caller's role sees it: reception only that a contact is planned (who, when, why, status),
    not its channel, outcome, notes or grades."""

    resource = visibility.FOLLOW_UP
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    # A plain string: the completion request documents the channel choices.
    channel = serializers.CharField(read_only=True)

    class Meta:
        model = FollowUp
        fields = list(visibility.FOLLOW_UP_FIELDS)  # the policy names every field a follow-up can carry
        read_only_fields = fields


class FollowUpCompleteRequestSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(label=_("channel"), choices=FollowUpChannel.choices)
    outcome = serializers.ChoiceField(label=_("outcome"), choices=FollowUpOutcome.choices)
    notes = serializers.CharField(label=_("notes"), required=False, allow_blank=True, default="")
    new_grade = serializers.CharField(label=_("new intent grade"), required=False, allow_blank=True, max_length=2)
    next_due_at = serializers.DateTimeField(
        label=_("next follow-up"),
        required=False,
        help_text=_("Leave out to plan by the intent grade. On a care call: the date of the next care call, if any."),
    )
    score = serializers.IntegerField(
        label=_("satisfaction score"),
        required=False,
        allow_null=True,
        min_value=1,
        max_value=5,
        help_text=_("1 (very dissatisfied) to 5 (very satisfied); 2 or less alerts the store's sales managers."),
    )
    comment = serializers.CharField(
        label=_("comment"),
        required=False,
        allow_blank=True,
        help_text=_("What the customer said, in their words (the same as notes; give one of the two)."),
    )
    next_step = serializers.ChoiceField(
        label=_("next step"), choices=FollowUpNextStep.choices, required=False, allow_blank=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        comment = attrs.pop("comment", "")
        if comment and attrs.get("notes") and comment != attrs["notes"]:
            raise serializers.ValidationError({"comment": [_("Give the comment or the notes, not both.")]})
        if comment:
            attrs["notes"] = comment
        return attrs


class FollowUpCompleteSerializer(serializers.Serializer):
    done = FollowUpSerializer()
    next = FollowUpSerializer(allow_null=True)


class LeadSourceSerializer(serializers.Serializer):
    """One lead source of a dealer group: its code is the value of a customer's `source`."""

    group = serializers.IntegerField(read_only=True, help_text=_("Dealer group id."))
    code = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True, help_text=_("In the caller's language."))
    name = serializers.CharField(read_only=True, help_text=_("Chinese name."))
    name_en = serializers.CharField(read_only=True, help_text=_("English name; may be empty."))
    is_active = serializers.BooleanField(
        read_only=True, help_text=_("Only active sources are accepted for a new or changed source.")
    )
