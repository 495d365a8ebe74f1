"""The hub queue lists each state's longest-waiting cases first: waiting since the case
came into its state (`Case.status_since`), not since it was opened."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, ScreeningOutcome, Status
from regions.models import Agency

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=datetime.UTC)


def at(days: float):
    return time_machine.travel(MONDAY + datetime.timedelta(days=days), tick=False)


def section(text: str, key: str) -> str:
    start = text.index(f'<section id="{key}"')
    return text[start : text.index("</section>", start)]


class TestWaitingSince:
    def test_a_case_routed_later_waits_less_though_it_was_opened_first(
        self, client_for, personas, make_case
    ):
        hub = personas["hub2.specialist"]
        outagamie = Agency.objects.get(name="Outagamie County Human Services")
        with at(0):
            opened_first = make_case(status=Status.SCREENED)
        with at(1):
            routed_first = make_case(status=Status.ROUTED)
        with at(3):
            services.case_route(case_id=opened_first.pk, actor=hub, agency=outagamie)

        with at(4):
            text = section(client_for(hub).get(reverse("cases:hub-queue")).text, "awaiting")

        assert text.index(routed_first.number) < text.index(opened_first.number)
        assert (
            '"2026-11-17T03:00:00-06:00">Nov 17, 2026</time><br><span class="small">3\xa0days'
            in text
        )
        assert (
            '"2026-11-19T03:00:00-06:00">Nov 19, 2026</time><br><span class="small">1\xa0day'
            in text
        )

    def test_a_section_does_not_repeat_its_status_on_every_row(
        self, client_for, personas, make_case
    ):
        make_case(status=Status.ROUTED)
        make_case(status=Status.ROUTED)
        page = client_for(personas["hub2.specialist"]).get(reverse("cases:hub-queue")).text
        text = section(page, "awaiting")

        assert 'Routed, awaiting acceptance <span class="count">2</span></h2>' in text
        assert '<th scope="col">Status</th>' not in text
        assert 'data-label="Status"' not in text
        assert '<caption class="visually-hidden">Routed, awaiting acceptance</caption>' in text
        # The caseload keeps the column: its rows mix statuses.
        caseload = client_for(personas["hub2.specialist"]).get(reverse("cases:list")).text
        assert caseload.count('data-label="Status"') == 2

    def test_the_clock_starts_when_the_status_changes_and_only_then(self, personas, make_case):
        hub = personas["hub2.specialist"]
        with at(0):
            case = make_case(status=Status.RECEIVED)
        assert case.status_since == MONDAY
        with at(1):
            services.case_screen(case_id=case.pk, actor=hub, outcome=ScreeningOutcome.SUSPECTED)
        with at(2):  # screened again: still waiting to be routed since the first screening
            services.case_screen(case_id=case.pk, actor=hub, outcome=ScreeningOutcome.CONFIRMED)

        case.refresh_from_db()
        assert case.status == Status.SCREENED
        assert case.status_since == MONDAY + datetime.timedelta(days=1)

    def test_a_declined_case_waits_from_its_decline(self, client_for, personas, make_case):
        with at(0):
            case = make_case(status=Status.ROUTED)
        with at(2):
            services.case_decline(
                case_id=case.pk, actor=personas["outagamie.worker"], reason="Moved away."
            )

        case.refresh_from_db()
        assert case.status_since == MONDAY + datetime.timedelta(days=2)


class TestQueueReadsEachStateFromTheIndex:
    def test_queries_do_not_grow_with_the_waiting_cases(self, client_for, personas, make_case):
        client = client_for(personas["hub2.specialist"])
        make_case(status=Status.ROUTED)
        client.get(reverse("cases:hub-queue"))  # sessions and caches warm
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("cases:hub-queue"))
        for status in (Status.RECEIVED, Status.SCREENED, Status.DECLINED, Status.ROUTED) * 3:
            make_case(status=status)
        with CaptureQueriesContext(connection) as many:
            response = client.get(reverse("cases:hub-queue"))

        assert response.status_code == 200
        assert len(many) == len(few)


@pytest.mark.django_db(transaction=True)
def test_the_migration_dates_existing_cases_by_their_timeline(personas, make_case):
    """Migration cases 0014 gives the cases already there the time of the event that moved
    each into its status."""
    with at(0):
        received = make_case(status=Status.RECEIVED)
        declined = make_case(status=Status.ROUTED)
    with at(2):
        services.case_decline(
            case_id=declined.pk, actor=personas["outagamie.worker"], reason="Moved away."
        )
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("cases", "0013_trigram_search")])
        executor = MigrationExecutor(connection)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=400), tick=False):
            executor.migrate([("cases", "0014_case_status_since")])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    since = dict(Case.objects.values_list("pk", "status_since"))
    assert since[received.pk] == MONDAY
    assert since[declined.pk] == MONDAY + datetime.timedelta(days=2)
