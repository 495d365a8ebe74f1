"""The PostgreSQL benchmark: `make bench-pg` (hubnet.benchmark says what it measures).

On a throw-away PostgreSQL database only (DEBUG on, like seed_demo): it grows the data
it measures.
"""

import csv
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from cases.models import Case, CaseAccess, CaseEvent, CaseStep, Status
from cases.selectors import cases_visible_to
from hubnet.benchmark import baseline
from hubnet.benchmark.explain import explain_reads, table_sizes
from hubnet.benchmark.payloads import referral_body
from hubnet.benchmark.sessions import api_token, cookie_header
from regions.quarters import Quarter
from regions.rollups import rollup_quarter

RESULTS = Path(settings.BASE_DIR) / "hubnet" / "benchmark" / "results"
LOCUSTFILE = Path(settings.BASE_DIR) / "hubnet" / "benchmark" / "locustfile.py"
PERSONAS = ("hub2.specialist", "outagamie.worker", "state.admin")
# Goals from issue 12 (figures, not pass/fail): target -> p95 ms.
SEQUENTIAL_ROUNDS = 40
GOALS = {
    "agency caseload page": 50,
    "cases API, first page": 50,
    "cases API, deep cursor": 50,
    "referral create (API)": 100,
    "region 2 dashboard": 20,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark on PostgreSQL under load (gunicorn + locust); see hubnet.benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--seconds", type=int, default=60, help="How long the load lasts.")
        parser.add_argument(
            "--users", type=int, default=2, help="Concurrent simulated users (one per worker)."
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
        parser.add_argument("--out", default=str(RESULTS), help="Where results are written.")

    def handle(self, *args, cases, seconds, users, workers, out, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_pg needs PostgreSQL: set DATABASE_URL (make bench-pg).")
        if not settings.DEBUG:
            raise CommandError("bench_pg grows the database it measures: DEBUG only.")
        out = Path(out)
        (out / "explain").mkdir(parents=True, exist_ok=True)
        self._grow(cases)
        people = get_user_model().objects.in_bulk(PERSONAS, field_name="username")
        hub, worker, state = (people[name] for name in PERSONAS)
        started = timezone.now()
        rollup = self._rollup()
        targets = self._targets(hub, worker, state)
        counts, flagged = self._queries_and_plans(targets, hub, worker, state, out)
        load = self._load(targets, seconds=seconds, users=users, workers=workers)
        guardian = baseline.compare(worker)
        result = {
            "when": started.isoformat(timespec="seconds"),
            "machine": self._machine(),
            "data": self._data(),
            "load": {"users": users, "seconds": seconds, "gunicorn_workers": workers},
            "rollup_one_quarter_s": rollup,
            "targets": [
                {**load.get(t["name"], {}), "name": t["name"], "queries": counts[t["name"]]}
                for t in targets
            ],
            "sequential_scans_of_large_tables": flagged,
            "guardian_baseline": guardian,
            "goals_p95_ms": GOALS,
        }
        (out / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
        table = markdown(result)
        (out / "latest.md").write_text(table)
        self.stdout.write(table)

    # --- The data --------------------------------------------------------------------

    def _grow(self, cases: int) -> None:
        if not Case.objects.exists():
            self.stdout.write("Seeding the demo data (the cases the synthetic ones copy).")
            call_command("load_wisconsin", verbosity=0)
            call_command("seed_demo", verbosity=0)
        call_command("seed_synthetic", cases=cases, stdout=self.stdout)

    def _data(self) -> dict:
        sizes = table_sizes()
        return {
            "cases": Case.objects.count(),
            "steps": sizes.get(CaseStep._meta.db_table),
            "timeline_events": sizes.get(CaseEvent._meta.db_table),
            "access_log_rows": sizes.get(CaseAccess._meta.db_table),
        }

    @staticmethod
    def _machine() -> dict:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        return {
            "cpus": os.cpu_count(),
            "memory_gib": round(
                os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1
            ),
            "python": platform.python_version(),
            "postgresql": server,
            "system": platform.platform(terse=True),
        }

    def _rollup(self) -> float:
        quarter = Quarter.current().previous()
        self.stdout.write(f"Rolling up {quarter} ...")
        start = time.perf_counter()
        run = rollup_quarter(quarter=quarter)
        seconds = time.perf_counter() - start
        if run.status != "succeeded":
            raise CommandError(f"The rollup of {quarter} failed: {run.error}")
        return round(seconds, 2)

    # --- What is asked ---------------------------------------------------------------

    def _targets(self, hub, worker, state) -> list[dict]:
        """Each target: a name, who asks, the method and path, what is expected back."""
        some_case = (
            cases_visible_to(worker).filter(status=Status.ACCEPTED).order_by("-opened_at").first()
        )
        surname = some_case.youth.legal_last_name
        deep_cursor = self._deep_cursor(hub)
        quarter = Quarter.current().previous()
        county = some_case.county.fips
        return [
            {"name": "agency caseload page", "who": worker, "path": "/cases/"},
            {"name": "agency caseload, page 20", "who": worker, "path": "/cases/?page=20"},
            {"name": "hub queue", "who": hub, "path": "/hub/queue/"},
            {"name": "region cases page (hub)", "who": hub, "path": "/cases/"},
            {"name": "region cases, page 200", "who": hub, "path": "/cases/?page=200"},
            {"name": "case page", "who": worker, "path": f"/cases/{some_case.pk}/"},
            {
                "name": "who looked at a case (access log)",
                "who": hub,
                "path": f"/cases/{some_case.pk}/access-log/",
            },
            {"name": "cases API, first page", "who": hub, "api": True, "path": "/api/v1/cases/"},
            {"name": "cases API, deep cursor", "who": hub, "api": True, "path": deep_cursor},
            {
                "name": "referral create (API)",
                "who": hub,
                "api": True,
                "method": "POST",
                "path": "/api/v1/referrals/",
                "referral_county": county,
                "expect": 201,
            },
            {"name": "search, a surname", "who": hub, "path": f"/cases/?q={surname}"},
            {"name": "search, no match", "who": hub, "path": "/cases/?q=zqxjvw"},
            {"name": "region 2 dashboard", "who": hub, "path": "/dashboards/region/2/"},
            {
                "name": "figures API, region 2",
                "who": state,
                "api": True,
                "path": f"/api/v1/figures/?region=2&quarter={quarter}&limit=500",
            },
        ]

    @staticmethod
    def _deep_cursor(hub) -> str:
        """The cases API's page after 2,000 cases (40 pages of 50), as its next link."""
        client = Client()
        client.force_login(hub)
        path = "/api/v1/cases/"
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            for _ in range(40):
                response = client.get(path, HTTP_AUTHORIZATION=api_token(hub))
                following = response.json().get("next")
                if not following:
                    break
                path = following.split("testserver", 1)[-1]
        return path

    def _queries_and_plans(self, targets, hub, worker, state, out: Path):
        """Each target's query count, asked once in-process; the plans of its reads."""
        sizes = table_sizes()
        counts, flagged = {}, {}
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            for target in targets:
                client = Client()
                client.force_login(target["who"])
                headers = {}
                if target.get("api"):
                    headers["HTTP_AUTHORIZATION"] = api_token(target["who"])
                ask = client.post if target.get("method") == "POST" else client.get
                kwargs = {}
                if target.get("referral_county"):
                    kwargs = {
                        "data": referral_body(target["referral_county"]),
                        "content_type": "application/json",
                    }
                ask(target["path"], **kwargs, **headers)  # warm
                if target.get("referral_county"):
                    kwargs["data"] = referral_body(target["referral_county"])
                with CaptureQueriesContext(connection) as captured:
                    response = ask(target["path"], **kwargs, **headers)
                if response.status_code != target.get("expect", 200):
                    raise CommandError(f"{target['path']} answered {response.status_code}")
                counts[target["name"]] = len(captured)
                if target.get("method") == "POST":
                    continue
                plans, seq = explain_reads(captured.captured_queries, sizes)
                slug = "".join(c if c.isalnum() else "-" for c in target["name"].lower())
                (out / "explain" / f"{slug}.txt").write_text(plans + "\n")
                if seq:
                    flagged[target["name"]] = seq
        return counts, flagged

    # --- The load --------------------------------------------------------------------

    def _load(self, targets, *, seconds: int, users: int, workers: int) -> dict:
        port = free_port()
        env = {
            **os.environ,
            "DEBUG": "0",
            # The sessions made here are signed with this process's key.
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "BEHIND_TLS_PROXY": "0",
            "MFA_DEMO_PERSONAS_EXEMPT": "0",
        }
        env.pop("CELERY_BROKER_URL", None)  # tasks in-process, as in make run
        bin_dir = Path(sys.executable).parent
        with tempfile.TemporaryDirectory() as scratch:
            spec = []
            for target in targets:
                headers = {}
                if target.get("api"):
                    headers["Authorization"] = api_token(target["who"])
                else:
                    headers["Cookie"] = cookie_header(target["who"])
                spec.append(
                    {
                        "name": target["name"],
                        "method": target.get("method", "GET"),
                        "path": target["path"],
                        "headers": headers,
                        "expect": target.get("expect", 200),
                        "referral_county": target.get("referral_county"),
                    }
                )
            spec_file = Path(scratch) / "targets.json"
            spec_file.write_text(json.dumps(spec))
            # Production serves the hashed static files a build collected.
            env["STATIC_ROOT"] = str(Path(scratch) / "static")
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                env=env,
                cwd=settings.BASE_DIR,
                check=True,
            )
            server = subprocess.Popen(  # noqa: S603 - our own programs
                [
                    str(bin_dir / "gunicorn"),
                    "hubnet.wsgi:application",
                    "--workers",
                    str(workers),
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=settings.BASE_DIR,
            )
            try:
                self._wait_for(f"http://127.0.0.1:{port}/healthz")
                self.stdout.write(
                    f"Load: {users} users for {seconds} s on gunicorn ({workers} workers) ..."
                )
                prefix = Path(scratch) / "load"
                subprocess.run(  # noqa: S603 - our own programs
                    [
                        str(bin_dir / "locust"),
                        "-f",
                        str(LOCUSTFILE),
                        "--headless",
                        "--users",
                        str(users),
                        "--spawn-rate",
                        str(users),
                        "--run-time",
                        f"{seconds}s",
                        "--host",
                        f"http://127.0.0.1:{port}",
                        "--csv",
                        str(prefix),
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                    ],
                    env={**env, "BENCH_TARGETS": str(spec_file)},
                    check=False,
                    stdout=subprocess.DEVNULL,
                )
                found = read_locust(Path(f"{prefix}_stats.csv"), seconds)
                self.stdout.write(f"One request at a time: {SEQUENTIAL_ROUNDS} of each ...")
                for name, figures in sequential(
                    spec, f"http://127.0.0.1:{port}", SEQUENTIAL_ROUNDS
                ).items():
                    found.setdefault(name, {}).update(figures)
                return found
            finally:
                server.terminate()
                server.wait(timeout=30)

    @staticmethod
    def _wait_for(url: str) -> None:
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise CommandError(f"gunicorn did not answer {url}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect (to the sign-in page) is an error, never a page measured."""

    def redirect_request(self, *args, **kwargs):
        return None


def sequential(spec: list[dict], base_url: str, rounds: int) -> dict:
    """Each target asked `rounds` times, one request at a time, nothing else running (the
    way the issue's reference figures were taken): {target: p50, p95 (ms)}. Two requests
    first, not counted, to warm the workers."""
    opener = urllib.request.build_opener(NoRedirect)
    found = {}
    for target in spec:
        times = []
        for turn in range(rounds + 2):
            body, headers = None, dict(target["headers"])
            if target.get("referral_county"):
                body = json.dumps(referral_body(target["referral_county"])).encode()
                headers["Content-Type"] = "application/json"
            request = urllib.request.Request(  # noqa: S310 - our own server
                base_url + target["path"], data=body, headers=headers, method=target["method"]
            )
            start = time.perf_counter()
            try:
                with opener.open(request, timeout=60) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            if status != target.get("expect", 200):
                raise CommandError(f"{target['path']} answered {status}")
            if turn >= 2:
                times.append((time.perf_counter() - start) * 1000)
        times.sort()
        found[target["name"]] = {
            "sequential_p50_ms": round(times[len(times) // 2], 1),
            "sequential_p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
        }
    return found


def read_locust(stats: Path, seconds: int) -> dict:
    """{target: p50, p95, p99 (ms), requests a second, requests, failures} from locust's
    CSV summary."""
    found = {}
    with stats.open(newline="") as file:
        for row in csv.DictReader(file):
            if row["Name"] == "Aggregated":
                continue
            found[row["Name"]] = {
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
                "requests_per_s": round(float(row["Requests/s"]), 1),
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
            }
    return found


def markdown(result: dict) -> str:
    machine, data, load = result["machine"], result["data"], result["load"]
    lines = [
        f"Benchmark of {result['when']} on {machine['cpus']} CPUs, {machine['memory_gib']} GiB, "
        f"PostgreSQL {machine['postgresql']}, Python {machine['python']}: "
        f"{data['cases']:,} cases, {data['steps'] or 0:,} steps, "
        f"{data['timeline_events'] or 0:,} timeline events, "
        f"{data['access_log_rows'] or 0:,} access-log rows. gunicorn "
        f"{load['gunicorn_workers']} workers, {load['users']} concurrent users for "
        f"{load['seconds']} s (locust); then each target alone, one request at a time.",
        "",
        "| target | p50 ms | p95 ms | p99 ms | req/s | failed | alone p50 | alone p95 "
        "| queries | goal p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for target in result["targets"]:
        goal = result["goals_p95_ms"].get(target["name"])
        lines.append(
            f"| {target['name']} | {target.get('p50_ms', '-')} | {target.get('p95_ms', '-')} | "
            f"{target.get('p99_ms', '-')} | {target.get('requests_per_s', '-')} | "
            f"{target.get('failures', '-')} | {target.get('sequential_p50_ms', '-')} | "
            f"{target.get('sequential_p95_ms', '-')} | {target['queries']} | "
            f"{f'<= {goal}' if goal else ''} |"
        )
    lines += ["", f"Rollup of one quarter: {result['rollup_one_quarter_s']} s.", ""]
    guardian = result["guardian_baseline"]
    lines += [
        f"django-guardian baseline for {guardian['user']}'s caseload of "
        f"{guardian['caseload']:,} cases (median ms):",
        "",
        "| question | HubNet | guardian, user rows | guardian, group rows | ratio (user) |",
        "|---|---:|---:|---:|---:|",
    ]
    for question, ms in guardian["median_ms"]["hubnet"].items():
        lines.append(
            f"| {question} | {ms} | {guardian['median_ms']['guardian_user'][question]} | "
            f"{guardian['median_ms']['guardian_group'][question]} | "
            f"{guardian['ratio_guardian_user_to_hubnet'][question]}x |"
        )
    lines += [
        "",
        f"Permission rows: the baseline needs {guardian['baseline_rows_for_all_staff']:,} "
        f"for today's staff; HubNet holds {guardian['hubnet_permission_rows']:,}.",
    ]
    flagged = result["sequential_scans_of_large_tables"]
    lines += [
        "",
        "Sequential scans of large tables on these paths: "
        + (
            "; ".join(f"{name}: {', '.join(tables)}" for name, tables in flagged.items())
            if flagged
            else "none."
        ),
        "",
    ]
    return "\n".join(lines)
