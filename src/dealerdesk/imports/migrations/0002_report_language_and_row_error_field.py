"""Issue #11.13: a job remembers the language of whoever started its run, and a rejected row the importer's field,
so that the report (page and workbook) is written in one language. Both columns are blank on older rows: the run
then falls back to the uploader's language, the report to the file's column (docs in imports/services.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="language",
            field=models.CharField(blank=True, editable=False, max_length=10, verbose_name="language of the report"),
        ),
        migrations.AddField(
            model_name="importrowerror",
            name="field",
            field=models.CharField(blank=True, max_length=40, verbose_name="field"),
        ),
    ]
