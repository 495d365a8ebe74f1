"""Two people acting on one case at the same moment: exactly one wins (PostgreSQL row locks)."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from cases import services
from cases.models import LegalBasis, Status
from regions.models import Agency, Hub, Role
from regions.services import membership_grant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row-level locking is exercised on PostgreSQL (DATABASE_URL)")


@pytest.fixture
def slow_events(monkeypatch):
    """Widen the race: every service pauses after taking its lock, before writing its event."""
    real_event = services._event

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return real_event(*args, **kwargs)

    monkeypatch.setattr(services, "_event", slow)


def race(*calls):
    """Run the calls at the same moment in separate threads (separate connections)."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            call()
            outcomes[index] = "won"
        except services.CaseConflict:
            outcomes[index] = "conflict"
        except Exception as exc:
            outcomes[index] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_simultaneous_routes_exactly_one_wins(personas, make_case, slow_events):
    case = make_case(county="Outagamie", status=Status.SCREENED)
    second_specialist = get_user_model().objects.create_user("hub2.colleague")
    membership_grant(
        user=second_specialist, role=Role.HUB_SPECIALIST, hub=Hub.objects.get(region__number=2)
    )
    outagamie = Agency.objects.get(county__name="Outagamie")
    brown = Agency.objects.get(county__name="Brown")

    outcomes = race(
        lambda: services.case_route(
            case_id=case.pk, actor=personas["hub2.specialist"], agency=outagamie
        ),
        lambda: services.case_route(
            case_id=case.pk,
            actor=second_specialist,
            agency=brown,
            legal_basis=LegalBasis.MANDATED_CPS_REPORT,
        ),
    )

    assert sorted(outcomes) == ["conflict", "won"], outcomes
    case.refresh_from_db()
    assert case.status == Status.ROUTED
    assert case.events.filter(kind="routed").count() == 1
    assert case.events.get(kind="routed").to_agency == case.agency


def test_two_simultaneous_accepts_exactly_one_wins(personas, make_case, slow_events):
    case = make_case(county="Outagamie", status=Status.ROUTED)
    worker = personas["outagamie.worker"]

    outcomes = race(
        lambda: services.case_accept(case_id=case.pk, actor=worker),
        lambda: services.case_accept(case_id=case.pk, actor=worker),
    )

    assert sorted(outcomes) == ["conflict", "won"], outcomes
    assert case.events.filter(kind="accepted").count() == 1


def test_accept_racing_decline_leaves_one_consistent_outcome(personas, make_case, slow_events):
    case = make_case(county="Outagamie", status=Status.ROUTED)
    worker = personas["outagamie.worker"]

    outcomes = race(
        lambda: services.case_accept(case_id=case.pk, actor=worker),
        lambda: services.case_decline(case_id=case.pk, actor=worker, reason="Not ours"),
    )

    assert sorted(outcomes) == ["conflict", "won"], outcomes
    case.refresh_from_db()
    assert case.events.filter(kind__in=["accepted", "declined"]).count() == 1
    assert (case.status, case.agency_id is None) in [
        (Status.ACCEPTED, False),
        (Status.DECLINED, True),
    ]


def test_simultaneous_referrals_get_distinct_case_numbers(personas, make_case):
    numbers = []

    def log():
        numbers.append(make_case(county="Brown", status=Status.RECEIVED).number)

    outcomes = race(log, log, log)

    assert outcomes == ["won", "won", "won"], outcomes
    assert len(set(numbers)) == 3
