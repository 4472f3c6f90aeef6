"""The care desk (after-sales care, DESIGN §2): call scripts per store and kind of call. The calls themselves are the
customers' follow-ups (`customers.FollowUp`, planned for the care role), so one record holds every contact."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import CallType


class CallScript(models.Model):
    """What the care specialist says on one kind of call in one store (edited by the store admin or the desk).

    A store without its own script for a kind of call uses the default (`scripts.DEFAULT_SCRIPTS`)."""

    store = models.ForeignKey("accounts.Store", on_delete=models.CASCADE, related_name="+")
    call_type = models.CharField(_("kind of call"), max_length=20, choices=CallType.choices)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("script"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("call script")
        verbose_name_plural = _("call scripts")
        ordering = ["store_id", "call_type"]
        constraints = [models.UniqueConstraint(fields=["store", "call_type"], name="callscript_unique_type")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.call_type}"
