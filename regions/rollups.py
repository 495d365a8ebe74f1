"""Computing a quarter's figures: the one job behind the schedule, the `rollup` command and
the "Recompute this quarter" button.

Every registered metric is computed set-based in the database, then the quarter's
figures are replaced in one transaction: a rerun writes identical rows, and an exception
before or during the replacement leaves the previous figures standing. Two runs of one
quarter never interleave: each takes the quarter's `RollupQuarter` row in turn (a lease,
so that a worker killed mid-run frees the quarter once the lease ends).
"""

import datetime
import logging
import time
from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone

from regions.figures import publish, suppression_threshold
from regions.metrics import Metric, Period, metrics
from regions.models import (
    Figure,
    RollupQuarter,
    RollupRun,
    RollupStatus,
    RollupTrigger,
)
from regions.quarters import Quarter

logger = logging.getLogger(__name__)

# Longer than CELERY_TASK_TIME_LIMIT: a run that holds the quarter longer has died.
LEASE = datetime.timedelta(minutes=20)
WAIT_POLL_SECONDS = 0.25
ADVISORY_NAMESPACE = 7_000_000_000  # the rollup's advisory-lock keys: this plus 10 x year + q


class RollupBusy(RuntimeError):
    """Another run held the quarter for longer than a run may take."""


def rollup_request(
    *, quarter: Quarter, trigger: str, requested_by: AbstractBaseUser | None = None
) -> RollupRun:
    """Record a queued run and hand it to a worker once the transaction commits. With
    tasks in-process (no broker) it has finished when the transaction commits."""
    from regions import tasks

    run = RollupRun.objects.create(
        quarter=str(quarter), trigger=trigger, requested_by=requested_by
    )
    transaction.on_commit(lambda: tasks.rollup_run.delay(run.pk))
    return run


def past_quarters_refresh(dates, *, requested_by: AbstractBaseUser | None) -> list[RollupRun]:
    """A record dated in a quarter that is over and already rolled up changed (attendance
    recorded late, a need updated, a spreadsheet of last year's trainings): ask for those
    quarters' figures again, once each, when the transaction commits, so the dashboards
    do not wait for someone to press "Recompute". The quarter under way is rolled up
    every night anyway."""
    quarters = {Quarter(d.year, (d.month - 1) // 3 + 1) for d in dates if d is not None}
    over = sorted(q for q in quarters if q.is_complete())
    if not over:
        return []
    standing = set(
        RollupQuarter.objects.filter(
            quarter__in=[str(q) for q in over], current_run__isnull=False
        ).values_list("quarter", flat=True)
    )
    # A run asked for and not started yet will see this change too.
    standing -= set(
        RollupRun.objects.filter(
            quarter__in=standing, status=RollupStatus.QUEUED, trigger=RollupTrigger.LATE_RECORD
        ).values_list("quarter", flat=True)
    )
    return [
        rollup_request(
            quarter=quarter, trigger=RollupTrigger.LATE_RECORD, requested_by=requested_by
        )
        for quarter in over
        if str(quarter) in standing
    ]


def rollup_quarter(
    *,
    quarter: Quarter,
    trigger: str = RollupTrigger.COMMAND,
    requested_by: AbstractBaseUser | None = None,
    now: datetime.datetime | None = None,
    progress: Callable[[Metric, int], None] | None = None,
) -> RollupRun:
    """Compute `quarter` now, in this process (the command and the scheduled tasks)."""
    run = RollupRun.objects.create(
        quarter=str(quarter), trigger=trigger, requested_by=requested_by
    )
    return rollup_execute(run_id=run.pk, now=now, progress=progress)


def rollup_execute(
    *,
    run_id: int,
    now: datetime.datetime | None = None,
    progress: Callable[[Metric, int], None] | None = None,
) -> RollupRun:
    """Carry out a recorded run. Safe to call twice: a finished run is left as it is.
    Records failure on the run and re-raises, so the caller (worker, command) sees it."""
    run = RollupRun.objects.get(pk=run_id)
    if run.is_finished:
        return run
    quarter = Quarter.parse(run.quarter)
    try:
        _quarter_take(run)  # inside: a run that gives up waiting is recorded as failed
        registry = metrics()
        started = timezone.now()
        period = Period.of(quarter, now or started)
        run.status = RollupStatus.RUNNING
        run.started_at = started
        run.as_of = period.end
        run.metrics_total = len(registry)
        run.save(update_fields=["status", "started_at", "as_of", "metrics_total"])

        figures: list[Figure] = []
        for done, metric in enumerate(registry):
            run.metrics_done = done
            run.save(update_fields=["metrics_done"])
            rows = list(metric.compute(period))
            figures.extend(_figure(run, metric, row) for row in rows)
            if progress:
                progress(metric, len(rows))

        with transaction.atomic():
            publish(figures, suppression_threshold())
            Figure.objects.filter(quarter=run.quarter).delete()
            Figure.objects.bulk_create(figures, batch_size=1000)
            RollupQuarter.objects.filter(quarter=run.quarter).update(current_run=run)
            run.status = RollupStatus.SUCCEEDED
            run.metrics_done = len(registry)
            run.figures_written = len(figures)
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "metrics_done", "figures_written", "finished_at"])
    except Exception as exc:
        run.status = RollupStatus.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        logger.exception("Rollup of %s failed (run %s)", run.quarter, run.pk)
        raise
    finally:
        _quarter_release(run)
    return run


def _figure(run: RollupRun, metric: Metric, row) -> Figure:
    return Figure(
        quarter=run.quarter,
        scope=row.scope,
        region_id=row.region_id,
        county_id=row.county_id,
        tribe_id=row.tribe_id,
        metric=metric.key,
        dimension=row.dimension,
        category=row.category,
        value=row.value,
        denominator=row.denominator,
        run=run,
    )


def _quarter_take(run: RollupRun) -> None:
    """Wait until no other live run holds the quarter, then hold it.

    On PostgreSQL the hold is also a session advisory lock on the quarter: a worker killed
    in the middle (SIGKILL, a lost machine) loses its connection and with it the lock, so
    the next run takes the quarter at once instead of waiting for the lease to end; the
    dead run is then recorded as failed (its task, if delivered again, finds it finished
    and leaves the figures alone)."""
    RollupQuarter.objects.get_or_create(quarter=run.quarter)
    give_up = time.monotonic() + LEASE.total_seconds()
    while True:
        locked = _advisory_lock(run.quarter)
        run.advisory_held = bool(locked)
        if locked is not False:
            with transaction.atomic():
                lock = RollupQuarter.objects.select_for_update().get(quarter=run.quarter)
                now = timezone.now()
                if (
                    locked  # PostgreSQL: whoever held it is gone
                    or lock.holder_id in (None, run.pk)
                    or lock.held_until is None
                    or lock.held_until < now
                ):
                    if lock.holder_id not in (None, run.pk):
                        _lost(lock.holder_id)
                    lock.holder = run
                    lock.held_until = now + LEASE
                    lock.save(update_fields=["holder", "held_until"])
                    return
        if time.monotonic() > give_up:
            raise RollupBusy(f"Another run of {run.quarter} is still going.")
        time.sleep(WAIT_POLL_SECONDS)


def _advisory_key(quarter: str) -> int:
    q = Quarter.parse(quarter)
    return ADVISORY_NAMESPACE + q.year * 10 + q.number


def _advisory_lock(quarter: str) -> bool | None:
    """PostgreSQL: True when this connection now holds the quarter's advisory lock, False
    when another session does. None elsewhere (the lease alone decides)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_advisory_key(quarter)])
        return cursor.fetchone()[0]


def _lost(run_id: int) -> None:
    """A run whose worker died holding the quarter: failed, its figures never written."""
    RollupRun.objects.filter(
        pk=run_id, status__in=[RollupStatus.QUEUED, RollupStatus.RUNNING]
    ).update(
        status=RollupStatus.FAILED,
        error="The worker running it stopped before it finished (lost); "
        "a later run of the quarter took over.",
        finished_at=timezone.now(),
    )


def _quarter_release(run: RollupRun) -> None:
    RollupQuarter.objects.filter(quarter=run.quarter, holder=run).update(
        holder=None, held_until=None
    )
    if getattr(run, "advisory_held", False):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_advisory_key(run.quarter)])
        run.advisory_held = False
