"""Offers read amounts with the one money parser (issue 12 point 4): what the old copy refused is now read, and
what it let through is now refused."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from dealerdesk.offers import services
from dealerdesk.offers.models import Offer
from dealerdesk.offers.services import OfferRequest
from tests.customers.factories import CustomerFactory
from tests.offers.helpers import D, catalogue

pytestmark = pytest.mark.django_db


def test_an_extra_discount_is_read_as_typed_in_chinese_and_an_exponent_is_refused(store_a, make_staff):
    # given a consultant and a customer
    consultant = make_staff("consultant", store_a)
    customer = CustomerFactory(store=store_a, owner=consultant)
    cat = catalogue(store_a)

    def make(extra: str) -> Offer:
        request = OfferRequest(trim_id=cat.trim.pk, extra_discount=extra)
        return services.offer_create(actor=consultant, customer=customer, request=request)

    # when the discount is typed with a full-width yuan sign, full-width comma and 元 (the old copy refused it)
    offer = make("￥1，000元")
    # then it is read as 1,000 yuan
    assert offer.current.extra_discount == D("1000.00")
    assert offer.current.lines.get(kind="extra_discount").amount == D("-1000.00")
    # and "1e3", which the old copy read as 1,000, is refused with nothing written
    before = Offer.objects.count()
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as caught:
            make("1e3")
        assert caught.value.message_dict["extra_discount"] == ["请以元为单位填写金额，例如 159800 或 159800.00。"]
    assert Offer.objects.count() == before
