# The post-delivery calls planned for the care specialist before follow-ups carried a role (issue #10): mark them as
# the care desk's, so they are on its queue whoever they were given to. Reversible (the marks are taken off).

from django.db import migrations


def mark(apps, schema_editor):
    FollowUp = apps.get_model("customers", "FollowUp")
    DeliveryFollowUp = apps.get_model("deliveries", "DeliveryFollowUp")
    ids = DeliveryFollowUp.objects.filter(role="care_specialist").values("follow_up_id")
    FollowUp.objects.filter(pk__in=ids, role="").update(role="care_specialist")


def unmark(apps, schema_editor):
    FollowUp = apps.get_model("customers", "FollowUp")
    DeliveryFollowUp = apps.get_model("deliveries", "DeliveryFollowUp")
    ids = DeliveryFollowUp.objects.filter(role="care_specialist").values("follow_up_id")
    FollowUp.objects.filter(pk__in=ids, role="care_specialist").update(role="")


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_call_scripts"),
        ("customers", "0006_followup_care_call"),
        ("deliveries", "0005_promised_gift_backfill"),
    ]

    operations = [migrations.RunPython(mark, unmark)]
