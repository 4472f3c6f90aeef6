"""The access log's kinds gain `lookup`: a duplicate check, an import's dedup or a search that matched personal data
against what is stored (docs/decisions/0013). Only the choices change: no SQL on either database (Django leaves
`choices` out of the schema), so the append-only triggers of 0002 stay as they are, and reversing it is as safe."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_customer"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accesslog",
            name="kind",
            field=models.CharField(
                choices=[("reveal", "Reveal"), ("export", "Export"), ("lookup", "Lookup")],
                max_length=20,
                verbose_name="kind",
            ),
        ),
    ]
