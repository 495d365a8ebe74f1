"""A Celery worker killed with SIGKILL in the middle of a rollup (PostgreSQL + Redis, a
real worker process): the old figures stand; the next run takes the quarter at once and
writes exactly one correct quarter; the dead run's task, delivered again, changes
nothing."""

import os
import signal
import subprocess
import sys
import time

import psycopg2
import pytest
from django.conf import settings
from django.db import connection, transaction

from hubnet.celery import app
from regions import tasks
from regions.models import Figure, RollupQuarter, RollupRun, RollupStatus, RollupTrigger
from regions.quarters import Quarter
from regions.rollups import rollup_quarter, rollup_request

pytestmark = pytest.mark.django_db(transaction=True)

COLUMNS = ("metric", "scope", "region_id", "county_id", "tribe_id", "dimension", "category")


def broker_forget_everything() -> None:
    """Empty the queue and the broker's record of delivered, unacknowledged tasks.

    A killed worker's task stays "unacknowledged" in Redis, and the first worker to start
    after the visibility timeout delivers it again. Left behind, this test's own killed
    task would come back in a later run of the suite (whose rollup runs have the same ids)
    and finish that run's killed run for it."""
    app.control.purge()
    with app.connection_for_write() as broker:
        channel = broker.default_channel
        channel.client.delete(channel.unacked_key, channel.unacked_index_key)


@pytest.fixture
def real_worker():
    """Start Celery worker processes on the test database (each in its own process group,
    so that SIGKILL reaches it whole); stop whatever is left at the end."""
    if connection.vendor != "postgresql" or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs PostgreSQL and a broker (the PostgreSQL + Redis run)")
    broker_forget_everything()
    started = []
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hubnet.settings",
        "DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "celery"),
                "--app=hubnet",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                f"--hostname=killed-test-{len(started)}@%h",
            ],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    broker_forget_everything()


def wait_for(condition, seconds=90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def figures_of(quarter: str) -> dict:
    return {
        row[:-2]: row[-2:]
        for row in Figure.objects.filter(quarter=quarter).values_list(*COLUMNS, "value", "run")
    }


def statewide(quarter: str, metric: str) -> float:
    return Figure.objects.get(
        quarter=quarter, metric=metric, scope="state", dimension="", category=""
    ).value


def test_a_worker_killed_mid_rollup_leaves_the_old_figures_and_a_rerun_writes_one_quarter(
    personas, make_case, real_worker
):
    quarter = Quarter.current()
    make_case(county="Outagamie")
    old = rollup_quarter(quarter=quarter)
    before = figures_of(str(quarter))
    opened_before = statewide(str(quarter), "cases_opened")
    make_case(county="Brown")  # what the next run should count

    # Hold the figures table so the worker stops right where it would replace them.
    holder = psycopg2.connect(**connection.get_connection_params())
    with holder.cursor() as cursor:
        cursor.execute("LOCK TABLE regions_figure IN EXCLUSIVE MODE")
    doomed = real_worker()
    with transaction.atomic():
        killed_run = rollup_request(quarter=quarter, trigger=RollupTrigger.PERSON)

    def worker_waits_to_write() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'DELETE FROM \"regions_figure\"%%'"
            )
            return cursor.fetchone()[0] > 0

    assert wait_for(worker_waits_to_write), "the worker never reached the figures"
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)
    holder.rollback()
    holder.close()

    # The old figures stand, untouched.
    assert figures_of(str(quarter)) == before
    assert RollupQuarter.objects.get(quarter=str(quarter)).current_run_id == old.pk
    killed_run.refresh_from_db()
    assert killed_run.status == RollupStatus.RUNNING  # nobody has noticed yet

    # The next run takes the quarter at once (the dead worker's lock went with it).
    real_worker()
    with transaction.atomic():
        rerun = rollup_request(quarter=quarter, trigger=RollupTrigger.PERSON)
    assert wait_for(lambda: RollupRun.objects.get(pk=rerun.pk).is_finished, seconds=120)
    rerun.refresh_from_db()
    killed_run.refresh_from_db()
    assert rerun.status == RollupStatus.SUCCEEDED, rerun.error
    assert killed_run.status == RollupStatus.FAILED
    assert "lost" in killed_run.error
    after = figures_of(str(quarter))
    # Exactly one quarter's figures: each once, all from the rerun.
    assert Figure.objects.filter(quarter=str(quarter)).count() == len(after)
    assert set(before) <= set(after)  # (a case in Brown adds Brown's step rows)
    assert {run for _, run in after.values()} == {rerun.pk}
    assert statewide(str(quarter), "cases_opened") == opened_before + 1
    assert RollupQuarter.objects.get(quarter=str(quarter)).current_run_id == rerun.pk

    # The killed run's task delivered again (after the broker's visibility timeout) finds
    # it finished and leaves the figures alone.
    tasks.rollup_run.apply(args=[killed_run.pk]).get()
    assert figures_of(str(quarter)) == after
