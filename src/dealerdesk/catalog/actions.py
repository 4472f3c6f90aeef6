from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels(
    {
        "brand.created": _("Brand added"),
        "brand.updated": _("Brand changed"),
        "series.created": _("Series added"),
        "series.updated": _("Series changed"),
        "trim.created": _("Trim added"),
        "trim.updated": _("Trim changed"),
        "colour.created": _("Colour added"),
        "colour.updated": _("Colour changed"),
        "option.created": _("Option added"),
        "option.updated": _("Option changed"),
        "marked_price.set": _("Marked price set"),
        "stock.received": _("Vehicle received into stock"),
        "stock.status_changed": _("Stock status changed"),
        "stock.updated": _("Stock vehicle changed"),
        "demo_car.flagged": _("Made a demo car"),
        "demo_car.updated": _("Demo car plate or insurance changed"),
        "demo_car.status_changed": _("Demo car status changed"),
        "demo_car.odometer_recorded": _("Demo car odometer recorded"),
    }
)
