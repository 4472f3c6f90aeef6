from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "dealerdesk.imports"
    label = "imports"
    verbose_name = _("Imports")

    def ready(self) -> None:
        from . import actions, duties  # noqa: F401  register audit labels and periodic duties

        # Every app's importer.py registers its kinds of import (see registry.py).
        autodiscover_modules("importer")
