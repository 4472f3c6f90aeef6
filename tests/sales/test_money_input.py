"""Orders read the deposit and payments with the one money parser (issue 12 point 4), no longer with the offers'
copy: a full-width yuan sign and 元 are read; an exponent is refused."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dealerdesk.sales import services
from dealerdesk.sales.models import Order
from tests.sales.helpers import accepted_offer, make_order

pytestmark = pytest.mark.django_db


def test_a_deposit_is_read_as_typed_in_chinese_and_an_exponent_is_refused(store_a, make_staff):
    consultant = make_staff("consultant", store_a)
    order = make_order(store_a, consultant)
    # when the deposit is typed with ￥, a full-width comma and 元 (the offers' copy refused it)
    services.order_update(actor=consultant, order=order, deposit_amount="￥8，000元")
    # then it is read as 8,000 yuan
    order.refresh_from_db()
    assert order.deposit_amount == Decimal("8000.00")
    # and "5e3", which the old copy read as 5,000, is refused with the order unchanged
    with pytest.raises(ValidationError) as caught:
        services.order_update(actor=consultant, order=order, deposit_amount="5e3")
    assert caught.value.message_dict["deposit_amount"] == ["Enter an amount in yuan, e.g. 159800 or 159800.00."]
    assert Order.objects.get(pk=order.pk).deposit_amount == Decimal("8000.00")


def test_the_api_reads_the_deposit_with_the_same_parser(api, store_a, make_staff):
    # given an accepted offer and its consultant on the API
    consultant = make_staff("consultant", store_a)
    setup = accepted_offer(store_a, consultant)
    api.force_authenticate(consultant)
    # when the order is taken with a deposit in exponent notation (DRF's decimal read "6e3" as 6,000)
    body = {"offer": setup.offer.pk, "delivery_place": "交车区", "deposit_amount": "6e3"}
    response = api.post("/api/v1/orders/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    # then it is a 400 for the field in the user's language, and no order is made
    assert response.status_code == 400
    assert response.json()["deposit_amount"] == ["请以元为单位填写金额，例如 159800 或 159800.00。"]
    assert not Order.objects.exists()
    # and the deposit sent the Chinese way is read (DRF's decimal refused it)
    response = api.post("/api/v1/orders/", {**body, "deposit_amount": "￥6,000元"}, format="json")
    assert response.status_code == 201, response.json()
    assert Order.objects.get().deposit_amount == Decimal("6000.00")
