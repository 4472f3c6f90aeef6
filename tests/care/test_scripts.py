"""Call scripts per store and kind of call: the default until the store writes its own; the care desk and the store
administrator edit them; bad input refused naming the field; other roles kept out."""

import pytest
from django.urls import reverse
from django.utils import timezone

from dealerdesk.care.models import CallScript
from dealerdesk.core.models import AuditEntry
from tests.care.helpers import care_call

pytestmark = pytest.mark.django_db


def test_the_store_writes_its_own_script_and_the_call_page_uses_it(client, store_a, care, owner):
    # given a general care call, and no script of the store yet
    call = care_call(store_a, customer=owner, due_at=timezone.now(), purpose="care", assignee=care)
    client.force_login(care)
    before = client.get(reverse("care_call", args=[call.pk]))
    assert before.context["script"].is_default and before.context["script"].call_type == "general"

    # when the desk writes the store's general script with placeholders
    url = reverse("care_script_edit", args=[store_a.code, "general"])
    assert client.get(url).status_code == 200
    saved = client.post(url, {"title": "一般回访", "body": "您好{customer}，我是{store}的{me}。"})

    # then it is stored, audited, listed, and the call page fills it in
    assert saved.status_code == 302
    script = CallScript.objects.get(store=store_a, call_type="general")
    assert script.updated_by_id == care.pk
    assert AuditEntry.objects.filter(action="callscript.saved", target_id=str(script.pk)).exists()
    listed = client.get(reverse("care_script_list")).content.decode()
    assert "一般回访" in listed
    after = client.get(reverse("care_call", args=[call.pk]))
    assert after.context["script_text"] == f"您好陈车主，我是{store_a.name}的孙丽。"


def test_a_script_without_title_or_text_is_refused_naming_the_fields(client, store_a, care):
    client.force_login(care)
    response = client.post(reverse("care_script_edit", args=[store_a.code, "delivery_d3"]), {"title": "", "body": " "})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"title", "body"}
    assert not CallScript.objects.exists()


def test_the_store_admin_edits_scripts_and_other_roles_do_not(client, store_a, store_b, make_staff):
    admin = make_staff("store_admin", store_a)
    client.force_login(admin)
    url = reverse("care_script_edit", args=[store_a.code, "delivery_d30"])
    assert client.post(url, {"title": "30天", "body": "问候"}).status_code == 302
    for role in ("receptionist", "consultant", "admin_clerk"):
        client.force_login(make_staff(role, store_a))
        assert client.get(reverse("care_script_list")).status_code == 403
        assert client.post(url, {"title": "x", "body": "y"}).status_code == 404
    # another store's desk does not reach this store's scripts; an unknown kind is not found
    client.force_login(make_staff("care_specialist", store_b))
    assert client.get(url).status_code == 404
    assert client.get(reverse("care_script_edit", args=[store_b.code, "nonsense"])).status_code == 404
    assert CallScript.objects.get(store=store_a).title == "30天"


def test_every_default_script_is_translated_into_chinese(client, store_a, care):
    from dealerdesk.care.choices import CallType
    from dealerdesk.care.scripts import default_script

    client.force_login(care)
    page = client.get(reverse("care_script_list"))
    assert page.status_code == 200
    from django.utils import translation

    with translation.override("zh-hans"):
        for call_type in CallType.values:
            script = default_script(call_type)
            assert any("\u4e00" <= ch <= "\u9fff" for ch in script.body), call_type
            assert "{customer}" in script.body, call_type
