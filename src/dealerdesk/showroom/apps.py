from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShowroomConfig(AppConfig):
    name = "dealerdesk.showroom"
    label = "showroom"
    verbose_name = _("Showroom and pre-sales")

    def ready(self) -> None:
        from . import actions, outcomes  # noqa: F401  registers audit labels and the built-in visit outcome
