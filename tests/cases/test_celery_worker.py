"""The deadline task through the real broker, consumed by a real Celery worker.

Runs when CELERY_BROKER_URL is set (the PostgreSQL + Redis CI run); elsewhere tasks run
in-process and tests/cases/test_steps.py covers the same behaviour eagerly.
"""

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from cases import services, tasks
from cases.models import Notification, ReferralSource
from hubnet.celery import app
from regions.models import County, Region

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def broker_only():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs a broker: set CELERY_BROKER_URL (the PostgreSQL + Redis run does)")


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_sends_deadline_alerts_once(personas):
    services.referral_create(
        logged_by=personas["hub2.specialist"],
        region=Region.objects.get(number=2),
        youth_data={
            "legal_first_name": "Rowan",
            "legal_last_name": "Testworker",
            "estimated_age": 16,
            "county": County.objects.get(name="Brown"),
        },
        referral_data={
            "received_at": timezone.now() - datetime.timedelta(hours=3),
            "source": ReferralSource.SCHOOL,
            "narrative": "Synthetic.",
        },
    )
    app.control.purge()

    with start_worker(app, perform_ping_check=False, loglevel="WARNING"):
        tasks.steps_deadline_alerts.delay()
        assert wait_for(lambda: Notification.objects.exists()), "the worker sent nothing"
        sent = Notification.objects.count()
        tasks.steps_deadline_alerts.delay()
        tasks.steps_deadline_alerts.delay()
        time.sleep(3)

    assert Notification.objects.count() == sent  # the repeats found nothing new
    keys = set(Notification.objects.values_list("alert__step__definition__key", flat=True))
    assert "intake" in keys  # 2 hours after receipt: overdue
