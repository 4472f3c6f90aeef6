"""Normalising validators: each accepts the notations people type and refuses bad input with a code and message."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from dealerdesk.core.validators import (
    mask_mobile,
    mask_resident_id,
    normalize_email,
    normalize_mobile,
    normalize_phone,
    normalize_plate,
    normalize_resident_id,
    normalize_vin,
    resident_id_birth_date,
    resident_id_gender,
    to_halfwidth,
    vin_check_digit,
)

VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def refused(func, value) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        func(value)
    return excinfo.value


def with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


# to_halfwidth


def test_to_halfwidth_converts_fullwidth_ascii_and_the_ideographic_space_and_strips():
    assert to_halfwidth("\u3000ＡＢｃ１２３＠＋－\u3000") == "ABc123@+-"
    assert to_halfwidth("京Ａ　１") == "京A 1"


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E)))
def test_to_halfwidth_undoes_fullwidth_for_any_printable_ascii(text):
    fullwidth = "".join(chr(ord(char) + 0xFEE0) for char in text)
    assert to_halfwidth(fullwidth) == text


# mobile and phone


@pytest.mark.parametrize(
    "typed",
    [
        "+86 138-0013-8000",
        "138 0013 8000",
        "13800138000",
        "１３８００１３８０００",
        "+8613800138000",
        "0086 138 0013 8000",
        "  13800138000\u3000",
    ],
)
def test_normalize_mobile_accepts_common_notations_and_returns_e164(typed):
    assert normalize_mobile(typed) == "+8613800138000"


def test_normalize_mobile_accepts_a_foreign_mobile_in_international_form():
    assert normalize_mobile("+44 7400 123456") == "+447400123456"


@pytest.mark.parametrize("typed", ["12345", "1380013800", "138001380001", "not a number", ""])
def test_normalize_mobile_refuses_an_invalid_number(typed):
    error = refused(normalize_mobile, typed)
    assert error.code == "mobile_invalid"
    with translation.override("en"):
        assert "valid mobile number" in error.messages[0]


def test_normalize_mobile_refuses_a_landline():
    assert refused(normalize_mobile, "010-1234 5678").code == "mobile_not_mobile"


def test_normalize_phone_accepts_landlines_and_mobiles():
    assert normalize_phone("010-1234 5678") == "+861012345678"
    assert normalize_phone("(0755) 8888 1234") == "+8675588881234"
    assert normalize_phone("138 0013 8000") == "+8613800138000"
    assert refused(normalize_phone, "12345").code == "phone_invalid"


def test_mask_mobile_shows_the_national_form_for_china_and_keeps_the_country_code_otherwise():
    assert mask_mobile("+8613800138000") == "138****8000"
    assert mask_mobile("+861012345678") == "010****5678"
    assert mask_mobile("+447400123456") == "+44 740***3456"


def test_mask_mobile_never_shows_a_short_or_unparseable_value_in_full():
    assert "2345" not in mask_mobile("12345")
    assert mask_mobile("garbage") == ""


# resident ID


def test_normalize_resident_id_strips_spaces_and_uppercases_the_x():
    assert normalize_resident_id(" 110105 19491231 002x ") == "11010519491231002X"
    assert normalize_resident_id("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"


def test_normalize_resident_id_accepts_a_county_code_newer_than_the_birth_year():
    # 兴平市 (610481) exists since 1993; a person born in 1964 there carries it on a re-issued card.
    assert normalize_resident_id("610481196406217762") == "610481196406217762"


def test_normalize_resident_id_refuses_a_wrong_check_digit():
    error = refused(normalize_resident_id, "110105194912310021")
    assert error.code == "id_invalid_checksum"
    with translation.override("en"):
        assert "check digit" in error.messages[0]


def test_normalize_resident_id_refuses_a_birth_date_in_the_future():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    future = with_check_digit(f"110105{tomorrow:%Y%m%d}001")
    assert refused(normalize_resident_id, future).code == "id_invalid_birth_date"


@pytest.mark.parametrize("birth", ["19490231", "19491301", "18991231"])
def test_normalize_resident_id_refuses_an_impossible_birth_date(birth):
    assert refused(normalize_resident_id, with_check_digit(f"110105{birth}001")).code == "id_invalid_birth_date"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("11010519491231002", "id_invalid_length"),
        ("1101051949123100211", "id_invalid_length"),
        ("", "id_invalid_length"),
        ("11010519491231A02X", "id_invalid"),
        ("11010519491231002Y", "id_invalid"),
    ],
)
def test_normalize_resident_id_refuses_malformed_numbers(typed, code):
    assert refused(normalize_resident_id, typed).code == code


def test_normalize_resident_id_refuses_an_unknown_region():
    assert refused(normalize_resident_id, with_check_digit("99010519491231002")).code == "id_invalid"


def test_resident_id_birth_date_and_gender_come_from_the_number():
    assert resident_id_birth_date("11010519491231002X") == datetime.date(1949, 12, 31)
    assert resident_id_gender("11010519491231002X") == "female"
    assert resident_id_gender(with_check_digit("11010519491231001")) == "male"
    with pytest.raises(ValidationError):
        resident_id_gender("110105194912310021")


def test_mask_resident_id_shows_the_first_and_last_four():
    assert mask_resident_id("110101199001011234") == "1101**********1234"
    assert mask_resident_id(" 11010519491231002x") == "1101**********002X"
    assert mask_resident_id("1234") == "****"


# plate


@pytest.mark.parametrize(
    ("typed", "plate"),
    [
        ("京A12345", "京A12345"),
        ("京a 12345", "京A12345"),
        ("沪A-B1234", "沪AB1234"),
        ("川Ａ１２３４５", "川A12345"),
        ("粤B·D12345", "粤BD12345"),
        ("粤B•12345D", "粤B12345D"),
        ("粤BF1234A", "粤BF1234A"),
        ("湘A1234学", "湘A1234学"),
        ("粤Z1234港", "粤Z1234港"),
        ("苏E1234挂", "苏E1234挂"),
    ],
)
def test_normalize_plate_accepts_ordinary_and_new_energy_plates(typed, plate):
    assert normalize_plate(typed) == plate


@pytest.mark.parametrize(
    "typed",
    [
        "京A1234",  # too short
        "京A123456",  # eight characters but not new-energy
        "粤BA12345",  # eight characters without D or F
        "京I12345",  # I is never an issuing-office letter
        "京A12O45",  # O is never used
        "XA12345",  # no province
        "台A12345",  # not one of the 31 abbreviations
        "京112345",  # the second character must be a letter
        "",
    ],
)
def test_normalize_plate_refuses_a_wrong_format(typed):
    error = refused(normalize_plate, typed)
    assert error.code == "plate_invalid"


# VIN


def test_vin_check_digit_matches_known_vins():
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert vin_check_digit("11111111111111111") == "1"


@pytest.mark.parametrize("typed", ["1M8GDM9AXKP042788", " 1m8gdm9axkp042788 ", "１Ｍ８ＧＤＭ９ＡＸＫＰ０４２７８８"])
def test_normalize_vin_upper_cases_and_accepts_a_valid_check_digit(typed):
    assert normalize_vin(typed) == "1M8GDM9AXKP042788"


def test_normalize_vin_checks_chinese_vins_too():
    vin = "LSVAU218" + vin_check_digit("LSVAU2180N2183294") + "N2183294"
    assert normalize_vin(vin) == vin
    assert refused(normalize_vin, vin[:8] + "5" + vin[9:]).code == "vin_check_digit"


@pytest.mark.parametrize("letter", ["O", "I", "Q"])
def test_normalize_vin_refuses_i_o_q_and_names_the_letter(letter):
    error = refused(normalize_vin, "1M8GDM9AXKP04278" + letter)
    assert error.code == "vin_bad_char"
    with translation.override("en"):
        assert f"letter {letter}" in error.messages[0]


def test_normalize_vin_refuses_punctuation():
    assert refused(normalize_vin, "1M8GDM9AXKP04278*").code == "vin_bad_char"


@pytest.mark.parametrize("typed", ["1M8GDM9AXKP04278", "1M8GDM9AXKP0427888", ""])
def test_normalize_vin_refuses_a_wrong_length(typed):
    error = refused(normalize_vin, typed)
    assert error.code == "vin_length"
    with translation.override("en"):
        assert str(len(typed)) in error.messages[0]


def test_normalize_vin_refuses_a_wrong_check_digit():
    error = refused(normalize_vin, "1M8GDM9A1KP042788")
    assert error.code == "vin_check_digit"


@given(st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17))
def test_a_vin_with_its_computed_check_digit_always_validates(body):
    vin = body[:8] + vin_check_digit(body) + body[9:]
    assert normalize_vin(vin.lower()) == vin


@given(st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17))
def test_the_check_digit_ignores_position_nine(body):
    assert vin_check_digit(body) == vin_check_digit(body[:8] + "0" + body[9:])


# e-mail


def test_normalize_email_lower_cases_only_the_domain():
    assert normalize_email(" Zhang.San@Example.COM ") == "Zhang.San@example.com"
    assert normalize_email("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ") == "zhang@example.com"


@pytest.mark.parametrize("typed", ["zhang", "zhang@", "@example.com", "zhang@@example.com", ""])
def test_normalize_email_refuses_invalid_addresses(typed):
    assert refused(normalize_email, typed).code == "email_invalid"


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"1[0-9]{10}", fullmatch=True))
@example("11000002200")  # found by hypothesis: the library cannot even parse it
def test_the_mobile_fast_path_agrees_with_the_full_phonenumbers_check(digits):
    import phonenumbers

    try:
        number = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:  # e.g. 110…: the library reads the emergency prefix and gives up
        number = None
    library_says_mobile = (
        number is not None
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number)
        in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    )
    try:
        ours = normalize_mobile(digits)
    except ValidationError:
        ours = None
    assert (ours == "+86" + digits) if library_says_mobile else ours is None
