import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import CaseAccess, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(personas):
    def login(username):
        client = APIClient()
        client.force_authenticate(personas[username])
        return client

    return login


def earlier(minutes=30):
    return (timezone.localtime() - datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def complete_url(case, key):
    return reverse("case-step-complete", kwargs={"pk": case.pk, "key": key})


def test_the_checklist(api_for, make_case):
    case = make_case(status=Status.ACCEPTED)

    steps = api_for("outagamie.worker").get(reverse("case-steps", args=[case.pk])).json()

    by_key = {s["key"]: s for s in steps}
    assert by_key["intake"]["state"] == "overdue"  # received 2 hours ago, due after 2
    assert by_key["tribal_notice"]["status"] == "not_applicable"
    assert by_key["service_plan"]["state"] == "waiting"
    assert CaseAccess.objects.filter(case=case, channel="api").exists()


def test_the_agency_completes_its_step(api_for, make_case):
    case = make_case(status=Status.ACCEPTED)

    response = api_for("outagamie.worker").post(
        complete_url(case, "le_notification"),
        {"notified_at": earlier(), "law_enforcement_agency": "Appleton PD"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "done"
    assert body["completed_by"] == "outagamie.worker"
    assert body["values"]["law_enforcement_agency"] == "Appleton PD"


def test_field_errors_are_a_400_naming_each_field(api_for, make_case):
    case = make_case(status=Status.ACCEPTED)

    response = api_for("outagamie.worker").post(
        complete_url(case, "initial_assessment"),
        {"completed_at": "not a time", "finding": "Maybe"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"completed_at", "finding"}


def test_not_the_owner_is_403_and_not_visible_is_404(api_for, make_case):
    case = make_case(status=Status.ACCEPTED)
    data = {"notified_at": earlier(), "law_enforcement_agency": "X"}

    hub = api_for("hub2.specialist").post(
        complete_url(case, "le_notification"), data, format="json"
    )
    brown = api_for("brown.worker").post(
        complete_url(case, "le_notification"), data, format="json"
    )

    assert hub.status_code == 403
    assert brown.status_code == 404


def test_completing_twice_is_409_and_an_unknown_step_404(api_for, make_case):
    case = make_case(status=Status.ACCEPTED)
    client = api_for("hub2.specialist")
    data = {"reviewed_at": earlier()}

    assert client.post(complete_url(case, "intake"), data, format="json").status_code == 200
    assert client.post(complete_url(case, "intake"), data, format="json").status_code == 409
    assert client.post(complete_url(case, "no_such_step"), data, format="json").status_code == 404


def test_skip(api_for, make_case):
    case = make_case(status=Status.ACCEPTED)
    client = api_for("outagamie.worker")
    url = reverse("case-step-skip", kwargs={"pk": case.pk, "key": "follow_up"})
    required = reverse("case-step-skip", kwargs={"pk": case.pk, "key": "safety_plan"})

    assert client.post(url, {}, format="json").status_code == 400
    assert client.post(required, {"reason": "No"}, format="json").status_code == 400
    response = client.post(url, {"reason": "Youth moved away"}, format="json")
    assert response.json()["status"] == "skipped"
