from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dealerdesk.core import fields as f
from dealerdesk.core.api import Serializer

from ..models import Store, User


class TokenRequestSerializer(Serializer):
    username = serializers.CharField(label=_("username"), max_length=150)
    # As typed: a password's tabs and spaces are part of it (multiline keeps them).
    password = f.CharField(label=_("password"), max_length=128, trim_whitespace=False, write_only=True, multiline=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class StoreSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="group.name", read_only=True)

    class Meta:
        model = Store
        fields = [
            "id",
            "code",
            "name",
            "group",
            "city",
            "time_zone",
            "brands",
            "address",
            "phone",
            "opening_hours",
        ]
        read_only_fields = fields


class MembershipSerializer(serializers.Serializer):
    store = StoreSerializer()
    roles = serializers.ListField(child=serializers.CharField())


class MeSerializer(serializers.ModelSerializer):
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "email", "language", "memberships"]
        read_only_fields = fields

    def get_memberships(self, user) -> list[dict]:
        from ..selectors import membership_summary_for

        return MembershipSerializer(membership_summary_for(user), many=True).data
