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

from cases.selectors import cases_visible_to


class Command(BaseCommand):
    help = "Time the caseload, hub queue, case page and cases API as the demo personas."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, runs: int = 20, **options):
        users = get_user_model().objects.in_bulk(
            ["hub2.specialist", "outagamie.worker"], field_name="username"
        )
        if len(users) != 2:
            raise CommandError("Run seed_demo first (make bench does).")
        hub, worker = users["hub2.specialist"], users["outagamie.worker"]
        some_case = cases_visible_to(worker).first()
        targets = [
            ("caseload page (agency)", worker, "/cases/"),
            ("region cases page (hub)", hub, "/cases/"),
            ("caseload search", hub, "/cases/?q=smi"),
            ("hub queue", hub, "/hub/queue/"),
            ("case page", worker, f"/cases/{some_case.pk}/"),
            ("cases API, 200 per page", hub, "/api/v1/cases/?limit=200"),
            ("referrals API", hub, "/api/v1/referrals/?limit=200"),
        ]
        self.stdout.write(
            f"{connection.vendor}, {cases_visible_to(hub).count()} cases visible to hub2, "
            f"{runs} runs each\n"
        )
        self.stdout.write(f"{'target':32} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
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
                p90 = statistics.quantiles(timings, n=10)[-1]
                self.stdout.write(
                    f"{label:32} {statistics.median(timings):10.1f} {p90:8.1f} {queries:8d}"
                )
