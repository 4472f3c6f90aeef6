"""Every PDF embeds its Chinese font (issue #10.10): the look does not depend on the reader, and characters such as
the middle dot or full-width forms are drawn, not shown as boxes."""

import io

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from dealerdesk.core.pdf import FONT_FILE, cjk_font
from tests.pdfs import assert_fonts_embedded, pdf_fonts, pdf_text

LINE = "外观颜色：珍珠白 · 行车记录仪 + 全车脚垫 ¥216,800.00（含税）①"


def _document() -> bytes:
    font = cjk_font()
    buffer = io.BytesIO()
    style = ParagraphStyle("body", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    table = Table([["车型", "颜色"], ["星耀 2.0T", "珍珠白"]])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font)]))
    SimpleDocTemplate(buffer, initialFontName=font).build([Paragraph(f"<b>{LINE}</b>", style), table])
    return buffer.getvalue()


def test_the_font_ships_with_the_project():
    assert FONT_FILE.is_file() and FONT_FILE.stat().st_size > 1_000_000


def test_a_document_embeds_its_only_font_and_reads_back_exactly():
    data = _document()
    assert_fonts_embedded(data)
    assert len(pdf_fonts(data)) == 1  # bold maps to the same embedded face, no Helvetica fallback
    text = pdf_text(data)
    assert LINE in text and "珍珠白" in text
