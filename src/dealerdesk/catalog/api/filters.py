"""Query filters of the catalogue and stock API lists, applied to querysets the selectors already scoped."""

import django_filters
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from dealerdesk.core.filters import IdFilter

from ..choices import BodyType, DemoStatus, EnergyType, StockStatus
from ..models import Series, StockVehicle, Trim


def _real(choices) -> list[tuple[str, str]]:
    return [(value, label) for value, label in choices.choices if value]


class SeriesFilter(django_filters.FilterSet):
    brand = IdFilter(field_name="brand_id", label=_("Brand (id)"))
    body_type = django_filters.ChoiceFilter(choices=_real(BodyType), label=_("Body type"))
    is_active = django_filters.BooleanFilter(label=_("On sale"))

    class Meta:
        model = Series
        fields = ["brand", "body_type", "is_active"]


class TrimFilter(django_filters.FilterSet):
    """Energy and body type, series, brand, seats, and a price range on the store's marked price (else MSRP)."""

    energy_type = django_filters.ChoiceFilter(choices=_real(EnergyType), label=_("Energy type"))
    body_type = django_filters.ChoiceFilter(choices=_real(BodyType), label=_("Body type"))
    series = IdFilter(field_name="series_id", label=_("Series (id)"))
    brand = IdFilter(field_name="series__brand_id", label=_("Brand (id)"))
    seats = django_filters.NumberFilter(field_name="seats", label=_("Seats"))
    price_min = django_filters.NumberFilter(method="filter_price_min", label=_("Lowest price (CNY)"))
    price_max = django_filters.NumberFilter(method="filter_price_max", label=_("Highest price (CNY)"))
    is_active = django_filters.BooleanFilter(label=_("On sale"))

    class Meta:
        model = Trim
        fields = ["energy_type", "body_type", "series", "brand", "seats", "price_min", "price_max", "is_active"]

    @staticmethod
    def _priced(queryset: QuerySet) -> QuerySet:
        if "price" in queryset.query.annotations:
            return queryset
        return queryset.annotate(price=Coalesce(F("marked_price"), F("msrp")))

    def filter_price_min(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset if value is None else self._priced(queryset).filter(price__gte=value)

    def filter_price_max(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset if value is None else self._priced(queryset).filter(price__lte=value)


class StockFilter(django_filters.FilterSet):
    store = IdFilter(field_name="store_id", label=_("Store (id)"))
    status = django_filters.ChoiceFilter(choices=StockStatus.choices, label=_("Status"))
    trim = IdFilter(field_name="trim_id", label=_("Trim (id)"))
    is_demo = django_filters.BooleanFilter(label=_("Demo cars only (true) or without demo cars (false)"))
    demo_status = django_filters.ChoiceFilter(choices=DemoStatus.choices, label=_("Demo car status"))
    vin = django_filters.CharFilter(field_name="vin", lookup_expr="iexact", label=_("VIN"))

    class Meta:
        model = StockVehicle
        fields = ["store", "status", "trim", "is_demo", "demo_status", "vin"]
