"""`make restore`: a backup into a freshly created, empty PostgreSQL database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from hubnet import backups


class Command(BaseCommand):
    help = "Restore a backup (make backup) into the empty database DATABASE_URL names."

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, help="The backup file.")

    def handle(self, *args, file, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Backups are of PostgreSQL (set DATABASE_URL).")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No backup at {path}.")
        if not backups.is_empty():
            raise CommandError(
                "The database is not empty. Restore into a freshly created database (createdb), "
                "then point DATABASE_URL at it: a restore never overwrites records."
            )
        backups.restore(path)
        mark = backups.fingerprint()
        self.stdout.write(
            f"Restored {path}: {sum(mark['tables'].values()):,} rows in "
            f"{len(mark['tables'])} tables; access log sha256 {mark['access_log_sha256']}."
        )
