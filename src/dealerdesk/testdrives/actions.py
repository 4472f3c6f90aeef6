"""Human labels of the test-drive app's audit actions (the customer's timeline reads these)."""

from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels(
    {
        "testdrive.booked": _("Test drive booked"),
        "testdrive.confirmed": _("Test drive confirmed"),
        "testdrive.rescheduled": _("Test drive rescheduled"),
        "testdrive.cancelled": _("Test drive cancelled"),
        "testdrive.no_show": _("Did not come to the test drive"),
        "testdrive.checklist_saved": _("Test-drive checklist saved"),
        "testdrive.licence_recorded": _("Driver's licence recorded"),
        "testdrive.prepared": _("Test drive prepared"),
        "testdrive.agreement_generated": _("Test-drive agreement generated"),
        "testdrive.agreement_accepted": _("Test-drive agreement accepted"),
        "testdrive.started": _("Test drive started"),
        "testdrive.completed": _("Test drive completed"),
        "testdrive.checked": _("Car checked after the test drive"),
        "testdrive.flagged": _("Test drive flagged: demo car unavailable"),
        "testdrive.feedback_requested": _("Test-drive feedback requested"),
        "testdrive.feedback_received": _("Test-drive feedback received"),
        "testdrive.debriefed": _("Test-drive debrief recorded"),
        "testdrive.reminded": _("Test-drive reminder sent"),
        "testdrive_settings.updated": _("Test-drive settings changed"),
        "route.saved": _("Test-drive route saved"),
        "demo_car.insurance_renewed": _("Demo car insurance renewed"),
        "demo_car.odometer_corrected": _("Demo car odometer corrected"),
    }
)
