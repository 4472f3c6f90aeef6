"""Security review fixes in deliveries: gifts by hand above the consultant's discount authority need a sales manager;
the photo audit keeps no device file name; a gift rule names only a promotion of the store or of its own group."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from dealerdesk.core.errors import NotPermitted
from dealerdesk.core.models import AuditEntry
from dealerdesk.deliveries import services
from dealerdesk.deliveries.models import DeliveryGift, GiftRule
from dealerdesk.offers.models import OfferPolicy
from tests.deliveries.factories import D, GiftItemFactory, booked, prepared
from tests.factories import DealerGroupFactory, StoreFactory
from tests.offers.helpers import promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultant(store_a, make_staff):
    return make_staff("consultant", store_a, full_name="王磊")


@pytest.fixture
def clerk(store_a, make_staff):
    return make_staff("admin_clerk", store_a, full_name="李娜")


@pytest.fixture
def manager(store_a, make_staff):
    return make_staff("sales_manager", store_a, full_name="张伟")


@pytest.fixture
def delivery(store_a, consultant):
    return booked(store_a, consultant)


@pytest.fixture
def fridge(store_a):
    return GiftItemFactory(store=store_a, name="车载冰箱", unit_value=D("800.00"), stock=30)


# ---------------------------------------------------------------- gifts above the consultant's authority


def test_a_consultant_cannot_give_gifts_above_the_limit_and_nothing_is_written(delivery, consultant, fridge):
    with pytest.raises(NotPermitted) as exc:
        services.delivery_gift_set(actor=consultant, delivery=delivery, gift=fridge, quantity=20)
    assert exc.value.code == "gift_value_above_limit"
    assert exc.value.extra == {"limit": "3000.00", "value": "16000.00"}
    assert "¥3,000.00" in str(exc.value.message) and "¥16,000.00" in str(exc.value.message)
    assert not DeliveryGift.objects.filter(delivery=delivery).exists()
    assert not AuditEntry.objects.filter(action="delivery.gift_set").exists()


def test_gifts_within_the_limit_pass_and_the_total_of_all_hand_gifts_counts(store_a, delivery, consultant, fridge):
    cam = GiftItemFactory(store=store_a, name="行车记录仪", unit_value=D("599.00"))
    services.delivery_gift_set(actor=consultant, delivery=delivery, gift=fridge, quantity=3)  # ¥2,400
    with pytest.raises(NotPermitted):
        services.delivery_gift_set(actor=consultant, delivery=delivery, gift=cam, quantity=2)  # ¥3,598 in all
    services.delivery_gift_set(actor=consultant, delivery=delivery, gift=cam, quantity=1)  # ¥2,999: at most ¥3,000
    assert services.hand_added_gift_value(delivery) == D("2999.00")
    assert dict(DeliveryGift.objects.filter(delivery=delivery).values_list("gift__name", "quantity")) == {
        "车载冰箱": 3,
        "行车记录仪": 1,
    }


def test_a_sales_manager_may_give_more_and_others_may_still_take_gifts_back(delivery, consultant, manager, fridge):
    services.delivery_gift_set(actor=manager, delivery=delivery, gift=fridge, quantity=20)
    assert DeliveryGift.objects.get(delivery=delivery, gift=fridge).quantity == 20
    # fewer, still above the limit: not a new gift, so the consultant may do it
    services.delivery_gift_set(actor=consultant, delivery=delivery, gift=fridge, quantity=10)
    with pytest.raises(NotPermitted):
        services.delivery_gift_set(actor=consultant, delivery=delivery, gift=fridge, quantity=11)
    assert services.delivery_gift_set(actor=consultant, delivery=delivery, gift=fridge, quantity=0) is None
    assert not DeliveryGift.objects.filter(delivery=delivery).exists()


def test_gifts_given_by_the_store_rules_do_not_count(store_a, consultant, make_staff, fridge):
    admin = make_staff("store_admin", store_a)
    sofa = GiftItemFactory(store=store_a, name="车载按摩垫", unit_value=D("2800.00"))
    services.gift_rule_create(actor=admin, gift=sofa, quantity=1, min_order_total="1")
    delivery = booked(store_a, consultant)
    ruled = DeliveryGift.objects.get(delivery=delivery, gift=sofa)
    assert ruled.rule_id is not None and services.hand_added_gift_value(delivery) == 0
    # ¥800 by hand beside the ¥2,800 of the rule: only the ¥800 counts
    services.delivery_gift_set(actor=consultant, delivery=delivery, gift=fridge, quantity=1)
    assert services.hand_added_gift_value(delivery) == D("800.00")
    # a second unit of the rule's gift is by hand: ¥3,600 in all, above the limit
    with pytest.raises(NotPermitted):
        services.delivery_gift_set(actor=consultant, delivery=delivery, gift=sofa, quantity=2)
    assert DeliveryGift.objects.get(pk=ruled.pk).quantity == 1


def test_the_store_limit_is_the_offer_policys(store_a, delivery, clerk):
    OfferPolicy.objects.create(store=store_a, discount_limit=D("500.00"))
    cam = GiftItemFactory(store=store_a, name="行车记录仪", unit_value=D("599.00"))
    with pytest.raises(NotPermitted) as exc:
        services.delivery_gift_set(actor=clerk, delivery=delivery, gift=cam, quantity=1)
    assert exc.value.extra["limit"] == "500.00" and "¥500.00" in str(exc.value.message)


def test_the_page_and_the_api_refuse_with_the_limit(client, api, store_a, delivery, consultant, clerk, fridge):
    cam = GiftItemFactory(store=store_a, name="行车记录仪", unit_value=D("599.00"))
    url = reverse("delivery_gift", args=[delivery.pk])
    client.force_login(consultant)
    refused = client.post(url, {"gift": fridge.pk, "quantity": 20})
    assert refused.status_code == 403
    assert not DeliveryGift.objects.filter(delivery=delivery).exists()
    # the clerk adds one dash cam by hand, as in the browser test
    client.force_login(clerk)
    assert client.post(url, {"gift": cam.pk, "quantity": 1}).status_code == 302
    assert DeliveryGift.objects.get(delivery=delivery).gift_id == cam.pk
    api.force_authenticate(consultant)
    answer = api.post(f"/api/v1/deliveries/{delivery.pk}/gifts/", {"gift": fridge.pk, "quantity": 20}, format="json")
    assert answer.status_code == 403
    assert answer.json()["code"] == "gift_value_above_limit" and answer.json()["limit"] == "3000.00"
    within = api.post(f"/api/v1/deliveries/{delivery.pk}/gifts/", {"gift": fridge.pk, "quantity": 3}, format="json")
    assert within.status_code == 200


# ---------------------------------------------------------------- the photo audit


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_the_photo_audit_keeps_no_file_name(settings, tmp_path, store_a, consultant, clerk):
    settings.MEDIA_ROOT = tmp_path
    delivery = prepared(store_a, consultant, clerk)
    upload = SimpleUploadedFile("陈小明的身份证.jpg", _jpeg(), content_type="image/jpeg")
    created, refused = services.photos_upload(actor=consultant, delivery=delivery, files=[upload], caption="")
    assert refused == [] and len(created) == 1
    photo = created[0]
    services.photo_delete(actor=consultant, photo=photo)
    for action in ("delivery.photo_added", "delivery.photo_deleted"):
        entry = AuditEntry.objects.get(action=action)
        assert "name" not in entry.diff and "original_name" not in entry.diff
        assert "陈小明" not in str(entry.diff)
        assert photo.pk in entry.diff["photo"] and photo.sha256 in entry.diff["sha256"]


# ---------------------------------------------------------------- gift rules and promotions


@pytest.fixture
def other_group_store(db):
    return StoreFactory(group=DealerGroupFactory(code="zz", name="另一集团"), code="other", name="他店")


def test_a_gift_rule_names_only_the_stores_or_its_groups_promotions(store_a, store_b, other_group_store, make_staff):
    admin = make_staff("store_admin", store_a)
    gift = GiftItemFactory(store=store_a, name="全车脚垫")
    own = promotion(store_a, name="本店优惠")
    group_wide = promotion(store_a, store=None, name="集团优惠")
    assert services.gift_rule_create(actor=admin, gift=gift, promotion=own).promotion_id == own.pk
    assert services.gift_rule_create(actor=admin, gift=gift, promotion=group_wide).promotion_id == group_wide.pk
    foreign_group_wide = promotion(other_group_store, store=None, name="他集团优惠")
    foreign_store = promotion(other_group_store, name="他店优惠")
    sister_store = promotion(store_b, name="B店优惠")
    for refused in (foreign_group_wide, foreign_store, sister_store):
        with pytest.raises(ValidationError) as exc:
            services.gift_rule_create(actor=admin, gift=gift, promotion=refused)
        assert "promotion" in exc.value.message_dict
    assert GiftRule.objects.filter(gift=gift).count() == 2


def test_the_api_treats_another_groups_promotion_as_missing(api, store_a, other_group_store, make_staff):
    admin = make_staff("store_admin", store_a)
    gift = GiftItemFactory(store=store_a, name="全车脚垫")
    foreign = promotion(other_group_store, store=None, name="他集团优惠")
    group_wide = promotion(store_a, store=None, name="集团优惠")
    api.force_authenticate(admin)
    url = f"/api/v1/gifts/{gift.pk}/rules/"
    missing = api.post(url, {"promotion": 987654}, format="json")
    other = api.post(url, {"promotion": foreign.pk}, format="json")
    assert missing.status_code == other.status_code == 400
    assert other.json() == missing.json() and "promotion" in other.json()
    ok = api.post(url, {"promotion": group_wide.pk}, format="json")
    assert ok.status_code == 201 and ok.json()["promotion"] == group_wide.pk
    assert list(GiftRule.objects.filter(gift=gift).values_list("promotion_id", flat=True)) == [group_wide.pk]
