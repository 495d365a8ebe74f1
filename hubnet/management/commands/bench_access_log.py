"""Does the access log need partitioning? `make bench-access-log` answers with figures.

On a throw-away PostgreSQL database (DEBUG on, or --force) holding cases already (run
`make bench-pg` first): it tops the access log up to `--rows` rows spread over the cases
(set-based, its secondary indexes dropped for the load and built after it), then, for
`--samples` cases chosen at random, times the "who looked at this record" page as the
case's hub specialist sees it (its first page and a filtered page), counts its queries,
saves the plans of its reads, and checks that nothing can change, delete or empty the log.

The answer is in hubnet/benchmark/results/access_log.{json,md}: the page reads one case's
rows from the index on (case, -at), so its time follows the rows of that case, not of
the table. Partitioning by month would help what does read by time across all cases
(retention, a month's vacuum), which nothing in HubNet does today.
"""

# The SQL here is built from model metadata and constants, never from input.
# ruff: noqa: S608

import json
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from cases.management.commands.seed_synthetic import (
    drop_secondary_indexes,
    rebuild_dropped_indexes,
)
from cases.models import Case, CaseAccess
from hubnet.benchmark.explain import explain_reads, table_sizes
from hubnet.benchmark.sessions import cookie_header
from regions.models import Membership

RESULTS = Path(settings.BASE_DIR) / "hubnet" / "benchmark" / "results"
HUB_OF_REGION = "hub{}.specialist"  # seed_demo's hub specialists: hub2, hub5
CHANNELS = ["page", "list", "list", "search", "action", "api"]


class Command(BaseCommand):
    help = (
        "Grow the access log to --rows rows over the cases present and time the 'who "
        "looked at this record' page. Throw-away PostgreSQL databases only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000_000)
        parser.add_argument("--samples", type=int, default=30)
        parser.add_argument("--chunk", type=int, default=5_000_000, help="Rows a transaction.")
        parser.add_argument("--force", action="store_true", help="Run with DEBUG off.")
        parser.add_argument("--out", type=Path, default=RESULTS, help="Where results go.")

    def handle(self, *args, rows: int, samples: int, chunk: int, out: Path = RESULTS, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_access_log measures PostgreSQL: set DATABASE_URL.")
        if not settings.DEBUG and not options.get("force"):
            raise CommandError("bench_access_log writes rows and refuses to run with DEBUG off.")
        if not Case.objects.exists():
            raise CommandError("No cases: run make bench-pg (or seed_demo) first.")
        rebuild_dropped_indexes()  # a load stopped half-way
        load = self._grow(rows, chunk)
        table = CaseAccess._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint, pg_table_size(%s::regclass), "
                "pg_indexes_size(%s::regclass) FROM pg_class WHERE relname = %s",
                [table, table, table],
            )
            estimate, table_bytes, index_bytes = cursor.fetchone()
        timings = self._time_pages(samples, out)
        result = {
            "access_log_rows": estimate,
            "table_gib": round(table_bytes / 2**30, 2),
            "indexes_gib": round(index_bytes / 2**30, 2),
            "load": load,
            **timings,
            "refused": self._refusals(),
        }
        (out / "access_log.json").write_text(json.dumps(result, indent=2) + "\n")
        text = markdown(result)
        (out / "access_log.md").write_text(text)
        self.stdout.write(text)

    # --- The rows ----------------------------------------------------------------------

    def _grow(self, rows: int, chunk: int) -> dict:
        """Add about the rows the log misses to hold `rows`, over the cases someone works
        on, some far more than others, at moments between each case's opening and its
        closing (or now), by its region's hub specialists and its agency's staff, in
        chunks of cases."""
        have = CaseAccess.objects.count()
        missing = rows - have
        if missing <= 0:
            self.stdout.write(f"The access log holds {have:,} rows already.")
            return {"rows_added": 0}
        started = time.perf_counter()
        drop_secondary_indexes([CaseAccess])
        # The cases someone works on (a region with hub staff, an agency with staff).
        people = Membership.objects.active()
        ids = list(
            Case.objects.filter(
                Q(region__hub__in=people.values("hub")) | Q(agency__in=people.values("agency"))
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        per_case = missing / len(ids)
        step = max(1, int(chunk / max(per_case, 1)))
        added = 0
        for first in range(0, len(ids), step):
            batch = ids[first : first + step]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute(INSERT, {"ids": batch, "mean": per_case, "channels": CHANNELS})
                added += cursor.rowcount
                cursor.execute("SET LOCAL session_replication_role = origin")
            seconds = time.perf_counter() - started
            self.stdout.write(
                f"  {have + added:,} rows ({added:,} added, {added / seconds:,.0f} a second)"
            )
        loaded = time.perf_counter() - started
        rebuild_dropped_indexes(self.stdout.write)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {CaseAccess._meta.db_table}")
        return {
            "rows_added": added,
            "rows_a_second": round(added / loaded),
            "indexes_seconds": round(time.perf_counter() - started - loaded, 1),
        }

    # --- The page ----------------------------------------------------------------------

    def _time_pages(self, samples: int, out: Path) -> dict:
        """The page's time (first page, and filtered to one person), its query count and
        its plans, for `samples` random cases of the regions with a hub specialist."""
        users = get_user_model().objects.in_bulk(
            [HUB_OF_REGION.format(n) for n in range(1, 8)], field_name="username"
        )
        hubs = {int(name[3]): user for name, user in users.items()}
        chosen = list(
            Case.objects.filter(region__number__in=hubs)
            .order_by("?")
            .values_list("pk", "region__number")[:samples]
        )
        if not chosen:
            raise CommandError("No case in a region with a demo hub specialist.")
        first, filtered, sizes, counts = [], [], [], set()
        busiest = None
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            clients = {}
            for number, user in hubs.items():  # signed in with a second factor
                clients[number] = Client()
                name, key = cookie_header(user).split("=", 1)
                clients[number].cookies[name] = key
            for case_id, region in chosen:
                client = clients[region]
                path = f"/cases/{case_id}/access-log/"
                client.get(path)  # its rows in memory, as a second look finds them
                began = time.perf_counter()
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(path)
                first.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{path} answered {response.status_code}")
                counts.add(len(captured))
                rows = CaseAccess.objects.filter(case_id=case_id).count()
                sizes.append(rows)
                if busiest is None or rows > busiest[0]:
                    busiest = (rows, captured.captured_queries)
                person = CaseAccess.objects.filter(case_id=case_id).values_list("user_id").first()
                began = time.perf_counter()
                response = client.get(path, {"person": person[0]} if person else {})
                filtered.append((time.perf_counter() - began) * 1000)
        plans, seq = explain_reads(busiest[1], table_sizes())
        (out / "explain").mkdir(parents=True, exist_ok=True)
        (out / "explain" / "access-log-at-scale.txt").write_text(plans + "\n")
        return {
            "samples": len(chosen),
            "rows_a_case": {"median": statistics.median(sizes), "max": max(sizes)},
            "page_ms": summary(first),
            "filtered_ms": summary(filtered),
            "queries": sorted(counts),
            "sequential_scans_of_large_tables": seq,
        }

    # --- Append-only -------------------------------------------------------------------

    @staticmethod
    def _refusals() -> dict:
        """Whether UPDATE, DELETE and TRUNCATE of the log are refused (each tried in a
        savepoint rolled back either way)."""
        table = CaseAccess._meta.db_table
        attempts = {
            "update": f"UPDATE {table} SET granted = NOT granted WHERE id = (SELECT min(id) "
            f"FROM {table})",
            "delete": f"DELETE FROM {table} WHERE id = (SELECT min(id) FROM {table})",
            "truncate": f"TRUNCATE {table}",
        }
        refused = {}
        for name, sql in attempts.items():
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql)
                    raise _Allowed
            except DatabaseError:
                refused[name] = True
            except _Allowed:
                refused[name] = False
        return refused


class _Allowed(Exception):
    """The statement went through (rolled back by raising this)."""


INSERT = f"""
INSERT INTO {CaseAccess._meta.db_table} (case_id, user_id, at, channel, granted, ip_address)
SELECT k.id, who.user_ids[1 + floor(random() * cardinality(who.user_ids))::int],
    k.opened_at + random() * (coalesce(k.closed_at, now()) - k.opened_at),
    (%(channels)s::text[])[1 + floor(random() * cardinality(%(channels)s::text[]))::int],
    random() > 0.002,
    ('10.30.' || (a %% 250) || '.' || (1 + a %% 200))::inet
FROM (
    -- Some cases are looked at far more than others: an exponential share, `mean` on
    -- average (drawn here, a row each: in the LATERAL below it would be drawn once).
    SELECT k.*, floor(-ln(1 - random()) * %(mean)s)::int AS looks
    FROM {Case._meta.db_table} k WHERE k.id = ANY(%(ids)s::uuid[])
) k
CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT m.user_id) AS user_ids
    FROM regions_membership m
    LEFT JOIN regions_hub h ON h.id = m.hub_id
    WHERE m.revoked_at IS NULL AND (h.region_id = k.region_id OR m.agency_id = k.agency_id)
) who
CROSS JOIN LATERAL generate_series(1, k.looks) a
WHERE who.user_ids IS NOT NULL
"""


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "max": round(ordered[-1], 1),
    }


def markdown(result: dict) -> str:
    refused = ", ".join(
        f"{name} {'refused' if ok else 'ALLOWED'}" for name, ok in result["refused"].items()
    )
    lines = [
        f"Access log at {result['access_log_rows']:,} rows: table {result['table_gib']} GiB, "
        f"indexes {result['indexes_gib']} GiB.",
        "",
        "| who looked at this record | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for key, label in (("page_ms", "first page"), ("filtered_ms", "one person's entries")):
        figures = result[key]
        lines.append(f"| {label} | {figures['p50']} | {figures['p95']} | {figures['max']} |")
    rows = result["rows_a_case"]
    scans = ", ".join(result["sequential_scans_of_large_tables"]) or "none"
    lines += [
        "",
        f"{result['samples']} cases at random, {rows['median']:,} rows a case (median, "
        f"most {rows['max']:,}); queries a page: {', '.join(map(str, result['queries']))}; "
        f"sequential scans of large tables: {scans}.",
        f"Append-only: {refused}.",
    ]
    load = result["load"]
    if load.get("rows_added"):
        lines.append(
            f"Loaded {load['rows_added']:,} rows at {load['rows_a_second']:,} a second, "
            f"indexes built in {load['indexes_seconds']} s."
        )
    return "\n".join(lines) + "\n"
