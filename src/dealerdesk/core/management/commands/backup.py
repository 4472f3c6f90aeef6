"""Back up the database while DealerDesk runs: a file and its manifest (docs/deploy.md "Backup and restore")."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dealerdesk.core import backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online copy; PostgreSQL: pg_dump --format=custom) with a manifest beside it. "
        "Encryption keys are never written into either."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="the backup file, or a directory for a dated name (default: $DEALERDESK_VAR/backups/)",
        )
        parser.add_argument("--database", default="default", help="the database alias in settings (default: default)")
        parser.add_argument("--database-url", help="back up this database instead (postgres://… or sqlite:////path)")
        parser.add_argument("--pg-bin", help="directory holding pg_dump (default: PATH, /usr/lib/postgresql/*/bin)")
        parser.add_argument("--force", action="store_true", help="overwrite an existing backup file of that name")

    def handle(self, *args, path=None, database="default", database_url=None, pg_bin=None, force=False, **options):
        try:
            db = backup.database_settings(database, database_url)
            vendor = backup.vendor_of(db)
            if vendor not in ("sqlite", "postgresql"):
                raise backup.BackupError(f"Backups are made of SQLite and PostgreSQL databases, not {vendor}.")
            target = self._target(path, vendor, force)
            self.stdout.write(f"backup of the {backup.describe(db)}")
            if vendor == "sqlite":
                result = backup.sqlite_backup(db, target)
            else:
                result = backup.pg_backup(db, target, pg_bin=pg_bin)
        except backup.BackupError as exc:
            raise CommandError(f"Backup refused · 备份未完成: {exc}") from None
        manifest = result.manifest
        size = manifest["file"]["size"]
        self.stdout.write(f"  made with {result.tool}")
        self.stdout.write(f"  wrote {result.path} ({size / 1e6:.1f} MB, sha256 {manifest['file']['sha256'][:16]}…)")
        self.stdout.write(
            f"  manifest {backup.manifest_path(result.path)}: {len(manifest['row_counts'])} tables, "
            f"{manifest['total_rows']} rows, migrations of {len(manifest['migrations'])} apps"
        )
        ids = ", ".join(manifest["keys"]["field_key_ids"]) or "none in use"
        self.stdout.write(
            f"  keys are NOT in the backup (field key ids: {ids}): keep DEALERDESK_FIELD_KEYS and "
            "DEALERDESK_BLIND_INDEX_KEY safe, apart from the backups"
        )
        self.stdout.write("  uploaded files (handover photos, imports) are under DEALERDESK_VAR/media: copy them too")
        self.stdout.write(self.style.SUCCESS("backup complete · 备份完成"))

    def _target(self, path: str | None, vendor: str, force: bool) -> Path:
        target = Path(path) if path else Path(settings.VAR_DIR) / "backups"
        if target.is_dir() or not path:
            target.mkdir(parents=True, exist_ok=True)
            target = backup.default_backup_path(target, vendor)
        if not target.parent.is_dir():
            raise backup.BackupError(f"The directory {target.parent} does not exist.")
        if target.exists() and not force:
            raise backup.BackupError(f"{target} exists: choose another name or add --force.")
        return target
