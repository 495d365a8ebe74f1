"""A hub's overdue steps come from its region's steps to do (CaseStep.region and
CaseStep.for_agency, kept from the case), never from visiting each open case."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services
from cases.models import CaseStep, Status, StepStatus
from cases.selectors import overdue_cases_in_regions, overdue_step_counts
from protocols.models import Owner
from regions.models import Agency

pytestmark = pytest.mark.django_db


def waiting_on_agency(case) -> set[str]:
    return set(
        CaseStep.objects.filter(case=case, for_agency=True).values_list(
            "definition__key", flat=True
        )
    )


def agency_steps(case) -> set[str]:
    return set(
        CaseStep.objects.filter(case=case, definition__owner=Owner.AGENCY).values_list(
            "definition__key", flat=True
        )
    )


class TestTheStepsKeepTheCasesPlaceAndAgency:
    def test_every_step_is_in_its_cases_region(self, make_case):
        case = make_case(county="Dane", status=Status.ACTIVE)

        assert set(case.steps.values_list("region_id", flat=True)) == {case.region_id}

    def test_an_agencys_steps_wait_on_it_while_the_case_is_routed_to_it(self, personas, make_case):
        case = make_case(status=Status.SCREENED)
        assert waiting_on_agency(case) == set()  # no agency yet: the hub's to see to

        services.case_route(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            agency=Agency.objects.get(name="Outagamie County Human Services"),
        )
        assert waiting_on_agency(case) == agency_steps(case) != set()

        services.case_decline(case_id=case.pk, actor=personas["outagamie.worker"], reason="No")
        assert waiting_on_agency(case) == set()

    def test_the_counts_split_the_steps_by_who_records_them(self, personas, make_case):
        routed = make_case(status=Status.ROUTED)
        make_case(status=Status.RECEIVED)
        later = timezone.now() + datetime.timedelta(days=400)
        everything = CaseStep.objects.filter(status=StepStatus.PENDING, due_at__lt=later)

        counts = overdue_step_counts(personas["hub2.specialist"], later)

        assert counts["total"] == everything.count()
        assert (
            counts["agency"]
            == everything.filter(case=routed, definition__owner=Owner.AGENCY).count()
        )
        assert counts["cases"] == 2


def test_the_longest_overdue_cases_take_two_queries_however_many_steps(personas, make_case):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=30), tick=False):
        oldest = make_case(status=Status.ROUTED)
    for _ in range(6):
        make_case(status=Status.RECEIVED)
    later = timezone.now() + datetime.timedelta(days=400)

    with CaptureQueriesContext(connection) as captured:
        shown = overdue_cases_in_regions(personas["hub2.specialist"], later, limit=3)

    # (Plus the user's regions, asked once outside a request.)
    assert len([q for q in captured.captured_queries if "cases_casestep" in q["sql"]]) == 2
    assert shown[0]["case"] == oldest
    assert len(shown) == 3
    for row in shown:
        dues = [step.due_at for step in row["steps"]]
        assert dues == sorted(dues)


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_in_the_steps_region_and_agency(personas, make_case):
    routed = make_case(status=Status.ROUTED)
    received = make_case(county="Dane", status=Status.RECEIVED)
    expected = dict(CaseStep.objects.values_list("pk", "region_id"))
    expected_agency = set(CaseStep.objects.filter(for_agency=True).values_list("pk", flat=True))
    assert expected_agency  # the routed case's agency steps

    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("cases", "0014_case_status_since")])
        executor = MigrationExecutor(connection)
        executor.migrate([("cases", "0016_casestep_region_required")])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    assert dict(CaseStep.objects.values_list("pk", "region_id")) == expected
    assert set(CaseStep.objects.filter(for_agency=True).values_list("pk", flat=True)) == (
        expected_agency
    )
    assert CaseStep.objects.filter(case=received, for_agency=True).count() == 0
    assert CaseStep.objects.filter(case=routed, for_agency=True).exists()
