from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dealerdesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import actions, duties  # noqa: F401  register audit labels and periodic duties
        from .middleware import activity_starts_at_login

        user_logged_in.connect(activity_starts_at_login, dispatch_uid="dealerdesk-idle-activity")
