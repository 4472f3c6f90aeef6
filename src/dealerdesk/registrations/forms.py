"""Forms of the registration pages. They only parse input; the services validate the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import DocumentHolder, DocumentKind, OwnerKind

LOCAL_CHOICES = [
    ("", _("Judge from the customer's city")),
    ("yes", _("Local owner")),
    ("no", _("Non-local owner")),
]


def _bootstrap(form: forms.Form) -> forms.Form:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
    return form


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


def local_value(raw: str) -> bool | None:
    return {"yes": True, "no": False}.get(raw or "")


class OpenForm(BootstrapForm):
    order = forms.TypedChoiceField(label=_("Sales order"), coerce=int, choices=[])
    by_customer = forms.BooleanField(
        label=_("The customer registers the car themselves"),
        required=False,
        help_text=_("Registration by the store is optional; only the plate they report is recorded."),
    )
    owner_kind = forms.ChoiceField(label=_("Owner"), choices=OwnerKind.choices, initial=OwnerKind.INDIVIDUAL)
    company_name = forms.CharField(label=_("Company name"), max_length=100, required=False)
    local = forms.ChoiceField(label=_("Local or non-local"), choices=LOCAL_CHOICES, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, orders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = [(o.pk, f"{o.number} · {o.customer.name} · {o.trim}") for o in orders]


class CaseForm(BootstrapForm):
    owner_kind = forms.ChoiceField(label=_("Owner"), choices=OwnerKind.choices)
    company_name = forms.CharField(label=_("Company name"), max_length=100, required=False)
    local = forms.ChoiceField(
        label=_("Local or non-local"), choices=[("yes", _("Local owner")), ("no", _("Non-local owner"))]
    )


class ReceiveForm(BootstrapForm):
    kind = forms.ChoiceField(choices=DocumentKind.choices, widget=forms.HiddenInput)
    holder = forms.ChoiceField(label=_("Held by"), choices=DocumentHolder.choices)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    # only on the owner's ID card, when the customer's record has no number yet (the service requires it then)
    id_number = forms.CharField(
        label=_("ID number on the card"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class SubmitForm(BootstrapForm):
    office = forms.CharField(label=_("Vehicle office"), max_length=100, required=False)


class PlateForm(BootstrapForm):
    plate = forms.CharField(
        label=_("Plate"), max_length=20, help_text=_("e.g. 粤B12345, or 粤BD12345 for a new-energy vehicle")
    )
    licence_issued_on = forms.DateField(
        label=_("Licence (行驶证) issued on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class AssignForm(BootstrapForm):
    clerk = forms.TypedChoiceField(label=_("Clerk responsible"), coerce=int, choices=[])

    def __init__(self, *args, clerks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clerk"].choices = [(u.pk, str(u)) for u in clerks]


class CancelForm(BootstrapForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class PolicyForm(BootstrapForm):
    target_working_days = forms.IntegerField(
        label=_("Target: working days from delivery"),
        min_value=1,
        max_value=120,
        help_text=_(
            "Counted by the official calendar: weekends and public holidays are skipped, make-up working days count."
        ),
    )
