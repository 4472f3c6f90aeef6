# The single energy type is gone: `energy_types` is the one copy (issue #10.7).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0010_purchaseneed_energy_types_data"),
    ]

    operations = [
        migrations.RemoveField(model_name="purchaseneed", name="energy_type"),
    ]
