"""The database itself refuses to change a signed contract.

Once a contract row is `signed`, an UPDATE that changes any of its frozen columns is refused on both databases
(the customer link may still move: merging duplicate customers). Deleting a signed contract is refused too.
"""

from django.db import migrations

TABLE = "sales_contract"
FROZEN = [
    "store_id",
    "order_id",
    "number",
    "version",
    "amends_id",
    "template_version_id",
    "status",
    "body",
    "data",
    "total",
    "deposit_amount",
    "amendment_reason",
    "amendment_changes",
    "filled_at",
    "submitted_at",
    "customer_signed_name",
    "customer_signed_at",
    "customer_signature",
    "consultant_signed_by_id",
    "consultant_signed_at",
    "manager_signed_by_id",
    "manager_signed_at",
    "signed_at",
    "pdf",
    "sha256",
    "created_by_id",
    "created_at",
]
MESSAGE = "a signed contract is frozen"


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        changed = " OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in FROZEN)
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {TABLE}_frozen() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF OLD.status = 'signed' THEN
                        RAISE EXCEPTION '{MESSAGE}';
                    END IF;
                    RETURN OLD;
                END IF;
                IF OLD.status = 'signed' AND ({changed}) THEN
                    RAISE EXCEPTION '{MESSAGE}';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
            """
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_frozen BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_frozen();"
        )
    elif vendor == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_frozen_update BEFORE UPDATE ON {TABLE} "
            f"WHEN OLD.status = 'signed' AND ({changed}) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_frozen_delete BEFORE DELETE ON {TABLE} "
            f"WHEN OLD.status = 'signed' BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
        )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_frozen ON {TABLE};")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_frozen();")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_frozen_update;")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_frozen_delete;")


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_contracts_payments")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
