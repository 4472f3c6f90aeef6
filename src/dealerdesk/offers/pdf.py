"""The printable offer (报价单): a one-page PDF in Chinese with every line and the total.

The Chinese font is embedded (core.pdf).
"""

import io

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dealerdesk.core.pdf import cjk_font

from .choices import LineKind
from .engine import yuan
from .models import Offer, OfferLine, OfferVersion


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def offer_pdf(offer: Offer, version: OfferVersion, lines: list[OfferLine], *, language: str = "zh-hans") -> bytes:
    """The offer as PDF bytes: store, customer, consultant, trim, every line, the total and the validity."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.grey)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    buffer = io.BytesIO()
    store = offer.store
    with translation.override(language):
        doc = SimpleDocTemplate(
            buffer,
            initialFontName=font,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=16 * mm,
            title=_("Offer %(number)s") % {"number": offer.number},
            author=str(store),
        )
        created = timezone.localtime(version.created_at, store.tz)
        story = [
            Paragraph(_escape(_("%(store)s · Vehicle offer") % {"store": store}), title),
            Paragraph(_escape(" · ".join(p for p in (store.address, store.phone) if p)), small),
            Spacer(1, 4 * mm),
        ]
        facts = [
            (_("Offer number"), _("%(number)s · version %(n)s") % {"number": offer.number, "n": version.number}),
            (_("Date"), created.strftime("%Y-%m-%d %H:%M")),
            (_("Customer"), offer.customer.name),
            (_("Sales consultant"), str(offer.consultant)),
            (_("Vehicle"), str(version.trim)),
            (_("Valid until"), offer.valid_until.isoformat()),
        ]
        fact_table = Table(
            [[Paragraph(_escape(k), body), Paragraph(_escape(v), body)] for k, v in facts],
            colWidths=[35 * mm, 139 * mm],
        )
        fact_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
        story += [fact_table, Spacer(1, 5 * mm)]
        rows = [[Paragraph(_escape(_("Item")), body), Paragraph(_escape(_("Amount (CNY)")), right)]]
        total_row = None
        for line in lines:
            label = line.text
            if line.kind == LineKind.GIFT and line.value is not None:
                free = _("value %(value)s, free of charge") % {"value": yuan(line.value)}
                label = f"{label}（{free}）"
            if line.optional:
                optional = _("optional, the customer may decline")
                label = f"{label}（{optional}）"
            amount = "—" if line.kind == LineKind.GIFT else yuan(line.amount)
            if line.kind == LineKind.TOTAL:
                total_row = len(rows)
                label = _("Total")
            rows.append([Paragraph(_escape(label), body), Paragraph(_escape(amount), right)])
        table = Table(rows, colWidths=[130 * mm, 44 * mm], repeatRows=1)
        style = [
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -2), 0.25, colors.lightgrey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if total_row is not None:
            style += [("LINEABOVE", (0, total_row), (-1, total_row), 0.8, colors.black)]
        table.setStyle(TableStyle(style))
        story += [table, Spacer(1, 5 * mm)]
        notes = [
            _(
                "The vehicle price is the store's marked price in force on the offer date; "
                "no charge beyond the lines above applies."
            ),
            _("Optional services are the customer's free choice and are not a condition of the sale."),
        ]
        if version.note:
            notes.insert(0, version.note)
        story += [Paragraph(_escape(n), small) for n in notes]
        doc.build(story)
    return buffer.getvalue()
