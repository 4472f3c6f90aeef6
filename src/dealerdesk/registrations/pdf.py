"""The printable registration checklist (上牌资料清单) for the customer: a one-page PDF in Chinese.

The Chinese font is embedded (core.pdf).
"""

import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dealerdesk.core.pdf import cjk_font
from dealerdesk.customers.privacy import masked_id_number

from .models import Registration


def _escape(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def case_lines(registration: Registration) -> list[str]:
    """The case in words: owner, residence, payment, origin, energy."""
    r = registration
    return [
        _("Company: %(name)s") % {"name": r.company_name} if r.owner_kind == "company" else _("Individual owner"),
        _("Local owner") if r.is_local else _("Non-local owner (residence permit needed)"),
        _("Loan: the lender's mortgage is registered too") if r.financed else _("Full payment"),
        _("Imported vehicle") if r.imported else _("Made in China"),
        _("New-energy vehicle (purchase tax exempt)") if r.new_energy else _("Purchase tax payable"),
    ]


def checklist_pdf(registration: Registration, *, language: str = "zh-hans") -> bytes:
    """The checklist as PDF bytes: store, customer, order, vehicle, the case and every document with its state."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.grey)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4)
    r = registration
    store = r.store
    buffer = io.BytesIO()
    with translation.override(language):
        doc = SimpleDocTemplate(
            buffer,
            initialFontName=font,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=16 * mm,
            title=_("Registration checklist %(number)s") % {"number": r.number},
            author=str(store),
        )
        story = [
            Paragraph(_escape(_("%(store)s · Registration document checklist") % {"store": store}), title),
            Paragraph(_escape(" · ".join(p for p in (store.address, store.phone) if p)), small),
            Spacer(1, 4 * mm),
        ]
        vehicle = r.stock_vehicle
        facts = [
            (_("Order number"), r.number),
            (_("Customer"), r.company_name or r.customer.name),
            (_("Owner's ID number"), masked_id_number(r.customer) or "—"),
            (_("Vehicle"), f"{vehicle.trim} · VIN {vehicle.vin}" if vehicle else str(r.order.trim)),
            (_("Case"), "；".join(case_lines(r))),
            (_("Target date"), r.target_on.isoformat() if r.target_on else "—"),
            (_("Clerk responsible"), str(r.clerk) if r.clerk else "—"),
        ]
        fact_table = Table(
            [[Paragraph(_escape(k), body), Paragraph(_escape(v), body)] for k, v in facts],
            colWidths=[35 * mm, 139 * mm],
        )
        fact_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
        story += [fact_table, Spacer(1, 5 * mm)]
        rows = [[Paragraph(_escape(h), body) for h in ("", _("Document"), _("Held by"), _("Received on"))]]
        for d in r.documents.all():
            received = timezone.localtime(d.received_at, store.tz).strftime("%Y-%m-%d") if d.received_at else ""
            rows.append(
                [
                    Paragraph("√" if d.received_at else "□", body),
                    Paragraph(_escape(d.get_kind_display()), body),
                    Paragraph(_escape(d.get_holder_display() if d.holder else ""), body),
                    Paragraph(_escape(received), body),
                ]
            )
        table = Table(rows, colWidths=[8 * mm, 110 * mm, 26 * mm, 30 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 5 * mm)]
        story.append(
            Paragraph(
                _escape(
                    _(
                        "Please bring the originals of the documents you hold. Registration by the store is optional: "
                        "you may register the car yourself; tell us the plate number once you have it."
                    )
                ),
                small,
            )
        )
        doc.build(story)
    return buffer.getvalue()
