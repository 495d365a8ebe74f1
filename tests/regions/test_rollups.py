"""The quarterly rollup: quarters in Wisconsin time, the job (lease, atomic replacement,
run record), the schedule, the worker, the `rollup` command and the metric registry.

What each figure means is checked against an independent computation in
tests/cases/test_metrics.py; here the counts are small, worked out by hand.
"""

import ast
import contextlib
import dataclasses
import datetime
import threading
import time
from io import StringIO
from pathlib import Path

import psycopg2
import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import regions.metrics as registry
from cases import services
from cases.models import Case, ClosureReason, ReferralSource
from hubnet.celery import app
from regions import rollups, tasks
from regions.metrics import FigureRow, Metric, Unit, metrics, register
from regions.models import (
    Agency,
    County,
    Figure,
    RollupQuarter,
    RollupRun,
    RollupStatus,
    RollupTrigger,
)
from regions.quarters import Quarter
from regions.rollups import rollup_quarter, rollup_request
from tests.cases.test_metrics import CASE_METRICS, CT, STORIES, UTC, ct, tell

Q1 = Quarter(2026, 1)
COLUMNS = (
    "quarter",
    "scope",
    "region_id",
    "county_id",
    "tribe_id",
    "metric",
    "dimension",
    "category",
    "value",
    "denominator",
    "shown",
    "suppressed",
    "small",
    "threshold",
)


def rows(quarter) -> list[tuple]:
    """Every column of the quarter's figures but id and run, in a stable order."""
    found = Figure.objects.filter(quarter=str(quarter)).values_list(*COLUMNS)
    return sorted(found, key=lambda row: tuple("" if v is None else str(v) for v in row))


def statewide(quarter, metric, dimension="", category=""):
    return (
        Figure.objects.filter(
            quarter=str(quarter),
            scope="state",
            metric=metric,
            dimension=dimension,
            category=category,
        )
        .values_list("value", flat=True)
        .get()
    )


def log(personas, received, *, logged=None, county="Outagamie"):
    """A referral received at `received`, logged by the region's hub at `logged`."""
    county = County.objects.select_related("region").get(name=county)
    hub = personas["hub2.specialist" if county.region.number == 2 else "hub5.specialist"]
    with time_machine.travel(logged or received, tick=False):
        return services.referral_create(
            logged_by=hub,
            region=county.region,
            youth_data={
                "legal_first_name": "Rollup",
                "legal_last_name": "Testcase",
                "estimated_age": 15,
                "county": county,
            },
            referral_data={
                "received_at": received,
                "source": ReferralSource.SCHOOL,
                "narrative": "Synthetic.",
            },
        )


def at(moment):
    return time_machine.travel(moment, tick=False)


# --- Quarters ----------------------------------------------------------------------


class TestQuarter:
    @pytest.mark.parametrize("text", ["2026Q3", "2026q3", "2026-Q3", " 2026 - q 3 "])
    def test_parse(self, text):
        assert Quarter.parse(text) == Quarter(2026, 3)

    @pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "2026", "Q3 2026", "26Q3", "", "x"])
    def test_parse_refuses_what_is_not_a_quarter_saying_how_to_write_one(self, text):
        with pytest.raises(ValueError, match=r"is not a quarter: write it like 2026Q3"):
            Quarter.parse(text)

    def test_a_year_out_of_range_is_refused(self):
        with pytest.raises(ValueError, match="out of range"):
            Quarter.parse("1999Q4")

    @pytest.mark.parametrize(
        ("moment", "expected"),
        [
            (ct(2026, 3, 31, 23, 30), "2026Q1"),
            (datetime.datetime(2026, 4, 1, 4, 30, tzinfo=UTC), "2026Q1"),  # the same moment
            (datetime.datetime(2026, 4, 1, 5, 0, tzinfo=UTC), "2026Q2"),  # 00:00 CDT
            (ct(2026, 4, 1, 0, 0), "2026Q2"),
            (datetime.datetime(2026, 1, 1, 5, 59, tzinfo=UTC), "2025Q4"),  # 23:59 CST
            (datetime.datetime(2026, 1, 1, 6, 0, tzinfo=UTC), "2026Q1"),  # 00:00 CST
            (ct(2026, 3, 8, 1, 59), "2026Q1"),  # the minute before the change
            (ct(2026, 3, 8, 3, 0), "2026Q1"),  # the minute after
            (ct(2026, 3, 9, 2, 30), "2026Q1"),  # 02:30 the day after
            (ct(2026, 9, 30, 23, 59), "2026Q3"),
            (ct(2026, 12, 31, 23, 59), "2026Q4"),
        ],
    )
    def test_containing_reads_the_wisconsin_calendar(self, moment, expected):
        assert str(Quarter.containing(moment)) == expected

    def test_bounds_are_wisconsin_midnights(self):
        # CST is UTC-6, CDT UTC-5.
        assert Q1.start == datetime.datetime(2026, 1, 1, 6, tzinfo=UTC)
        assert Q1.end == datetime.datetime(2026, 4, 1, 5, tzinfo=UTC)
        # 31 + 28 + 31 days, less the hour the March change took away (elapsed time: in
        # UTC, as Python subtracts two times of one zone on the wall clock)
        assert Q1.end.astimezone(UTC) - Q1.start == datetime.timedelta(days=90, hours=-1)
        assert Quarter(2026, 3).start == datetime.datetime(2026, 7, 1, 5, tzinfo=UTC)
        q4 = Quarter(2025, 4)  # gives the hour back in November
        assert (q4.start, q4.end) == (
            datetime.datetime(2025, 10, 1, 5, tzinfo=UTC),
            datetime.datetime(2026, 1, 1, 6, tzinfo=UTC),
        )
        assert q4.end.astimezone(UTC) - q4.start == datetime.timedelta(days=92, hours=1)

    def test_next_and_previous_wrap_the_year(self):
        assert Quarter(2026, 4).next() == Quarter(2027, 1)
        assert Quarter(2027, 1).previous() == Quarter(2026, 4)
        assert Quarter(2026, 2).next() == Quarter(2026, 3)
        assert Quarter(2026, 2).previous() == Quarter(2026, 1)
        quarter = Quarter(2024, 1)
        for _ in range(12):
            assert quarter.next().previous() == quarter
            assert quarter.end == quarter.next().start
            assert quarter.next() > quarter
            quarter = quarter.next()
        assert quarter == Quarter(2027, 1)

    def test_back_is_oldest_first(self):
        assert Quarter(2026, 1).back(3) == [Quarter(2025, 3), Quarter(2025, 4), Quarter(2026, 1)]

    def test_complete_from_the_next_quarter_first_moment(self):
        assert Q1.is_complete(now=datetime.datetime(2026, 4, 1, 5, tzinfo=UTC))
        assert not Q1.is_complete(now=datetime.datetime(2026, 4, 1, 4, 59, 59, tzinfo=UTC))

    def test_names(self):
        assert str(Quarter(2026, 3)) == "2026Q3"
        assert Quarter(2026, 3).label == "Q3 2026"

    def test_current_follows_the_clock(self):
        with at(ct(2026, 3, 31, 23, 30)):
            assert Quarter.current() == Q1
        with at(ct(2026, 4, 1, 0, 0)):
            assert Quarter.current() == Quarter(2026, 2)


# --- Counting by quarter -----------------------------------------------------------


@pytest.mark.django_db
class TestQuarterBoundaries:
    def test_a_referral_counts_in_the_quarter_of_its_wisconsin_date(self, personas):
        for moment in [
            ct(2025, 12, 31, 23, 59),  # 2025Q4
            ct(2026, 1, 1, 0, 0),  # 2026Q1 from here
            ct(2026, 3, 8, 1, 59),  # CST, the minute before the change
            ct(2026, 3, 8, 3, 0),  # CDT, the minute after
            ct(2026, 3, 9, 2, 30),  # 02:30 the day after the change
            ct(2026, 3, 31, 23, 30),  # 04:30 UTC on 1 April
            ct(2026, 4, 1, 0, 0),  # 2026Q2
        ]:
            log(personas, moment)

        with at(ct(2026, 4, 1, 12, 0)):
            for quarter in ("2025Q4", "2026Q1", "2026Q2"):
                rollup_quarter(quarter=Quarter.parse(quarter))

        assert statewide("2025Q4", "referrals_received") == 1
        assert statewide("2026Q1", "referrals_received") == 5
        assert statewide("2026Q2", "referrals_received") == 1
        assert statewide("2026Q1", "cases_opened") == 5  # logged as received
        assert statewide("2026Q1", "cases_active_end") == 6  # the 2025Q4 case too
        assert statewide("2026Q2", "cases_active_end") == 7

    def test_hours_to_acceptance_over_the_march_change_are_elapsed_hours(self, personas):
        case = log(personas, ct(2026, 3, 7, 22, 0))
        hub, worker = personas["hub2.specialist"], personas["outagamie.worker"]
        with at(ct(2026, 3, 7, 23, 0)):
            services.case_screen(case_id=case.pk, actor=hub, outcome="suspected")
            agency = Agency.objects.get(name="Outagamie County Human Services")
            services.case_route(case_id=case.pk, actor=hub, agency=agency)
        with at(ct(2026, 3, 8, 10, 0)):  # 12 hours on the clock, 11 elapsed
            services.case_accept(case_id=case.pk, actor=worker)

        with at(ct(2026, 4, 2)):
            rollup_quarter(quarter=Q1)

        assert statewide("2026Q1", "median_hours_to_acceptance") == 11.0

    def test_what_happens_at_the_quarter_end_belongs_to_the_next_quarter(self, personas):
        """Figures count moments with start <= t < end. At 00:00 on 1 April, 2026Q2's first
        moment, one case's intake is recorded and another case is closed: at 2026Q1's end
        both cases were open and both intakes (due 22:00 on 31 March) were overdue."""
        done = log(personas, ct(2026, 3, 31, 20, 0))
        closed = log(personas, ct(2026, 3, 31, 20, 0))
        hub = personas["hub2.specialist"]
        with at(ct(2026, 4, 1, 0, 0)):
            services.case_step_complete(
                case_id=done.pk,
                step_key="intake",
                actor=hub,
                data={"reviewed_at": "2026-03-31T23:00"},
            )
            services.case_close(case_id=closed.pk, actor=hub, reason=ClosureReason.DUPLICATE)

        with at(ct(2026, 4, 2)):
            rollup_quarter(quarter=Q1)
            rollup_quarter(quarter=Quarter(2026, 2))

        assert statewide("2026Q1", "cases_active_end") == 2
        assert statewide("2026Q2", "cases_closed") == 1
        assert statewide("2026Q1", "cases_closed") == 0
        assert statewide("2026Q1", "steps_overdue_end", "step", "intake") == 2


# --- The job -----------------------------------------------------------------------


@pytest.fixture
def seeded(personas):
    """A few of the metrics data set's stories (2025Q4 to 2026Q2)."""
    for story in STORIES[:10]:
        tell(story, personas)


@pytest.mark.django_db
class TestRun:
    def test_a_run_records_what_it_did(self, seeded, personas):
        admin = personas["state.admin"]
        with at(ct(2026, 4, 20, 12, 0)):
            run = rollup_quarter(quarter=Q1, trigger=RollupTrigger.PERSON, requested_by=admin)

        run.refresh_from_db()
        assert run.status == RollupStatus.SUCCEEDED
        assert (run.quarter, run.trigger, run.requested_by) == ("2026Q1", "person", admin)
        assert run.started_at == run.finished_at == ct(2026, 4, 20, 12, 0)  # the clock stood
        assert run.as_of == Q1.end
        assert run.metrics_total == run.metrics_done == len(metrics())
        assert run.figures_written == Figure.objects.filter(quarter="2026Q1").count() > 0
        assert run.error == ""
        lock = RollupQuarter.objects.get(quarter="2026Q1")
        assert (lock.holder, lock.held_until, lock.current_run) == (None, None, run)

    def test_the_quarter_under_way_counts_up_to_the_run(self, seeded):
        with at(ct(2026, 4, 14, 9, 5)):
            run = rollup_quarter(quarter=Quarter(2026, 2))

        assert run.as_of == ct(2026, 4, 14, 9, 5)
        # Emery (00:00 on 1 April) only: the later stories had not happened yet
        assert statewide("2026Q2", "referrals_received") == 1

    def test_a_rerun_writes_identical_rows(self, seeded):
        with at(ct(2026, 4, 20, 12, 0)):
            first = rollup_quarter(quarter=Q1)
        written = rows(Q1)
        with at(ct(2026, 6, 3, 9, 0)):
            second = rollup_quarter(quarter=Q1)

        assert rows(Q1) == written
        assert len(written) == first.figures_written == second.figures_written
        assert set(Figure.objects.filter(quarter="2026Q1").values_list("run", flat=True)) == {
            second.pk
        }
        assert RollupQuarter.objects.get(quarter="2026Q1").current_run == second
        assert statewide("2026Q1", "referrals_received") > 0  # not a table of zeros

    def test_a_run_touches_only_its_quarter(self, seeded):
        with at(ct(2026, 4, 20, 12, 0)):
            rollup_quarter(quarter=Quarter(2025, 4))
            other = rows("2025Q4")
            rollup_quarter(quarter=Q1)
            rollup_quarter(quarter=Q1)

        assert rows("2025Q4") == other

    def test_executing_a_finished_run_again_changes_nothing(self, seeded):
        with at(ct(2026, 4, 20, 12, 0)):
            run = rollup_quarter(quarter=Q1)
        written = list(Figure.objects.filter(quarter="2026Q1").values_list("pk", *COLUMNS))

        again = rollups.rollup_execute(run_id=run.pk)

        assert again.pk == run.pk
        assert again.status == RollupStatus.SUCCEEDED
        assert list(Figure.objects.filter(quarter="2026Q1").values_list("pk", *COLUMNS)) == (
            written
        )
        assert RollupRun.objects.count() == 1


def _replace_metric(monkeypatch, key, compute):
    """Swap one registered metric's computation, keeping its place in the registry."""
    current = registry.metric(key)
    monkeypatch.setitem(registry._registry, key, dataclasses.replace(current, compute=compute))


@pytest.mark.django_db
@contextlib.contextmanager
def live_holder(quarter: str):
    """Another worker alive and running `quarter`: on PostgreSQL, a second session holding
    the quarter's advisory lock (on SQLite the lease alone says so)."""
    if connection.vendor != "postgresql":
        yield
        return
    other = psycopg2.connect(**connection.get_connection_params())
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [rollups._advisory_key(quarter)])
        yield
    finally:
        other.close()


class TestFailure:
    def test_a_metric_failing_mid_run_leaves_the_figures_standing(self, seeded, personas):
        with at(ct(2026, 4, 20, 12, 0)):
            good = rollup_quarter(quarter=Q1)
        before = list(Figure.objects.filter(quarter="2026Q1").values_list("run", *COLUMNS))
        received = statewide("2026Q1", "referrals_received")
        log(personas, ct(2026, 2, 1, 10, 0))  # a rerun would now count one more

        keys = [m.key for m in metrics()]
        failing = keys[5]
        computed = []

        def boom(period):
            computed.append(failing)
            raise RuntimeError("injected failure")

        with pytest.MonkeyPatch.context() as patch:
            for key in keys[:5]:
                real = registry.metric(key).compute
                _replace_metric(
                    patch, key, lambda period, k=key, real=real: computed.append(k) or real(period)
                )
            _replace_metric(patch, failing, boom)
            with at(ct(2026, 4, 21, 12, 0)), pytest.raises(RuntimeError, match="injected"):
                rollup_quarter(quarter=Q1)

        assert computed == keys[:6]  # the first five ran before the sixth failed
        failed = RollupRun.objects.exclude(pk=good.pk).get()
        assert failed.status == RollupStatus.FAILED
        assert failed.error == "RuntimeError: injected failure"
        assert failed.finished_at == ct(2026, 4, 21, 12, 0)
        assert failed.metrics_done == 5
        assert failed.figures_written == 0
        assert list(Figure.objects.filter(quarter="2026Q1").values_list("run", *COLUMNS)) == (
            before
        )
        lock = RollupQuarter.objects.get(quarter="2026Q1")
        assert (lock.holder, lock.held_until, lock.current_run) == (None, None, good)

        # The quarter is free again: the next run goes straight through (with a lease this
        # short, a run kept waiting would fail at once) and counts the new referral.
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rollups, "LEASE", datetime.timedelta(seconds=1))
            with at(ct(2026, 4, 22, 12, 0)):
                rollup_quarter(quarter=Q1)
        assert statewide("2026Q1", "referrals_received") == received + 1

    def test_a_run_that_cannot_get_the_quarter_is_recorded_as_failed(self, db, monkeypatch):
        # The holder's worker is alive: on PostgreSQL its session holds the quarter's lock.
        holder = RollupRun.objects.create(
            quarter="2026Q1", trigger=RollupTrigger.SCHEDULE, status=RollupStatus.RUNNING
        )
        held_until = timezone.now() + datetime.timedelta(minutes=10)
        RollupQuarter.objects.create(quarter="2026Q1", holder=holder, held_until=held_until)
        monkeypatch.setattr(rollups, "LEASE", datetime.timedelta(seconds=0.5))
        monkeypatch.setattr(rollups, "WAIT_POLL_SECONDS", 0.1)

        with live_holder("2026Q1"), pytest.raises(rollups.RollupBusy):
            rollup_quarter(quarter=Q1)

        run = RollupRun.objects.exclude(pk=holder.pk).get()
        assert run.status == RollupStatus.FAILED  # not "queued" for ever
        assert run.error.startswith("RollupBusy: ")
        assert run.finished_at is not None
        lock = RollupQuarter.objects.get(quarter="2026Q1")
        assert (lock.holder, lock.held_until) == (holder, held_until)  # the holder keeps it
        assert not Figure.objects.exists()

    def test_a_lease_left_by_a_dead_run_is_taken_over(self, seeded, monkeypatch):
        dead = RollupRun.objects.create(
            quarter="2026Q1", trigger=RollupTrigger.SCHEDULE, status=RollupStatus.RUNNING
        )
        RollupQuarter.objects.create(
            quarter="2026Q1",
            holder=dead,
            held_until=ct(2026, 4, 20, 11, 59),
        )

        monkeypatch.setattr(rollups, "LEASE", datetime.timedelta(seconds=1))  # fail, not hang
        with at(ct(2026, 4, 20, 12, 0)):
            run = rollup_quarter(quarter=Q1)

        assert run.status == RollupStatus.SUCCEEDED
        lock = RollupQuarter.objects.get(quarter="2026Q1")
        assert (lock.holder, lock.current_run) == (None, run)


@pytest.mark.django_db(transaction=True)
def test_a_failure_while_writing_rolls_the_replacement_back(personas, monkeypatch):
    """Committed figures, then a run whose writing fails halfway: nothing of it stays."""
    for story in STORIES[:4]:
        tell(story, personas)
    with at(ct(2026, 4, 20, 12, 0)):
        good = rollup_quarter(quarter=Q1)
    before = list(Figure.objects.filter(quarter="2026Q1").values_list("run", *COLUMNS))
    real_bulk_create = Figure.objects.bulk_create

    def half_then_fail(objs, **kwargs):
        objs = list(objs)
        real_bulk_create(objs[: len(objs) // 2], **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure.objects, "bulk_create", half_then_fail)
    with at(ct(2026, 4, 21, 12, 0)), pytest.raises(RuntimeError, match="disk full"):
        rollup_quarter(quarter=Q1)
    monkeypatch.undo()

    assert list(Figure.objects.filter(quarter="2026Q1").values_list("run", *COLUMNS)) == before
    failed = RollupRun.objects.exclude(pk=good.pk).get()
    assert (failed.status, failed.error) == (RollupStatus.FAILED, "RuntimeError: disk full")
    lock = RollupQuarter.objects.get(quarter="2026Q1")
    assert (lock.holder, lock.held_until, lock.current_run) == (None, None, good)


@pytest.mark.django_db
def test_a_request_runs_once_the_transaction_commits(
    personas, seeded, django_capture_on_commit_callbacks
):
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("with a broker, test_a_worker_runs_a_requested_rollup covers this")
    admin = personas["state.admin"]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        run = rollup_request(quarter=Q1, trigger=RollupTrigger.PERSON, requested_by=admin)
        assert RollupRun.objects.get(pk=run.pk).status == RollupStatus.QUEUED
        assert not Figure.objects.exists()

    run.refresh_from_db()
    assert run.status == RollupStatus.SUCCEEDED
    assert (run.trigger, run.requested_by) == (RollupTrigger.PERSON, admin)
    assert Figure.objects.filter(quarter="2026Q1", run=run).count() == run.figures_written > 0


# --- Two runs at once (PostgreSQL row locks) --------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_quarter_take_turns(wisconsin, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking is exercised on PostgreSQL (DATABASE_URL)")

    def slow(period):
        time.sleep(1.0)  # long enough that two unserialized runs would overlap
        return [FigureRow("state", None, None, None, "", "", 1)]

    metrics()  # the registry discovered before a metric is added to it
    monkeypatch.setitem(
        registry._registry,
        "test_slow",
        Metric("test_slow", "Slow", Unit.COUNT, "A metric that takes a second.", slow),
    )
    written: dict[int, list] = {}
    real_bulk_create = Figure.objects.bulk_create

    def recording(objs, **kwargs):
        objs = list(objs)
        written[objs[0].run_id] = sorted(
            (tuple(getattr(f, c) for c in COLUMNS) for f in objs),
            key=lambda row: tuple("" if v is None else str(v) for v in row),
        )
        return real_bulk_create(objs, **kwargs)

    monkeypatch.setattr(Figure.objects, "bulk_create", recording)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            rollup_quarter(quarter=Q1)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    first, second = RollupRun.objects.filter(quarter="2026Q1").order_by("started_at")
    assert first.status == second.status == RollupStatus.SUCCEEDED
    assert first.finished_at <= second.started_at  # one after the other
    assert second.requested_at < first.finished_at  # though asked for while the first ran
    assert rows(Q1) == written[second.pk] == written[first.pk]
    assert set(Figure.objects.filter(quarter="2026Q1").values_list("run", flat=True)) == {
        second.pk
    }
    lock = RollupQuarter.objects.get(quarter="2026Q1")
    assert (lock.holder, lock.current_run) == (None, second)


# --- The schedule ------------------------------------------------------------------


def beat_fires(monkeypatch, entry, year):
    """Walk a year the way celery beat does, every 15 minutes, asking the entry's crontab
    whether it is due (celery's own is_due, in CELERY_TIMEZONE); the moments it fires."""
    schedule = settings.CELERY_BEAT_SCHEDULE[entry]["schedule"]
    now = [datetime.datetime(year - 1, 12, 31, 23, 0, tzinfo=CT).astimezone(UTC)]
    monkeypatch.setattr(schedule, "nowfun", lambda: now[0])
    last_run_at = now[0]
    end = datetime.datetime(year + 1, 1, 1, tzinfo=CT)
    fired = []
    while now[0] < end:
        now[0] += datetime.timedelta(minutes=15)
        due, _ = schedule.is_due(last_run_at)
        if due:
            fired.append(now[0])
            last_run_at = now[0]
    return fired


def test_the_quarter_that_ended_is_rolled_up_at_3_on_its_next_first_day(monkeypatch):
    entry = settings.CELERY_BEAT_SCHEDULE["rollup-quarter-just-ended"]
    assert str(entry["schedule"].tz) == "America/Chicago"
    fired = beat_fires(monkeypatch, "rollup-quarter-just-ended", 2027)

    assert fired == [ct(2027, month, 1, 3, 0) for month in (1, 4, 7, 10)]
    assert entry["task"] == "regions.rollup_quarter_just_ended"


def test_the_quarter_to_date_is_rolled_up_every_night_once(monkeypatch):
    entry = settings.CELERY_BEAT_SCHEDULE["rollup-quarter-to-date"]
    fired = beat_fires(monkeypatch, "rollup-quarter-to-date", 2027)

    first = datetime.date(2027, 1, 1)
    nights = [first + datetime.timedelta(days=n) for n in range(365)]
    # 14 March and 7 November (the changes) included, once each, at 00:45 on the clock
    assert fired == [datetime.datetime.combine(d, datetime.time(0, 45), tzinfo=CT) for d in nights]
    assert entry["task"] == "regions.rollup_quarter_to_date"


def test_the_scheduled_task_names_are_registered():
    for entry in ("rollup-quarter-just-ended", "rollup-quarter-to-date"):
        assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in app.tasks
    assert tasks.rollup_run.name in app.tasks


@pytest.mark.django_db
class TestScheduledTasks:
    def test_at_3_on_1_april_the_first_quarter_is_rolled_up_whole(self, wisconsin):
        with at(ct(2027, 4, 1, 3, 0)):
            written = tasks.rollup_quarter_just_ended.apply().get()

        run = RollupRun.objects.get()
        assert (run.quarter, run.trigger, run.status) == ("2027Q1", "schedule", "succeeded")
        assert run.as_of == Quarter(2027, 1).end
        assert written == run.figures_written == Figure.objects.filter(quarter="2027Q1").count()

    def test_at_3_on_1_january_the_last_year_fourth_quarter(self, wisconsin):
        with at(ct(2027, 1, 1, 3, 0)):
            tasks.rollup_quarter_just_ended.apply().get()

        assert RollupRun.objects.get().quarter == "2026Q4"

    def test_every_night_the_quarter_under_way_up_to_now(self, wisconsin):
        with at(ct(2027, 4, 2, 0, 45)):
            written = tasks.rollup_quarter_to_date.apply().get()

        run = RollupRun.objects.get()
        assert (run.quarter, run.trigger, run.status) == ("2027Q2", "schedule", "succeeded")
        assert run.as_of == ct(2027, 4, 2, 0, 45)
        assert written == Figure.objects.filter(quarter="2027Q2").count()

    def test_a_quarter_end_sent_twice_is_computed_once(self, wisconsin):
        # A beat restarted just after 03:00 (its schedule file lost) sends it again.
        with at(ct(2027, 4, 1, 3, 0)):
            tasks.rollup_quarter_just_ended.apply().get()
        with at(ct(2027, 4, 1, 3, 2)):
            again = tasks.rollup_quarter_just_ended.apply().get()

        assert again == 0
        assert RollupRun.objects.filter(quarter="2027Q1").count() == 1
        # A person may still recompute it whenever they like.
        with at(ct(2027, 4, 1, 9, 0)):
            rollup_quarter(quarter=Quarter(2027, 1), trigger=RollupTrigger.PERSON)
        assert RollupRun.objects.filter(quarter="2027Q1").count() == 2

    def test_the_nightly_run_sent_twice_the_same_night_runs_once(self, wisconsin):
        with at(ct(2027, 4, 2, 0, 45)):
            tasks.rollup_quarter_to_date.apply().get()
        with at(ct(2027, 4, 2, 0, 47)):
            again = tasks.rollup_quarter_to_date.apply().get()
        with at(ct(2027, 4, 3, 0, 45)):
            next_night = tasks.rollup_quarter_to_date.apply().get()

        assert again == 0
        assert next_night > 0
        assert RollupRun.objects.filter(quarter="2027Q2").count() == 2

    def test_a_failed_scheduled_run_is_tried_again_when_sent_again(self, wisconsin):
        RollupRun.objects.create(
            quarter="2027Q1",
            trigger=RollupTrigger.SCHEDULE,
            status=RollupStatus.FAILED,
            requested_at=ct(2027, 4, 1, 3, 0),
        )
        with at(ct(2027, 4, 1, 3, 5)):
            written = tasks.rollup_quarter_just_ended.apply().get()

        assert written > 0


# --- On a real worker (the PostgreSQL + Redis run) --------------------------------


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_requested_rollup(personas, make_case):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs a broker: set CELERY_BROKER_URL (the PostgreSQL + Redis run does)")
    case = make_case(county="Outagamie", status="received")
    quarter = Quarter.containing(case.referral.received_at)
    app.control.purge()

    with start_worker(app, perform_ping_check=False, loglevel="WARNING"):
        run = rollup_request(
            quarter=quarter, trigger=RollupTrigger.PERSON, requested_by=personas["state.admin"]
        )
        finished = wait_for(lambda: RollupRun.objects.get(pk=run.pk).is_finished)

    assert finished, "the worker did not finish the run"
    run.refresh_from_db()
    assert run.status == RollupStatus.SUCCEEDED, run.error
    figures = Figure.objects.filter(quarter=str(quarter))
    assert figures.count() == run.figures_written > 0
    assert set(figures.values_list("run", flat=True)) == {run.pk}
    received = Case.objects.filter(
        referral__received_at__gte=quarter.start, referral__received_at__lt=run.as_of
    ).count()
    assert received == 1
    assert statewide(quarter, "referrals_received") == received


# --- The command -------------------------------------------------------------------


@pytest.mark.django_db
class TestCommand:
    def call(self, *args):
        out = StringIO()
        call_command("rollup", *args, stdout=out)
        return out.getvalue()

    def test_a_quarter_is_written_and_what_was_written_printed(self, personas):
        log(personas, ct(2026, 7, 15, 10, 0))
        log(personas, ct(2026, 9, 30, 23, 30))

        with at(ct(2026, 11, 22, 9, 0)):
            out = self.call("--quarter", "2026Q3")

        run = RollupRun.objects.get()
        written = Figure.objects.filter(quarter="2026Q3").count()
        assert (run.trigger, run.status) == (RollupTrigger.COMMAND, RollupStatus.SUCCEEDED)
        assert written == run.figures_written > 0
        assert out.startswith(
            f"2026Q3 (complete): {written} figures from {len(metrics())} metrics in "
        )
        assert out.rstrip().endswith(f"(run {run.pk}).")
        assert statewide("2026Q3", "referrals_received") == 2

    def test_verbose_lists_each_metric(self, wisconsin):
        out = StringIO()
        with at(ct(2026, 11, 22, 9, 0)):
            call_command("rollup", "--quarter", "2026Q3", verbosity=2, stdout=out)

        listed = [line.split(":")[0].strip() for line in out.getvalue().splitlines()[:-1]]
        assert listed == [m.key for m in metrics()]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("2026Q5", "'2026Q5' is not a quarter: write it like 2026Q3."),
            ("Q3", "'Q3' is not a quarter: write it like 2026Q3."),
            ("1999Q1", "The quarter's year is out of range."),
        ],
    )
    def test_a_bad_quarter_is_refused_clearly(self, wisconsin, text, message):
        with pytest.raises(CommandError) as raised:
            self.call("--quarter", text)

        assert str(raised.value) == message
        assert not RollupRun.objects.exists()

    def test_a_future_quarter_is_refused(self, wisconsin):
        with at(ct(2026, 11, 22, 9, 0)), pytest.raises(CommandError) as raised:
            self.call("--quarter", "2027Q1")

        assert str(raised.value) == "2027Q1 has not started yet."
        assert not RollupRun.objects.exists()

    def test_current_counts_the_quarter_under_way_up_to_now(self, personas):
        log(personas, ct(2026, 10, 2, 10, 0))

        with at(ct(2026, 11, 22, 9, 0)):
            out = self.call("--current")

        run = RollupRun.objects.get()
        assert out.startswith("2026Q4 (to date): ")
        assert (run.quarter, run.as_of) == ("2026Q4", ct(2026, 11, 22, 9, 0))
        assert statewide("2026Q4", "referrals_received") == 1

    def test_last_rolls_up_the_quarters_ending_with_this_one(self, wisconsin):
        with at(ct(2026, 11, 22, 9, 0)):
            out = self.call("--last", "3")

        assert [line.split(" ")[0] for line in out.splitlines()] == ["2026Q2", "2026Q3", "2026Q4"]
        assert sorted(RollupRun.objects.values_list("quarter", flat=True)) == [
            "2026Q2",
            "2026Q3",
            "2026Q4",
        ]
        with pytest.raises(CommandError, match="--last takes 1 to 40 quarters"):
            self.call("--last", "0")

    def test_one_of_the_choices_is_required(self, wisconsin):
        with pytest.raises(CommandError, match="one of the arguments"):
            self.call()

    def test_a_failure_says_the_earlier_figures_stand(self, wisconsin, monkeypatch):
        with at(ct(2026, 11, 22, 9, 0)):
            self.call("--quarter", "2026Q3")
        before = rows("2026Q3")

        def boom(period):
            raise RuntimeError("injected failure")

        _replace_metric(monkeypatch, "cases_closed", boom)
        with at(ct(2026, 11, 22, 9, 5)), pytest.raises(CommandError) as raised:
            self.call("--quarter", "2026Q3")

        assert str(raised.value) == (
            "2026Q3: the rollup failed (injected failure); earlier figures stand."
        )
        assert rows("2026Q3") == before


# --- The registry ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_asks_the_same_questions_however_many_cases(personas):
    """Set-based: the queries of a run do not grow with the cases it counts (so its time
    grows with what the database reads, not with round trips; `make bench-scale`)."""

    def queries_of_a_run() -> int:
        with at(ct(2026, 4, 20, 12, 0)), CaptureQueriesContext(connection) as captured:
            rollup_quarter(quarter=Q1)
        # Reads only: the figures are written in batches of a thousand, and how many
        # figures there are depends on the categories met, not on how many cases.
        return sum(1 for q in captured if q["sql"].lstrip().upper().startswith("SELECT"))

    for story in STORIES[:2]:
        tell(story, personas)
    few_cases, few = Case.objects.count(), queries_of_a_run()
    for story in STORIES[2:]:
        tell(story, personas)
    many_cases, many = Case.objects.count(), queries_of_a_run()

    assert many_cases >= few_cases + 10
    assert many == few


def test_regions_metrics_never_imports_the_cases_app():
    source = Path(registry.__file__).read_text()
    assert "from cases" not in source
    assert "import cases" not in source
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not {name for name in imported if name.split(".")[0] in ("cases", "protocols")}


def test_the_registry_lists_the_case_metrics():
    keys = [m.key for m in metrics()]

    assert [key for key in keys if key in CASE_METRICS] == CASE_METRICS
    assert len(keys) == len(set(keys))
    assert registry.metric("median_days_open").unit == Unit.DAYS
    assert registry.metric("median_hours_to_acceptance").unit == Unit.HOURS
    assert registry.metric("step_on_time_pct").unit == Unit.PERCENT
    non_additive = {m.key for m in metrics() if not m.additive}
    assert non_additive >= {"median_days_open", "median_hours_to_acceptance", "step_on_time_pct"}


def test_a_key_registered_twice_is_refused():
    existing = registry.metric("referrals_received")
    with pytest.raises(ValueError, match="registered twice"):
        register(dataclasses.replace(existing, label="Another"))
    assert register(existing) is existing  # the same metric again is harmless
