"""Forms of the showroom pages. They only parse input; the services validate the business rules and their
ValidationError (keyed by field) is put back on the form with `apply_errors`."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from dealerdesk.customers.choices import ConsentPurpose
from dealerdesk.customers.lead_sources import lead_source_choices

from .choices import (
    BodyType,
    DecisionMaker,
    EnergyType,
    Material,
    PaymentMethod,
    Refreshment,
    Source,
    Timeframe,
    Usage,
    VisitKind,
    WalkaroundPoint,
)

NOTICE_VERSION = "2026-01"
PARTY_SIZES = [(n, str(n)) for n in range(1, 6)] + [(6, "6+")]
YES_NO_UNKNOWN = [("", _("Unknown")), ("yes", _("Yes")), ("no", _("No"))]


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, and `is-invalid` on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.HiddenInput):
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


class ArrivalForm(StyledForm):
    """The reception desk's two-tap arrival: everything has a default, so "kind" + "log" is enough."""

    party_size = forms.TypedChoiceField(
        label=_("Party size"), choices=PARTY_SIZES, coerce=int, initial=1, widget=forms.RadioSelect
    )
    kind = forms.ChoiceField(
        label=_("Visit type"), choices=VisitKind.choices, initial=VisitKind.FIRST, widget=forms.RadioSelect
    )
    source = forms.ChoiceField(
        label=_("Heard of us through"), choices=Source.choices, initial=Source.WALK_IN, required=False
    )
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False)

    def __init__(self, *args, store=None, **kwargs):
        super().__init__(*args, **kwargs)
        if store is not None:  # the store's group's own list (抖音, 小红书 … as its admin keeps it), issue #10.13
            self.fields["source"].choices = [("", "—"), *lead_source_choices(store.group_id)]


class CustomerSearchForm(StyledForm):
    q = forms.CharField(
        label=_("Mobile, name or pinyin"),
        max_length=60,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "search", "placeholder": _("Mobile, name or pinyin")}
        ),
    )


class QuickRegisterForm(StyledForm):
    """Name + mobile + consents; the customer service checks them and finds duplicates."""

    name = forms.CharField(
        label=_("Name"), max_length=60, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    mobile = forms.CharField(
        label=_("Mobile"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    consents = forms.MultipleChoiceField(
        label=_("The customer agrees to"),
        choices=ConsentPurpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )


class RefreshmentForm(StyledForm):
    offered = forms.BooleanField(label=_("Refreshments and rest area offered"), required=False)
    refreshment = forms.ChoiceField(label=_("Accepted"), choices=Refreshment.choices, required=False)
    rest_area = forms.BooleanField(label=_("Used the rest area"), required=False)


class AssignForm(StyledForm):
    consultant = forms.TypedChoiceField(label=_("Consultant"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, consultants: list = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consultant"].choices = [("", _("Next up in the rotation"))] + [(u.pk, str(u)) for u in consultants]


class NeedsForm(StyledForm):
    """The structured needs analysis (需求分析)."""

    budget_min = forms.CharField(
        label=_("Budget from (CNY)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "150000"}),
    )
    budget_max = forms.CharField(
        label=_("Budget up to (CNY)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "250000"}),
    )
    body_type = forms.ChoiceField(label=_("Body type"), choices=BodyType.choices, required=False)
    seats = forms.CharField(
        label=_("Seats needed"), required=False, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    energy_types = forms.MultipleChoiceField(
        label=_("Energy preferences"),
        choices=[c for c in EnergyType.choices if c[0]],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    usage = forms.ChoiceField(label=_("Main use"), choices=Usage.choices, required=False)
    annual_km = forms.CharField(
        label=_("Distance per year (km)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "15000"}),
    )
    home_charging = forms.ChoiceField(label=_("Home charging available"), choices=YES_NO_UNKNOWN, required=False)
    timeframe = forms.ChoiceField(label=_("Purchase timeframe"), choices=Timeframe.choices, required=False)
    payment_method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices, required=False)
    trade_in = forms.BooleanField(label=_("Trade-in"), required=False)
    trade_in_vehicle = forms.CharField(label=_("Trade-in vehicle"), max_length=100, required=False)
    must_have = forms.CharField(
        label=_("Must-have features"), required=False, help_text=_("Separated by commas, e.g. 全景天窗, HUD")
    )
    competitors = forms.CharField(label=_("Competitors considered"), required=False, help_text=_("Separated by commas"))
    decision_maker = forms.ChoiceField(label=_("Who decides"), choices=DecisionMaker.choices, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def service_fields(self) -> dict:
        """The cleaned text as the service takes it (it validates numbers, ranges and lists itself)."""
        data = dict(self.cleaned_data)
        data["home_charging"] = {"yes": True, "no": False}.get(data.get("home_charging") or "")
        return data


class GradeForm(StyledForm):
    grade = forms.CharField(label=_("Intent grade"), max_length=2)


class AdviceForm(StyledForm):
    trims = forms.TypedMultipleChoiceField(label=_("Trims recommended"), coerce=int, required=False)
    notes = forms.CharField(label=_("What you advised"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, trim_choices: list = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trims"].choices = list(trim_choices)


class PresentationForm(StyledForm):
    trim = forms.TypedChoiceField(label=_("Trim shown"), coerce=int, required=False, empty_value=None)
    points_covered = forms.MultipleChoiceField(
        label=_("Positions covered"),
        choices=WalkaroundPoint.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    highlights = forms.CharField(label=_("Points presented"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    questions = forms.CharField(label=_("Questions raised"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    objections = forms.CharField(label=_("Objections raised"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    materials = forms.MultipleChoiceField(
        label=_("Materials given"),
        choices=Material.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, trim_choices: list = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trim"].choices = [("", "—"), *list(trim_choices)]


class ReportForm(StyledForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        if start and end and (end - start).days > 366:
            self.add_error("date_to", _("Choose a period of at most one year."))
        return data
