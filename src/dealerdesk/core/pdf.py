"""The one font of every PDF DealerDesk makes: WenQuanYi Micro Hei, shipped in core/fonts and embedded as a subset,
so a contract looks the same in every reader and on a machine with no Chinese fonts (see core/fonts/README.md)."""

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "DealerDeskCJK"
FONT_FILE = Path(__file__).parent / "fonts" / "wqy-microhei.ttc"


def cjk_font() -> str:
    """The registered name of the embedded CJK font (registered once per process). Bold and italic map to the same
    face, so `<b>` in a paragraph never falls back to a font that is not embedded."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return FONT
