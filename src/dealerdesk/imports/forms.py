from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ImportJob
from .registry import importers
from .selectors import import_stores_for


class UploadForm(forms.Form):
    """Which store, what kind of data, which file."""

    store = forms.ModelChoiceField(label=_("Store"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("What the file holds"))
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8 or GBK, as Excel saves it) or Excel workbook (.xlsx), at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [(kind, importer.label) for kind, importer in importers().items() if import_stores_for(user, kind)]
        self.fields["kind"].choices = kinds
        self.fields["kind"].initial = kinds[0][0] if kinds else None
        stores = {store.pk: store for kind, _label in kinds for store in import_stores_for(user, kind)}
        from dealerdesk.accounts.models import Store

        self.fields["store"].queryset = Store.objects.filter(pk__in=stores).order_by("group_id", "code")


IGNORE = ""


class MappingForm(forms.Form):
    """One select per file column: the field it feeds, or "ignore"."""

    def __init__(self, *args, job: ImportJob, importer, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(IGNORE, _("— ignore this column —")), *((spec.name, spec.label) for spec in importer.fields)]
        self.columns = list(job.headers)
        for index, header in enumerate(self.columns):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=job.mapping.get(header) or IGNORE
            )

    def mapping(self) -> dict[str, str | None]:
        return {header: self.cleaned_data.get(f"col_{i}") or None for i, header in enumerate(self.columns)}

    def rows(self) -> list[tuple[str, forms.BoundField]]:
        return [(header, self[f"col_{i}"]) for i, header in enumerate(self.columns)]
