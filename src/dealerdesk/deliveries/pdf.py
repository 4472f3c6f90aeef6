"""The delivery confirmation (交车确认单): a one-page PDF in Chinese listing the vehicle, documents, keys, gifts and
odometer, with both signatures. The Chinese font is embedded (core.pdf)."""

import io
from collections.abc import Sequence

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dealerdesk.core.pdf import cjk_font

from .choices import DocumentKind, ExplanationItem, PromisedGiftStatus
from .models import Delivery, DeliveryDocument, DeliveryGift, PromisedGift
from .selectors import handover_date_note


def _escape(text) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def promised_outcome(row: PromisedGift) -> str:
    """What became of a promised gift, as the confirmation states it (in the active language)."""
    if row.status == PromisedGiftStatus.HANDED_OVER:
        return _("Handed over as promised")
    if row.status == PromisedGiftStatus.SUBSTITUTED:
        return _("Substituted by %(substitute)s (%(reason)s)") % {"substitute": row.substitute, "reason": row.reason}
    return _("Not handed over")


def confirmation_pdf(
    delivery: Delivery,
    documents: list[DeliveryDocument],
    gifts: list[DeliveryGift],
    *,
    promised: Sequence[PromisedGift] = (),
    language: str = "zh-hans",
) -> bytes:
    """The signed confirmation as PDF bytes. `delivery` needs store, customer, order and vehicle (trim, colours).

    It states the car as the contract does (VIN, trim, colours, options), the buyer's ID number as on the contract,
    each gift the contract promised with what became of it — a substitution is accepted by the customer's signature
    beside it — then the documents, keys and other gifts."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.grey)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, spaceAfter=4)
    heading = ParagraphStyle("heading", parent=body, fontSize=11, leading=16, spaceBefore=6, spaceAfter=2)
    buffer = io.BytesIO()
    store = delivery.store
    vehicle = delivery.vehicle
    tz = store.tz

    def when(dt) -> str:
        return timezone.localtime(dt, tz).strftime("%Y-%m-%d %H:%M") if dt else "—"

    def table(rows, widths, header=False):
        t = Table([[Paragraph(_escape(c), body) for c in r] for r in rows], colWidths=widths, repeatRows=int(header))
        # the font on every cell too: a table cell otherwise falls back to Helvetica, which is not embedded
        style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("FONTNAME", (0, 0), (-1, -1), font),
        ]
        if header:
            style += [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
            ]
        t.setStyle(TableStyle(style))
        return t

    with translation.override(language):
        doc = SimpleDocTemplate(
            buffer,
            initialFontName=font,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=14 * mm,
            bottomMargin=14 * mm,
            title=_("Delivery confirmation %(number)s") % {"number": delivery.number},
            author=str(store),
        )
        colour = " / ".join(c.name for c in (vehicle.exterior, vehicle.interior) if c is not None) or "—"
        options = "、".join(o.get("label", "") for o in delivery.order.options or [] if isinstance(o, dict)) or "—"
        contract = delivery.order.contract if delivery.order.contract_id else None
        date_note = handover_date_note(delivery) if delivery.handed_over_at else ""
        story = [
            Paragraph(_escape(_("%(store)s · Delivery confirmation (交车确认单)") % {"store": store}), title),
            Paragraph(_escape(" · ".join(p for p in (store.address, store.phone) if p)), small),
            Spacer(1, 3 * mm),
            table(
                [
                    (_("Order number"), delivery.number),
                    *([(_("Contract"), contract.number)] if contract is not None else []),
                    (_("Customer"), delivery.customer.name),
                    *([(_("Resident ID number"), delivery.customer.id_number)] if delivery.customer.id_number else []),
                    (_("Sales consultant"), str(delivery.consultant)),
                    (_("Handed over"), when(delivery.handed_over_at)),
                    *([(_("Handover date"), date_note)] if date_note else []),
                    (_("VIN"), vehicle.vin),
                    (_("Vehicle"), str(vehicle.trim)),
                    (_("Colour"), colour),
                    (_("Options"), options),
                    (_("Origin"), delivery.get_origin_display()),
                    (_("Odometer at handover"), _("%(km)s km") % {"km": delivery.odometer_km}),
                    (
                        _("Invoice"),
                        " ".join(p for p in (delivery.invoice_number, str(delivery.invoice_date or "")) if p) or "—",
                    ),
                ],
                [40 * mm, 134 * mm],
            ),
        ]
        if delivery.handover_note:
            story.append(Paragraph(_escape(delivery.handover_note), small))
        substituted = [p for p in promised if p.status == PromisedGiftStatus.SUBSTITUTED]
        if promised:
            story.append(Paragraph(_escape(_("Gifts promised in the contract")), heading))
            rows = [(_("Promised gift"), _("What was handed over"))]
            rows += [(p.item, promised_outcome(p)) for p in promised]
            story.append(table(rows, [70 * mm, 104 * mm], header=True))
        story.append(Paragraph(_escape(_("Documents and items handed over")), heading))
        rows = [(_("Item"), _("Quantity"), _("Received"))]
        for d in documents:
            qty = _("%(n)s keys") % {"n": d.quantity} if d.kind == DocumentKind.KEYS else str(d.quantity)
            rows.append((d.get_kind_display(), qty, when(d.received_at)))
        story.append(table(rows, [100 * mm, 30 * mm, 44 * mm], header=True))
        story.append(Paragraph(_escape(_("Gifts")), heading))
        if gifts:
            rows = [(_("Gift"), _("Quantity"))] + [(g.gift.name, str(g.quantity)) for g in gifts]
            story.append(table(rows, [130 * mm, 44 * mm], header=True))
        else:
            story.append(Paragraph(_escape(_("No gifts.")), body))
        story.append(Paragraph(_escape(_("Explained to the customer")), heading))
        explained = [str(ExplanationItem(e).label) for e in delivery.explained if e in ExplanationItem.values]
        story.append(Paragraph(_escape("、".join(explained) or "—"), body))
        story.append(Spacer(1, 4 * mm))
        story.append(
            Paragraph(
                _escape(
                    _(
                        "The customer confirms receiving the vehicle, documents, keys and gifts listed above in good "
                        "order. The repair warranty and the 三包 period start on the invoice date."
                    )
                ),
                body,
            )
        )
        story.append(Spacer(1, 4 * mm))
        customer_cell = [
            Paragraph(_escape(_("Customer: %(name)s") % {"name": delivery.customer_signed_name}), body),
            Paragraph(_escape(when(delivery.customer_signed_at)), small),
        ]
        if substituted:  # the customer's signature accepts each substitution, named beside it
            accepted = "；".join(f"{p.item} → {p.substitute}" for p in substituted)
            customer_cell.insert(
                0,
                Paragraph(
                    _escape(_("I accept the substitution of the promised gifts: %(items)s.") % {"items": accepted}),
                    body,
                ),
            )
        if delivery.customer_signature_png:
            customer_cell.insert(
                1, Image(io.BytesIO(bytes(delivery.customer_signature_png)), width=50 * mm, height=18 * mm)
            )
        store_cell = [
            Paragraph(_escape(_("For the store: %(name)s") % {"name": delivery.consultant_signed_by or ""}), body),
            Paragraph(_escape(when(delivery.consultant_signed_at)), small),
        ]
        signatures = Table([[customer_cell, store_cell]], colWidths=[87 * mm, 87 * mm])
        signatures.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ]
            )
        )
        story.append(signatures)
        doc.build(story)
    return buffer.getvalue()
