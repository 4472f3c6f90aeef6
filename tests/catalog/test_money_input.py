"""The catalogue reads prices with the one money parser (issue 12 point 4): an exponent, which its old copy read
as a number, is now refused; the price's own messages stay."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from dealerdesk.catalog import services
from dealerdesk.core.models import AuditEntry
from tests.catalog.factories import TrimFactory

pytestmark = pytest.mark.django_db


def test_an_msrp_in_exponent_notation_is_refused_and_a_chinese_one_read(store_a, make_staff):
    admin = make_staff("store_admin", store_a)
    trim = TrimFactory()
    audits = AuditEntry.objects.count()
    # when an MSRP is given as "2e5" (the old copy read it as 200,000)
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as caught:
            services.trim_update(actor=admin, trim=trim, msrp="2e5")
        # then it is refused in the user's language, and nothing is written
        assert caught.value.message_dict["msrp"] == ["请以元为单位填写金额，例如 159800 或 159800.00。"]
    trim.refresh_from_db()
    assert trim.msrp == Decimal("199800.00") and AuditEntry.objects.count() == audits
    # and a negative price still gets the price's own message
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.trim_update(actor=admin, trim=trim, msrp="-1")
    assert caught.value.message_dict["msrp"] == ["A price must be more than zero."]
    # and the MSRP typed with full-width digits, comma and 元 is read
    services.trim_update(actor=admin, trim=trim, msrp="２０９，８００元")
    trim.refresh_from_db()
    assert trim.msrp == Decimal("209800.00")
