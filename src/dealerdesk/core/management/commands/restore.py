"""Restore a backup made by `dealerdesk backup`, then prove it: counts, triggers, documents, keys.

Refused before anything is touched when: the backup does not match its manifest's SHA-256, it is of the other
database kind, it holds migrations this code does not have (newer code), the keys here cannot read its encrypted
fields, the target is in use (SQLite: another process has the file open; PostgreSQL: other sessions are
connected), or the target is not empty and --force was not given.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from dealerdesk.core import backup


class Command(BaseCommand):
    help = (
        "Restore a DealerDesk backup into the configured database (or --database-url), after checking it fits the "
        "code and the encryption keys here; verifies the restored data against the manifest."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("backup", help="the backup file (its .manifest.json must be beside it)")
        parser.add_argument("--database", default="default", help="the database alias in settings (default: default)")
        parser.add_argument(
            "--database-url", help="restore into this database instead (postgres://… or sqlite:////path)"
        )
        parser.add_argument("--force", action="store_true", help="replace a database that is not empty")
        parser.add_argument(
            "--no-key-check",
            action="store_true",
            help="restore even though the keys here cannot read the encrypted fields (they stay unreadable)",
        )
        parser.add_argument("--pg-bin", help="directory holding pg_restore (default: PATH, /usr/lib/postgresql/*/bin)")

    def handle(self, *args, **options):
        try:
            self._restore(Path(options["backup"]), options)
        except backup.BackupError as exc:
            raise CommandError(f"Restore refused · 恢复未完成: {exc}") from None

    def _restore(self, path: Path, options) -> None:
        manifest = backup.read_manifest(path)
        db = backup.database_settings(options["database"], options["database_url"])
        vendor = backup.vendor_of(db)
        self.stdout.write(f"restore of {path} into the {backup.describe(db)}")
        self.stdout.write(
            f"  backup of {manifest['created_at']}, DealerDesk {manifest['dealerdesk_version']}, "
            f"{manifest['database']['vendor']}, {len(manifest['row_counts'])} tables, {manifest['total_rows']} rows"
        )
        if backup.file_sha256(path) != manifest["file"]["sha256"]:
            raise backup.BackupError(f"{path} does not match the SHA-256 in its manifest: it is damaged or replaced.")
        if manifest["database"]["vendor"] != vendor:
            raise backup.BackupError(
                f"this is a {manifest['database']['vendor']} backup; the target is {vendor}. Restore into the same "
                "kind of database (moving between SQLite and PostgreSQL is a data migration, not a restore)."
            )
        refusals, warnings = backup.migration_problems(manifest)
        if refusals:
            raise backup.BackupError(
                f"the backup is from newer code (DealerDesk {manifest['dealerdesk_version']}): it holds migrations "
                f"this code does not have — {'; '.join(refusals)}. Install that DealerDesk version (or newer), then "
                "restore."
            )
        for warning in warnings:
            self.stdout.write(self.style.WARNING(f"  note: {warning}"))
        key_problems = backup.check_keys(manifest)
        if key_problems and not options["no_key_check"]:
            raise backup.BackupError(
                "the encryption keys in this environment do not fit the backup: "
                + "; ".join(key_problems)
                + ". Set the keys of the installation the backup came from (they are never in a backup), or add "
                "--no-key-check to restore with those fields unreadable."
            )
        if key_problems:
            self.stdout.write(self.style.WARNING(f"  keys do not fit, restoring anyway: {'; '.join(key_problems)}"))
        else:
            ids = ", ".join(manifest["keys"].get("field_key_ids", [])) or "no encrypted values"
            self.stdout.write(f"  keys here fit the backup (field key ids: {ids})")

        self._close_own_connections(db)
        if vendor == "sqlite":
            backup.sqlite_restore(path, db, force=options["force"])
            tool = "SQLite backup API"
        else:
            tool = backup.pg_restore(path, db, manifest, force=options["force"], pg_bin=options["pg_bin"])
        self.stdout.write(f"  restored with {tool}")

        checked = backup.verify_restored(db, manifest, decrypt=not key_problems)
        self.stdout.write(
            f"  checked: migration state, {checked['tables']} tables with {checked['rows']} rows as in the manifest, "
            f"{checked['triggers']} triggers (append-only audit, frozen contracts), "
            f"{checked['documents']} stored PDFs against their SHA-256"
        )
        if checked["decrypted"]:
            self.stdout.write(f"  decrypted {checked['decrypted']} with the keys here")
        elif not key_problems:
            self.stdout.write("  no encrypted value in the data: the key check value of the manifest was used")
        if checked["pending"]:
            self.stdout.write(
                self.style.WARNING(
                    f"  {len(checked['pending'])} migration(s) of this code are not applied to the backup's data: "
                    "run `dealerdesk migrate` before starting DealerDesk"
                )
            )
        self.stdout.write(self.style.SUCCESS("restore complete · 恢复完成"))

    def _close_own_connections(self, db: dict) -> None:
        """This process's own connections to the target would count as "in use"."""
        for conn in connections.all(initialized_only=True):
            if str(conn.settings_dict.get("NAME")) == str(db["NAME"]) and conn.vendor == backup.vendor_of(db):
                conn.close()
