"""Reading the PDFs the product makes, as a person's reader would: poppler's pdftotext and pdffonts."""

import subprocess


def pdf_text(data: bytes, *, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode()


def pdf_fonts(data: bytes) -> list[tuple[str, bool]]:
    """(font name, embedded?) for every font the PDF uses, from `pdffonts`."""
    out = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    rows = out.splitlines()[2:]  # two header lines
    fonts = []
    for row in rows:
        parts = row.split()
        # name type [type…] encoding emb sub uni object ID: "emb" is the fifth field from the end
        fonts.append((parts[0], parts[-5] == "yes"))
    return fonts


def assert_fonts_embedded(data: bytes) -> None:
    fonts = pdf_fonts(data)
    assert fonts, "the PDF uses no font at all"
    assert all(embedded for _name, embedded in fonts), fonts
