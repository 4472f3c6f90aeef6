"""The side-by-side comparison of 2–4 trims, on screen and as a PDF with Chinese text (checked with pdftotext)."""

import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from dealerdesk.showroom import pdf, selectors
from tests.catalog.factories import BrandFactory, MarkedPriceFactory, SeriesFactory, TrimFactory
from tests.showroom.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def trims(store_a):
    series = SeriesFactory(name="星辰")
    cheap = TrimFactory(series=series, name="标准续航版", seats=5, power_kw=160, msrp=Decimal("179800"))
    dear = TrimFactory(series=series, name="四驱性能版", seats=5, power_kw=390, drive="awd", msrp=Decimal("259800"))
    MarkedPriceFactory(store=store_a, trim=cheap, price=Decimal("169800"))
    MarkedPriceFactory(store=store_a, trim=dear, price=Decimal("249800"))
    return cheap, dear


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "comparison.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_comparison_flags_differences_and_price_gaps(store_a, consultant, trims):
    cheap, dear = trims
    with translation.override("en"):
        comparison = selectors.comparison_for(consultant, store_a, [cheap.pk, dear.pk])
    rows = {row.label: row for row in comparison.rows}
    assert rows["Power (kW)"].differs and rows["Power (kW)"].best == {1}
    assert rows["Drive"].differs
    assert not rows["Seats"].differs and not rows["Seats"].best
    marked, gap = comparison.price_rows[1], comparison.price_rows[2]
    assert marked.values == ["¥169,800", "¥249,800"]
    assert marked.best == {0}
    assert gap.values == ["—", "+¥80,000"]


@pytest.mark.parametrize("count", [1, 5])
def test_comparison_needs_two_to_four_trims(store_a, consultant, count):
    ids = [TrimFactory().pk for _ in range(count)]
    with pytest.raises(ValidationError) as caught:
        selectors.comparison_for(consultant, store_a, ids)
    assert "trims" in caught.value.message_dict


def test_comparison_refuses_a_trim_the_store_does_not_sell(store_a, consultant, trims):
    foreign = TrimFactory(series=SeriesFactory(brand=BrandFactory(code="else", name="别家")))
    with pytest.raises(ValidationError):
        selectors.comparison_for(consultant, store_a, [trims[0].pk, foreign.pk])


def test_comparison_pdf_carries_the_chinese_trim_names(store_a, consultant, trims, tmp_path):
    comparison = selectors.comparison_for(consultant, store_a, [t.pk for t in trims])
    text = pdf_text(pdf.comparison_pdf(comparison, prepared_by="王磊"), tmp_path)
    assert "标准续航版" in text
    assert "四驱性能版" in text
    assert "星耀" in text
    assert "169,800" in text and "249,800" in text


def test_comparison_page_and_pdf_download(store_a, consultant, trims, tmp_path, django_assert_max_num_queries):
    client = client_for(consultant)
    query = f"?store={store_a.code}&trims={trims[0].pk}&trims={trims[1].pk}"
    with django_assert_max_num_queries(16):  # session, user, stores, trims, prices, stock, promotions
        page = client.get(reverse("trim_compare") + query)
    assert page.status_code == 200
    assert "四驱性能版" in page.content.decode()
    download = client.get(reverse("trim_compare_pdf") + query)
    assert download["Content-Type"] == "application/pdf"
    assert "标准续航版" in pdf_text(download.content, tmp_path)


def test_comparison_page_with_one_trim_says_what_is_wrong(store_a, consultant, trims):
    page = client_for(consultant).get(reverse("trim_compare") + f"?store={store_a.code}&trims={trims[0].pk}")
    assert page.status_code == 400
    assert 'data-testid="error-trims"' in page.content.decode()
