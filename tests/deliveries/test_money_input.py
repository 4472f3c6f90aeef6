"""Gift policies read amounts with the one money parser (issue 12 point 4): an order value with a third decimal,
which the old copy handed to the database to round, and one past the column are refused for the field."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from dealerdesk.deliveries import services
from dealerdesk.deliveries.models import GiftRule

pytestmark = pytest.mark.django_db


def test_a_gift_rule_order_value_is_read_strictly(store_a, make_staff):
    admin = make_staff("store_admin", store_a)
    gift = services.gift_create(actor=admin, store=store_a, name="全车脚垫", unit_value="￥300元", stock=5)
    assert gift.unit_value == Decimal("300.00")
    with translation.override("en"):
        for raw, words in (("200000.005", "2 decimal places"), ("1" * 20, "too large"), ("-1", "negative")):
            with pytest.raises(ValidationError) as caught:
                services.gift_rule_create(actor=admin, gift=gift, quantity=1, min_order_total=raw)
            assert words in caught.value.message_dict["min_order_total"][0]
    assert not GiftRule.objects.exists()
    rule = services.gift_rule_create(actor=admin, gift=gift, quantity=1, min_order_total="200,000")
    assert rule.min_order_total == Decimal("200000.00")
