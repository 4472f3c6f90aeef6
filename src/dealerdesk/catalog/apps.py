from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "dealerdesk.catalog"
    label = "catalog"
    verbose_name = _("Vehicle catalogue and stock")

    def ready(self) -> None:
        from . import actions  # noqa: F401  registers audit action labels
