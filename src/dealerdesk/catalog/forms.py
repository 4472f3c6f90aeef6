"""Forms of the catalogue and stock pages. They only parse input; the services validate the business rules and
their ValidationError (keyed by field) is put back on the form with `apply_errors`."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import BodyType, CertificateHolder, ColourKind, DemoStatus, Drive, EnergyType, Origin, StockStatus

_DATE = {"type": "date"}


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, `is-invalid` on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
                continue
            css = (
                "form-check-input"
                if isinstance(widget, forms.CheckboxInput)
                else "form-select"
                if isinstance(widget, forms.Select)
                else "form-control"
            )
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
            form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, messages)
    else:
        form.add_error(None, exc.messages)


def _real(choices) -> list[tuple[str, str]]:
    return [(value, label) for value, label in choices.choices if value]


class CatalogFilterForm(StyledForm):
    """Filters of the catalogue browser; prices are in 万元 (ten thousand yuan), as staff say them."""

    energy_type = forms.ChoiceField(label=_("Energy type"), required=False)
    body_type = forms.ChoiceField(label=_("Body type"), required=False)
    price_min = forms.DecimalField(label=_("From (10k CNY)"), required=False, min_value=0, max_digits=6)
    price_max = forms.DecimalField(label=_("To (10k CNY)"), required=False, min_value=0, max_digits=6)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["energy_type"].choices = [("", _("All")), *_real(EnergyType)]
        self.fields["body_type"].choices = [("", _("All")), *_real(BodyType)]
        for name in ("price_min", "price_max"):
            self.fields[name].widget.attrs.update({"step": "0.1", "inputmode": "decimal"})

    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price must not be below the lowest."))
        return data


class MarkedPriceForm(StyledForm):
    price = forms.CharField(
        label=_("Marked price (CNY)"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    valid_from = forms.DateTimeField(
        label=_("Valid from (empty: now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class StockFilterForm(StyledForm):
    status = forms.ChoiceField(label=_("Status"), required=False)
    trim = forms.TypedChoiceField(label=_("Trim"), required=False, coerce=int, empty_value=None)
    demo = forms.ChoiceField(
        label=_("Demo cars"),
        required=False,
        choices=[("", _("All")), ("1", _("Demo cars only")), ("0", _("Without demo cars"))],
    )

    def __init__(self, *args, trims=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *StockStatus.choices]
        self.fields["trim"].choices = [("", _("All")), *[(t.pk, f"{t.series.name} {t.name}") for t in trims]]


class StockReceiveForm(StyledForm):
    """Receive a vehicle: the colours and options offered are those of the chosen trim (reloaded with htmx)."""

    vin = forms.CharField(
        label=_("VIN"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    trim = forms.TypedChoiceField(label=_("Trim"), coerce=int)
    exterior = forms.TypedChoiceField(label=_("Exterior colour"), coerce=int, required=False, empty_value=None)
    interior = forms.TypedChoiceField(label=_("Interior colour"), coerce=int, required=False, empty_value=None)
    options = forms.TypedMultipleChoiceField(
        label=_("Fitted options"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (StockStatus.IN_TRANSIT, StockStatus.IN_TRANSIT.label),
            (StockStatus.IN_STOCK, StockStatus.IN_STOCK.label),
        ],
    )
    location = forms.CharField(label=_("Location"), max_length=60, required=False)
    arrived_on = forms.DateField(
        label=_("Arrival date"), required=False, widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d")
    )
    certificate_holder = forms.ChoiceField(
        label=_("Certificate of conformity held by"), choices=CertificateHolder.choices
    )

    def __init__(self, *args, trims=(), colours=(), options=(), hx_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trim"].choices = [
            ("", "—"),
            *[(t.pk, f"{t.series.name} {t.model_year}款 {t.name}") for t in trims],
        ]
        exteriors = [(c.pk, c.name) for c in colours if c.kind == "exterior"]
        interiors = [(c.pk, c.name) for c in colours if c.kind == "interior"]
        self.fields["exterior"].choices = [("", "—"), *exteriors]
        self.fields["interior"].choices = [("", "—"), *interiors]
        self.fields["options"].choices = [(o.pk, o.name) for o in options]
        self.fields["trim"].widget.attrs.update(
            {
                "hx-get": hx_url,
                "hx-trigger": "change",
                "hx-target": "#trim-fields",
                "hx-select": "#trim-fields",
                "hx-swap": "outerHTML",
            }
        )


class StockUpdateForm(StyledForm):
    location = forms.CharField(label=_("Location"), max_length=60, required=False)
    certificate_holder = forms.ChoiceField(
        label=_("Certificate of conformity held by"), choices=CertificateHolder.choices
    )


class DemoFlagForm(StyledForm):
    plate = forms.CharField(label=_("Plate"), max_length=20, widget=forms.TextInput(attrs={"placeholder": "粤BD12345"}))
    insurance_expires_on = forms.DateField(
        label=_("Insurance expires"), widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d")
    )
    odometer_km = forms.IntegerField(label=_("Odometer (km)"), required=False, min_value=0)
    demo_status = forms.ChoiceField(
        label=_("Demo car status"),
        choices=[
            (DemoStatus.AVAILABLE, DemoStatus.AVAILABLE.label),
            (DemoStatus.MAINTENANCE, DemoStatus.MAINTENANCE.label),
        ],
    )


class DemoUpdateForm(StyledForm):
    plate = forms.CharField(label=_("Plate"), max_length=20)
    insurance_expires_on = forms.DateField(
        label=_("Insurance expires"), widget=forms.DateInput(attrs=_DATE, format="%Y-%m-%d")
    )


def wan_to_yuan(value: Decimal | None) -> Decimal | None:
    """10k CNY (万元) from a filter → yuan."""
    if value is None:
        return None
    try:
        return (Decimal(value) * 10000).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


# ---------------------------------------------------------------- editing the shared catalogue


def _text_field(label, max_length: int, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=False, **kwargs)


def _number_field(label, *, decimal: bool = False, **kwargs) -> forms.CharField:
    mode = "decimal" if decimal else "numeric"
    return forms.CharField(
        label=label, max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": mode}), **kwargs
    )


def _lines(value) -> str:
    return "\n".join(value or [])


class CatalogueEditForm(StyledForm):
    """A catalogue form: it parses only, every field optional, so that the service's messages (keyed by field) are
    the ones shown. `marked_required` fields show the asterisk (the service requires them)."""

    marked_required: tuple[str, ...] = ()
    service_names: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.marked_required:
            self.fields[name].show_required = True
            self.fields[name].widget.attrs["aria-required"] = "true"

    @classmethod
    def initial_for(cls, instance) -> dict:
        return {name: getattr(instance, name) for name in cls.service_names}

    def service_fields(self) -> dict:
        """The cleaned data as the service takes it."""
        return {name: self.cleaned_data[name] for name in self.service_names}


class BrandForm(CatalogueEditForm):
    code = _text_field(
        _("Code"), 30, help_text=_("Letters, digits, - and _, e.g. xingyao. Stores list the brands they sell by it.")
    )
    name = _text_field(_("Brand name"), 40)
    name_en = _text_field(_("English name"), 40)

    marked_required = ("code", "name")
    service_names = ("code", "name", "name_en")


def _choices_with_blank(choices) -> list[tuple[str, str]]:
    return [("", "—"), *_real(choices)]


class SeriesForm(CatalogueEditForm):
    code = _text_field(_("Code"), 40, help_text=_("Letters, digits, - and _, unique within the brand, e.g. han."))
    name = _text_field(_("Series name"), 60)
    body_type = forms.ChoiceField(label=_("Body type"), required=False, choices=_choices_with_blank(BodyType))
    is_active = forms.BooleanField(
        label=_("On sale"), required=False, help_text=_("Off sale takes all its trims out of the catalogue.")
    )

    marked_required = ("code", "name", "body_type")
    service_names = ("code", "name", "body_type", "is_active")


class TrimForm(CatalogueEditForm):
    """All of a trim's specifications; key features one per line."""

    code = _text_field(_("Code"), 60, help_text=_("Unique in the catalogue, e.g. xy-s7-2026-lr."))
    name = _text_field(_("Trim name"), 100)
    model_year = _number_field(_("Model year"))
    energy_type = forms.ChoiceField(label=_("Energy type"), required=False, choices=_choices_with_blank(EnergyType))
    body_type = forms.ChoiceField(label=_("Body type"), required=False, choices=_choices_with_blank(BodyType))
    seats = _number_field(_("Seats"))
    drive = forms.ChoiceField(label=_("Drive"), required=False, choices=[("", "—"), *Drive.choices])
    power_kw = _number_field(_("Power (kW)"))
    electric_range_km = _number_field(
        _("Electric range (km, CLTC)"), help_text=_("Battery-electric, plug-in and range-extended trims.")
    )
    fuel_l_per_100km = _number_field(
        _("Fuel consumption (L/100 km, WLTC)"), decimal=True, help_text=_("Every trim with an engine.")
    )
    length_mm = _number_field(_("Length (mm)"))
    width_mm = _number_field(_("Width (mm)"))
    height_mm = _number_field(_("Height (mm)"))
    wheelbase_mm = _number_field(_("Wheelbase (mm)"))
    key_features = forms.CharField(
        label=_("Key features"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, at most 20."),
    )
    origin = forms.ChoiceField(label=_("Origin"), required=False, choices=Origin.choices)
    msrp = _number_field(_("MSRP (CNY)"), decimal=True)
    is_active = forms.BooleanField(label=_("On sale"), required=False)

    marked_required = (
        "code",
        "name",
        "model_year",
        "energy_type",
        "body_type",
        "seats",
        "drive",
        "power_kw",
        "length_mm",
        "width_mm",
        "height_mm",
        "wheelbase_mm",
        "msrp",
    )
    service_names = (
        "code",
        "name",
        "model_year",
        "energy_type",
        "body_type",
        "seats",
        "drive",
        "power_kw",
        "electric_range_km",
        "fuel_l_per_100km",
        "length_mm",
        "width_mm",
        "height_mm",
        "wheelbase_mm",
        "key_features",
        "origin",
        "msrp",
        "is_active",
    )

    @classmethod
    def initial_for(cls, instance) -> dict:
        initial = super().initial_for(instance)
        initial["key_features"] = _lines(instance.key_features)
        for name in ("electric_range_km", "fuel_l_per_100km"):
            initial[name] = "" if initial[name] is None else initial[name]
        return initial


class ColourForm(CatalogueEditForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *ColourKind.choices])
    code = _text_field(_("Code"), 20)
    name = _text_field(_("Colour name"), 40)
    extra_price = _number_field(_("Extra price (CNY)"), decimal=True, help_text=_("Empty or 0: no extra charge."))

    marked_required = ("kind", "code", "name")
    service_names = ("kind", "code", "name", "extra_price")


class OptionForm(CatalogueEditForm):
    code = _text_field(_("Code"), 30)
    name = _text_field(_("Option name"), 80)
    price = _number_field(_("Price (CNY)"), decimal=True)
    is_package = forms.BooleanField(label=_("Package"), required=False)
    contents = forms.CharField(
        label=_("Contents of the package"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line."),
    )

    marked_required = ("code", "name", "price")
    service_names = ("code", "name", "price", "is_package", "contents")

    @classmethod
    def initial_for(cls, instance) -> dict:
        initial = super().initial_for(instance)
        initial["contents"] = _lines(instance.contents)
        return initial
