"""Forms of the care desk. The call's completion form is the customers' (`FollowUpCompleteForm(care=True)`): one form
and one service for the customer page and the desk."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dealerdesk.customers.forms import StyledForm

from .services import BODY_MAX, TITLE_MAX


class CallScriptForm(StyledForm):
    # lengths are checked by the service, so its message (in the user's language) names the field
    title = forms.CharField(label=_("Title"), required=False)
    body = forms.CharField(
        label=_("Script"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Placeholders: {customer}, {consultant}, {store}, {me} (filled in on the call page)."),
    )

    max_title = TITLE_MAX
    max_body = BODY_MAX
