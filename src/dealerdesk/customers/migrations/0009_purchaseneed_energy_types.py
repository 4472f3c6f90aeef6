# A purchase need holds every energy type the customer considers (the needs analysis records several: PHEV and BEV),
# not one (issue #10.7). Filled from the old single field by 0010, which 0011 then removes.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_seed_lead_sources"),
    ]

    operations = [
        migrations.AddField(
            model_name="purchaseneed",
            name="energy_types",
            field=models.JSONField(blank=True, default=list, verbose_name="energy types"),
        ),
    ]
