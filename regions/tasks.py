"""Celery tasks for the quarterly figures: thin, by id, safe to run twice.

The scheduled ones are also safe to be sent twice (a beat restarted at the wrong moment,
or two beats by mistake): a quarter the schedule already computed in that slot is not
computed again."""

import datetime

from celery import shared_task
from django.utils import timezone

from regions import figures, rollups
from regions.models import RollupRun, RollupStatus, RollupTrigger
from regions.quarters import Quarter


def _scheduled_since(quarter: Quarter, since: datetime.datetime) -> bool:
    """Whether a scheduled run of `quarter` that started at or after `since` succeeded or
    is still going."""
    return RollupRun.objects.filter(
        quarter=str(quarter),
        trigger=RollupTrigger.SCHEDULE,
        requested_at__gte=since,
        status__in=[RollupStatus.QUEUED, RollupStatus.RUNNING, RollupStatus.SUCCEEDED],
    ).exists()


@shared_task(name="regions.rollup_run")
def rollup_run(run_id: int) -> int:
    """A run someone asked for ("Recompute this quarter"); returns the figures written."""
    return rollups.rollup_execute(run_id=run_id).figures_written


@shared_task(name="regions.rollup_quarter_just_ended")
def rollup_quarter_just_ended() -> int:
    """03:00 on 1 January, April, July and October: the quarter that just ended."""
    quarter = Quarter.current().previous()
    if _scheduled_since(quarter, quarter.end):
        return 0  # sent again: the quarter's final figures are made once
    return rollups.rollup_quarter(quarter=quarter, trigger=RollupTrigger.SCHEDULE).figures_written


@shared_task(name="regions.rollup_quarter_to_date")
def rollup_quarter_to_date() -> int:
    """Every night: the quarter under way, up to now."""
    quarter = Quarter.current()
    tonight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    if _scheduled_since(quarter, tonight):
        return 0  # sent again the same night
    return rollups.rollup_quarter(quarter=quarter, trigger=RollupTrigger.SCHEDULE).figures_written


@shared_task(name="regions.figures_republish")
def figures_republish() -> int:
    """After the suppression threshold changed: publish every quarter again."""
    return figures.republish()
