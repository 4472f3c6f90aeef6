"""PostgreSQL only: exclusion constraints keep a demo car and a consultant out of two overlapping active bookings.

The car's range is [start, blocked_until) (the drive plus the store's buffer), the consultant's [start, end).
SQLite has no exclusion constraints: there the service's check-then-insert runs under the IMMEDIATE write lock.
"""

from django.db import migrations

ACTIVE = "('requested', 'confirmed', 'prepared', 'in_progress')"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE testdrives_testdrive ADD CONSTRAINT testdrive_car_no_overlap EXCLUDE USING gist "
    "(demo_car_id WITH =, tstzrange(start_at, blocked_until, '[)') WITH &&) "
    f"WHERE (status IN {ACTIVE})",
    "ALTER TABLE testdrives_testdrive ADD CONSTRAINT testdrive_consultant_no_overlap EXCLUDE USING gist "
    "(consultant_id WITH =, tstzrange(start_at, end_at, '[)') WITH &&) "
    f"WHERE (status IN {ACTIVE} AND consultant_id IS NOT NULL)",
]
BACKWARD = [
    "ALTER TABLE testdrives_testdrive DROP CONSTRAINT IF EXISTS testdrive_consultant_no_overlap",
    "ALTER TABLE testdrives_testdrive DROP CONSTRAINT IF EXISTS testdrive_car_no_overlap",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("testdrives", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
