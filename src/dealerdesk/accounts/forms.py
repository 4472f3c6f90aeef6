from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class LoginForm(AuthenticationForm):
    """Django's login form with our wording: one message for unknown user and wrong password (no user
    enumeration), and how many tries are left before the 15-minute lock."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is not correct."),
        "inactive": _("This account is disabled. Ask your store administrator."),
    }

    def get_invalid_login_error(self):
        username = self.cleaned_data.get("username", "")
        failures = AxesProxyHandler.get_failures(self.request, {"username": username}) if self.request else 0
        left = max(settings.AXES_FAILURE_LIMIT - failures, 0)
        message = str(self.error_messages["invalid_login"])
        if 0 < left < settings.AXES_FAILURE_LIMIT:
            message += " " + ngettext(
                "%(left)d attempt left before the account is locked for 15 minutes.",
                "%(left)d attempts left before the account is locked for 15 minutes.",
                left,
            ) % {"left": left}
        return forms.ValidationError(message, code="invalid_login")


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
