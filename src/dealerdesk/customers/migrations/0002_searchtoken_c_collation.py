"""Search tokens compare byte-wise on PostgreSQL too, so a prefix range scan is exact and uses the index.

SQLite's default BINARY collation already does; a linguistic PostgreSQL collation (en_US.UTF-8, zh_CN.UTF-8)
would not. Vendor-conditional: nothing happens on SQLite.
"""

from django.db import migrations


def to_c_collation(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE customers_searchtoken ALTER COLUMN token TYPE varchar(40) COLLATE "C"')


def to_default_collation(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE customers_searchtoken ALTER COLUMN token TYPE varchar(40) COLLATE "default"')


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(to_c_collation, to_default_collation)]
