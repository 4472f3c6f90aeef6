"""The needs form reads budgets with the one money parser (issue 12 point 4): a third decimal, which the old copy
rounded away without a word, is now refused; a yuan sign and 元, which it refused, are now read."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from dealerdesk.showroom import services
from dealerdesk.showroom.models import NeedsAssessment

pytestmark = pytest.mark.django_db


def test_a_budget_with_three_decimals_is_refused_not_rounded(customer, consultant):
    # when the consultant types a budget with a third decimal
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            services.needs_assessment_create(actor=consultant, customer=customer, budget_min="150000.555")
        # then it is refused for the field, and nothing is written
        assert caught.value.message_dict == {"budget_min": ["An amount has at most 2 decimal places (fen)."]}
    assert not NeedsAssessment.objects.exists()
    # and a budget typed the Chinese way is read
    assessment = services.needs_assessment_create(
        actor=consultant, customer=customer, budget_min="￥150,000元", budget_max="２０００００"
    )
    assert (assessment.budget_min, assessment.budget_max) == (Decimal("150000.00"), Decimal("200000.00"))
