"""Celery tasks for the quarterly figures: thin, by id, safe to run twice."""

from celery import shared_task

from regions import figures, rollups
from regions.models import RollupTrigger
from regions.quarters import Quarter


@shared_task(name="regions.rollup_run")
def rollup_run(run_id: int) -> int:
    """A run someone asked for ("Recompute this quarter"); returns the figures written."""
    return rollups.rollup_execute(run_id=run_id).figures_written


@shared_task(name="regions.rollup_quarter_just_ended")
def rollup_quarter_just_ended() -> int:
    """03:00 on 1 January, April, July and October: the quarter that just ended."""
    quarter = Quarter.current().previous()
    return rollups.rollup_quarter(quarter=quarter, trigger=RollupTrigger.SCHEDULE).figures_written


@shared_task(name="regions.rollup_quarter_to_date")
def rollup_quarter_to_date() -> int:
    """Every night: the quarter under way, up to now."""
    quarter = Quarter.current()
    return rollups.rollup_quarter(quarter=quarter, trigger=RollupTrigger.SCHEDULE).figures_written


@shared_task(name="regions.figures_republish")
def figures_republish() -> int:
    """After the suppression threshold changed: publish every quarter again."""
    return figures.republish()
