# The customer's next follow-up is the earliest open follow-up of any kind (issue #10.7); before, only the regular
# sales calls set it, so customers with open post-delivery or care calls showed none. Recomputed once here; the
# services keep it since (customers.services.customer_refresh_next_follow_up). Going back leaves the values.

from django.db import migrations
from django.db.models import OuterRef, Subquery


def forwards(apps, schema_editor):
    Customer = apps.get_model("customers", "Customer")
    FollowUp = apps.get_model("customers", "FollowUp")
    earliest = FollowUp.objects.filter(customer=OuterRef("pk"), status="open").order_by("due_at").values("due_at")[:1]
    Customer.objects.update(next_follow_up_at=Subquery(earliest))


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0011_remove_purchaseneed_energy_type"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
