"""The needs seed_demo records on the demo cases: on most cases past screening, as the
case's hub or agency, with plausible statuses, directory providers that serve the case's
county, "unavailable" for the reasons the directory's gaps give, dates within the case's
life, and added once."""

import dataclasses
import re
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.management.commands.seed_demo import Command
from cases.models import (
    Case,
    EventKind,
    NeedStatus,
    ScreeningOutcome,
    ServiceNeed,
    Status,
    UnavailableReason,
)
from cases.needs_demo import demo_needs_create
from regions.directory_demo import OFTEN_FULL
from regions.models import Membership, Provider, Role

pytestmark = pytest.mark.django_db

CASES = 80  # enough for every reason to show up with the default seed
PAST_SCREENING = Q(
    screening_outcome__in=[
        ScreeningOutcome.AT_RISK,
        ScreeningOutcome.SUSPECTED,
        ScreeningOutcome.CONFIRMED,
    ]
) & ~Q(status=Status.RECEIVED)


@dataclasses.dataclass
class Seeded:
    output: str
    again: str
    before: dict  # case id -> (status, closed_at, events) before the needs were added


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Demo cases and trainings seeded first (a database from before the directory), then
    seed_demo again: cases present, no providers, so it adds the directory and the needs;
    then once more. Built once for the module and rolled back after."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            assert not Case.objects.exists(), "the demo needs an empty case table"
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("HUBNET_DEMO_PASSWORD", "needs-demo-test-password")
                patch.setattr(Command, "_trainings", lambda self, seed: None)  # not needed here
                with pytest.MonkeyPatch.context() as older:
                    older.setattr(Command, "_directory", lambda self, seed: None)
                    call_command("seed_demo", "--force", "--cases", str(CASES), stdout=StringIO())
                before = {
                    case.pk: (case.status, case.closed_at, case.events.count())
                    for case in Case.objects.all()
                }
                output, again = StringIO(), StringIO()
                call_command("seed_demo", "--force", "--cases", str(CASES), stdout=output)
                call_command("seed_demo", "--force", "--cases", str(CASES), stdout=again)
            yield Seeded(output.getvalue(), again.getvalue(), before)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def needs():
    return ServiceNeed.objects.select_related(
        "case__youth", "case__referral", "case__county", "service_type", "provider"
    )


def age_on(case, day) -> int:
    born = case.youth.date_of_birth
    if born is None:
        received = timezone.localdate(case.referral.received_at)
        return case.youth.estimated_age + (day - received).days // 365
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_the_directory_and_needs_are_added_to_cases_already_present(seeded):
    assert f"{CASES} cases already present" in seeded.output
    providers = int(re.search(r"Created (\d+) directory providers", seeded.output)[1])
    recorded = int(re.search(r"Recorded (\d+) needs", seeded.output)[1])
    assert providers == Provider.objects.count() > 50
    assert recorded == ServiceNeed.objects.count()


def test_most_cases_past_screening_have_needs_and_no_other_case_has(seeded):
    eligible = Case.objects.filter(PAST_SCREENING)
    with_needs = eligible.filter(needs__isnull=False).distinct().count()

    assert with_needs >= 0.8 * eligible.count()
    assert not Case.objects.exclude(PAST_SCREENING).filter(needs__isnull=False).exists()
    per_case = Counter(ServiceNeed.objects.values_list("case_id", flat=True))
    assert set(per_case.values()) <= {1, 2, 3, 4}


def test_statuses_are_plausible_for_the_case_stage(seeded):
    statuses = Counter(ServiceNeed.objects.values_list("status", flat=True))

    assert set(statuses) == set(NeedStatus.values)
    met = statuses[NeedStatus.RECEIVING] + statuses[NeedStatus.COMPLETED]
    assert met + statuses[NeedStatus.REFERRED] > ServiceNeed.objects.count() / 2
    assert statuses[NeedStatus.UNAVAILABLE] < ServiceNeed.objects.count() / 4
    # nothing is received before an agency has taken the case
    with_hub = ServiceNeed.objects.filter(case__accepted_at__isnull=True)
    assert with_hub.exists()
    assert not with_hub.filter(status__in=[NeedStatus.RECEIVING, NeedStatus.COMPLETED]).exists()


def test_unavailable_for_each_reason_the_directory_gives(seeded):
    """Each unavailable need, checked against the directory independently of how the demo
    chose it."""
    reasons = Counter()
    for need in needs().filter(status=NeedStatus.UNAVAILABLE):
        case, reason = need.case, need.reason
        reasons[reason] += 1
        assert need.provider is None
        assert not need.provider_name
        in_reach = list(
            Provider.objects.filter(
                active=True, service_types=need.service_type, counties=case.county
            )
        )
        if reason == UnavailableReason.NONE_IN_REACH:
            assert in_reach == [], need
            continue
        assert in_reach, need
        if need.service_type.key == "interpretation":
            spoken = {p.strip() for p in case.youth.languages.split(",")} - {"English"}
            in_reach = [p for p in in_reach if spoken & set(p.languages.split("; "))]
        if reason == UnavailableReason.LANGUAGE:
            assert need.service_type.key == "interpretation"
            assert in_reach == [], need
            continue
        age = age_on(case, need.identified_on)
        fitting = [
            p
            for p in in_reach
            if (p.min_age is None or p.min_age <= age) and (p.max_age is None or age <= p.max_age)
        ]
        if reason == UnavailableReason.AGE:
            assert fitting == [], need
        else:
            assert reason == UnavailableReason.NO_CAPACITY
            assert fitting, need
            assert all(p.name in OFTEN_FULL for p in fitting), need
    assert set(reasons) == {
        UnavailableReason.NONE_IN_REACH,
        UnavailableReason.NO_CAPACITY,
        UnavailableReason.AGE,
        UnavailableReason.LANGUAGE,
    }


def test_every_provider_named_serves_the_case_county(seeded):
    referred = needs().filter(provider__isnull=False).prefetch_related("provider__counties")

    assert referred.count() > ServiceNeed.objects.count() / 2
    for need in referred:
        assert need.case.county in need.provider.counties.all(), need
        assert need.provider.service_types.filter(pk=need.service_type_id).exists(), need
        assert need.provider.active
    # a few name a provider outside the directory
    assert ServiceNeed.objects.exclude(provider_name="").filter(provider=None).exists()


def test_identified_while_the_case_was_open_and_never_in_the_future(seeded):
    today = timezone.localdate()
    for need in needs():
        case = need.case
        assert timezone.localdate(case.opened_at) <= need.identified_on <= today
        if case.closed_at:
            assert need.identified_on <= timezone.localdate(case.closed_at)


def test_each_need_is_on_the_timeline_in_order_and_the_cases_are_as_they_were(seeded):
    for case in Case.objects.filter(needs__isnull=False).distinct().prefetch_related("events"):
        events = list(case.events.all())
        identified = [e for e in events if e.kind == EventKind.NEED_IDENTIFIED]
        assert len(identified) == case.needs.count()
        times = [e.at for e in events]
        assert times == sorted(times)
        need_times = [e.at for e in events if e.kind.startswith("need_")]
        assert min(need_times) >= case.opened_at
        if case.closed_at:
            closed = next(e for e in events if e.kind == EventKind.CLOSED)
            assert max(need_times) < closed.at
        status, closed_at, count = seeded.before[case.pk]
        assert (case.status, case.closed_at) == (status, closed_at)
        assert len(events) == count + len(need_times)


def test_recorded_by_the_case_hub_or_its_agency(seeded):
    personas = {"hub2.specialist", "hub5.specialist", "outagamie.worker", "dane.worker"}
    recorders = set()
    for need in needs().select_related("created_by", "case__agency"):
        case, user = need.case, need.created_by
        recorders.add(user.username)
        assert Membership.objects.filter(
            Q(role=Role.HUB_SPECIALIST, hub__region=case.region_id)
            | Q(role=Role.AGENCY_STAFF, agency=case.agency_id),
            user=user,
        ).exists(), need
    assert personas <= recorders
    # the loader that acted for personless hubs keeps no access
    loader = get_user_model().objects.get(username="demo.loader")
    assert not loader.is_active
    assert not Membership.objects.active().filter(user=loader).exists()


def test_running_again_adds_nothing(seeded):
    assert "directory providers" not in seeded.again
    assert "needs" not in seeded.again
    assert demo_needs_create(hub_actor=lambda region: None) == 0
