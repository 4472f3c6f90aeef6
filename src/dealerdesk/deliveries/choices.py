"""Vocabularies of deliveries (交车) and the delivery's allowed moves (DESIGN §6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dealerdesk.catalog.choices import EnergyType, Origin


class DeliveryStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    PREPARED = "prepared", _("Prepared")
    HANDED_OVER = "handed_over", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled with the order")


# A delivery is cancelled only with its order (sales.order_cancel), never on its own.
DELIVERY_MOVES: dict[str, frozenset[str]] = {
    DeliveryStatus.SCHEDULED: frozenset({DeliveryStatus.PREPARED, DeliveryStatus.CANCELLED}),
    DeliveryStatus.PREPARED: frozenset({DeliveryStatus.HANDED_OVER, DeliveryStatus.CANCELLED}),
    DeliveryStatus.HANDED_OVER: frozenset(),
    DeliveryStatus.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset({DeliveryStatus.SCHEDULED, DeliveryStatus.PREPARED})


class PdiResult(models.TextChoices):
    PENDING = "pending", _("Not checked")
    PASSED = "passed", _("Check passed")
    FAILED = "failed", _("Check failed")


class PromisedGiftStatus(models.TextChoices):
    PENDING = "pending", _("Not handed over yet")
    HANDED_OVER = "handed_over", _("Gift handed over")
    SUBSTITUTED = "substituted", _("Substituted")


class OriginSource(models.TextChoices):
    VIN = "vin", _("From the VIN's manufacturer code (WMI)")
    OVERRIDE = "override", _("Set by hand")


class DocumentKind(models.TextChoices):
    CERTIFICATE_OF_CONFORMITY = "certificate", _("Certificate of conformity (合格证)")
    COC = "coc", _("Conformity certificate (一致性证书)")
    WARRANTY_CARD = "warranty_card", _("Warranty card (三包凭证)")
    OWNERS_MANUAL = "owners_manual", _("Owner's manual")
    MAINTENANCE_MANUAL = "maintenance_manual", _("Maintenance manual")
    SALES_INVOICE = "sales_invoice", _("Unified sales invoice (机动车销售统一发票)")
    IMPORT_CERTIFICATE = "import_certificate", _("Import certificate (货物进口证明书)")
    INSPECTION_CERTIFICATE = "inspection_certificate", _("Inspection certificate (进口机动车辆随车检验单)")
    KEYS = "keys", _("Keys")
    TOOL_KIT = "tool_kit", _("Tool kit")
    CHARGING_CABLE = "charging_cable", _("Charging cable")


COMMON_DOCUMENTS = (
    DocumentKind.COC,
    DocumentKind.WARRANTY_CARD,
    DocumentKind.OWNERS_MANUAL,
    DocumentKind.MAINTENANCE_MANUAL,
    DocumentKind.SALES_INVOICE,
)
# The title document: held by a lender for financed stock, and what registration needs.
TITLE_DOCUMENT = {
    Origin.DOMESTIC: DocumentKind.CERTIFICATE_OF_CONFORMITY,
    Origin.IMPORTED: DocumentKind.IMPORT_CERTIFICATE,
}
ORIGIN_DOCUMENTS = {
    Origin.DOMESTIC: (DocumentKind.CERTIFICATE_OF_CONFORMITY,),
    Origin.IMPORTED: (DocumentKind.IMPORT_CERTIFICATE, DocumentKind.INSPECTION_CERTIFICATE),
}
PLUG_IN = frozenset({EnergyType.BEV, EnergyType.PHEV, EnergyType.EREV})  # plug-in cars come with a charging cable
DEFAULT_KEYS = 2


def documents_for(origin: str, energy_type: str) -> list[str]:
    """The pack a car of this origin and energy type needs, in the order it is listed."""
    kinds = [*ORIGIN_DOCUMENTS[origin], *COMMON_DOCUMENTS, DocumentKind.KEYS, DocumentKind.TOOL_KIT]
    if energy_type in PLUG_IN:
        kinds.append(DocumentKind.CHARGING_CABLE)
    return [str(k) for k in kinds]


def origin_from_vin(vin: str) -> str:
    """The WMI's first character is the region: L is mainland China, so the car is domestic; anything else imported."""
    return Origin.DOMESTIC if (vin or "").upper().startswith("L") else Origin.IMPORTED


class ExplanationItem(models.TextChoices):
    CONTROLS = "controls", _("Controls and instruments")
    ASSISTANCE = "assistance", _("Driver-assistance systems")
    ENERGY = "energy", _("Charging or fuelling")
    MAINTENANCE = "maintenance", _("Maintenance schedule")
    WARRANTY = "warranty", _("Warranty and 三包 terms")
    ROADSIDE = "roadside", _("Roadside assistance")
    APP = "app", _("The car's app")


class WarrantyKind(models.TextChoices):
    REPAIR = "repair", _("Repair warranty")
    THREE_GUARANTEES = "three_guarantees", _("三包 period")


# years, kilometres
WARRANTY_TERMS = {WarrantyKind.REPAIR: (3, 60000), WarrantyKind.THREE_GUARANTEES: (2, 50000)}


class FollowUpRole(models.TextChoices):
    CONSULTANT = "consultant", _("Sales consultant")
    CARE_SPECIALIST = "care_specialist", _("Customer-care specialist")


DEFAULT_PDI_ITEMS = [
    ("exterior", _("Exterior: paint, glass, wheels, no damage")),
    ("interior", _("Interior: seats, trim, no stains or damage")),
    ("functions", _("Functions: lights, windows, infotainment, assistance systems")),
    ("fluids_charge", _("Fluids or charge level")),
    ("software", _("Software updates installed")),
    ("cleanliness", _("Cleaned inside and out")),
]
DEFAULT_FOLLOWUPS = [
    {"day": 1, "role": FollowUpRole.CONSULTANT.value},
    {"day": 3, "role": FollowUpRole.CARE_SPECIALIST.value},
    {"day": 7, "role": FollowUpRole.CONSULTANT.value},
    {"day": 30, "role": FollowUpRole.CARE_SPECIALIST.value},
]
DEFAULT_BAYS = ["1号交车区", "2号交车区"]
DEFAULT_SLOT_MINUTES = 90
ODOMETER_WARNING_KM = 50
