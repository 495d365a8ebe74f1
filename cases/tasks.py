"""Celery tasks: thin, safe to run twice."""

from celery import shared_task

from cases import services


@shared_task(name="cases.steps_deadline_alerts")
def steps_deadline_alerts() -> int:
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): notify owners of steps due soon or overdue."""
    return services.step_deadline_alerts_send()
