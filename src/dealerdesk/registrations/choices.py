"""Registration (上牌) vocabularies, the allowed moves (DESIGN §6) and the document checklist by case (5.3.1)."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrationStatus(models.TextChoices):
    COLLECTING_DOCUMENTS = "collecting_documents", _("Collecting documents")
    SUBMITTED = "submitted", _("Submitted to the vehicle office")
    PLATE_ISSUED = "plate_issued", _("Plate issued")
    COMPLETED = "completed", _("Completed (plates handed over)")
    CANCELLED = "cancelled", _("Cancelled")


S = RegistrationStatus

# The store registers the car for the customer (registration service).
REGISTRATION_MOVES: dict[str, frozenset[str]] = {
    S.COLLECTING_DOCUMENTS: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.PLATE_ISSUED, S.CANCELLED}),
    S.PLATE_ISSUED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

# The customer registers the car themselves: nothing is tracked but the plate they report, which completes it.
BY_CUSTOMER_MOVES: dict[str, frozenset[str]] = {
    S.COLLECTING_DOCUMENTS: frozenset({S.COMPLETED, S.CANCELLED}),
    S.SUBMITTED: frozenset(),
    S.PLATE_ISSUED: frozenset(),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

LIVE_STATUSES = frozenset({S.COLLECTING_DOCUMENTS, S.SUBMITTED, S.PLATE_ISSUED, S.COMPLETED})
# Open cases: still work to do for the store (the tracker and the overdue list show these).
OPEN_STATUSES = frozenset({S.COLLECTING_DOCUMENTS, S.SUBMITTED, S.PLATE_ISSUED})


def status_label(status: str, by_customer: bool = False) -> str:
    """The status as shown: a case the customer handles themselves waits for their plate, it collects nothing."""
    if by_customer and status == RegistrationStatus.COLLECTING_DOCUMENTS:
        return str(_("Customer registering: waiting for the plate"))
    return str(RegistrationStatus(status).label)


def moves_for(by_customer: bool) -> dict[str, frozenset[str]]:
    return BY_CUSTOMER_MOVES if by_customer else REGISTRATION_MOVES


class OwnerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COMPANY = "company", _("Company")


class DocumentHolder(models.TextChoices):
    CUSTOMER = "customer", _("The customer")
    STORE = "store", _("The store")
    LENDER = "lender", _("The lender")


class DocumentKind(models.TextChoices):
    OWNER_ID = "owner_id", _("Owner's resident ID card (身份证)")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit (居住证)")
    BUSINESS_LICENCE = "business_licence", _("Business licence (营业执照)")
    INVOICE_REGISTRATION_COPY = (
        "invoice_registration_copy",
        _("Unified vehicle sales invoice, registration copy (机动车销售统一发票 注册登记联)"),
    )
    CONFORMITY_CERTIFICATE = "conformity_certificate", _("Certificate of conformity (合格证)")
    IMPORT_DOCUMENTS = "import_documents", _("Import certificate and inspection sheet (进口货物证明书、商检单)")
    COMPULSORY_INSURANCE = "compulsory_insurance", _("Compulsory traffic insurance policy (交强险保单)")
    PURCHASE_TAX_PAID = "purchase_tax_paid", _("Vehicle purchase tax paid certificate (车辆购置税完税证明)")
    PURCHASE_TAX_EXEMPT = "purchase_tax_exempt", _("Purchase tax exemption proof for new-energy vehicles (免税证明)")
    APPLICATION_FORM = "application_form", _("Motor vehicle registration application form (机动车注册登记申请表)")
    MORTGAGE_DOCUMENTS = "mortgage_documents", _("Lender's mortgage registration documents (抵押登记申请表、抵押合同)")


# Who usually holds each document when the checklist is opened (the clerk records the real holder on receipt).
DEFAULT_HOLDER: dict[str, str] = {
    DocumentKind.OWNER_ID: DocumentHolder.CUSTOMER,
    DocumentKind.RESIDENCE_PERMIT: DocumentHolder.CUSTOMER,
    DocumentKind.BUSINESS_LICENCE: DocumentHolder.CUSTOMER,
    DocumentKind.INVOICE_REGISTRATION_COPY: DocumentHolder.STORE,
    DocumentKind.CONFORMITY_CERTIFICATE: DocumentHolder.STORE,
    DocumentKind.IMPORT_DOCUMENTS: DocumentHolder.STORE,
    DocumentKind.COMPULSORY_INSURANCE: DocumentHolder.CUSTOMER,
    DocumentKind.PURCHASE_TAX_PAID: DocumentHolder.CUSTOMER,
    DocumentKind.PURCHASE_TAX_EXEMPT: DocumentHolder.STORE,
    DocumentKind.APPLICATION_FORM: DocumentHolder.STORE,
    DocumentKind.MORTGAGE_DOCUMENTS: DocumentHolder.LENDER,
}


@dataclass(frozen=True)
class Case:
    """What decides the checklist: who owns the car, where they live, how it is paid, where it was made, its energy."""

    local: bool = True
    company: bool = False
    financed: bool = False
    imported: bool = False
    new_energy: bool = False


def checklist_for(case: Case) -> list[str]:
    """The documents the vehicle office asks for in this case, in the order they are collected (5.3.1)."""
    kinds: list[str] = []
    if case.company:
        kinds.append(DocumentKind.BUSINESS_LICENCE)
    else:
        kinds.append(DocumentKind.OWNER_ID)
        if not case.local:
            kinds.append(DocumentKind.RESIDENCE_PERMIT)
    kinds.append(DocumentKind.INVOICE_REGISTRATION_COPY)
    kinds.append(DocumentKind.IMPORT_DOCUMENTS if case.imported else DocumentKind.CONFORMITY_CERTIFICATE)
    kinds.append(DocumentKind.COMPULSORY_INSURANCE)
    kinds.append(DocumentKind.PURCHASE_TAX_EXEMPT if case.new_energy else DocumentKind.PURCHASE_TAX_PAID)
    kinds.append(DocumentKind.APPLICATION_FORM)
    if case.financed:
        kinds.append(DocumentKind.MORTGAGE_DOCUMENTS)
    return kinds


# Energy types exempt from the vehicle purchase tax (新能源汽车免征车辆购置税): battery electric, plug-in and
# range-extended hybrids. Ordinary hybrids (HEV) pay it.
NEW_ENERGY_TYPES = frozenset({"bev", "phev", "erev"})
