"""The PostgreSQL benchmark's parts (hubnet.benchmark): the sessions the load signs in
with, the guardian baseline, the plans, and the report. The load itself is `make
bench-pg`'s: figures, not a test."""

import http.server
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.models import GroupObjectPermission, UserObjectPermission

from cases.models import Status
from cases.selectors import cases_visible_to
from hubnet.benchmark import baseline
from hubnet.benchmark.explain import explain_reads, table_sizes
from hubnet.benchmark.sessions import api_token, cookie_header
from hubnet.management.commands.bench_pg import markdown, read_locust, sequential

pytestmark = pytest.mark.django_db


def test_a_benchmark_session_is_signed_in_with_a_second_factor(client, personas):
    worker = personas["outagamie.worker"]
    name, key = cookie_header(worker).split("=", 1)
    client.cookies[name] = key

    response = client.get(reverse("cases:list"))

    assert response.status_code == 200  # not sent to verify a second factor
    assert response.wsgi_request.user == worker


def test_a_benchmark_token_reads_the_api(client, personas):
    response = client.get(
        "/api/v1/cases/", HTTP_AUTHORIZATION=api_token(personas["hub2.specialist"])
    )
    assert response.status_code == 200


def test_the_guardian_baseline_sees_the_same_caseload(personas, make_case):
    for county in ("Outagamie", "Outagamie", "Brown", "Dane"):
        make_case(county=county, status=Status.ACCEPTED)
    worker = personas["outagamie.worker"]
    caseload = cases_visible_to(worker).count()

    result = baseline.compare(worker, runs=2)

    assert result["caseload"] == caseload > 0
    # One row per case for the stand-in, as a user and as a group.
    assert UserObjectPermission.objects.count() == caseload
    assert GroupObjectPermission.objects.count() == caseload
    assert set(result["median_ms"]) == {"hubnet", "guardian_user", "guardian_group"}
    # Every staff member's visible cases, one row each.
    users = get_user_model().objects.filter(memberships__isnull=False).distinct()
    expected = sum(cases_visible_to(u).count() for u in users if u.memberships.active().exists())
    assert result["baseline_rows_for_all_staff"] == expected
    # A second run replaces the rows rather than adding to them.
    baseline.compare(worker, runs=1)
    assert UserObjectPermission.objects.count() == caseload


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN is PostgreSQL's here")
def test_a_sequential_scan_of_a_large_table_is_flagged(personas):
    with CaptureQueriesContext(connection) as captured:
        list(get_user_model().objects.all())
    sizes = {**table_sizes(), "auth_user": 50_000}  # as if it were large

    plans, flagged = explain_reads(captured.captured_queries, sizes)

    assert "Execution Time" in plans
    assert flagged == ["auth_user (50,000 rows)"]
    _, small = explain_reads(captured.captured_queries, {"auth_user": 10})
    assert small == []


def test_the_report_reads_locusts_summary(tmp_path):
    stats = tmp_path / "load_stats.csv"
    stats.write_text(
        "Type,Name,Request Count,Failure Count,Median Response Time,Requests/s,"
        "50%,95%,99%\n"
        "GET,case page,120,1,12,2.04,12,30,45\n"
        ",Aggregated,120,1,12,2.04,12,30,45\n"
    )

    found = read_locust(stats, 60)

    assert found == {
        "case page": {
            "p50_ms": 12.0,
            "p95_ms": 30.0,
            "p99_ms": 45.0,
            "requests_per_s": 2.0,
            "requests": 120,
            "failures": 1,
        }
    }
    table = markdown(
        {
            "when": "2026-11-23T06:00:00+00:00",
            "machine": {"cpus": 2, "memory_gib": 24, "postgresql": "15", "python": "3.11"},
            "data": {"cases": 1000, "steps": 14000, "timeline_events": 9000,
                     "access_log_rows": 20000},
            "load": {"users": 4, "seconds": 60, "gunicorn_workers": 2},
            "rollup_one_quarter_s": 1.5,
            "targets": [
                {"name": "case page", "queries": 30, **found["case page"],
                 "sequential_p50_ms": 9.5, "sequential_p95_ms": 11.0}
            ],
            "sequential_scans_of_large_tables": {},
            "guardian_baseline": {
                "user": "outagamie.worker",
                "caseload": 10,
                "median_ms": {
                    "hubnet": {"count": 1.0},
                    "guardian_user": {"count": 2.0},
                    "guardian_group": {"count": 1.5},
                },
                "ratio_guardian_user_to_hubnet": {"count": 2.0},
                "baseline_rows_for_all_staff": 99,
                "hubnet_permission_rows": 22,
            },
            "goals_p95_ms": {"case page": 100},
        }
    )  # fmt: skip
    assert "| case page | 12.0 | 30.0 | 45.0 | 2.0 | 1 | 9.5 | 11.0 | 30 | <= 100 |" in table
    assert "the baseline needs 99 for today's staff; HubNet holds 22" in table
    assert "Sequential scans of large tables on these paths: none." in table


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_postgresql_connections_do_not_compile_queries():
    # JIT compilation cost more than the short indexed queries it compiled.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_the_access_log_benchmark_grows_the_log_and_times_the_page(
    personas, make_case, tmp_path, settings
):
    import json

    from django.core.management import call_command

    from cases.models import CaseAccess

    for county in ("Outagamie", "Brown", "Dane"):
        make_case(county=county, status=Status.ACCEPTED)
    before = set(CaseAccess.objects.values_list("pk", flat=True))
    settings.DEBUG = True

    call_command("bench_access_log", rows=len(before) + 600, samples=3, chunk=200, out=tmp_path)

    result = json.loads((tmp_path / "access_log.json").read_text())
    added = CaseAccess.objects.exclude(pk__in=before)
    # (The page views it timed are in the log too.)
    assert added.count() >= result["load"]["rows_added"] > 0
    # Every row added names someone who works on the case: its hub or its agency.
    for access in added.select_related("case__region__hub", "case__agency", "user")[:100]:
        assert cases_visible_to(access.user).filter(pk=access.case_id).exists()
    assert result["refused"] == {"update": True, "delete": True, "truncate": True}
    assert result["samples"] == 3
    assert result["page_ms"]["p50"] > 0
    assert "who looked at this record" in (tmp_path / "access_log.md").read_text()
    assert (tmp_path / "explain" / "access-log-at-scale.txt").read_text().strip()


@pytest.fixture
def tiny_server():
    """A local HTTP server: /page answers 200 (counting the requests), anything else
    redirects to the sign-in page."""
    asked = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append((self.path, self.headers.get("Cookie")))
            if self.path == "/page":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")
            else:
                self.send_response(302)
                self.send_header("Location", "/page")
                self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()


def test_each_target_is_also_timed_alone(tiny_server):
    base, asked = tiny_server
    spec = [{"name": "page", "method": "GET", "path": "/page", "headers": {"Cookie": "s=1"}}]

    found = sequential(spec, base, rounds=10)

    assert set(found["page"]) == {"sequential_p50_ms", "sequential_p95_ms"}
    assert 0 < found["page"]["sequential_p50_ms"] <= found["page"]["sequential_p95_ms"]
    assert asked == [("/page", "s=1")] * 12  # two to warm up, then the ten timed


def test_a_redirect_is_never_timed_as_a_page(tiny_server):
    base, asked = tiny_server
    spec = [{"name": "signed out", "method": "GET", "path": "/case", "headers": {}}]

    with pytest.raises(CommandError, match="/case answered 302"):
        sequential(spec, base, rounds=10)
    assert asked == [("/case", None)]  # not followed to /page
