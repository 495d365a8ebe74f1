"""The access log tells the truth about each look: a refused request is logged refused,
and a request's rows are written once, together, after its outcome is known."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import AccessChannel, CaseAccess
from cases.selectors import get_case_for_user

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
