from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dealerdesk.accounts"
    label = "accounts"
    verbose_name = _("Stores and staff")

    def ready(self) -> None:
        from . import actions  # noqa: F401  registers audit action labels
