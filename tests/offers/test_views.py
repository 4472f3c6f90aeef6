"""The offer and promotion pages: list, builder with live preview, detail with versions, decisions, PDF, admin pages."""

import datetime
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dealerdesk.core.models import Notification
from dealerdesk.offers import services
from dealerdesk.offers.models import Offer, OfferPolicy, Promotion
from dealerdesk.offers.services import OfferRequest
from tests.catalog.factories import ColourFactory, TrimFactory
from tests.customers.factories import CustomerFactory
from tests.offers.helpers import D, catalogue, promotion

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def admin(store_a, make_staff):
    return make_staff("store_admin", store_a, full_name="何军")


@pytest.fixture
def cat(store_a):
    return catalogue(store_a)


@pytest.fixture
def customer(store_a, consultant):
    return CustomerFactory(store=store_a, owner=consultant, name="陈小明", city="深圳")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make(actor, customer, cat, **fields) -> Offer:
    return services.offer_create(actor=actor, customer=customer, request=OfferRequest(trim_id=cat.trim.pk, **fields))


def builder_post(customer, cat, **extra) -> dict:
    data = {"customer": str(customer.pk), "trim": str(cat.trim.pk), "rendered_trim": str(cat.trim.pk), "city": "深圳"}
    data.update(extra)
    return data


# ---------------------------------------------------------------- list


def test_consultant_sees_own_offers_and_manager_the_store(
    store_a, store_b, consultant, manager, customer, cat, make_staff, django_assert_max_num_queries
):
    # given offers of two consultants and of another store
    other = make_staff("consultant", store_a)
    make(consultant, customer, cat)
    make(other, CustomerFactory(store=store_a, owner=other, name="李四"), cat)
    cat_b = catalogue(store_b)
    seller_b = make_staff("consultant", store_b)
    make(seller_b, CustomerFactory(store=store_b, owner=seller_b, name="外店客户"), cat_b)
    # when each opens the list
    client = client_for(consultant)
    with django_assert_max_num_queries(8):
        mine = client.get(reverse("offer_list"))
    theirs = client_for(manager).get(reverse("offer_list")).content.decode()
    # then the consultant sees only theirs, the manager the store's
    assert mine.status_code == 200
    assert "陈小明" in mine.content.decode() and "李四" not in mine.content.decode()
    assert "陈小明" in theirs and "李四" in theirs and "外店客户" not in theirs


def test_the_list_query_count_does_not_grow_with_rows(
    store_a, consultant, customer, cat, django_assert_max_num_queries
):
    for _ in range(30):
        make(consultant, customer, cat)
    client = client_for(consultant)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("offer_list"), {"status": "draft"})
    assert response.content.decode().count('href="/offers/') >= 30


def test_roles_without_selling_do_not_get_offer_pages(store_a, make_staff, customer):
    care = client_for(make_staff("care_specialist", store_a))
    assert care.get(reverse("offer_list")).status_code == 403
    assert care.get(reverse("offer_create"), {"customer": customer.pk}).status_code == 403


# ---------------------------------------------------------------- builder


def test_the_builder_shows_eligible_and_ineligible_promotions_with_reasons_and_the_best_preselected(
    store_a, consultant, customer, cat
):
    # given a promotion that applies, one that needs a trade-in and an exclusive one worth less than the pair
    promotion(store_a, name="国庆现金", amount=D("6000.00"), stacking_group="cash")
    promotion(store_a, name="金融贴息", kind="finance_subsidy", amount=D("5000.00"), stacking_group="finance")
    promotion(store_a, name="置换补贴", requires_trade_in=True, stacking_group="trade")
    promotion(store_a, name="一口价", exclusive=True, amount=D("10000.00"))
    client = client_for(consultant)
    # when the builder recalculates for the trim (htmx)
    response = client.post(reverse("offer_preview"), builder_post(customer, cat), **HTMX)
    html = response.content.decode()
    # then every promotion is listed, the reason given, and the best pair checked
    assert response.status_code == 200
    assert "需要置换旧车" in html or "needs a trade-in" in html
    assert 'data-testid="offer-best"' in html
    assert "¥11,000.00" in html
    assert html.count("checked") == 2
    assert "¥189,000.00" in html  # 200,000 − 6,000 − 5,000


def test_a_new_trim_brings_its_colours_and_options_out_of_band(store_a, consultant, customer, cat):
    ColourFactory(trim=cat.trim, name="冰川白")
    data = builder_post(customer, cat, rendered_trim="", colour="999999")
    html = client_for(consultant).post(reverse("offer_preview"), data, **HTMX).content.decode()
    assert 'hx-swap-oob="true"' in html and "冰川白" in html and "星河蓝" in html
    assert 'data-testid="offer-errors"' not in html  # the old trim's colour was dropped, not refused


def test_a_hand_picked_illegal_pick_shows_the_error_and_keeps_the_list(store_a, consultant, customer, cat):
    a = promotion(store_a, name="A", stacking_group="cash")
    b = promotion(store_a, name="B", stacking_group="cash")
    data = builder_post(customer, cat, promotion_choice="manual", promotions=[str(a.pk), str(b.pk)])
    html = client_for(consultant).post(reverse("offer_preview"), data, **HTMX).content.decode()
    assert 'data-testid="offer-errors"' in html
    assert 'data-testid="offer-promotions"' in html
    assert 'data-testid="offer-use-best"' in html


def test_the_builder_saves_an_offer_and_opens_it(store_a, consultant, customer, cat, django_assert_max_num_queries):
    client = client_for(consultant)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("offer_create"), {"customer": customer.pk})
    assert page.status_code == 200 and "陈小明" in page.content.decode()
    data = builder_post(
        customer,
        cat,
        colour=str(cat.colour.pk),
        options=[str(cat.option.pk)],
        service_insurance="1",
        service_insurance_amount="4800",
        extra_discount="1000",
    )
    response = client.post(reverse("offer_create") + f"?customer={customer.pk}", data)
    offer = Offer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("offer_detail", args=[offer.pk])
    assert offer.current.total == D("211000.00") - D("1000.00") + D("4800.00")
    assert offer.current.lines.filter(kind="service", optional=True).count() == 1


def test_the_builder_shows_bad_input_under_the_fields_and_saves_nothing(store_a, consultant, customer, cat):
    other_colour = ColourFactory(trim=TrimFactory())
    data = builder_post(customer, cat, colour=str(other_colour.pk), extra_discount="-5")
    response = client_for(consultant).post(reverse("offer_create") + f"?customer={customer.pk}", data)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="error-colour"' in html
    assert not Offer.objects.exists()


def test_the_customer_step_lists_recent_customers_and_searches_by_post(store_a, consultant, customer):
    client = client_for(consultant)
    page = client.get(reverse("offer_create")).content.decode()
    assert "陈小明" in page and f"?customer={customer.pk}" in page
    found = client.post(reverse("offer_create"), {"q": "陈小明"}).content.decode()
    assert 'data-testid="offer-customer-results"' in found


def test_a_customer_of_another_consultant_is_not_found(store_a, make_staff, customer):
    other = make_staff("consultant", store_a)
    assert client_for(other).get(reverse("offer_create"), {"customer": customer.pk}).status_code == 404


# ---------------------------------------------------------------- detail, versions, decisions


def test_the_detail_shows_lines_versions_and_a_read_only_old_version(
    store_a, consultant, customer, cat, django_assert_max_num_queries
):
    offer = make(consultant, customer, cat, extra_discount="1000")
    services.offer_revise(
        actor=consultant, offer=offer, request=OfferRequest(trim_id=cat.trim.pk, extra_discount="2000")
    )
    client = client_for(consultant)
    with django_assert_max_num_queries(10):
        current = client.get(reverse("offer_detail", args=[offer.pk])).content.decode()
    assert "¥198,000.00" in current and 'data-testid="offer-revise"' in current
    assert 'data-testid="offer-old-version"' not in current
    with django_assert_max_num_queries(10):
        old = client.get(reverse("offer_detail", args=[offer.pk]), {"version": 1}).content.decode()
    assert "¥199,000.00" in old and 'data-testid="offer-old-version"' in old
    assert 'data-testid="offer-revise"' not in old


def test_a_manager_approves_from_the_page_and_the_consultant_is_notified(store_a, consultant, manager, customer, cat):
    offer = make(consultant, customer, cat, extra_discount="5000")
    page = client_for(manager).get(reverse("offer_detail", args=[offer.pk])).content.decode()
    assert 'data-testid="offer-approve"' in page
    assert (
        'data-testid="offer-approve"'
        not in client_for(consultant).get(reverse("offer_detail", args=[offer.pk])).content.decode()
    )
    response = client_for(manager).post(reverse("offer_approve", args=[offer.pk]), {"note": "同意"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == "approved"
    assert Notification.objects.filter(recipient_user=consultant, kind="offer.approved").exists()


def test_refusing_without_a_reason_is_shown_and_changes_nothing(store_a, consultant, manager, customer, cat):
    offer = make(consultant, customer, cat, extra_discount="5000")
    client = client_for(manager)
    response = client.post(reverse("offer_refuse", args=[offer.pk]), {"note": ""}, follow=True)
    assert "Say why" in response.content.decode() or "说明" in response.content.decode()
    assert Offer.objects.get(pk=offer.pk).status == "pending_approval"
    client.post(reverse("offer_refuse", args=[offer.pk]), {"note": "太低"})
    assert Offer.objects.get(pk=offer.pk).status == "refused"


def test_a_consultant_posting_approve_is_refused(store_a, consultant, customer, cat):
    offer = make(consultant, customer, cat, extra_discount="5000")
    client_for(consultant).post(reverse("offer_approve", args=[offer.pk]))
    assert Offer.objects.get(pk=offer.pk).status == "pending_approval"


def test_accept_and_revise_from_the_pages(store_a, consultant, customer, cat):
    offer = make(consultant, customer, cat)
    client = client_for(consultant)
    page = client.get(reverse("offer_revise", args=[offer.pk]))
    assert page.status_code == 200 and 'data-testid="offer-builder"' in page.content.decode()
    client.post(reverse("offer_revise", args=[offer.pk]), builder_post(customer, cat, extra_discount="500"))
    offer.refresh_from_db()
    assert offer.current.number == 2
    client.post(reverse("offer_accept", args=[offer.pk]))
    assert Offer.objects.get(pk=offer.pk).status == "accepted"
    response = client.get(reverse("offer_revise", args=[offer.pk]))
    assert response.status_code == 302


def test_another_stores_offer_is_not_found(store_a, store_b, consultant, customer, cat, make_staff):
    offer = make(consultant, customer, cat)
    outsider = client_for(make_staff("sales_manager", store_b))
    assert outsider.get(reverse("offer_detail", args=[offer.pk])).status_code == 404
    assert outsider.get(reverse("offer_pdf", args=[offer.pk])).status_code == 404
    assert outsider.post(reverse("offer_approve", args=[offer.pk])).status_code == 404


def test_the_pdf_shows_the_store_customer_trim_lines_and_total(store_a, consultant, customer, cat, tmp_path):
    promotion(store_a, name="国庆现金优惠", amount=D("6000.00"))
    offer = make(consultant, customer, cat, services=({"kind": "insurance", "amount": "4800"},))
    response = client_for(consultant).get(reverse("offer_pdf", args=[offer.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "offer.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "陈小明" in text
    assert str(store_a.name) in text
    assert "国庆现金优惠" in text
    assert "¥198,800.00" in text  # 200,000 − 6,000 + 4,800
    assert offer.current.total == D("198800.00")


# ---------------------------------------------------------------- promotions and offer rules


def test_store_admins_list_create_and_edit_promotions(store_a, admin, django_assert_max_num_queries):
    client = client_for(admin)
    for i in range(5):
        promotion(store_a, name=f"活动{i}")
    with django_assert_max_num_queries(10):
        page = client.get(reverse("promotion_list"))
    assert page.status_code == 200 and "活动4" in page.content.decode()
    today = timezone.localdate()
    data = {
        "store": str(store_a.pk),
        "name": "双十一",
        "kind": "cash_discount",
        "amount": "3000",
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=5)).isoformat(),
        "stacking_group": "cash",
        "is_active": "on",
    }
    assert client.post(reverse("promotion_create"), data).status_code == 302
    p = Promotion.objects.get(name="双十一")
    assert p.amount == D("3000.00")
    data.update(amount="3500")
    assert client.post(reverse("promotion_edit", args=[p.pk]), data).status_code == 302
    p.refresh_from_db()
    assert p.amount == D("3500.00")


@pytest.mark.usefixtures("shanghai_clock")
def test_a_promotion_ending_before_it_starts_is_refused_on_the_form(store_a, admin):
    today = timezone.localdate()
    data = {
        "store": str(store_a.pk),
        "name": "倒序",
        "kind": "cash_discount",
        "amount": "3000",
        "starts_on": today.isoformat(),
        "ends_on": (today - datetime.timedelta(days=1)).isoformat(),
        "stacking_group": "cash",
    }
    response = client_for(admin).post(reverse("promotion_create"), data)
    assert response.status_code == 400
    assert 'data-testid="error-ends_on"' in response.content.decode()
    assert not Promotion.objects.exists()


def test_consultants_do_not_manage_promotions(store_a, consultant):
    client = client_for(consultant)
    assert client.get(reverse("promotion_list")).status_code == 403
    assert client.get(reverse("promotion_create")).status_code == 403


def test_store_admin_changes_the_discount_limit(store_a, admin, consultant):
    client = client_for(admin)
    url = reverse("offer_settings", args=[store_a.code])
    assert client.get(url).status_code == 200
    assert client.post(url, {"discount_limit": "-5", "validity_days": "7"}).status_code == 400
    assert client.post(url, {"discount_limit": "5000", "validity_days": "7"}).status_code == 302
    assert OfferPolicy.objects.get(store=store_a).discount_limit == D("5000.00")
    assert client_for(consultant).get(url).status_code == 404
