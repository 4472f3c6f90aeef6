"""Query filters of the customer and follow-up lists (API), applied to querysets that selectors already scoped."""

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .choices import FollowUpStatus, Stage
from .models import Customer, FollowUp


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """An exact match on a foreign key's id."""


@extend_schema_field(OpenApiTypes.BOOL)
class FlagFilter(django_filters.BooleanFilter):
    """`true` turns a restriction on; `false` or absent leaves it off."""


class CustomerFilter(django_filters.FilterSet):
    """Filters of the customer list: consultant, intent grade, stage, source and store."""

    owner = IdFilter(field_name="owner_id", label=_("Consultant (user id)"))
    intent_grade = django_filters.CharFilter(field_name="intent_grade", label=_("Intent grade"))
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label=_("Stage"))
    # a code of the group's lead sources (GET /api/v1/lead-sources/); an unknown code matches nothing
    source = django_filters.CharFilter(field_name="source", label=_("Source (code of a lead source)"))
    store = IdFilter(field_name="store_id", label=_("Store (id)"))

    class Meta:
        model = Customer
        fields = ["owner", "intent_grade", "stage", "source", "store"]


class FollowUpFilter(django_filters.FilterSet):
    """Filters of the follow-up list: only mine, only overdue, by status."""

    mine = FlagFilter(method="filter_mine", label=_("Only follow-ups assigned to me"))
    overdue = FlagFilter(method="filter_overdue", label=_("Only open follow-ups past their due time"))
    status = django_filters.ChoiceFilter(choices=FollowUpStatus.choices, label=_("Status"))

    class Meta:
        model = FollowUp
        fields = ["mine", "overdue", "status"]

    def filter_mine(self, queryset: QuerySet[FollowUp], name: str, value: bool | None) -> QuerySet[FollowUp]:
        """`mine=true` keeps the caller's follow-ups; `false` or absent keeps everything visible."""
        if not value:
            return queryset
        return queryset.filter(assignee_id=self.request.user.pk)

    def filter_overdue(self, queryset: QuerySet[FollowUp], name: str, value: bool | None) -> QuerySet[FollowUp]:
        """`overdue=true` keeps open follow-ups whose due time has passed."""
        if not value:
            return queryset
        return queryset.filter(status=FollowUpStatus.OPEN, due_at__lt=timezone.now())
