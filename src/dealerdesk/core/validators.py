"""Normalising validators for Chinese customer data and for any input (text, ids, dates, amounts): each returns the
normalised value or raises ValidationError."""

import datetime
import functools
import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

DEFAULT_REGION = "CN"
_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
# Full-width ASCII U+FF01–U+FF5E sits exactly 0xFEE0 above its half-width twin; U+3000 is the ideographic space.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHAR = "[A-HJ-NP-Z0-9]"  # I and O are never used on plates: they read as 1 and 0
_PLATE_RE = re.compile(
    rf"^[{PROVINCES}][A-HJ-NP-Z]"
    rf"(?:{_PLATE_CHAR}{{4}}[A-HJ-NP-Z0-9学警挂港澳领使]"  # ordinary, 7 characters
    rf"|[DF]{_PLATE_CHAR}{{5}}|{_PLATE_CHAR}{{5}}[DF])$"  # new energy, 8 characters
)
_PLATE_SEPARATORS = re.compile(r"[\s·•・\-.]")

# ISO 3779 transliteration: each letter has a value (the gaps are I, O and Q); digits stand for themselves.
_VIN_VALUES = {
    char: int(value)
    for char, value in zip("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", "0123456789" + "12345678123457923456789", strict=True)
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def to_halfwidth(value: str) -> str:
    """Full-width ASCII and the ideographic space turned half-width, surrounding space stripped."""
    return str(value).translate(_HALFWIDTH).strip()


def _mask(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def _parse_phone(value: str, code: str, message) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(to_halfwidth(value), DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(message, code=code) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(message, code=code)
    return number


@functools.cache
def _cn_mobile_pattern() -> re.Pattern:
    """phonenumbers' own pattern of valid CN mobile numbers (from its metadata), compiled once."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    return re.compile(metadata.mobile.national_number_pattern)


_CN_MOBILE_SHAPE = re.compile(r"(?:\+?86|0086)?(1\d{10})")
_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_mobile(value: str) -> str:
    """A mobile number in any common notation (default region CN) as E.164, e.g. +8613800138000."""
    # Fast path for the common case (imports validate many thousands): an 11-digit CN mobile checked against
    # the library's own mobile pattern; anything else goes through the full parse.
    shape = _CN_MOBILE_SHAPE.fullmatch(_SEPARATORS.sub("", to_halfwidth(value or "")))
    if shape and _cn_mobile_pattern().fullmatch(shape.group(1)):
        return "+86" + shape.group(1)
    number = _parse_phone(value, "mobile_invalid", _("Enter a valid mobile number, e.g. 138 0013 8000."))
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValidationError(_("This is not a mobile number; enter a mobile number."), code="mobile_not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_phone(value: str) -> str:
    """Any valid phone number, landlines included (default region CN), as E.164."""
    number = _parse_phone(value, "phone_invalid", _("Enter a valid phone number, e.g. 010 1234 5678."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_mobile(e164: str) -> str:
    """A phone number for display without the reveal permission: +8613800138000 → 138****8000."""
    if len(e164) == 14 and e164.startswith("+861") and e164[1:].isdigit():
        return f"{e164[3:6]}****{e164[-4:]}"  # the stored CN mobile: no parsing needed on list pages
    try:
        number = phonenumbers.parse(to_halfwidth(e164), DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return _mask(re.sub(r"\D", "", str(e164)), 3, 4)
    if number.country_code == 86:
        national = re.sub(r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))
        return _mask(national, 3, 4)
    return f"+{number.country_code} {_mask(phonenumbers.national_significant_number(number), 3, 4)}"


def _compact_resident_id(value: str) -> str:
    return re.sub(r"\s", "", to_halfwidth(value)).upper()


@functools.lru_cache(maxsize=4096)
def _is_province_prefix(region: str) -> bool:
    return any("province" in props for _part, props in numdb.get("cn/loc").info(region))


def normalize_resident_id(value: str) -> str:
    """An 18-character resident ID number (居民身份证号) with a valid check digit and birth date."""
    number = _compact_resident_id(value)
    if len(number) != 18:
        raise ValidationError(_("A resident ID number has 18 characters."), code="id_invalid_length")
    if not number[:17].isascii() or not number[:17].isdigit() or number[17] not in "0123456789X":
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."),
            code="id_invalid",
        )
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError(
            _("The resident ID number fails its check digit; check it for a typing mistake."),
            code="id_invalid_checksum",
        )
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumError:
        birth_date = None
    if birth_date is None or birth_date.year < 1900 or birth_date > timezone.localdate():
        raise ValidationError(
            _("The birth date in the resident ID number is not a real past date."),
            code="id_invalid_birth_date",
        )
    # Only the province is checked: county codes change, and stdnum's per-county check rejects real IDs
    # re-issued with a county code newer than the holder's birth year.
    if not _is_province_prefix(number[:6]):
        raise ValidationError(_("The resident ID number starts with an unknown region code."), code="id_invalid")
    return number


def resident_id_birth_date(value: str) -> datetime.date:
    """The birth date written in a resident ID number."""
    return ric.get_birth_date(normalize_resident_id(value))


def resident_id_gender(value: str) -> str:
    """The holder's gender from the 17th digit of a resident ID number: odd is "male", even is "female"."""
    return "male" if int(normalize_resident_id(value)[16]) % 2 else "female"


def mask_resident_id(value: str) -> str:
    """A resident ID number for display: first 4 and last 4 characters, e.g. 1101**********1234."""
    return _mask(_compact_resident_id(value), 4, 4)


def normalize_plate(value: str) -> str:
    """A Chinese licence plate, separators removed and upper-cased: 粤B·D12345 → 粤BD12345."""
    plate = _PLATE_SEPARATORS.sub("", to_halfwidth(value)).upper()
    if not _PLATE_RE.match(plate):
        raise ValidationError(
            _("Enter a licence plate such as 京A12345, or 粤BD12345 for a new-energy vehicle."),
            code="plate_invalid",
        )
    return plate


def vin_check_digit(vin: str) -> str:
    """The ISO 3779 / North-American check digit (position 9) for a 17-character VIN."""
    vin = vin.upper()
    if len(vin) != 17 or any(char not in _VIN_VALUES for char in vin):
        raise ValueError("A VIN has 17 characters from 0-9 and A-Z without I, O and Q.")
    remainder = sum(_VIN_VALUES[char] * weight for char, weight in zip(vin, _VIN_WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(value: str) -> str:
    """A 17-character VIN, upper-cased, with a valid check digit (GB 16735 uses it too)."""
    vin = re.sub(r"[\s\-]", "", to_halfwidth(value)).upper()
    if len(vin) != 17:
        raise ValidationError(
            _("A VIN has 17 characters; this one has %(count)d."), code="vin_length", params={"count": len(vin)}
        )
    for char in vin:
        if char in "IOQ":
            raise ValidationError(
                _("A VIN never contains the letter %(char)s (I, O and Q are not used); did you mean 1 or 0?"),
                code="vin_bad_char",
                params={"char": char},
            )
        if char not in _VIN_VALUES:
            raise ValidationError(
                _("A VIN contains only digits and letters; %(char)s is not allowed."),
                code="vin_bad_char",
                params={"char": char},
            )
    if vin[8] != vin_check_digit(vin):
        raise ValidationError(
            _("The VIN fails its check digit (9th character); check it for a typing mistake."),
            code="vin_check_digit",
        )
    return vin


def normalize_email(value: str) -> str:
    """A valid e-mail address with its domain lower-cased."""
    local, at, domain = to_halfwidth(value).rpartition("@")
    email = f"{local}{at}{domain.lower()}"
    EmailValidator(message=_("Enter a valid e-mail address."), code="email_invalid")(email)
    return email


# ---------------------------------------------------------------- any input: text, ids, dates, amounts

ID_MAX = 2**63 - 1  # the largest id a BigAutoField (or any other id column) holds; 0 and below are never ids
YEAR_MIN, YEAR_MAX = 1900, 2100  # no date the dealership records lies outside; year 1 overflows in UTC
CNY_MAX = Decimal("9999999999.99")  # DecimalField(max_digits=12, decimal_places=2), the widest money column

# Control characters (C0 but tab and line feed, DEL, C1). A lone carriage return is a line break from old software.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_ENDS = re.compile(r"\r\n?")
_TAB_OR_BREAK = re.compile(r"[\t\n]")


def clean_text(value: str, *, multiline: bool = True) -> str:
    """Text without control characters: line ends become \\n; one-line text turns tabs and line breaks into spaces.

    Invisible characters such as \\x02 or NUL are never typed on purpose; stored, they break exports, SMS and
    PostgreSQL (which refuses NUL), and they hide in the append-only logs.
    """
    text = _LINE_ENDS.sub("\n", value)
    if not multiline:
        text = _TAB_OR_BREAK.sub(" ", text)
    return _CONTROL.sub("", text)


def parse_id(value) -> int | None:
    """An id given as an int or a string of ASCII digits, within 1..2^63-1; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= ID_MAX:
        return None
    return value


def check_year(value: datetime.date) -> None:
    """Refuse a date or time outside YEAR_MIN..YEAR_MAX (it could not be converted to UTC or counted from)."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValidationError(
            _("Enter a date between %(min)d and %(max)d."),
            code="date_out_of_range",
            params={"min": YEAR_MIN, "max": YEAR_MAX},
        )


def parse_cny(value, *, maximum: Decimal = CNY_MAX, allow_negative: bool = False) -> Decimal:
    """An amount in yuan (元) as a Decimal with 2 places: "189,800", "¥189800.00", "１８９，８００元" and 189800 are all
    accepted. The one money parser: every form, API field, importer and service reads amounts through it.

    Refuses text, NaN and infinities, exponents ("1e3" is never typed as an amount), more than 2 decimal places (fen;
    never rounded, as a third decimal is a typo), negatives unless `allow_negative`, and anything above `maximum`
    (the widest money column by default), before any arithmetic that could overflow on them. Zero is the caller's.
    """
    invalid = ValidationError(_("Enter an amount in yuan, e.g. 159800 or 159800.00."), code="invalid")
    if isinstance(value, bool):
        raise invalid
    from_float = isinstance(value, float)  # JSON numbers: repr is the shortest exact text, "1e+16" only when huge
    text = repr(value) if from_float else to_halfwidth(str(value))
    text = "".join(text.split()).replace(",", "").replace("，", "").removeprefix("¥").removeprefix("￥")
    text = text.removesuffix("元")
    if not from_float and "e" in text.lower().replace("inf", ""):  # exponents; NaN and infinities are refused below
        raise invalid
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise invalid from None
    if not amount.is_finite():
        raise invalid
    if amount < 0 and not allow_negative:
        raise ValidationError(_("An amount cannot be negative."), code="negative")
    if abs(amount) > maximum:
        raise ValidationError(
            _("This amount is too large: at most %(max)s yuan."), code="max_value", params={"max": f"{maximum:,}"}
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(_("An amount has at most 2 decimal places (fen)."), code="decimal_places")
    return amount.quantize(Decimal("0.01"))


def cny_into(errors: dict, field: str, value, *, required: bool = False, maximum: Decimal = CNY_MAX) -> Decimal | None:
    """`parse_cny` for services that collect messages per field: the amount, or None with the reason under `field`
    in `errors`. An empty value is None, and a message only when `required`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(field, []).append(_("Enter an amount."))
        return None
    try:
        return parse_cny(value, maximum=maximum)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
        return None
