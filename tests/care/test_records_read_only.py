"""The care desk reads the deliveries and test drives of its store (the customer page links them; they answered 404
before) but acts on none of them."""

import pytest
from django.urls import reverse

from dealerdesk.deliveries.models import Delivery
from dealerdesk.testdrives.models import TestDrive
from tests.deliveries.factories import booked
from tests.testdrives.factories import DemoCarFactory, TestDriveFactory

pytestmark = pytest.mark.django_db


def test_care_opens_the_stores_delivery_read_only(client, api, store_a, store_b, care, consultant, clerk, make_staff):
    # given a booked delivery of the consultant's customer, and one of another store
    delivery = booked(store_a, consultant)
    other = booked(store_b, make_staff("consultant", store_b))
    client.force_login(care)

    # when the care specialist opens it (as linked from the customer page)
    page = client.get(reverse("delivery_detail", args=[delivery.pk]))

    # then it shows, without any of the delivery's actions
    assert page.status_code == 200
    for flag in ("may_prepare", "may_mark_prepared", "may_reschedule", "may_gift", "may_handover", "may_confirm"):
        assert not page.context[flag], flag
    assert not page.context["may_add_photos"]
    html = page.content.decode()
    assert reverse("delivery_reschedule", args=[delivery.pk]) not in html
    assert reverse("delivery_pdi", args=[delivery.pk]) not in html

    # and the actions themselves are refused, nothing changed
    refused = client.post(reverse("delivery_reschedule", args=[delivery.pk]), {"day": "2030-01-02", "time": "10:00"})
    assert refused.status_code == 403
    assert (
        client.post(reverse("delivery_pdi", args=[delivery.pk]), {"code": "exterior", "result": "passed"}).status_code
        == 403
    )
    assert Delivery.objects.get(pk=delivery.pk).scheduled_at == delivery.scheduled_at

    # and the API reads it too; another store's stays hidden
    api.force_login(care)
    assert api.get(f"/api/v1/deliveries/{delivery.pk}/").status_code == 200
    # an action's lookup does not find the delivery for the care desk
    assert api.post(f"/api/v1/deliveries/{delivery.pk}/pdi/", {"item": "exterior", "passed": True}).status_code == 404
    assert client.get(reverse("delivery_detail", args=[other.pk])).status_code == 404


def test_care_opens_the_stores_test_drive_read_only(client, api, store_a, store_b, care, consultant, make_staff):
    # given a requested test drive in the store and one in another store
    from tests.customers.factories import CustomerFactory

    customer = CustomerFactory(store=store_a, owner=consultant)
    drive = TestDriveFactory(customer=customer, consultant=consultant, demo_car=DemoCarFactory(store_a))
    other = TestDriveFactory(customer=CustomerFactory(store=store_b))
    client.force_login(care)

    # when the care specialist opens it
    page = client.get(reverse("testdrive_detail", args=[drive.pk]))

    # then it shows with no step offered
    assert page.status_code == 200
    assert not any(page.context["may"].values()), page.context["may"]

    # and a step is refused, nothing changed
    refused = client.post(reverse("testdrive_step", args=[drive.pk, "confirm"]), follow=True)
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert TestDrive.objects.get(pk=drive.pk).status == "requested"
    api.force_login(care)
    assert api.get(f"/api/v1/test-drives/{drive.pk}/").status_code == 200
    assert api.post(f"/api/v1/test-drives/{drive.pk}/confirm/").status_code == 403
    assert client.get(reverse("testdrive_detail", args=[other.pk])).status_code == 404
