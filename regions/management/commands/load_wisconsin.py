from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from regions.reference_data import (
    RegionMapError,
    region_map_apply,
    region_map_parse,
    wisconsin_load,
)


class Command(BaseCommand):
    help = (
        "Load Wisconsin's regions, hubs, counties (with FIPS codes), tribes and their "
        "agencies. Safe to run again: it only adds what is missing. With --regions-csv, "
        "also apply the task force's own county-to-region map (columns county,region)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--regions-csv",
            type=Path,
            metavar="PATH",
            help="CSV with columns county,region (county by name or FIPS code, region 1-7).",
        )

    def handle(self, *args, regions_csv: Path | None = None, **options):
        text = None
        if regions_csv is not None:
            try:
                text = regions_csv.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{regions_csv}: cannot read the file ({exc})") from exc

        try:
            with transaction.atomic():
                report = wisconsin_load()
                moves = None
                if text is not None:
                    moves = region_map_apply(region_map_parse(text))
        except RegionMapError as exc:
            lines = "\n".join(f"  {problem}" for problem in exc.problems)
            raise CommandError(
                f"{regions_csv}: the region map was not applied, nothing was changed:\n{lines}"
            ) from exc

        totals = ", ".join(f"{n} {name}" for name, n in report.totals.items())
        if report.changed:
            created = ", ".join(f"{n} {name}" for name, n in report.created.items() if n)
            self.stdout.write(self.style.SUCCESS(f"Created {created}. Now: {totals}."))
        else:
            self.stdout.write(f"Reference data already loaded; nothing changed. ({totals})")

        if moves is not None:
            if not moves:
                self.stdout.write(f"Region map {regions_csv}: no county changed region.")
            for move in moves:
                self.stdout.write(
                    f"Moved {move.county.name} ({move.county.fips}) "
                    f"from region {move.from_region} to region {move.to_region}"
                )
            if moves:
                noun = "county" if len(moves) == 1 else "counties"
                self.stdout.write(self.style.SUCCESS(f"{len(moves)} {noun} moved."))
