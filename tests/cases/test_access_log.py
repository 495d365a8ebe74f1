"""The access log tells the truth about each look: a refused request is logged refused,
and a request's rows are written once, together, after its outcome is known."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    AccessChannel,
    Case,
    CaseAccess,
    CaseEvent,
    LegalBasis,
    ReferralSource,
    ScreeningOutcome,
)
from cases.selectors import get_case_for_user
from regions.models import Agency, County

pytestmark = pytest.mark.django_db


def _looks(case, user):
    return list(CaseAccess.objects.filter(case=case, user=user).values_list("channel", "granted"))


def test_a_page_view_is_logged_granted(client_for, personas, routed_case):
    worker = personas["outagamie.worker"]
    client_for(worker).get(reverse("cases:detail", args=[routed_case.pk]))
    assert _looks(routed_case, worker) == [(AccessChannel.PAGE, True)]


def test_agency_staff_asking_for_a_hub_action_are_logged_refused(
    client_for, personas, routed_case
):
    worker = personas["outagamie.worker"]
    response = client_for(worker).get(reverse("cases:route", args=[routed_case.pk]))

    assert response.status_code == 403
    assert _looks(routed_case, worker) == [(AccessChannel.ACTION, False)]


def test_opening_the_access_log_without_the_right_is_logged_refused(
    client_for, personas, routed_case
):
    worker = personas["outagamie.worker"]  # agency staff, not a supervisor
    response = client_for(worker).get(reverse("cases:access-log", args=[routed_case.pk]))

    assert response.status_code == 403
    assert (AccessChannel.PAGE, True) not in _looks(routed_case, worker)
    assert _looks(routed_case, worker)


def test_a_refused_api_action_is_logged_refused(client_for, personas, routed_case):
    worker = personas["outagamie.worker"]
    response = client_for(worker).post(
        f"/api/v1/cases/{routed_case.pk}/screen/", {"outcome": "at_risk"}, format="json"
    )

    assert response.status_code == 403
    assert _looks(routed_case, worker) == [(AccessChannel.API, False)]


def test_a_requests_rows_are_written_in_one_insert(client_for, personas, routed_case):
    worker = personas["outagamie.worker"]
    client = client_for(worker)
    client.get(reverse("cases:detail", args=[routed_case.pk]))  # warm the session

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("cases:detail", args=[routed_case.pk]))
    inserts = [q for q in queries if 'INSERT INTO "cases_caseaccess"' in q["sql"]]
    assert len(inserts) == 1


def test_outside_a_request_a_look_is_written_at_once(personas, routed_case):
    worker = personas["outagamie.worker"]
    get_case_for_user(worker, routed_case.pk, channel=AccessChannel.API)
    assert _looks(routed_case, worker) == [(AccessChannel.API, True)]


def test_a_youth_update_does_not_tell_another_agency_who_made_it(client_for, personas):
    """Brown works one case of the youth, Outagamie another; Outagamie records the youth
    missing. Brown's timeline says the youth was updated, naming nobody."""
    hub, outagamie, brown = (
        personas["hub2.specialist"],
        personas["outagamie.worker"],
        personas["brown.worker"],
    )
    county = County.objects.get(name="Outagamie")
    youth_data = {
        "legal_first_name": "Rowan",
        "legal_last_name": "Twocase",
        "date_of_birth": datetime.date(2011, 3, 14),
        "county": county,
    }
    cases = []
    for agency_name in ("Outagamie County Human Services", "Brown County Human Services"):
        case = services.referral_create(
            logged_by=hub,
            youth=cases[0].youth if cases else None,
            youth_data=youth_data,
            referral_data={
                "received_at": timezone.now() - datetime.timedelta(hours=2),
                "source": ReferralSource.SCHOOL,
                "narrative": "Synthetic test referral.",
            },
        )
        services.case_screen(case_id=case.pk, actor=hub, outcome=ScreeningOutcome.SUSPECTED)
        agency = Agency.objects.get(name=agency_name)
        services.case_route(
            case_id=case.pk,
            actor=hub,
            agency=agency,
            legal_basis=LegalBasis.MANDATED_CPS_REPORT,
        )
        worker = outagamie if agency_name.startswith("Outagamie") else brown
        services.case_accept(case_id=case.pk, actor=worker)
        cases.append(Case.objects.get(pk=case.pk))
    theirs, other = cases

    services.youth_update(case_id=theirs.pk, actor=outagamie, missing_from_care=True)

    mine = CaseEvent.objects.get(case=theirs, kind="youth_updated")
    elsewhere = CaseEvent.objects.get(case=other, kind="youth_updated")
    assert (mine.from_another_case, elsewhere.from_another_case) == (False, True)
    assert elsewhere.actor == outagamie  # the audit keeps who did it
    page = client_for(brown).get(reverse("cases:detail", args=[other.pk])).text
    page = page[page.index('<ol class="timeline">') :]
    page = page[: page.index("</ol>")]
    assert "Updated from another case of this youth" in page
    for revealing in ("outagamie.worker", outagamie.get_full_name(), "Outagamie County Human"):
        assert revealing not in page
    answer = client_for(brown).get(f"/api/v1/cases/{other.pk}/")
    (update,) = [e for e in answer.json()["timeline"] if e["kind"] == "youth_updated"]
    assert update["actor"] is None
    assert "outagamie.worker" not in answer.text
