"""Lead sources (issue #10.13): each dealer group's list, extended by its store administrators; customers keep a code
validated against the active list; an import never rejects a row for its source."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from dealerdesk.core.errors import NotPermitted
from dealerdesk.core.models import AuditEntry
from dealerdesk.customers import lead_sources, services
from dealerdesk.customers.models import Customer, LeadSource
from dealerdesk.imports.models import ImportRowError, ImportRowWarning
from tests.customers.factories import CustomerFactory
from tests.factories import DealerGroupFactory, StoreFactory
from tests.imports import import_file, write_csv

pytestmark = pytest.mark.django_db

PAGE = "/settings/lead-sources/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin(store_a, make_staff):
    return make_staff("store_admin", store_a, language="zh-hans")


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a)


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, language="zh-hans")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------- the list and the customers' codes


def test_a_group_starts_with_the_default_sources_and_keeps_the_first_versions_codes(store_a):
    codes = [s.code for s in lead_sources.lead_sources_of(store_a.group_id)]
    assert codes[:4] == ["walk_in", "phone_in", "website", "douyin"]
    assert {
        "xiaohongshu",
        "dongchedi",
        "yiche",
        "autohome",
        "referral",
        "auto_show",
        "oem_lead",
        "wechat",
        "other",
    } <= (set(codes))
    names = {s.code: s.name for s in lead_sources.lead_sources_of(store_a.group_id)}
    assert (names["douyin"], names["referral"], names["other"]) == ("抖音", "老客户转介绍", "其他")


def test_a_customer_takes_an_active_source_of_the_group_and_nothing_else(store_a, consultant):
    customer = services.customer_create(
        actor=consultant, store=store_a, name="抖音客", mobile="13800138001", source="douyin"
    )
    assert customer.source == "douyin"

    with pytest.raises(ValidationError) as refused:
        services.customer_create(actor=consultant, store=store_a, name="电视客", mobile="13800138002", source="tv")
    assert "source" in refused.value.message_dict
    assert not Customer.objects.filter(name="电视客").exists()


def test_a_switched_off_source_is_refused_for_new_customers_but_kept_by_those_who_have_it(store_a, consultant, admin):
    customer = CustomerFactory(store=store_a, owner=consultant, source="wechat")
    lead_sources.ensure_lead_sources(store_a.group_id)
    wechat = LeadSource.objects.get(group=store_a.group, code="wechat")
    lead_sources.lead_source_update(
        actor=admin, store=store_a, source=wechat, name="微信", name_en="WeChat", is_active=False, position=5
    )

    # a new customer may not take it
    with pytest.raises(ValidationError):
        services.customer_create(actor=consultant, store=store_a, name="新客", mobile="13800138003", source="wechat")
    # the customer who has it keeps it through an edit, and shows its name
    services.customer_update(actor=consultant, customer=customer, source="wechat", city="深圳")
    customer.refresh_from_db()
    assert (customer.source, customer.city) == ("wechat", "深圳")
    assert customer.source_label == "微信"
    # but may not be moved to a code that is not in the list
    with pytest.raises(ValidationError):
        services.customer_update(actor=consultant, customer=customer, source="nonsense")


def test_each_group_has_its_own_list(store_a, admin):
    other_store = StoreFactory(group=DealerGroupFactory(code="other", name="别的集团"), code="far")
    lead_sources.lead_source_create(actor=admin, store=store_a, name="车友会")
    assert any(s.name == "车友会" for s in lead_sources.lead_sources_of(store_a.group_id))
    assert not any(s.name == "车友会" for s in lead_sources.lead_sources_of(other_store.group_id))


# ---------------------------------------------------------------- the administrator's page


def test_the_store_admin_adds_renames_and_switches_off_sources_on_the_page(store_a, store_b, admin, consultant):
    client = _client(admin)
    page = client.get(PAGE)
    assert page.status_code == 200 and "抖音" in page.content.decode()

    # when the admin adds a source
    response = client.post(PAGE, {"action": "add", "store": store_a.code, "name": "车友会", "name_en": "Car club"})
    assert response.status_code == 302
    added = LeadSource.objects.get(group=store_a.group, name="车友会")
    assert added.code == "car_club" and added.is_active
    assert AuditEntry.objects.filter(action="lead_source.created", target_id=str(added.pk)).exists()
    # every store of the group offers it at once: a consultant of store B can give it to a customer
    staff_b = consultant
    staff_b.memberships.create(store=store_b, role="consultant")
    customer = services.customer_create(
        actor=staff_b, store=store_b, name="车友", mobile="13800138004", source="car_club"
    )
    assert customer.source_label == "车友会"

    # when they rename it, the customer shows the new name (the code stays)
    response = client.post(
        PAGE,
        {"store": store_a.code, "source": added.pk, "name": "车友俱乐部", "name_en": "Car club", "position": "5",
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    customer = Customer.objects.select_related("store").get(pk=customer.pk)
    assert customer.source == "car_club" and customer.source_label == "车友俱乐部"
    # and it comes first in the list offered on the new-customer page (display order 5)
    form_page = _client(consultant).get(reverse("customer_create"))
    assert form_page.context["form"].fields["source"].choices[0] == ("car_club", "车友俱乐部")

    # when they switch it off: still listed (customers use it), no longer offered
    response = client.post(
        PAGE, {"store": store_a.code, "source": added.pk, "name": "车友俱乐部", "name_en": "", "position": "5"}
    )
    assert response.status_code == 302
    assert LeadSource.objects.filter(pk=added.pk, is_active=False).exists()
    form_page = _client(consultant).get(reverse("customer_create"))
    assert "car_club" not in dict(form_page.context["form"].fields["source"].choices)
    page = client.get(PAGE)
    row = next(r for r in page.context["rows"] if r["source"].pk == added.pk)
    assert row["used"] == 1


def test_walk_in_cannot_be_switched_off_and_names_are_unique_with_messages_in_chinese(store_a, admin):
    client = _client(admin)
    lead_sources.ensure_lead_sources(store_a.group_id)
    walk_in = LeadSource.objects.get(group=store_a.group, code="walk_in")
    response = client.post(
        PAGE, {"store": store_a.code, "source": walk_in.pk, "name": "自然进店", "name_en": "Walk-in", "position": "10"}
    )
    assert response.status_code == 400
    assert "不能停用" in response.content.decode() or "始终" in response.content.decode()
    assert LeadSource.objects.get(pk=walk_in.pk).is_active

    response = client.post(PAGE, {"action": "add", "store": store_a.code, "name": "抖音", "name_en": ""})
    assert response.status_code == 400
    assert "已有" in response.content.decode()
    assert LeadSource.objects.filter(group=store_a.group, name="抖音").count() == 1

    response = client.post(PAGE, {"action": "add", "store": store_a.code, "name": "  ", "name_en": ""})
    assert response.status_code == 400


def test_only_store_administrators_reach_the_page_or_change_the_list(store_a, consultant, manager):
    assert _client(consultant).get(PAGE).status_code == 404
    assert _client(manager).post(PAGE, {"action": "add", "name": "车友会"}).status_code == 404
    with pytest.raises(NotPermitted):
        lead_sources.lead_source_create(actor=manager, store=store_a, name="车友会")
    assert not LeadSource.objects.filter(name="车友会").exists()


# ---------------------------------------------------------------- API


def test_the_api_lists_the_sources_and_validates_a_customers_source(store_a, consultant, admin):
    lead_sources.lead_source_create(actor=admin, store=store_a, name="车友会", name_en="Car club")
    api = APIClient()
    api.force_authenticate(user=consultant)

    listed = api.get("/api/v1/lead-sources/", HTTP_ACCEPT_LANGUAGE="en")
    assert listed.status_code == 200
    by_code = {row["code"]: row for row in listed.json()}
    assert by_code["douyin"]["label"] == "Douyin" and by_code["car_club"]["name"] == "车友会"
    assert by_code["walk_in"]["is_active"] and by_code["walk_in"]["group"] == store_a.group_id
    assert api.get("/api/v1/lead-sources/", {"store": "x"}).status_code == 400
    assert api.get("/api/v1/lead-sources/", {"store": "999999"}).status_code == 404

    created = api.post(
        "/api/v1/customers/", {"name": "甲", "mobile": "13800138005", "source": "car_club"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["source"] == "car_club"
    refused = api.post(
        "/api/v1/customers/",
        {"name": "乙", "mobile": "13800138006", "source": "tv"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert refused.status_code == 400 and "source" in refused.json()
    assert not Customer.objects.filter(name="乙").exists()
    # the list filter takes any code of the group
    assert [c["id"] for c in api.get("/api/v1/customers/", {"source": "car_club"}).json()["results"]] == [
        created.json()["id"]
    ]


# ---------------------------------------------------------------- import


def test_an_import_maps_known_sources_and_keeps_an_unknown_one_as_other_with_a_warning(
    tmp_path, store_a, manager, admin, django_capture_on_commit_callbacks
):
    lead_sources.lead_source_create(actor=admin, store=store_a, name="车友会")
    rows = [
        ["抖音客", "13800138010", "抖音"],
        ["小红书客", "13800138011", "小红书"],
        ["车友", "13800138012", "车友会"],  # added by the administrator
        ["朋友圈客", "13800138013", "朋友圈广告"],  # none of the list
        ["老客", "13800138014", "老客户转介绍"],
        ["空白", "13800138015", ""],
    ]
    path = write_csv(tmp_path / "sources.csv", ["姓名", "手机", "来源"], rows)

    # the dry run already says it; nothing is written
    dry = import_file(manager, store_a, path, django_capture_on_commit_callbacks, dry_run=True)
    assert (dry.created, dry.rejected, dry.warned) == (6, 0, 1) and not Customer.objects.exists()

    job = import_file(manager, store_a, path, django_capture_on_commit_callbacks)
    assert (job.created, job.rejected, job.warned) == (6, 0, 1)
    assert not ImportRowError.objects.filter(job=job).exists()
    found = dict(Customer.objects.filter(store=store_a).values_list("name", "source"))
    assert found == {
        "抖音客": "douyin",
        "小红书客": "xiaohongshu",
        "车友": LeadSource.objects.get(name="车友会").code,
        "朋友圈客": "other",
        "老客": "referral",
        "空白": "walk_in",
    }
    other = Customer.objects.get(name="朋友圈客")
    assert other.source_detail == "朋友圈广告"
    warning = ImportRowWarning.objects.get(job=job)
    assert (warning.row_number, warning.field, warning.column) == (5, "source", "来源")
    assert "朋友圈广告" in warning.reason and "其他" in warning.reason

    # the job page shows the warning in the uploader's language; the customer card shows the text given
    page = _client(manager).get(reverse("import_detail", args=[job.pk]))
    html = page.content.decode()
    assert 'data-testid="import-warnings"' in html and "朋友圈广告" in html and 'data-testid="count-warned"' in html
    card = _client(manager).get(reverse("customer_detail", args=[other.pk])).content.decode()
    assert "其他 (朋友圈广告)" in card
