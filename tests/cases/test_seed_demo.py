from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from cases.models import Case, CaseStep, Status
from cases.selectors import cases_visible_to
from regions.models import Membership

pytestmark = pytest.mark.django_db


def test_refuses_in_production_mode(wisconsin):
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo", stdout=StringIO())
    assert not Case.objects.exists()


def test_demo_cases_cover_every_region_and_status_and_are_seeded_once(wisconsin, monkeypatch):
    monkeypatch.setenv("HUBNET_DEMO_PASSWORD", "demo-password-for-tests")
    out = StringIO()

    call_command("seed_demo", "--force", "--cases", "120", stdout=out)
    call_command("seed_demo", "--force", "--cases", "120", stdout=out)

    assert Case.objects.count() == 120
    assert "120 cases already present; no demo cases added" in out.getvalue()
    regions = set(Case.objects.values_list("region__number", flat=True))
    statuses = set(Case.objects.values_list("status", flat=True))
    assert regions == set(range(1, 8))
    assert statuses == set(Status.values)
    user = get_user_model().objects.get(username="hub2.specialist")
    assert user.check_password("demo-password-for-tests")
    # every persona has a caseload to look at
    for username in ("outagamie.worker", "brown.worker", "dane.worker", "hub5.specialist"):
        persona = get_user_model().objects.get(username=username)
        assert cases_visible_to(persona).exists(), username
    # each case's history is in order and begins when the referral came in
    first = Case.objects.annotate(n=Count("events")).filter(n__gte=4).first()
    times = list(first.events.values_list("at", flat=True))
    assert times == sorted(times)
    assert times[0] >= first.referral.received_at
    # most past deadlines were met; some were not
    now = timezone.now()
    done = CaseStep.objects.filter(status="done").count()
    overdue = CaseStep.objects.filter(status="pending", due_at__lt=now).exclude(
        case__status="closed"
    )
    assert done > 3 * overdue.count() > 0
    # the loader account that acted for personless agencies keeps no access
    loader = get_user_model().objects.get(username="demo.loader")
    assert not loader.is_active
    assert not Membership.objects.active().filter(user=loader).exists()
    assert Membership.objects.filter(user=loader).exists()  # the record of what it did stays


def test_demo_times_avoid_the_hours_daylight_saving_repeats_or_skips():
    import datetime

    from cases.management.commands.seed_demo import _unambiguous_local

    fall_back = datetime.datetime(2026, 11, 1, 6, 42, tzinfo=datetime.UTC)  # 01:42 CDT, repeated
    spring = datetime.datetime(2026, 3, 8, 8, 30, tzinfo=datetime.UTC)  # 03:30 CDT, after the gap
    assert _unambiguous_local(fall_back) == "2026-10-31T23:42"
    assert _unambiguous_local(spring) == "2026-03-08T03:30"
