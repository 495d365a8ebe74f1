"""`make backup`: the PostgreSQL database to a pg_dump custom-format file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from hubnet import backups


class Command(BaseCommand):
    help = "Back the PostgreSQL database up (pg_dump --format=custom) and print its fingerprint."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="Where (default hubnet-YYYYmmdd-HHMMSS.dump here).")

    def handle(self, *args, file=None, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Backups are of PostgreSQL (set DATABASE_URL).")
        path = Path(file or f"hubnet-{timezone.localtime():%Y%m%d-%H%M%S}.dump")
        backups.backup(path)
        mark = backups.fingerprint()
        self.stdout.write(
            f"Backed up to {path} ({path.stat().st_size:,} bytes): "
            f"{sum(mark['tables'].values()):,} rows in {len(mark['tables'])} tables; "
            f"access log sha256 {mark['access_log_sha256']}."
        )
