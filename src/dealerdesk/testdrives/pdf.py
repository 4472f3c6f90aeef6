"""The test-drive agreement (试驾协议) as a PDF in Chinese: the store's template text, the booking's facts and,
once accepted, the customer's typed name, the time and the drawn signature.

The Chinese font is embedded (core.pdf)."""

import io
from datetime import datetime

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer

from dealerdesk.core.pdf import cjk_font

from .models import TestDrive


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def agreement_pdf(
    td: TestDrive,
    text: str,
    *,
    accepted_name: str = "",
    accepted_at: datetime | None = None,
    signature_png: bytes | None = None,
) -> bytes:
    """The agreement's PDF bytes. Deterministic for the same inputs (no creation date), so its hash is stable."""
    font = cjk_font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, spaceAfter=6)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        initialFontName=font,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"试乘试驾协议 {td.number}",
        author=str(td.store),
        invariant=1,
    )
    lines = text.splitlines() or [""]
    story = [Paragraph(_escape(lines[0]), title)]
    for line in lines[1:]:
        story.append(Paragraph(_escape(line), body) if line.strip() else Spacer(1, 3 * mm))
    story.append(Spacer(1, 8 * mm))
    story.append(Paragraph(_escape(f"预约编号：{td.number}"), body))
    if accepted_at is not None:
        when = timezone.localtime(accepted_at, td.store.tz).strftime("%Y-%m-%d %H:%M")
        story.append(Paragraph(_escape(f"乙方确认：{accepted_name}（{when}）"), body))
        if signature_png:
            image = ImageReader(io.BytesIO(signature_png))
            width, height = image.getSize()
            scale = min(60 * mm / max(width, 1), 25 * mm / max(height, 1))
            story.append(Paragraph("乙方签名：", body))
            story.append(Image(io.BytesIO(signature_png), width=width * scale, height=height * scale, hAlign="LEFT"))
    else:
        story.append(Paragraph("乙方确认：＿＿＿＿＿＿＿＿（待签署）", body))
    doc.build(story)
    return buffer.getvalue()
