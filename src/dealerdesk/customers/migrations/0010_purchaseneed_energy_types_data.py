# Fills the new list: the needs a needs analysis wrote take the analysis's energy types (the old field kept only one,
# and none when the customer considered several); the others take their single type. Reversible: going back keeps
# the type when there is exactly one.

from django.db import migrations


def forwards(apps, schema_editor):
    PurchaseNeed = apps.get_model("customers", "PurchaseNeed")
    NeedsAssessment = apps.get_model("showroom", "NeedsAssessment")
    from_analysis = dict(
        NeedsAssessment.objects.filter(purchase_need__isnull=False).values_list("purchase_need_id", "energy_types")
    )
    for need in PurchaseNeed.objects.only("pk", "energy_type").iterator(chunk_size=2000):
        types = from_analysis.get(need.pk) or ([need.energy_type] if need.energy_type else [])
        if types:
            PurchaseNeed.objects.filter(pk=need.pk).update(energy_types=list(types))


def backwards(apps, schema_editor):
    PurchaseNeed = apps.get_model("customers", "PurchaseNeed")
    for need in PurchaseNeed.objects.only("pk", "energy_types").iterator(chunk_size=2000):
        types = need.energy_types or []
        PurchaseNeed.objects.filter(pk=need.pk).update(energy_type=types[0] if len(types) == 1 else "")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_purchaseneed_energy_types"),
        ("showroom", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
