"""Forms of the offers pages. They only parse what was typed; the services validate (their ValidationError dicts
are put back under the fields)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dealerdesk.catalog.models import Brand, Series, Trim

from .choices import PromotionKind, ServiceKind

GROUP_WIDE = "group"


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors under the form's fields (the rest at the top)."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for name, messages in errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class PromotionForm(forms.Form):
    """Create or edit a promotion. Amounts stay text so the service can say exactly what is wrong."""

    store = forms.ChoiceField(label=_("Store"))
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    kind = forms.ChoiceField(label=_("Type"), choices=PromotionKind.choices)
    amount = forms.CharField(
        label=_("Amount (CNY)"),
        required=False,
        help_text=_("The discount or subsidy, or the value of a gift or maintenance package."),
    )
    percentage = forms.CharField(label=_("Percentage"), required=False, help_text=_("For percentage discounts."))
    gift_description = forms.CharField(label=_("Gift description"), max_length=200, required=False)
    brand = forms.ModelChoiceField(label=_("Brand"), queryset=Brand.objects.none(), required=False)
    series = forms.ModelChoiceField(label=_("Series"), queryset=Series.objects.none(), required=False)
    trim = forms.ModelChoiceField(label=_("Trim"), queryset=Trim.objects.none(), required=False)
    min_stock_age_days = forms.IntegerField(
        label=_("Only stock older than (days)"), required=False, help_text=_("Empty: any vehicle.")
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    requires_trade_in = forms.BooleanField(label=_("Needs a trade-in"), required=False)
    requires_loan = forms.BooleanField(label=_("Needs a loan"), required=False)
    requires_first_car = forms.BooleanField(label=_("First car only"), required=False)
    cities = forms.CharField(
        label=_("Cities / regions"), required=False, help_text=_("Separated by commas; empty: everywhere.")
    )
    exclusive = forms.BooleanField(label=_("Exclusive (combines with nothing)"), required=False)
    stacking_group = forms.CharField(
        label=_("Stacking group"),
        max_length=40,
        required=False,
        help_text=_("At most one promotion of a group applies; promotions of different groups combine."),
    )
    budget_remaining = forms.CharField(label=_("Budget left (CNY)"), required=False, help_text=_("Empty: no cap."))
    quantity_remaining = forms.IntegerField(label=_("Quantity left"), required=False, help_text=_("Empty: no cap."))
    needs_approval = forms.BooleanField(label=_("Needs manager approval"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, stores, group_wide: bool, brand_codes: set[str], editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(s.pk), str(s)) for s in stores]
        if group_wide:
            choices.append((GROUP_WIDE, str(_("Every store of the group"))))
        self.fields["store"].choices = choices
        self.stores = {str(s.pk): s for s in stores}
        if editing:
            self.fields["store"].disabled = True
            self.fields["store"].required = False
        brands = Brand.objects.filter(code__in=brand_codes) | Brand.objects.filter(name__in=brand_codes)
        self.fields["brand"].queryset = brands.order_by("code")
        self.fields["series"].queryset = Series.objects.filter(brand__in=brands).select_related("brand")
        self.fields["trim"].queryset = (
            Trim.objects.filter(series__brand__in=brands, is_active=True)
            .select_related("series__brand")
            .order_by("series__brand__code", "series__code", "msrp")
        )
        _styled(self)

    def chosen_store(self):
        """The store picked, or None for a group-wide promotion."""
        return self.stores.get(self.cleaned_data.get("store") or "")

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("store", None)
        return data


class OfferPolicyForm(forms.Form):
    """A store's offer rules."""

    discount_limit = forms.CharField(
        label=_("Consultant's extra discount limit (CNY)"),
        help_text=_("Above this, a sales manager must approve the offer."),
    )
    validity_days = forms.IntegerField(label=_("Offer valid for (days)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


def parse_builder(post) -> tuple[dict, dict[str, list[str]]]:
    """The offer builder's POST as the API's names, and the ids that are not numbers."""
    errors: dict[str, list[str]] = {}

    def number(name: str) -> int | None:
        raw = (post.get(name) or "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            errors[name] = [str(_("Choose from the list."))]
            return None
        return int(raw)

    def numbers(name: str) -> list[int]:
        values = [v for v in post.getlist(name) if v.strip()]
        if not all(v.strip().isdigit() for v in values):
            errors[name] = [str(_("Choose from the list."))]
            return []
        return [int(v) for v in values]

    services = []
    for kind in ServiceKind.values:
        if post.get(f"service_{kind}"):
            services.append({"kind": kind, "amount": (post.get(f"service_{kind}_amount") or "").strip()})
    manual = post.get("promotion_choice") == "manual"
    data = {
        "customer": number("customer"),
        "trim": number("trim"),
        "colour": number("colour"),
        "options": numbers("options"),
        "services": services,
        "extra_discount": (post.get("extra_discount") or "").strip() or None,
        "promotions": numbers("promotions") if manual else None,
        "trade_in": bool(post.get("trade_in")),
        "loan": bool(post.get("loan")),
        "first_car": bool(post.get("first_car")),
        "city": (post.get("city") or "").strip()[:60],
        "note": (post.get("note") or "").strip()[:300],
    }
    return data, errors
