from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dealerdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import actions, duties  # noqa: F401  register audit labels and periodic duties
