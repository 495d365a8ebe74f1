"""python manage.py rollup --quarter 2026Q3 | --current | --last 8"""

import time

from django.core.management.base import BaseCommand, CommandError

from regions.models import RollupTrigger
from regions.quarters import Quarter
from regions.rollups import rollup_quarter


class Command(BaseCommand):
    help = (
        "Compute quarterly figures in the foreground, exactly as the scheduled job does, and "
        "print what was written. Replaces the quarter's figures atomically."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--quarter", help="A calendar quarter in Wisconsin time, e.g. 2026Q3.")
        which.add_argument(
            "--current", action="store_true", help="The quarter under way, up to now."
        )
        which.add_argument(
            "--last",
            type=int,
            metavar="N",
            help="The N quarters ending with the current one (make run rolls up 9).",
        )

    def handle(self, *args, quarter=None, current=False, last=None, **options):
        self.verbose = options["verbosity"] >= 2
        if quarter:
            try:
                quarters = [Quarter.parse(quarter)]
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if quarters[0] > Quarter.current():
                raise CommandError(f"{quarters[0]} has not started yet.")
        elif current:
            quarters = [Quarter.current()]
        else:
            if not 1 <= last <= 40:
                raise CommandError("--last takes 1 to 40 quarters.")
            quarters = Quarter.current().back(last)
        for one in quarters:
            self._rollup(one)

    def _rollup(self, quarter: Quarter) -> None:
        def progress(metric, rows):
            if self.verbose:
                self.stdout.write(f"  {metric.key}: {rows} figures")

        began = time.perf_counter()
        try:
            run = rollup_quarter(quarter=quarter, trigger=RollupTrigger.COMMAND, progress=progress)
        except Exception as exc:
            raise CommandError(
                f"{quarter}: the rollup failed ({exc}); earlier figures stand."
            ) from exc
        scope = "to date" if not quarter.is_complete() else "complete"
        self.stdout.write(
            f"{quarter} ({scope}): {run.figures_written} figures from {run.metrics_total} "
            f"metrics in {time.perf_counter() - began:.2f} s (run {run.pk})."
        )
