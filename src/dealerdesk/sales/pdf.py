"""The signed contract as a PDF in Chinese (the Chinese font embedded: core.pdf)."""

import io

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dealerdesk.core.pdf import cjk_font


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _when(value, tz) -> str:
    return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M") if value else ""


def contract_pdf(contract, *, store, customer_signature: bytes | None = None) -> bytes:
    """The contract's frozen text and the three signatures (typed names, times, the drawn signature if any)."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22, alignment=1, spaceAfter=6)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.grey)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        initialFontName=font,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"汽车买卖合同 {contract.number}",
        author=str(store),
    )
    lines = contract.body.splitlines()
    story = []
    if lines:
        story.append(Paragraph(_escape(lines[0].strip()), title))
        lines = lines[1:]
    for line in lines:
        if line.strip():
            story.append(Paragraph(_escape(line).replace("  ", "&nbsp;&nbsp;"), body))
        else:
            story.append(Spacer(1, 3 * mm))
    story.append(Spacer(1, 8 * mm))
    tz = store.tz
    drawn = ""
    if customer_signature:
        try:
            drawn = Image(io.BytesIO(customer_signature), width=40 * mm, height=15 * mm, kind="proportional")
        except Exception:  # a damaged drawing never blocks the contract: the typed name is the signature
            drawn = ""
    rows = [
        [
            Paragraph("买受人（乙方）签字", body),
            Paragraph(_escape(contract.customer_signed_name), body),
            drawn,
            Paragraph(_when(contract.customer_signed_at, tz), body),
        ],
        [
            Paragraph("销售顾问", body),
            Paragraph(_escape(contract.consultant_signed_by or ""), body),
            "",
            Paragraph(_when(contract.consultant_signed_at, tz), body),
        ],
        [
            Paragraph("出卖人（甲方）授权代表", body),
            Paragraph(_escape(contract.manager_signed_by or ""), body),
            "",
            Paragraph(_when(contract.manager_signed_at, tz), body),
        ],
    ]
    table = Table(rows, colWidths=[42 * mm, 38 * mm, 44 * mm, 46 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("FONTNAME", (0, 0), (-1, -1), font),  # empty cells too: no font may be left unembedded
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm)]
    story.append(
        Paragraph(
            _escape(f"合同编号 {contract.number} · 本合同签署后文本冻结，任何变更以修订合同形式另行签署。"), small
        )
    )
    doc.build(story)
    return buffer.getvalue()
