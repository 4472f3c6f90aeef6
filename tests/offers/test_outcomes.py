"""The showroom learns from the offers app which visits ended with an offer."""

import pytest

from dealerdesk.offers import services
from dealerdesk.offers.services import OfferRequest
from dealerdesk.showroom import services as showroom
from dealerdesk.showroom.outcomes import OFFER, outcomes_for
from tests.customers.factories import CustomerFactory
from tests.offers.helpers import catalogue

pytestmark = pytest.mark.django_db


def test_a_visit_with_an_offer_made_during_it_reports_the_offer(store_a, make_staff):
    # given two visitors in the showroom, both linked to customers
    reception = make_staff("receptionist", store_a)
    consultant = make_staff("consultant", store_a)
    cat = catalogue(store_a)
    with_offer = CustomerFactory(store=store_a, owner=consultant)
    without = CustomerFactory(store=store_a, owner=consultant)
    visits = []
    for customer in (with_offer, without):
        visit = showroom.visit_arrive(actor=reception, store=store_a)
        visits.append(showroom.visit_link_customer(actor=reception, visit=visit, customer=customer))
    # when the consultant makes an offer to one of them
    services.offer_create(actor=consultant, customer=with_offer, request=OfferRequest(trim_id=cat.trim.pk))
    # then only that visit has the offer outcome
    found = outcomes_for(visits)
    assert OFFER in found[visits[0].pk]
    assert OFFER not in found[visits[1].pk]
