"""seed_bulk: many coherent synthetic cases, fast, for benchmarks at scale."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.test.utils import override_settings
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, Status, Youth

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(make_case):
    return [
        make_case(county="Outagamie", status=Status.ACCEPTED),
        make_case(county="Brown", status=Status.CLOSED),
        make_case(county="Dane", status=Status.SCREENED),
    ]


def _bulk(count: int) -> None:
    with override_settings(DEBUG=True):
        call_command("seed_bulk", cases=count, stdout=io.StringIO())


def test_copies_are_whole_cases_of_their_own(templates):
    steps_per_case = {c.pk: c.steps.count() for c in templates}
    events_per_case = {c.pk: c.events.count() for c in templates}

    _bulk(40)

    copies = Case.objects.exclude(pk__in=[c.pk for c in templates])
    assert copies.count() == 40
    assert Youth.objects.count() == 43  # a new youth for every copy
    assert Case.objects.values("number").distinct().count() == 43
    for copy in copies:
        assert copy.steps.count() in steps_per_case.values()
        assert copy.events.count() in events_per_case.values()
        assert copy.referral.youth_id == copy.youth_id


def test_copies_spread_over_the_last_two_years_and_keep_their_shape(templates):
    now = timezone.now()
    _bulk(60)

    copies = Case.objects.exclude(pk__in=[c.pk for c in templates]).select_related("referral")
    opened = [c.opened_at for c in copies]
    assert min(opened) >= now - datetime.timedelta(days=731)
    assert max(opened) <= now
    assert len({o.date() for o in opened}) > 20  # spread, not stacked on one day
    for copy in copies:
        assert copy.referral.received_at <= copy.opened_at
        if copy.closed_at:
            assert copy.closed_at >= copy.opened_at
        last = CaseEvent.objects.filter(case=copy).order_by("-at").first()
        assert last.at <= now


def test_the_case_numbers_go_on_after_the_copies(templates, personas):
    _bulk(30)
    case = services.referral_create(
        logged_by=personas["hub2.specialist"],
        region=templates[0].region,
        youth_data={
            "legal_first_name": "New",
            "legal_last_name": "Person",
            "estimated_age": 15,
            "county": templates[0].county,
        },
        referral_data={
            "received_at": timezone.now(),
            "source": "school",
            "narrative": "A new referral after the bulk copies.",
        },
    )
    assert Case.objects.filter(number=case.number).count() == 1


def test_refuses_without_debug(templates):
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_bulk", cases=5)
    assert Case.objects.count() == 3


def test_needs_cases_to_copy(wisconsin):
    with override_settings(DEBUG=True), pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_bulk", cases=5)
