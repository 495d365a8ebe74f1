"""Grow a throw-away database to N cases, fast: for benchmarks at scale.

On PostgreSQL every row is written set-based, by `INSERT ... SELECT` over
`generate_series`, in chunks (one transaction each, progress shown after each). Each new
case copies one of the cases already present (run seed_demo first: each of those was
built through the real services, so a copy is coherent: its protocol steps, timeline,
notes, indicators and service needs agree with its status) with:

- its history shifted by a random number of days, so that it lies within the last two
  years and never in the future (every date and time column moves alike);
- a county drawn with the demo's skew (Milwaukee and Dane large, every county some),
  with that county's region and agency (cases of a tribal agency stay with it);
- a new youth with a random synthetic name, and a new case number in its region's
  sequence;
- access-log rows (`--accesses` a case on average: pages, lists, searches by the
  region's hub specialists and the agency's staff) and, for one case in eight with an
  agency, a consent to share with it.

Each copy reads its template from temporary tables holding the templates' rows, and the
large tables' secondary indexes are dropped for the load and built once after it.

SQLite has no generate_series: there the cases are copied in row batches (seed_bulk).
Development and benchmarks only: refuses to run with DEBUG off unless --force.
"""

# The SQL here is built from model metadata and constants, never from input.
# ruff: noqa: S608

import datetime
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from cases.management.commands.seed_demo import FIRST_NAMES, LAST_NAMES
from cases.models import (
    Case,
    CaseAccess,
    CaseEvent,
    CaseNote,
    CaseStep,
    Consent,
    Referral,
    ServiceNeed,
    Youth,
)
from hubnet.text import fold
from regions.models import Agency, County, Membership

WINDOW = datetime.timedelta(days=730)
# The demo's surnames, and as many again with each ending: about 1,700 in all.
ENDINGS = [
    "", "s", "son", "sen", "berg", "man", "ski", "er", "ley", "ton", "field", "wood",
    "ford", "well", "by", "ham", "ell", "ard", "kins", "ow", "ez", "etti", "ova",
    "stein", "hart", "quist", "dahl", "strom", "land", "ridge", "more", "worth", "ing",
    "ick", "lund", "nes", "gaard", "ovich", "ero", "ani",
]  # fmt: skip
SURNAMES = [last + ending for ending in ENDINGS for last in LAST_NAMES]
# The tables a load fills, whose secondary indexes wait for its end (noted in DROPPED).
LOADED = [
    Youth,
    Referral,
    Referral.indicators.through,
    Case,
    CaseStep,
    CaseEvent,
    CaseNote,
    ServiceNeed,
    Consent,
    CaseAccess,
]
DROPPED = "seed_synthetic_dropped_index"
# What a copy is made of: (model, the column naming the template, the syn_template
# column holding it). Each template's rows are kept in a temporary table of their own,
# so that no copy reads the large tables (whose indexes are dropped while loading).
SOURCES = [
    (Youth, "id", "youth_id"),
    (Referral, "id", "referral_id"),
    (Referral.indicators.through, "referral_id", "referral_id"),
    (Case, "id", "case_id"),
    (CaseStep, "case_id", "case_id"),
    (CaseEvent, "case_id", "case_id"),
    (CaseNote, "case_id", "case_id"),
    (ServiceNeed, "case_id", "case_id"),
]
CHUNK = 50_000
TEMPLATES = 2_000  # at most: a second run copies a sample of the cases present
# How people look at cases: (channel, share of the access-log rows).
CHANNELS = [("page", 40), ("list", 35), ("search", 10), ("action", 10), ("api", 3), ("export", 2)]


def qn(name: str) -> str:
    return connection.ops.quote_name(name)


def src(model: type[models.Model]) -> str:
    """The temporary table holding the templates' rows of `model`."""
    return f"syn_src_{model._meta.db_table}"


def copy_sql(model: type[models.Model], source: str, overrides: dict[str, str], tail: str) -> str:
    """INSERT INTO the model's table a copy of each `source` row `tail` selects: every
    column as it is, dates and times shifted (`s.shift_days`, `s.shift`), the columns
    in `overrides` as given. An auto-increment key is left to the database."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and isinstance(field, models.AutoField):
            continue
        column = field.column
        if column in overrides:
            value = overrides[column]
        elif isinstance(field, models.DateTimeField):
            value = f"{source}.{qn(column)} + s.shift"
        elif isinstance(field, models.DateField):
            value = f"{source}.{qn(column)} + s.shift_days"
        else:
            value = f"{source}.{qn(column)}"
        columns.append(qn(column))
        values.append(value)
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} {tail}"
    )


def drop_secondary_indexes(tables: list[type[models.Model]]) -> None:
    """Drop the secondary indexes of `tables` (not primary keys, unique indexes or
    constraints': they keep the data right) for a bulk load, noting each definition in
    DROPPED for `rebuild_dropped_indexes`."""
    names = [model._meta.db_table for model in tables]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {DROPPED} (name text PRIMARY KEY, definition text)"
        )
        cursor.execute(
            f"""
            INSERT INTO {DROPPED} (name, definition)
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary
              AND t.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ON CONFLICT (name) DO NOTHING
            """,
            [names],
        )
        cursor.execute(f"SELECT name FROM {DROPPED} ORDER BY name")
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX IF EXISTS {qn(name)}")


def rebuild_dropped_indexes(say=None) -> None:
    """Build the indexes `drop_secondary_indexes` noted, if any, and forget them; `say`
    is told each one's time."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [DROPPED])
        if cursor.fetchone()[0] is None:
            return
        cursor.execute("SET maintenance_work_mem = '1GB'")
        # Inside a caller's transaction (a test) checks still pending from its own
        # writes would stop CREATE INDEX: run them now. (Outside one, a no-op.)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SELECT name, definition FROM {DROPPED} ORDER BY name")
        for name, definition in cursor.fetchall():
            began = time.perf_counter()
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                cursor.execute(definition)
            cursor.execute(f"DELETE FROM {DROPPED} WHERE name = %s", [name])
            if say:
                say(f"    index {name}: {time.perf_counter() - began:.1f} s")
        cursor.execute(f"DROP TABLE {DROPPED}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("RESET maintenance_work_mem")


class Command(BaseCommand):
    help = (
        "Grow the database to N cases, copying the cases present (run seed_demo first) "
        "set-based on PostgreSQL, with access-log rows and consents. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--cases", type=int, required=True, help="How many cases the database should hold."
        )
        parser.add_argument(
            "--accesses",
            type=int,
            default=20,
            help="Access-log rows a case on average (default 20).",
        )
        parser.add_argument("--chunk", type=int, default=CHUNK, help="Cases a transaction.")
        parser.add_argument("--seed", type=float, default=0.2017, help="Random seed, 0 to 1.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a server holding real records.",
        )

    def handle(self, *args, cases: int, accesses: int = 20, chunk: int = CHUNK, **options):
        self.verbosity = options.get("verbosity", 1)
        if not settings.DEBUG and not options.get("force"):
            raise CommandError(
                "seed_synthetic writes synthetic cases and refuses to run with DEBUG off. "
                "Use --force only on a throw-away database."
            )
        if cases < 1 or accesses < 0 or chunk < 1:
            raise CommandError("--cases and --chunk must be at least 1, --accesses at least 0.")
        if connection.vendor == "postgresql":
            rebuild_dropped_indexes()  # a run stopped half-way left them dropped
        have = Case.objects.count()
        if not have:
            raise CommandError("No cases to copy: run seed_demo first.")
        missing = cases - have
        if missing <= 0:
            self.stdout.write(f"The database holds {have:,} cases already; nothing to add.")
            return
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: copying the cases in row batches (seed_bulk).")
            call_command("seed_bulk", cases=missing, force=True, stdout=self.stdout)
            return
        started = time.perf_counter()
        with transaction.atomic():
            self._prepare(options.get("seed", 0.2017))
        # A million rows go in far faster with no index to keep, and an index built once
        # over all of them is smaller: the large tables' secondary indexes are dropped for
        # the load and built again after it (their definitions kept in a table meanwhile,
        # so that a run stopped half-way builds them at its next start).
        drop_secondary_indexes(LOADED)
        done = 0
        while done < missing:
            size = min(chunk, missing - done)
            with transaction.atomic():
                self._chunk(size, accesses)
            done += size
            seconds = time.perf_counter() - started
            self.stdout.write(
                f"  {have + done:,} cases ({done:,} added, {done / seconds:,.0f} a second)"
            )
        loaded = time.perf_counter()
        rebuild_dropped_indexes(self.stdout.write if self.verbosity > 1 else None)
        with connection.cursor() as cursor:
            # VACUUM too, as autovacuum would have by the time a real database is this
            # large: until the visibility map is set, the planner avoids index-only scans
            # (the hub's overdue count read 14M steps, 750 ms, instead of its index, 100 ms).
            # Not possible inside a transaction (a test's): statistics only, then.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {missing:,} synthetic cases in {seconds:.1f} s "
                f"({missing / seconds:,.0f} a second; indexes and statistics "
                f"{time.perf_counter() - loaded:.1f} s of it); the database holds {cases:,}."
            )
        )

    # --- What every chunk reads ------------------------------------------------------

    def _prepare(self, seed: float) -> None:
        """Temporary tables: the cases to copy, the counties to draw from (weighted), the
        names, and who looks at a region's or an agency's cases."""
        now = timezone.now()
        tribal_agencies = set(
            Agency.objects.filter(tribe__isnull=False).values_list("pk", flat=True)
        )
        chosen = Case.objects.all()
        if chosen.count() > TEMPLATES:
            chosen = Case.objects.filter(
                pk__in=list(Case.objects.order_by("?").values_list("pk", flat=True)[:TEMPLATES])
            )
        latest_of = self._latest_moments(chosen)
        templates = []
        for case in chosen.order_by("number").values(
            "pk", "youth_id", "referral_id", "region_id", "county_id", "agency_id", "opened_at",
            "referral__received_at", "youth__preferred_name",
        ):  # fmt: skip
            moments = [case["referral__received_at"], case["opened_at"]]
            latest = max([*moments, *latest_of.get(case["pk"], [])], default=case["opened_at"])
            earliest = min(moments)
            low = ((now - WINDOW) - earliest).days
            high = (now - latest).days
            if high < low:
                low = high = min(0, high)
            templates.append(
                (
                    len(templates),
                    case["pk"],
                    case["youth_id"],
                    case["referral_id"],
                    case["region_id"],
                    case["county_id"],
                    case["agency_id"],
                    case["agency_id"] in tribal_agencies,
                    low,
                    high - low,
                    fold(case["youth__preferred_name"]),
                )
            )
        # Counties weighted like the demo's cases, and every county a little.
        weights = dict.fromkeys(County.objects.values_list("pk", flat=True), 2)
        for row in templates:
            weights[row[5]] += 1
        county_agency = dict(
            Agency.objects.filter(county__isnull=False).values_list("county_id", "pk")
        )
        county_region = dict(County.objects.values_list("pk", "region_id"))
        counties, total = [], 0
        for pk in sorted(weights):
            total += weights[pk]
            counties.append((pk, county_region[pk], county_agency.get(pk), total))
        self.templates, self.total_weight = len(templates), total

        people = Membership.objects.active().filter(user__is_active=True)
        hubs = people.filter(hub__isnull=False).values_list("hub__region_id", "user_id")
        staff = people.filter(agency__isnull=False).values_list("agency_id", "user_id")
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [seed])
            cursor.execute("DROP TABLE IF EXISTS syn_template")
            cursor.execute(
                "CREATE TEMP TABLE syn_template (idx int PRIMARY KEY, case_id uuid, "
                "youth_id uuid, referral_id uuid, region_id bigint, county_id bigint, "
                "agency_id bigint, tribal boolean, low_days int, span_days int, "
                "preferred_folded text) ON COMMIT PRESERVE ROWS"
            )
            cursor.executemany(
                "INSERT INTO syn_template VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                templates,
            )
            for model, column, key in SOURCES:
                cursor.execute(f"DROP TABLE IF EXISTS {src(model)}")
                cursor.execute(
                    f"CREATE TEMP TABLE {src(model)} ON COMMIT PRESERVE ROWS AS "
                    f"SELECT * FROM {qn(model._meta.db_table)} "
                    f"WHERE {qn(column)} IN (SELECT {key} FROM syn_template)"
                )
                cursor.execute(f"CREATE INDEX ON {src(model)} ({qn(column)})")
                cursor.execute(f"ANALYZE {src(model)}")
            cursor.execute("DROP TABLE IF EXISTS syn_county")
            cursor.execute(
                "CREATE TEMP TABLE syn_county (county_id bigint, region_id bigint, "
                "agency_id bigint, cum int) ON COMMIT PRESERVE ROWS"
            )
            cursor.executemany("INSERT INTO syn_county VALUES (%s, %s, %s, %s)", counties)
            # Every first name with every surname: surnames are spread thin, as they are
            # in life (a surname names about one youth in 2,000, not one in six).
            cursor.execute("DROP TABLE IF EXISTS syn_name")
            cursor.execute(
                "CREATE TEMP TABLE syn_name ON COMMIT PRESERVE ROWS AS "
                "SELECT (row_number() OVER (ORDER BY l.ord, f.ord) - 1)::int AS idx, "
                "f.name AS first, l.name AS last, f.folded AS first_folded, "
                "l.folded AS last_folded "
                "FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY f(name, folded, ord) "
                "CROSS JOIN unnest(%s::text[], %s::text[]) WITH ORDINALITY l(name, folded, ord)",
                [
                    FIRST_NAMES,
                    [fold(name) for name in FIRST_NAMES],
                    SURNAMES,
                    [fold(name) for name in SURNAMES],
                ],
            )
            cursor.execute("ALTER TABLE syn_name ADD PRIMARY KEY (idx)")
            self.names = len(FIRST_NAMES) * len(SURNAMES)
            cursor.execute("DROP TABLE IF EXISTS syn_viewer")
            cursor.execute(
                "CREATE TEMP TABLE syn_viewer (kind text, place bigint, user_ids int[]) "
                "ON COMMIT PRESERVE ROWS"
            )
            for kind, rows in (("region", hubs), ("agency", staff)):
                by_place: dict[int, list[int]] = {}
                for place, user_id in rows:
                    by_place.setdefault(place, []).append(user_id)
                cursor.executemany(
                    "INSERT INTO syn_viewer VALUES (%s, %s, %s)",
                    [(kind, place, users) for place, users in by_place.items()],
                )

    @staticmethod
    def _latest_moments(cases) -> dict:
        """{case id: the latest moments of its history}: what a copy must keep in the
        past. (A step due later is fine in a copy of an open case.)"""
        latest: dict = {}
        for model, field in (
            (CaseEvent, "at"),
            (CaseNote, "created_at"),
            (CaseStep, "completed_at"),
            (ServiceNeed, "updated_at"),
        ):
            for pk, moment in (
                model.objects.filter(case__in=cases)
                .exclude(**{f"{field}__isnull": True})
                .values("case_id")
                .annotate(m=models.Max(field))
                .values_list("case_id", "m")
            ):
                latest.setdefault(pk, []).append(moment)
        for pk, closed in cases.filter(closed_at__isnull=False).values_list("pk", "closed_at"):
            latest.setdefault(pk, []).append(closed)
        return latest

    # --- One chunk -------------------------------------------------------------------

    def _chunk(self, size: int, accesses: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS s")
            cursor.execute("SET LOCAL synchronous_commit = off")
            # Copies of coherent cases: the foreign-key checks, one trigger a row, would
            # find nothing. (Needs a superuser, as a throw-away database's owner is.)
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(
                """
                CREATE TEMP TABLE s AS
                WITH r AS (
                    SELECT g,
                           floor(random() * %(templates)s)::int AS ti,
                           random() * %(weight)s AS cw,
                           random() AS shift_r,
                           random() AS looks_r,
                           floor(random() * %(names)s)::int AS ni
                    FROM generate_series(1, %(size)s) g
                )
                SELECT r.g,
                       gen_random_uuid() AS case_id,
                       gen_random_uuid() AS youth_id,
                       gen_random_uuid() AS referral_id,
                       t.case_id AS t_case, t.youth_id AS t_youth, t.referral_id AS t_referral,
                       t.agency_id AS t_agency,
                       CASE WHEN t.tribal THEN t.region_id ELSE c.region_id END AS region_id,
                       CASE WHEN t.tribal THEN t.county_id ELSE c.county_id END AS county_id,
                       CASE WHEN t.agency_id IS NULL OR t.tribal THEN t.agency_id
                            ELSE c.agency_id END AS agency_id,
                       floor(r.looks_r * (2 * %(accesses)s + 1))::int AS looks,
                       (t.low_days + floor(r.shift_r * (t.span_days + 1)))::int AS shift_days,
                       make_interval(days => (t.low_days
                           + floor(r.shift_r * (t.span_days + 1)))::int) AS shift,
                       n.first, n.last,
                       trim(n.first_folded || ' ' || n.last_folded || ' '
                           || t.preferred_folded) AS name_folded
                FROM r
                JOIN syn_template t ON t.idx = r.ti
                JOIN syn_name n ON n.idx = r.ni
                JOIN LATERAL (
                    SELECT * FROM syn_county sc WHERE sc.cum >= r.cw ORDER BY sc.cum LIMIT 1
                ) c ON true
                """,
                {
                    "templates": self.templates,
                    "weight": self.total_weight,
                    "names": self.names,
                    "size": size,
                    "accesses": accesses,
                },
            )
            cursor.execute("CREATE INDEX ON s (t_case)")
            cursor.execute("ANALYZE s")
            for sql in self._inserts():
                began = time.perf_counter()
                cursor.execute(sql)
                if self.verbosity > 1:
                    table = sql.split("INSERT INTO ", 1)[1].split(" ", 1)[0]
                    self.stdout.write(
                        f"    {table}: {cursor.rowcount:,} rows in "
                        f"{time.perf_counter() - began:.2f} s"
                    )
            cursor.execute(
                f"""
                INSERT INTO cases_casenumbercounter (region_id, year, last)
                SELECT region_id, split_part(number, '-', 2)::int,
                       max(split_part(number, '-', 3)::int)
                FROM {qn(Case._meta.db_table)} WHERE id IN (SELECT case_id FROM s)
                GROUP BY 1, 2
                ON CONFLICT (region_id, year)
                DO UPDATE SET last = greatest(cases_casenumbercounter.last, EXCLUDED.last)
                """
            )
            # Inside a caller's transaction (a test) the checks come back at once.
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute("DROP TABLE s")

    def _inserts(self) -> list[str]:
        same_agency = "CASE WHEN {0} = s.t_agency THEN s.agency_id ELSE {0} END"
        referral_indicators = Referral.indicators.through
        channels = ", ".join(f"'{c}'" for c, share in CHANNELS for _ in range(share))
        return [
            copy_sql(
                Youth,
                "y",
                {
                    "id": "s.youth_id",
                    "region_id": "s.region_id",
                    "county_id": "s.county_id",
                    "legal_first_name": "s.first",
                    "legal_last_name": "s.last",
                    "name_folded": "s.name_folded",
                },
                f"FROM s JOIN {src(Youth)} y ON y.id = s.t_youth",
            ),
            copy_sql(
                Referral,
                "f",
                {"id": "s.referral_id", "youth_id": "s.youth_id", "region_id": "s.region_id"},
                f"FROM s JOIN {src(Referral)} f ON f.id = s.t_referral",
            ),
            copy_sql(
                referral_indicators,
                "i",
                {"referral_id": "s.referral_id"},
                f"FROM s JOIN {src(referral_indicators)} i ON i.referral_id = s.t_referral",
            ),
            # A case number: the region's sequence for the year it opened, after the
            # numbers given already.
            copy_sql(
                Case,
                "k",
                {
                    "id": "s.case_id",
                    "youth_id": "s.youth_id",
                    "referral_id": "s.referral_id",
                    "region_id": "s.region_id",
                    "county_id": "s.county_id",
                    "agency_id": "s.agency_id",
                    "assigned_worker_id": "CASE WHEN s.agency_id IS NOT DISTINCT FROM "
                    "s.t_agency THEN k.assigned_worker_id END",
                    "number": "'R' || r.number || '-' || s.year || '-' || "
                    "lpad(s.seq::text, greatest(4, length(s.seq::text)), '0')",
                },
                f"""FROM (
                    SELECT s.*, y.year, coalesce(counter.last, 0) + row_number() OVER (
                        PARTITION BY s.region_id, y.year ORDER BY s.g) AS seq
                    FROM s
                    JOIN {src(Case)} k0 ON k0.id = s.t_case
                    CROSS JOIN LATERAL (SELECT extract(year FROM (k0.opened_at + s.shift)
                        AT TIME ZONE '{settings.TIME_ZONE}')::int AS year) y
                    LEFT JOIN cases_casenumbercounter counter
                        ON counter.region_id = s.region_id AND counter.year = y.year
                ) s
                JOIN {src(Case)} k ON k.id = s.t_case
                JOIN regions_region r ON r.id = s.region_id""",
            ),
            copy_sql(
                CaseStep,
                "x",
                {"case_id": "s.case_id", "region_id": "s.region_id"},
                f"FROM s JOIN {src(CaseStep)} x ON x.case_id = s.t_case",
            ),
            copy_sql(
                CaseEvent,
                "e",
                {
                    "case_id": "s.case_id",
                    "from_agency_id": same_agency.format("e.from_agency_id"),
                    "to_agency_id": same_agency.format("e.to_agency_id"),
                },
                f"FROM s JOIN {src(CaseEvent)} e ON e.case_id = s.t_case",
            ),
            copy_sql(
                CaseNote,
                "o",
                {"case_id": "s.case_id"},
                f"FROM s JOIN {src(CaseNote)} o ON o.case_id = s.t_case",
            ),
            copy_sql(
                ServiceNeed,
                "d",
                {"case_id": "s.case_id"},
                f"FROM s JOIN {src(ServiceNeed)} d ON d.case_id = s.t_case",
            ),
            # One case in eight with an agency: consent to share with it, signed when the
            # case was accepted (or opened), for a year.
            f"""
            INSERT INTO {Consent._meta.db_table} (case_id, recipient_id, scope,
                youth_consented, guardian_consented, guardian_name, signed_on, expires_on,
                revoked_at, recorded_by_id, recorded_at)
            SELECT k.id, k.agency_id, 'Case coordination and service referrals', true, true,
                'Synthetic guardian', (coalesce(k.accepted_at, k.opened_at))::date,
                (coalesce(k.accepted_at, k.opened_at))::date + 365, NULL,
                v.user_ids[1], coalesce(k.accepted_at, k.opened_at)
            FROM s JOIN {Case._meta.db_table} k ON k.id = s.case_id
            JOIN syn_viewer v ON v.kind = 'region' AND v.place = k.region_id
            WHERE k.agency_id IS NOT NULL AND s.g % 8 = 0
            """,
            # Who looked: the region's hubs and the agency's staff, between the case's
            # opening and its closing (or now); mostly pages and lists.
            f"""
            INSERT INTO {CaseAccess._meta.db_table} (case_id, user_id, at, channel, granted,
                ip_address)
            SELECT k.id, who.user_ids[1 + floor(random() * cardinality(who.user_ids))::int],
                k.opened_at + random() * (coalesce(k.closed_at, now()) - k.opened_at),
                (ARRAY[{channels}])[1 + floor(random() * 100)::int],
                random() > 0.002,
                ('10.20.' || (a % 250) || '.' || (1 + a % 200))::inet
            FROM s JOIN {Case._meta.db_table} k ON k.id = s.case_id
            LEFT JOIN syn_viewer hub ON hub.kind = 'region' AND hub.place = k.region_id
            LEFT JOIN syn_viewer staff ON staff.kind = 'agency' AND staff.place = k.agency_id
            CROSS JOIN LATERAL generate_series(1, s.looks) a
            CROSS JOIN LATERAL (
                SELECT CASE WHEN a % 2 = 0 AND staff.user_ids IS NOT NULL THEN staff.user_ids
                            ELSE coalesce(hub.user_ids, staff.user_ids) END AS user_ids
            ) who
            WHERE who.user_ids IS NOT NULL
            """,
        ]
