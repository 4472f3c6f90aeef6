"""Editing the shared catalogue through the pages: a store administrator builds brand → series → trim with colours
and options; bad input shows the service's message next to the field, keeps what was typed and writes nothing;
anyone else finds no edit link and gets 404 on every edit URL; the lists and the trim card run a fixed number of
queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dealerdesk.catalog.models import Brand, Colour, Option, Series, Trim
from dealerdesk.core.models import AuditEntry
from tests.catalog.factories import BrandFactory, ColourFactory, OptionFactory, SeriesFactory, TrimFactory

pytestmark = pytest.mark.django_db

# session, user, memberships, stores… then a fixed number per page (measured 8, 10 and 13, whatever the size)
MAX_QUERIES = {"brands": 9, "series": 11, "trim": 14}
HTMX = {"HTTP_HX_REQUEST": "true"}

TRIM_POST = {
    "code": "lh-v7-2026-lr",
    "name": "长续航旗舰版",
    "model_year": "2026",
    "energy_type": "bev",
    "body_type": "suv",
    "seats": "5",
    "drive": "awd",
    "power_kw": "390",
    "electric_range_km": "620",
    "fuel_l_per_100km": "",
    "length_mm": "4900",
    "width_mm": "1950",
    "height_mm": "1700",
    "wheelbase_mm": "2950",
    "key_features": "激光雷达\r\n800V 快充\r\n",
    "origin": "domestic",
    "msrp": "259,800",
    "is_active": "on",
}


@pytest.fixture
def admin_a(store_a, make_staff):
    return make_staff("store_admin", store_a, language="en")


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, language="en")


@pytest.fixture
def trim():
    """A trim of the default brand (sold by the test stores) with one colour and one option."""
    trim = TrimFactory(name="长续航版")
    ColourFactory(trim=trim, kind="exterior", code="W01", name="星河白")
    OptionFactory(trim=trim, code="ADAS", name="高阶智驾包", price=Decimal("12000"))
    return trim


def _html(response) -> str:
    return response.content.decode()


def _edit_urls(trim: Trim) -> list[str]:
    series = trim.series
    colour = trim.colours.first()
    option = trim.options.first()
    return [
        reverse("catalog_brand_create"),
        reverse("catalog_brand_edit", args=[series.brand_id]),
        reverse("catalog_series_create", args=[series.brand_id]),
        reverse("catalog_series_edit", args=[series.pk]),
        reverse("catalog_trim_create", args=[series.pk]),
        reverse("catalog_trim_edit", args=[trim.pk]),
        reverse("catalog_colour_create", args=[trim.pk]),
        reverse("catalog_colour_edit", args=[colour.pk]),
        reverse("catalog_option_create", args=[trim.pk]),
        reverse("catalog_option_edit", args=[option.pk]),
    ]


# ---------------------------------------------------------------- building the catalogue


def test_a_store_admin_builds_brand_series_trim_colours_and_options(client, admin_a):
    client.force_login(admin_a)
    # given the catalogue home links to the brand list
    assert reverse("catalog_brand_list") in _html(client.get(reverse("catalog_home")))

    # when a brand is added (its code is lower-cased)
    response = client.post(reverse("catalog_brand_create"), {"code": "LanHai", "name": "蓝海", "name_en": "Lanhai"})
    # then back to the brand list with a message, the brand listed with its edit link
    assert response.status_code == 302 and response.url == reverse("catalog_brand_list")
    page = _html(client.get(response.url))
    brand = Brand.objects.get(code="lanhai")
    assert "The brand 蓝海 is added." in page and "蓝海" in page
    assert reverse("catalog_brand_edit", args=[brand.pk]) in page
    assert reverse("catalog_series_list", args=[brand.pk]) in page

    # when a series is added to it
    response = client.post(
        reverse("catalog_series_create", args=[brand.pk]),
        {"code": "v7", "name": "蓝海V7", "body_type": "suv", "is_active": "on"},
    )
    series = Series.objects.get(brand=brand, code="v7")
    assert response.status_code == 302 and response.url.startswith(reverse("catalog_series_list", args=[brand.pk]))
    page = _html(client.get(reverse("catalog_series_list", args=[brand.pk])))
    assert "The series 蓝海V7 is added." in page and reverse("catalog_trim_create", args=[series.pk]) in page

    # when a trim is added from the series with all its specifications
    response = client.post(reverse("catalog_trim_create", args=[series.pk]), TRIM_POST)
    trim = Trim.objects.get(code="lh-v7-2026-lr")
    assert response.status_code == 302 and response.url == reverse("catalog_trim_detail", args=[trim.pk])
    assert trim.series == series and trim.msrp == Decimal("259800.00") and trim.power_kw == 390
    assert trim.key_features == ["激光雷达", "800V 快充"] and trim.fuel_l_per_100km is None and trim.is_active

    # when colours are added inline (htmx: the section comes back) and without JavaScript (the page comes back)
    section = client.post(
        reverse("catalog_colour_create", args=[trim.pk]),
        {"colour-kind": "exterior", "colour-code": "B01", "colour-name": "深海蓝", "colour-extra_price": "3000"},
        **HTMX,
    )
    assert section.status_code == 200
    assert 'id="colours"' in _html(section) and "<html" not in _html(section)
    assert "The colour 深海蓝 is added." in _html(section) and "+¥3,000" in _html(section)
    response = client.post(
        reverse("catalog_colour_create", args=[trim.pk]),
        {"colour-kind": "interior", "colour-code": "I01", "colour-name": "燕麦色内饰", "colour-extra_price": ""},
    )
    assert response.status_code == 302 and response.url == reverse("catalog_trim_detail", args=[trim.pk]) + "#colours"
    response = client.post(
        reverse("catalog_option_create", args=[trim.pk]),
        {
            "option-code": "PILOT",
            "option-name": "智驾套装",
            "option-price": "15000",
            "option-is_package": "on",
            "option-contents": "激光雷达\n城市领航",
        },
    )
    assert response.status_code == 302

    # then the trim's card shows everything, with the edit links
    page = _html(client.get(reverse("catalog_trim_detail", args=[trim.pk])))
    assert "The option 智驾套装 is added." in page
    assert "深海蓝" in page and "燕麦色内饰" in page and "智驾套装" in page and "城市领航" in page
    assert "800V 快充" in page and "¥259,800" in page
    colour = Colour.objects.get(trim=trim, code="I01")
    option = Option.objects.get(trim=trim, code="PILOT")
    assert colour.kind == "interior" and colour.extra_price == Decimal("0.00")
    assert option.is_package and option.contents == ["激光雷达", "城市领航"] and option.price == Decimal("15000.00")
    for url in (
        reverse("catalog_trim_edit", args=[trim.pk]),
        reverse("catalog_colour_edit", args=[colour.pk]),
        reverse("catalog_option_edit", args=[option.pk]),
        reverse("catalog_series_list", args=[brand.pk]),
    ):
        assert url in page
    # and every write is audited under the admin's store
    actions = set(
        AuditEntry.objects.filter(actor=admin_a, store=admin_a.memberships.first().store).values_list(
            "action", flat=True
        )
    )
    assert {"brand.created", "series.created", "trim.created", "colour.created", "option.created"} <= actions


def test_a_store_admin_edits_and_takes_off_sale(client, admin_a, trim):
    client.force_login(admin_a)
    series, brand = trim.series, trim.series.brand
    colour, option = trim.colours.get(), trim.options.get()

    # the forms open filled in with the current values
    page = _html(client.get(reverse("catalog_trim_edit", args=[trim.pk])))
    assert 'value="长续航版"' in page and "L2 智能驾驶辅助\n全景天窗" in page and 'value="199800.00"' in page

    # when the brand, the colour and the option are changed
    response = client.post(
        reverse("catalog_brand_edit", args=[brand.pk]), {"code": brand.code, "name": "星耀汽车", "name_en": ""}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("catalog_colour_edit", args=[colour.pk]),
        {"colour-kind": "exterior", "colour-code": "W01", "colour-name": "珍珠白", "colour-extra_price": "2000"},
    )
    assert response.status_code == 302 and response.url.endswith("#colours")
    response = client.post(
        reverse("catalog_option_edit", args=[option.pk]),
        {"option-code": "ADAS", "option-name": "高阶智驾包", "option-price": "9800", "option-contents": ""},
    )
    assert response.status_code == 302 and response.url.endswith("#options")

    # and the trim gets a new MSRP and is taken off sale (unticked box), then its series
    data = {**TRIM_POST, "code": trim.code, "name": trim.name, "msrp": "189800"}
    del data["is_active"]
    response = client.post(reverse("catalog_trim_edit", args=[trim.pk]), data)
    assert response.status_code == 302
    response = client.post(
        reverse("catalog_series_edit", args=[series.pk]),
        {"code": series.code, "name": series.name, "body_type": series.body_type},
    )
    assert response.status_code == 302

    # then everything is saved, nothing is deleted, and the off-sale trim leaves the catalogue browser
    for obj in (brand, series, trim, colour, option):
        obj.refresh_from_db()
    assert brand.name == "星耀汽车" and colour.name == "珍珠白" and colour.extra_price == Decimal("2000.00")
    assert option.price == Decimal("9800.00") and not option.is_package
    assert trim.msrp == Decimal("189800.00") and not trim.is_active and not series.is_active
    assert Trim.objects.filter(pk=trim.pk).exists()
    assert 'data-testid="trim-row"' not in _html(client.get(reverse("catalog_home")))
    page = _html(client.get(reverse("catalog_series_list", args=[brand.pk])))
    assert trim.name in page and page.count("Off sale") == 2  # the series and its trim, still listed
    actions = set(AuditEntry.objects.filter(actor=admin_a).values_list("action", flat=True))
    assert {"brand.updated", "colour.updated", "option.updated", "trim.updated", "series.updated"} <= actions


def test_an_admin_of_another_store_edits_the_shared_catalogue_too(client, store_b, make_staff, trim):
    # given the administrator of store B (the catalogue is the group's)
    admin_b = make_staff("store_admin", store_b, language="en")
    client.force_login(admin_b)
    # when they rename the trim's series
    series = trim.series
    response = client.post(
        reverse("catalog_series_edit", args=[series.pk]),
        {"code": series.code, "name": "星辰X7", "body_type": "suv", "is_active": "on"},
    )
    # then it is saved
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.name == "星辰X7" and series.is_active


# ---------------------------------------------------------------- bad input


def _trim_post(**changes) -> dict:
    return {**TRIM_POST, **changes}


@pytest.mark.parametrize(
    ("url_name", "target", "data", "field", "message", "kept"),
    [
        (
            "catalog_brand_create",
            None,
            {"code": "xingyao", "name": "新品牌"},
            "code",
            "A brand with code xingyao already exists.",
            'value="新品牌"',
        ),
        ("catalog_brand_create", None, {"code": "newbrand", "name": ""}, "name", "Enter the brand", 'value="newbrand"'),
        (
            "catalog_brand_create",
            None,
            {"code": "蓝 海", "name": "蓝海"},
            "code",
            "A code has only letters, digits, hyphens and underscores",
            'value="蓝海"',
        ),
        (
            "catalog_series_create",
            "brand",
            {"code": "taken", "name": "新车系", "body_type": "suv"},
            "code",
            "already has a series with code taken.",
            'value="新车系"',
        ),
        (
            "catalog_series_create",
            "brand",
            {"code": "fresh", "name": "新车系", "body_type": ""},
            "body_type",
            "Choose a body type",
            'value="fresh"',
        ),
        (
            "catalog_trim_create",
            "series",
            _trim_post(msrp="-100"),
            "msrp",
            "A price must be more than zero.",
            'value="长续航旗舰版"',
        ),
        (
            "catalog_trim_create",
            "series",
            _trim_post(name=""),
            "name",
            "Enter the trim",
            'value="lh-v7-2026-lr"',
        ),
        (
            "catalog_trim_create",
            "series",
            _trim_post(code="taken-trim"),
            "code",
            "A trim with code taken-trim already exists.",
            'value="4900"',
        ),
        (
            "catalog_trim_create",
            "series",
            _trim_post(fuel_l_per_100km="5.5"),
            "fuel_l_per_100km",
            "A battery-electric trim uses no fuel",
            'value="5.5"',
        ),
        (
            "catalog_trim_create",
            "series",
            _trim_post(wheelbase_mm="5000"),
            "wheelbase_mm",
            "Enter the wheelbase in mm (1500–4500).",
            'value="5000"',
        ),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_writes_nothing(
    client, admin_a, url_name, target, data, field, message, kept
):
    # given a brand with a series "taken" and a trim "taken-trim"
    brand = BrandFactory()
    series = SeriesFactory(brand=brand, code="taken")
    TrimFactory(series=series, code="taken-trim")
    counts = (Brand.objects.count(), Series.objects.count(), Trim.objects.count(), AuditEntry.objects.count())
    client.force_login(admin_a)
    args = {"brand": [brand.pk], "series": [series.pk], None: []}[target]
    # when the form is sent with one bad value
    response = client.post(reverse(url_name, args=args), data)
    # then the page comes back (400) with the message under that field and the typed values kept; nothing written
    html = _html(response)
    assert response.status_code == 400
    assert f'data-testid="error-{field}"' in html and message in html
    assert kept in html
    assert "is-invalid" in html
    assert (Brand.objects.count(), Series.objects.count(), Trim.objects.count(), AuditEntry.objects.count()) == counts


def test_a_bad_edit_changes_nothing(client, admin_a, trim):
    client.force_login(admin_a)
    # when the trim is sent with a wheelbase longer than the car
    data = {**TRIM_POST, "code": trim.code, "name": "改名版", "wheelbase_mm": "4000", "length_mm": "3900"}
    response = client.post(reverse("catalog_trim_edit", args=[trim.pk]), data)
    # then the message is under the wheelbase and the trim is untouched
    assert response.status_code == 400
    assert "The wheelbase must be shorter than the car" in _html(response) and 'value="改名版"' in _html(response)
    trim.refresh_from_db()
    assert trim.name == "长续航版" and trim.wheelbase_mm == 2900
    # when a colour is given the code of another colour of the same kind
    ColourFactory(trim=trim, kind="exterior", code="R02", name="熔岩红")
    colour = trim.colours.get(code="W01")
    response = client.post(
        reverse("catalog_colour_edit", args=[colour.pk]),
        {"colour-kind": "exterior", "colour-code": "R02", "colour-name": "星河白", "colour-extra_price": "0"},
    )
    assert response.status_code == 400
    assert "This trim already has a colour with code R02." in _html(response)
    colour.refresh_from_db()
    assert colour.code == "W01"


@pytest.mark.parametrize(
    ("url_name", "data", "field", "message"),
    [
        (
            "catalog_colour_create",
            {"colour-kind": "exterior", "colour-code": "W01", "colour-name": "又一白", "colour-extra_price": "0"},
            "code",
            "This trim already has a colour with code W01.",
        ),
        (
            "catalog_colour_create",
            {"colour-kind": "exterior", "colour-code": "G01", "colour-name": "青山绿", "colour-extra_price": "-500"},
            "extra_price",
            "An extra price cannot be negative.",
        ),
        (
            "catalog_option_create",
            {"option-code": "TOW", "option-name": "拖车钩", "option-price": "-1"},
            "price",
            "An amount cannot be negative.",
        ),
        (
            "catalog_option_create",
            {"option-code": "TOW", "option-name": "", "option-price": "1500"},
            "name",
            "Enter the option",
        ),
    ],
)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_bad_colours_and_options_are_explained_inline(client, admin_a, trim, url_name, data, field, message, htmx):
    client.force_login(admin_a)
    counts = (Colour.objects.count(), Option.objects.count(), AuditEntry.objects.count())
    # when the inline form is sent with a bad value
    response = client.post(reverse(url_name, args=[trim.pk]), data, **(HTMX if htmx else {}))
    html = _html(response)
    # then the section (htmx, 200 so that it is swapped) or the whole card (400) shows the message under the field,
    # keeps what was typed, and nothing is written
    assert response.status_code == (200 if htmx else 400)
    assert ("<html" in html) is not htmx
    assert f'data-testid="error-{field}"' in html and message in html
    typed = next(value for key, value in data.items() if key.endswith("-code"))
    assert f'value="{typed}"' in html
    assert (Colour.objects.count(), Option.objects.count(), AuditEntry.objects.count()) == counts


def test_errors_are_shown_in_chinese(client, store_a, make_staff):
    # given a store administrator who works in Chinese, and the brand 星耀
    BrandFactory()
    admin = make_staff("store_admin", store_a, language="zh-hans")
    client.force_login(admin)
    # when a brand with a taken code is added
    response = client.post(reverse("catalog_brand_create"), {"code": "xingyao", "name": "星耀"})
    # then the message is in Chinese, under the code
    assert response.status_code == 400
    assert "代码为 xingyao 的品牌已存在。" in _html(response)
    assert not Brand.objects.exclude(code="xingyao").exists()


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("role", ["consultant", "sales_manager", "receptionist"])
def test_others_see_no_edit_links_and_get_404_on_every_edit_url(client, store_a, make_staff, trim, role):
    user = make_staff(role, store_a, language="en")
    client.force_login(user)
    brand, series = trim.series.brand, trim.series
    # the lists and the card are readable, without any edit link or form
    pages = [
        _html(client.get(reverse("catalog_home"))),
        _html(client.get(reverse("catalog_brand_list"))),
        _html(client.get(reverse("catalog_series_list", args=[brand.pk]))),
        _html(client.get(reverse("catalog_trim_detail", args=[trim.pk]))),
    ]
    assert "星河白" in pages[3] and "高阶智驾包" in pages[3] and series.name in pages[2]
    edit_urls = _edit_urls(trim)
    for page in pages:
        for url in edit_urls:
            assert url not in page
        for testid in ("brand-add", "brand-edit", "series-add", "series-edit", "trim-add", "trim-edit"):
            assert f'data-testid="{testid}"' not in page
        assert 'data-testid="colour-form"' not in page and 'data-testid="option-form"' not in page
    # every edit URL answers 404, to a GET and to a POST, and nothing is written
    counts = (Brand.objects.count(), Series.objects.count(), Trim.objects.count(), AuditEntry.objects.count())
    for url in edit_urls:
        assert client.get(url).status_code in (404, 405), url
        assert (
            client.post(url, {"code": "x", "name": "改", "colour-name": "改", "option-name": "改"}).status_code == 404
        )
        assert client.post(url, {"name": "改"}, **HTMX).status_code == 404
    assert (Brand.objects.count(), Series.objects.count(), Trim.objects.count(), AuditEntry.objects.count()) == counts
    assert Colour.objects.get(trim=trim).name == "星河白"


def test_editing_needs_signing_in(client, trim):
    for url in _edit_urls(trim):
        response = client.get(url)
        assert response.status_code in (302, 405) and (response.status_code == 405 or "login" in response.url)


def test_unknown_objects_are_not_found(client, admin_a):
    client.force_login(admin_a)
    for name in (
        "catalog_brand_edit",
        "catalog_series_list",
        "catalog_series_create",
        "catalog_series_edit",
        "catalog_trim_create",
        "catalog_trim_edit",
        "catalog_colour_edit",
        "catalog_option_edit",
    ):
        assert client.get(reverse(name, args=[999_999])).status_code == 404, name
    assert client.post(reverse("catalog_colour_create", args=[999_999]), {}).status_code == 404


# ---------------------------------------------------------------- a fixed number of queries


def _catalogue_of(size: int) -> Brand:
    brand = BrandFactory()
    for _n in range(size):
        series = SeriesFactory(brand=brand)
        for _m in range(2):
            trim = TrimFactory(series=series)
            ColourFactory(trim=trim)
            ColourFactory(trim=trim, kind="interior")
            OptionFactory(trim=trim, is_package=True, contents=["A", "B"])
    for n in range(size):
        BrandFactory(code=f"brand-{n}", name=f"品牌{n}")
    return brand


@pytest.mark.parametrize("size", [1, 6])
def test_lists_and_the_trim_card_run_a_fixed_number_of_queries(client, admin_a, size, django_assert_max_num_queries):
    # given a catalogue of `size` series and brands, colours and options on every trim
    brand = _catalogue_of(size)
    trim = Trim.objects.filter(series__brand=brand).first()
    client.force_login(admin_a)
    # when the brand list, the series list and the trim card (with its edit sections) are opened
    with django_assert_max_num_queries(MAX_QUERIES["brands"]):
        brands = client.get(reverse("catalog_brand_list"))
    with django_assert_max_num_queries(MAX_QUERIES["series"]):
        series = client.get(reverse("catalog_series_list", args=[brand.pk]))
    with django_assert_max_num_queries(MAX_QUERIES["trim"]):
        card = client.get(reverse("catalog_trim_detail", args=[trim.pk]))
    # then each is complete
    assert brands.status_code == series.status_code == card.status_code == 200
    assert _html(brands).count('data-testid="brand-row"') == size + 1
    assert _html(series).count('data-testid="trim-row"') == 2 * size
    assert 'data-testid="colour-form"' in _html(card) and 'data-testid="option-form"' in _html(card)
