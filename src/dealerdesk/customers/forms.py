"""Forms of the customer pages. They only parse input; services validate the business rules and their
ValidationError (keyed by field) is put back on the form with `apply_errors`."""

from collections.abc import Iterable

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.roles import Role
from dealerdesk.accounts.selectors import staff_of_store

from .choices import (
    BodyType,
    ConsentChannel,
    ConsentPurpose,
    ContactKind,
    EnergyType,
    FollowUpChannel,
    FollowUpNextStep,
    FollowUpOutcome,
    Gender,
    LossReason,
    PaymentMethod,
    PreferredChannel,
    Source,
    Timeframe,
)
from .lead_sources import lead_source_choices

NOTICE_VERSION = "2026-01"
OWNER_ROLES = (Role.CONSULTANT, Role.SALES_MANAGER)
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
SCORE_CHOICES = [
    ("5", _("5 · very satisfied")),
    ("4", _("4 · satisfied")),
    ("3", _("3 · neutral")),
    ("2", _("2 · dissatisfied")),
    ("1", _("1 · very dissatisfied")),
]


def consultants_of(user, stores: Iterable[Store]) -> list[User]:
    """Active consultants (and sales managers, who also sell) of the given stores, one query per store."""
    seen: dict[int, User] = {}
    for store in stores:
        for membership in staff_of_store(user, store).filter(role__in=OWNER_ROLES, user__is_active=True):
            seen.setdefault(membership.user_id, membership.user)
    return sorted(seen.values(), key=lambda u: (str(u), u.pk))


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, and `is-invalid` on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: by field when the form has it, else as a form error."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            target = field if field in form.fields and field != NON_FIELD_ERRORS else None
            form.add_error(target, messages)
    else:
        form.add_error(None, exc.messages)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CustomerCreateForm(StyledForm):
    """Register a customer: name and mobile are required (checked by the service, with specific messages)."""

    store = forms.ModelChoiceField(label=_("Store"), queryset=Store.objects.none(), required=False)
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"required": True, "autocomplete": "off"}),
    )
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=30,
        required=False,
        widget=forms.TextInput(
            attrs={"required": True, "inputmode": "tel", "autocomplete": "off", "placeholder": "138 0013 8000"}
        ),
    )
    owner = OwnerChoiceField(
        label=_("Sales consultant"), queryset=User.objects.none(), required=False, empty_label=_("Not assigned yet")
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False, initial=Gender.UNKNOWN)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=_date_input())
    # the choices are the active lead sources of the stores' groups (set in __init__)
    source = forms.ChoiceField(label=_("Source"), choices=(), required=False, initial=Source.WALK_IN)
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    city = forms.CharField(label=_("City / region"), max_length=60, required=False)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    consents = forms.MultipleChoiceField(
        label=_("The customer agrees to"),
        choices=ConsentPurpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    notice_version = forms.CharField(initial=NOTICE_VERSION, required=False, widget=forms.HiddenInput)
    consent_channel = forms.ChoiceField(
        choices=ConsentChannel.choices, initial=ConsentChannel.IN_PERSON, required=False, widget=forms.HiddenInput
    )

    QUICK_FIELDS = ("store", "name", "mobile", "owner", "consents", "notice_version", "consent_channel")

    def __init__(self, *args, stores: list[Store], owners: list[User], quick: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.filter(pk__in=[s.pk for s in stores])
        self.fields["store"].choices = [(s.pk, str(s)) for s in stores]
        if len(stores) == 1:
            del self.fields["store"]
        self.fields["owner"].queryset = User.objects.filter(pk__in=[u.pk for u in owners])
        self.fields["owner"].choices = [("", self.fields["owner"].empty_label)] + [(u.pk, str(u)) for u in owners]
        if quick:
            for name in list(self.fields):
                if name not in self.QUICK_FIELDS:
                    del self.fields[name]
        if "source" in self.fields:
            self.fields["source"].choices = lead_source_choices([s.group_id for s in stores])
        self.stores = stores

    def chosen_store(self) -> Store:
        if "store" in self.fields:
            return self.cleaned_data.get("store") or self.stores[0]
        return self.stores[0]

    def service_fields(self) -> dict:
        """The customer's own fields for `customer_create` (store, owner and consents are separate arguments)."""
        skip = {"store", "owner", "consents", "notice_version", "consent_channel"}
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in skip and (k in ("name", "mobile") or v not in ("", None))
        }


class CustomerEditForm(StyledForm):
    """Basic information. The mobile and ID number are left empty (only shown masked) and kept unless retyped."""

    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=30,
        required=False,
        help_text=_("Leave empty to keep the current number."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, required=False)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=_date_input())
    city = forms.CharField(label=_("City / region"), max_length=60, required=False)
    occupation = forms.CharField(label=_("Occupation"), max_length=60, required=False)
    employer = forms.CharField(label=_("Employer"), max_length=100, required=False)
    source = forms.ChoiceField(label=_("Source"), choices=(), required=False)
    campaign = forms.CharField(label=_("Campaign"), max_length=100, required=False)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=PreferredChannel.choices, required=False
    )
    preferred_time = forms.CharField(label=_("Preferred time"), max_length=60, required=False)
    id_number = forms.CharField(
        label=_("Resident ID number"),
        max_length=30,
        required=False,
        help_text=_("Leave empty to keep the current number."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    tags = forms.CharField(label=_("Tags"), max_length=300, required=False, help_text=_("Separate tags with commas."))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    KEEP_IF_EMPTY = ("mobile", "id_number")

    def __init__(self, *args, group_id: int, current_source: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # the group's active sources, and the customer's own one if it was switched off since
        self.fields["source"].choices = lead_source_choices(group_id, current=current_source)

    @classmethod
    def initial_for(cls, customer) -> dict:
        names = [n for n in cls.base_fields if n not in cls.KEEP_IF_EMPTY]
        initial = {n: getattr(customer, n) for n in names}
        initial["tags"] = ", ".join(customer.tags or [])
        return initial

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        for name in self.KEEP_IF_EMPTY:
            if not data.get(name):
                data.pop(name, None)
        return data


class GradeForm(StyledForm):
    grade = forms.ChoiceField(label=_("Intent grade"))

    def __init__(self, *args, policies: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [(code, f"{code} · {gettext(p.label)}") for code, p in policies.items()]


class FollowUpCompleteForm(StyledForm):
    channel = forms.ChoiceField(
        label=_("Contacted by"), choices=[("", _("Choose…")), *FollowUpChannel.choices], required=False
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", _("Choose…")), *FollowUpOutcome.choices], required=False
    )
    new_grade = forms.ChoiceField(label=_("New intent grade"), required=False)
    next_due_at = forms.DateTimeField(
        label=_("Next follow-up (optional)"),
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Empty: planned by the intent grade."),
    )
    notes = forms.CharField(label=_("What was said"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # The care desk's fields (a care call): plain text fields with a select, so that the one service checks them
    # and its message names the field (a score of 0 or 6 is refused there, not by the form).
    score = forms.CharField(
        label=_("Satisfaction (1–5)"),
        required=False,
        widget=forms.Select(choices=[("", _("Not asked")), *SCORE_CHOICES]),
    )
    next_step = forms.CharField(
        label=_("Next step"),
        required=False,
        widget=forms.Select(choices=[("", _("Choose…")), *FollowUpNextStep.choices]),
    )

    def __init__(self, *args, policies: dict, care: bool = False, may_grade: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if care:
            # a care call: satisfaction (one tap), the customer's words ("comment", as the API names them) and the
            # next step; the sales grade is not the desk's
            del self.fields["new_grade"]
            self.fields["comment"] = self.fields.pop("notes")
            self.fields["comment"].label = _("Customer's comment")
            self.fields["score"].widget = forms.RadioSelect(choices=SCORE_CHOICES, attrs={"class": "form-check-input"})
            self.fields["next_due_at"].label = _("Next call (optional)")
            self.fields["next_due_at"].help_text = _("Empty: no further care call is planned.")
            return
        del self.fields["score"], self.fields["next_step"]
        if not may_grade:
            del self.fields["new_grade"]
            return
        self.fields["new_grade"].choices = [("", _("Unchanged"))] + [
            (code, f"{code} · {gettext(p.label)}") for code, p in policies.items()
        ]


class NoteForm(StyledForm):
    body = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("Shared with the store team; @username notifies a colleague.")}
        ),
    )


class LossRequestForm(StyledForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("Choose…")), *LossReason.choices], required=False)
    competitor = forms.CharField(label=_("Competitor bought"), max_length=100, required=False)
    notes = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NeedForm(StyledForm):
    budget_min = forms.DecimalField(
        label=_("Budget from (CNY)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    budget_max = forms.DecimalField(
        label=_("Budget up to (CNY)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    body_type = forms.ChoiceField(label=_("Body type"), choices=BodyType.choices, required=False)
    # several, like the needs analysis (one truth for both, issue #10.7); none ticked: any
    energy_types = forms.MultipleChoiceField(
        label=_("Energy types"),
        choices=[c for c in EnergyType.choices if c[0]],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    seats = forms.IntegerField(label=_("Seats"), min_value=2, max_value=9, required=False)
    timeframe = forms.ChoiceField(label=_("Purchase timeframe"), choices=Timeframe.choices, required=False)
    payment_method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices, required=False)
    usage = forms.CharField(label=_("Main use"), max_length=100, required=False)
    trade_in = forms.BooleanField(label=_("Trade-in"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VehicleForm(StyledForm):
    brand = forms.CharField(label=_("Brand"), max_length=40, required=False)
    series = forms.CharField(label=_("Series"), max_length=60, required=False)
    model_year = forms.IntegerField(label=_("Model year"), min_value=1950, max_value=2100, required=False)
    # Plate and VIN are checked by the service, which says exactly what is wrong with them.
    plate = forms.CharField(
        label=_("Plate"), max_length=40, required=False, widget=forms.TextInput(attrs={"placeholder": "粤B12345"})
    )
    vin = forms.CharField(
        label=_("VIN"), max_length=40, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=_date_input())
    bought_here = forms.BooleanField(label=_("Bought at this store"), required=False)


class ContactPointForm(StyledForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    value = forms.CharField(label=_("Value"), max_length=200, required=False)
    label = forms.CharField(
        label=_("Label"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. spouse, office")}),
    )


class ReassignForm(StyledForm):
    """The handover form on the list page; the view that handles it lives with the manager's work pages."""

    new_owner = OwnerChoiceField(
        label=_("Hand over to"), queryset=User.objects.none(), empty_label=_("Choose a consultant")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, owners: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_owner"].queryset = User.objects.filter(pk__in=[u.pk for u in owners])
        self.fields["new_owner"].choices = [("", self.fields["new_owner"].empty_label)] + [
            (u.pk, str(u)) for u in owners
        ]
