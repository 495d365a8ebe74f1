"""Print response times and query counts of the busiest pages and endpoints.

Run by `make bench` on a throw-away database seeded with demo data. Figures,
not pass/fail: the tests assert query counts and scaling shape instead.
"""

import io
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import override_settings

from cases.models import Case
from cases.selectors import cases_visible_to
from regions.quarters import Quarter
from regions.rollups import rollup_quarter


class Command(BaseCommand):
    help = "Time the caseload, hub queue, case page and cases API as the demo personas."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=60)
        parser.add_argument(
            "--scale",
            help="Comma-separated case counts, e.g. 10000,30000,100000: add synthetic cases "
            "(seed_bulk) up to each and time the rollup there, to show how it grows.",
        )

    def handle(self, *args, runs: int = 60, scale: str | None = None, **options):
        if scale:
            self._rollup_scaling(sorted(int(n) for n in scale.split(",")))
            return
        users = get_user_model().objects.in_bulk(
            ["hub2.specialist", "outagamie.worker", "state.admin"], field_name="username"
        )
        if len(users) != 3:
            raise CommandError("Run seed_demo first (make bench does).")
        hub, worker = users["hub2.specialist"], users["outagamie.worker"]
        state = users["state.admin"]
        self._rollups()
        some_case = cases_visible_to(worker).first()
        targets = [
            ("caseload page (agency)", worker, "/cases/"),
            ("region cases page (hub)", hub, "/cases/"),
            ("caseload search", hub, "/cases/?q=smi"),
            ("hub queue", hub, "/hub/queue/"),
            ("case page", worker, f"/cases/{some_case.pk}/"),
            ("cases API, 200 per page", hub, "/api/v1/cases/?limit=200"),
            ("referrals API", hub, "/api/v1/referrals/?limit=200"),
            ("statewide dashboard", state, "/dashboards/"),
            ("region 2 dashboard (hub)", hub, "/dashboards/region/2/"),
            ("figures API, a county", state, "/api/v1/figures/?county=55087&limit=500"),
            ("figures API, a quarter", state, "/api/v1/figures/?limit=1000"),
        ]
        self.stdout.write(
            f"{connection.vendor}, {cases_visible_to(hub).count()} cases visible to hub2, "
            f"{runs} runs each\n"
        )
        self.stdout.write(
            f"{'target':32} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} {'queries':>8}"
        )
        with override_settings(DEBUG=True, ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
            for label, user, url in targets:
                client = Client()
                client.force_login(user)
                start = time.perf_counter()
                client.get(url)  # the first request: templates compiled, caches filled
                first = (time.perf_counter() - start) * 1000
                timings, queries = [], 0
                for _ in range(runs):
                    reset_queries()
                    start = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - start) * 1000)
                    queries = len(connection.queries)
                    if response.status_code != 200:
                        raise CommandError(f"{url} answered {response.status_code}")
                p95 = statistics.quantiles(timings, n=20)[-1]
                self.stdout.write(
                    f"{label:32} {first:9.1f} {statistics.median(timings):10.1f} {p95:8.1f} "
                    f"{queries:8d}"
                )

    def _rollups(self) -> None:
        """Rollup wall time: every quarter with demo data (two years: nine quarters)."""
        cases = Case.objects.count()
        quarters = Quarter.current().back(9)
        self.stdout.write(f"Rollup of {len(quarters)} quarters over {cases} cases:")
        timings = _timed_rollups(quarters)
        for quarter, (seconds, run) in timings.items():
            self.stdout.write(f"  {quarter}: {seconds:6.2f} s, {run.figures_written} figures")
        total = sum(seconds for seconds, _ in timings.values())
        self.stdout.write(
            f"  all {len(quarters)}: {total:.2f} s ({cases / total:,.0f} cases a second)\n"
        )

    def _rollup_scaling(self, sizes: list[int]) -> None:
        """The rollup of one complete quarter, of the quarter to date (the nightly run)
        and of all nine quarters, at growing case counts: per case, it should hold flat."""
        last, current = Quarter.current().previous(), Quarter.current()
        self.stdout.write(
            f"{connection.vendor}: rollup wall time as cases grow (synthetic copies of the "
            "demo cases, spread over two years)"
        )
        self.stdout.write(
            f"{'cases':>9} {last!s:>9} s {'to date':>9} s {'9 quarters':>11} s {'µs per case':>12}"
        )
        for size in sizes:
            present = Case.objects.count()
            if present < size:
                call_command("seed_bulk", cases=size - present, stdout=io.StringIO())
            quarters = Quarter.current().back(9)
            timings = {q: seconds for q, (seconds, _) in _timed_rollups(quarters).items()}
            total = sum(timings.values())
            self.stdout.write(
                f"{size:9,} {timings[last]:11.2f} {timings[current]:11.2f} {total:13.2f} "
                f"{total / size * 1e6:12.1f}"
            )


def _timed_rollups(quarters) -> dict:
    """Roll up each quarter in turn: quarter -> (seconds, run)."""
    timings = {}
    for quarter in quarters:
        start = time.perf_counter()
        run = rollup_quarter(quarter=quarter)
        timings[quarter] = (time.perf_counter() - start, run)
    return timings
