"""The demo trainings seed_demo adds for `make run`: spread over every region and the last
six quarters, some planned and cancelled, the counties left unreached on purpose really
unreached, and added once."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from regions.models import County, Membership
from regions.quarters import Quarter
from training.coverage import coverage_of
from training.demo import UNREACHED, demo_trainings_create
from training.models import Training, TrainingChange, TrainingStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(personas):
    created = demo_trainings_create(seed=2017)
    return created


def quarter_of(day) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def test_about_80_delivered_over_every_region_and_the_last_six_quarters(seeded):
    delivered = Training.objects.filter(status=TrainingStatus.DELIVERED)

    assert 75 <= delivered.count() <= 85
    assert set(delivered.values_list("region__number", flat=True)) == set(range(1, 8))
    quarters = {quarter_of(day) for day in delivered.values_list("date", flat=True)}
    assert quarters == set(Quarter.current().back(6))
    # attendance by sector adds up to each training's total
    for training in delivered.annotate(rows=Count("attendance")):
        assert training.rows >= 1
        assert training.total_attendees == sum(a.count for a in training.attendance.all())


def test_some_planned_ahead_and_three_cancelled_with_a_reason(seeded):
    planned = Training.objects.filter(status=TrainingStatus.PLANNED)
    cancelled = Training.objects.filter(status=TrainingStatus.CANCELLED)

    assert 6 <= planned.count() <= 10
    assert all(
        day > Quarter.current().start.date() for day in planned.values_list("date", flat=True)
    )
    assert cancelled.count() == 3
    assert all(cancelled.values_list("cancel_reason", flat=True))
    assert seeded == Training.objects.count()


def test_the_counties_left_unreached_on_purpose_have_no_delivered_training(seeded):
    names = [name for names in UNREACHED.values() for name in names]

    reached = Training.objects.filter(
        status=TrainingStatus.DELIVERED, counties__name__in=names
    ).values_list("counties__name", flat=True)
    assert list(reached) == []
    # and the coverage page shows them as gaps, whatever the rest of the region
    for number, wanted in UNREACHED.items():
        region = County.objects.get(name=wanted[0]).region
        coverage = coverage_of(region, Quarter.current().back(4))
        gaps = {row.place.name for row in coverage.unreached_counties}
        assert set(wanted) <= gaps, number
        assert all(
            row.latest is None for row in coverage.unreached_counties if row.place.name in wanted
        )


def test_every_change_is_logged_by_the_regions_hub_and_in_order(seeded, personas):
    hub2, hub5 = personas["hub2.specialist"], personas["hub5.specialist"]

    assert set(Training.objects.filter(region__number=2).values_list("created_by", flat=True)) == {
        hub2.pk
    }
    assert set(Training.objects.filter(region__number=5).values_list("created_by", flat=True)) == {
        hub5.pk
    }
    for training in Training.objects.prefetch_related("changes"):
        times = [change.at for change in training.changes.all()]
        assert times == sorted(times)
        assert training.created_at == times[0]
    assert TrainingChange.objects.filter(kind="cancelled").count() == 3
    # the loader account that acted for the other hubs keeps no access
    loader = get_user_model().objects.get(username="demo.loader")
    assert not loader.is_active
    assert not Membership.objects.active().filter(user=loader).exists()


def test_running_again_adds_nothing(seeded):
    before = Training.objects.count()

    assert demo_trainings_create(seed=2017) == 0
    assert demo_trainings_create(seed=99) == 0

    assert Training.objects.count() == before


def test_the_same_seed_gives_the_same_trainings(personas):
    fields = ("region__number", "title", "date", "venue", "format", "total_attendees")
    with transaction.atomic():
        demo_trainings_create(seed=2017)
        first = list(Training.objects.order_by("pk").values_list(*fields))
        transaction.set_rollback(True)  # the change rows are append-only: undone, not deleted
    assert not Training.objects.exists()

    demo_trainings_create(seed=2017)

    assert list(Training.objects.order_by("pk").values_list(*fields)) == first


def test_seed_demo_adds_them_once(wisconsin, monkeypatch):
    monkeypatch.setenv("HUBNET_DEMO_PASSWORD", "demo-password-for-tests")
    out = StringIO()

    call_command("seed_demo", "--force", "--cases", "2", stdout=out)
    count = Training.objects.count()
    call_command("seed_demo", "--force", "--cases", "2", stdout=out)

    assert count > 80
    assert out.getvalue().count(f"Created {count} demo trainings.") == 1
    assert Training.objects.count() == count


def test_seed_demo_adds_them_when_the_cases_were_there_before_the_trainings(
    make_case, monkeypatch
):
    make_case(county="Brown", status="received")
    monkeypatch.setenv("HUBNET_DEMO_PASSWORD", "demo-password-for-tests")
    out = StringIO()

    call_command("seed_demo", "--force", stdout=out)

    assert "1 cases already present; no demo cases added." in out.getvalue()
    assert f"Created {Training.objects.count()} demo trainings." in out.getvalue()
    assert Training.objects.filter(status=TrainingStatus.DELIVERED).count() >= 75
