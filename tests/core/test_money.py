"""`core.validators.parse_cny`, the one money parser: what it reads as an amount, what it refuses and why, in
Chinese and English (issue 12 point 4). The services' own tests show each caller using it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from dealerdesk.core.validators import CNY_MAX, cny_into, parse_cny

D = Decimal


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        (189800, D("189800.00")),
        (D("189800.5"), D("189800.50")),
        (189800.5, D("189800.50")),  # a JSON number
        ("189800", D("189800.00")),
        (" 189,800.00 ", D("189800.00")),
        ("¥189,800", D("189800.00")),
        ("￥189，800", D("189800.00")),
        ("189800元", D("189800.00")),
        ("¥ 189 800 元", D("189800.00")),  # spaces between groups, as some people type them
        ("１８９８００．５", D("189800.50")),  # full-width digits and point from a Chinese IME
        ("\u3000189800\u3000", D("189800.00")),  # the ideographic space
        ("0", D("0.00")),  # zero is the caller's to judge
        ("0.01", D("0.01")),
        ("9999999999.99", CNY_MAX),
        ("1.10", D("1.10")),
    ],
)
def test_parse_cny_reads_what_people_type(raw, amount):
    parsed = parse_cny(raw)
    assert parsed == amount and parsed.as_tuple().exponent == -2


REFUSED = [
    # (raw, code, English, Chinese)
    ("abc", "invalid", "Enter an amount in yuan, e.g. 159800 or 159800.00.", "请以元为单位填写金额"),
    ("¥", "invalid", "Enter an amount in yuan", "请以元为单位填写金额"),
    ("12,3a", "invalid", "Enter an amount in yuan", "请以元为单位填写金额"),
    ("NaN", "invalid", "Enter an amount in yuan", "请以元为单位填写金额"),
    ("Infinity", "invalid", "Enter an amount in yuan", "请以元为单位填写金额"),
    ("-inf", "invalid", "Enter an amount in yuan", "请以元为单位填写金额"),
    ("1e3", "invalid", "Enter an amount in yuan", "请以元为单位填写金额"),  # an exponent is never typed
    ("1E308", "invalid", "Enter an amount in yuan", "请以元为单位填写金额"),
    (True, "invalid", "Enter an amount in yuan", "请以元为单位填写金额"),
    ("1000.123", "decimal_places", "An amount has at most 2 decimal places (fen).", "金额最多两位小数（到分）。"),
    ("0.001", "decimal_places", "at most 2 decimal places", "最多两位小数"),
    (1e-05, "decimal_places", "at most 2 decimal places", "最多两位小数"),  # never rounded to 0.00
    ("-1", "negative", "An amount cannot be negative.", "金额不能为负数。"),
    ("-0.01", "negative", "cannot be negative", "不能为负数"),
    (
        "10000000000",
        "max_value",
        "This amount is too large: at most 9,999,999,999.99 yuan.",
        "最多 9,999,999,999.99 元",
    ),
    ("1" * 40, "max_value", "too large", "金额过大"),
    (1e308, "max_value", "too large", "金额过大"),  # a JSON number past any column
]


@pytest.mark.parametrize(("raw", "code", "english", "chinese"), REFUSED)
def test_parse_cny_refuses_with_a_reason_in_both_languages(raw, code, english, chinese):
    for language, words in (("en", english), ("zh-hans", chinese)):
        with translation.override(language):
            with pytest.raises(ValidationError) as caught:
                parse_cny(raw)
            assert caught.value.code == code
            assert words in caught.value.messages[0]  # the message is lazy: read it in the language


def test_negatives_and_a_lower_ceiling_are_the_callers_choice():
    assert parse_cny("-500", allow_negative=True) == D("-500.00")
    assert parse_cny("100000000", maximum=D("100000000")) == D("100000000.00")
    with translation.override("en"), pytest.raises(ValidationError, match="at most 100,000,000 yuan"):
        parse_cny("100000000.01", maximum=D("100000000"))


def test_cny_into_collects_the_reason_under_the_field():
    errors: dict[str, list[str]] = {}
    with translation.override("zh-hans"):
        assert cny_into(errors, "deposit_amount", "12.345") is None
        assert cny_into(errors, "amount", "  ", required=True) is None
        assert cny_into(errors, "extra_discount", "") is None  # empty and optional: no amount, no message
        assert cny_into(errors, "budget", "￥3,000元") == D("3000.00")
        assert {field: [str(message) for message in messages] for field, messages in errors.items()} == {
            "deposit_amount": ["金额最多两位小数（到分）。"],
            "amount": ["请输入金额。"],
        }
