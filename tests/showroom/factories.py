"""Factories of the showroom: visits built directly on the model (no permission check) at given times."""

import factory
from django.utils import timezone

from dealerdesk.showroom.models import NeedsAssessment, Visit
from tests.factories import StoreFactory


class VisitFactory(factory.django.DjangoModelFactory):
    """A visit; pass `status`, `consultant`, `assigned_at` and `left_at` consistently for served or gone visits."""

    class Meta:
        model = Visit

    store = factory.SubFactory(StoreFactory)
    arrived_at = factory.LazyFunction(timezone.now)
    party_size = 1
    kind = "first"
    source = "walk_in"
    status = "arrived"


class NeedsAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedsAssessment

    store = factory.LazyAttribute(lambda a: a.customer.store)
    consultant = factory.LazyAttribute(lambda a: a.customer.owner)
    timeframe = "month"
