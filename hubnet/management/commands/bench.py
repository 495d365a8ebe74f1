"""Print response times and query counts of the busiest pages and endpoints.

Run by `make bench` on a throw-away database seeded with demo data. Figures,
not pass/fail: the tests assert query counts and scaling shape instead.
"""

import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
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
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, runs: int = 20, **options):
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
        self.stdout.write(f"{'target':32} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        with override_settings(DEBUG=True, ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
            for label, user, url in targets:
                client = Client()
                client.force_login(user)
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
                    f"{label:32} {statistics.median(timings):10.1f} {p95:8.1f} {queries:8d}"
                )

    def _rollups(self) -> None:
        """Rollup wall time: every quarter with demo data, then the busiest one again."""
        cases = Case.objects.count()
        quarters = Quarter.current().back(8)
        self.stdout.write(f"Rollup of {len(quarters)} quarters over {cases} cases:")
        timings = []
        for quarter in quarters:
            start = time.perf_counter()
            run = rollup_quarter(quarter=quarter)
            timings.append(time.perf_counter() - start)
            self.stdout.write(f"  {quarter}: {timings[-1]:6.2f} s, {run.figures_written} figures")
        total = sum(timings)
        self.stdout.write(
            f"  all {len(quarters)}: {total:.2f} s ({cases / total:,.0f} cases a second)\n"
        )
