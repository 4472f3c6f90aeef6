"""The trim comparison as a PDF with Chinese text (ReportLab, the Chinese font embedded: core.pdf)."""

import datetime
import io

from django.utils import timezone
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dealerdesk.core.pdf import cjk_font

from .selectors import Comparison, trim_label

HIGHLIGHT = colors.HexColor("#fff3cd")
BEST = colors.HexColor("#d1e7dd")
HEADER = colors.HexColor("#0b3d5c")


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def comparison_pdf(comparison: Comparison, *, prepared_by: str = "", now: datetime.datetime | None = None) -> bytes:
    """A4 landscape: the trims as columns, specs and prices as rows; differing rows shaded, best values green."""
    font = cjk_font()
    now = timezone.localtime(now or timezone.now(), comparison.store.tz)
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=20, alignment=TA_LEFT)
    small = ParagraphStyle("small", fontName=font, fontSize=8.5, leading=11)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12)
    head = ParagraphStyle("head", fontName=font, fontSize=9.5, leading=12, textColor=colors.white)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        initialFontName=font,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=gettext("Trim comparison"),
        author=comparison.store.name,
    )
    names = [trim_label(t.series.brand.name, t.series.name, t.model_year, t.name) for t in comparison.trims]
    data = [[Paragraph(_escape(gettext("Item")), head)] + [Paragraph(_escape(n), head) for n in names]]
    shading = []
    rows = comparison.rows + comparison.price_rows
    for r, row in enumerate(rows, start=1):
        data.append([Paragraph(_escape(row.label), cell)] + [Paragraph(_escape(v), cell) for v in row.values])
        if row.differs:
            shading.append(("BACKGROUND", (0, r), (0, r), HIGHLIGHT))
        for col in row.best:
            shading.append(("BACKGROUND", (col + 1, r), (col + 1, r), BEST))
    width = doc.width
    first = 42 * mm
    other = (width - first) / max(len(names), 1)
    table = Table(data, colWidths=[first] + [other] * len(names), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#adb5bd")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, len(comparison.rows) + 1), (-1, len(comparison.rows) + 1), 1.2, HEADER),
                *shading,
            ]
        )
    )
    story = [
        Paragraph(_escape(gettext("Trim comparison")), title_style),
        Paragraph(
            _escape(
                gettext("%(store)s | %(date)s | prepared by %(person)s")
                % {"store": comparison.store.name, "date": now.strftime("%Y-%m-%d %H:%M"), "person": prepared_by}
            ),
            small,
        ),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 3 * mm),
        Paragraph(
            _escape(
                gettext(
                    "Shaded items differ between the trims; green marks the best value. Prices are the store's "
                    "marked prices in force (* the MSRP where no marked price is set). Promotions shown need no "
                    "conditions such as a trade-in or a loan; an offer may add more. Optional services are never "
                    "required to buy."
                )
            ),
            small,
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
