"""The default call scripts, one per kind of call: used by a store that has not written its own, and copied into
the demo stores. Written in English here and shown in the reader's language (Chinese by default); a store's own
script is stored as typed. Placeholders: {customer}, {consultant}, {store}, {me}."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import CallType

PLACEHOLDERS = ("{customer}", "{consultant}", "{store}", "{me}")

DEFAULT_SCRIPTS: dict[str, tuple[str, str]] = {
    CallType.DELIVERY_D1: (
        _("Day 1 after delivery: settling in"),
        _(
            "Hello {customer}, this is {me} from {store}. Thank you again for choosing us yesterday.\n"
            "1. How was your first drive home? Is everything with the car as you expected?\n"
            "2. Are the phone connection, navigation and the driver-assistance functions working for you? "
            "Would you like help setting anything up?\n"
            "3. Remind: the warranty card and the manual are in the glovebox; our service hotline is open every day.\n"
            "4. Ask: how satisfied are you with the handover, from 1 (very dissatisfied) to 5 (very satisfied)?"
        ),
    ),
    CallType.DELIVERY_D3: (
        _("Day 3 after delivery: satisfaction call"),
        _(
            "Hello {customer}, this is {me}, customer care at {store}. You have had the car for a few days, so we "
            "would like to hear how it is going.\n"
            "1. Is anything about the car unclear or not working as it should?\n"
            "2. How was {consultant}'s service, from the first visit to the handover?\n"
            "3. Were all the gifts and services promised in the contract handed over?\n"
            "4. How satisfied are you overall, from 1 (very dissatisfied) to 5 (very satisfied)? "
            "Write the customer's words down as they say them.\n"
            "If the customer is unhappy: apologise, say that the sales manager will call back today, and choose "
            '"Sales manager calls back" as the next step.'
        ),
    ),
    CallType.DELIVERY_D7: (
        _("Day 7 after delivery: first week"),
        _(
            "Hello {customer}, this is {me} from {store}. How was your first week with the new car?\n"
            "1. Any questions about charging or fuel, the app, the maintenance schedule?\n"
            "2. Is the registration (plate) done, or is anything still missing?\n"
            "3. Would friends or family be interested in a test drive? We are glad to look after them.\n"
            "4. Satisfaction from 1 to 5, and the customer's comment."
        ),
    ),
    CallType.DELIVERY_D30: (
        _("Day 30 after delivery: first month"),
        _(
            "Hello {customer}, this is {me}, customer care at {store}. It is a month since your handover.\n"
            "1. How is the car after the first month? Any noise, warning light or other concern?\n"
            "2. Remind: the first service is due at the mileage or date in the manual; may we book it for you?\n"
            "3. How satisfied are you with the car and with our store, from 1 to 5?\n"
            "4. May we send you a short satisfaction survey by SMS?"
        ),
    ),
    CallType.AFTER_TEST_DRIVE: (
        _("After a test drive"),
        _(
            "Hello {customer}, this is {me} from {store}. Thank you for your test drive with {consultant}.\n"
            "1. How did the car feel? What did you like, what did you miss?\n"
            "2. Was the test drive well organised (booking, waiting time, explanations)?\n"
            "3. Would you like an offer, or a second drive of another version?\n"
            "4. Satisfaction with the visit from 1 to 5, and the customer's comment."
        ),
    ),
    CallType.GENERAL: (
        _("General follow-up"),
        _(
            "Hello {customer}, this is {me} from {store}.\n"
            "1. Say why you are calling and check that it is a good moment.\n"
            "2. Ask whether everything is in order and whether we can help with anything.\n"
            "3. Satisfaction from 1 to 5, the customer's words, and the next step."
        ),
    ),
}

assert set(DEFAULT_SCRIPTS) == set(CallType.values)


@dataclass(frozen=True)
class Script:
    call_type: str
    title: str
    body: str
    is_default: bool


def default_script(call_type: str) -> Script:
    title, body = DEFAULT_SCRIPTS.get(call_type, DEFAULT_SCRIPTS[CallType.GENERAL])
    return Script(call_type, str(title), str(body), True)


def fill(body: str, values: dict[str, str]) -> str:
    """The script with its placeholders replaced (plain replacement: a brace the store typed stays as it is)."""
    for key, value in values.items():
        body = body.replace("{" + key + "}", value)
    return body
