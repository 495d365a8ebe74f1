"""The needs API: GET/POST /api/v1/cases/{id}/needs/ and PATCH .../needs/{need_id}/,
through the one door (every call logged), each refusal a 400 naming its field."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services
from cases.models import (
    AccessChannel,
    CaseAccess,
    CaseEvent,
    EventKind,
    NeedStatus,
    ServiceNeed,
    Status,
    UnavailableReason,
)
from regions.models import County, Region, ServiceType
from regions.services import ProviderInput, provider_create
from tests.cases.test_selectors import consent_for_brown

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def api_for(personas):
    def login(username):
        client = APIClient()
        client.force_authenticate(personas[username])
        return client

    return login


@pytest.fixture
def provider(personas):
    return provider_create(
        actor=personas["hub2.specialist"],
        region=Region.objects.get(number=2),
        data=ProviderInput(
            name="Fox Valley Youth Counselling",
            kind="behavioral_health",
            service_types=[ServiceType.objects.get(key="mental_health")],
            counties=[County.objects.get(name="Outagamie")],
        ),
    )


def needs_url(case) -> str:
    return reverse("case-needs", args=[case.pk])


def need_url(case, need) -> str:
    return reverse("case-need-update", kwargs={"pk": case.pk, "need_id": need.pk})


def recorded(case, actor, key="mental_health", **fields):
    return services.need_identify(
        case_id=case.pk,
        actor=actor,
        service_type=ServiceType.objects.get(key=key),
        identified_on=fields.pop("identified_on", TODAY()),
        **fields,
    )


class TestReadAndWrite:
    def test_the_agency_records_lists_and_updates_needs(self, api_for, make_case, provider):
        case = make_case(status=Status.ACCEPTED)
        client = api_for("outagamie.worker")

        created = client.post(
            needs_url(case),
            {"service_type": "mental_health", "notes": "Asked for counselling."},
            format="json",
        )

        assert created.status_code == 201
        need = ServiceNeed.objects.get(case=case)
        assert created.json() == {
            "id": need.pk,
            "service_type": "mental_health",
            "status": "identified",
            "reason": "",
            "provider": None,
            "provider_name": "",
            "identified_on": TODAY().isoformat(),
            "notes": "Asked for counselling.",
        }

        patched = client.patch(
            need_url(case, need), {"status": "referred", "provider": provider.pk}, format="json"
        )

        assert patched.status_code == 200
        assert patched.json() | {"id": None} == {
            "id": None,
            "service_type": "mental_health",
            "status": "referred",
            "reason": "",
            "provider": provider.pk,
            "provider_name": "Fox Valley Youth Counselling",
            "identified_on": TODAY().isoformat(),
            "notes": "Asked for counselling.",  # not sent: kept
        }
        listed = client.get(needs_url(case))
        assert listed.status_code == 200
        assert listed.json() == [patched.json()]
        assert [e.kind for e in CaseEvent.objects.filter(case=case, kind__startswith="need_")] == [
            EventKind.NEED_IDENTIFIED,
            EventKind.NEED_UPDATED,
        ]

    def test_an_unavailable_need_with_its_reason_and_a_named_provider(self, api_for, make_case):
        case = make_case(status=Status.ACCEPTED)
        client = api_for("hub2.specialist")
        last_week = TODAY() - datetime.timedelta(days=7)

        unavailable = client.post(
            needs_url(case),
            {
                "service_type": "interpretation",
                "identified_on": last_week.isoformat(),
                "status": "unavailable",
                "reason": "language",
            },
            format="json",
        ).json()
        need = ServiceNeed.objects.get(pk=unavailable["id"])

        assert (unavailable["status"], unavailable["reason"], unavailable["identified_on"]) == (
            "unavailable",
            "language",
            last_week.isoformat(),
        )
        # Leaving "unavailable" drops the reason; a provider named when not listed.
        changed = client.patch(
            need_url(case, need),
            {"status": "waitlisted", "provider_name": "Harbor House Interpreters"},
            format="json",
        ).json()
        assert (changed["status"], changed["reason"], changed["provider"]) == (
            "waitlisted",
            "",
            None,
        )
        assert changed["provider_name"] == "Harbor House Interpreters"
        # Only the notes sent: status and provider stay.
        noted = client.patch(
            need_url(case, need), {"notes": "Call back Friday."}, format="json"
        ).json()
        assert (noted["status"], noted["provider_name"], noted["notes"]) == (
            "waitlisted",
            "Harbor House Interpreters",
            "Call back Friday.",
        )

    def test_every_call_goes_through_the_door_and_is_logged(self, api_for, make_case, personas):
        case = make_case(status=Status.ACCEPTED)
        client = api_for("outagamie.worker")

        client.get(needs_url(case))
        client.post(needs_url(case), {"service_type": "shelter"}, format="json")

        accesses = CaseAccess.objects.filter(case=case, user=personas["outagamie.worker"])
        assert [(a.channel, a.granted) for a in accesses.order_by("id")] == [
            (AccessChannel.API, True),
            (AccessChannel.API, True),
        ]


class TestRefusals:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "service_type"),
            ({"service_type": "no_such_service"}, "service_type"),
            ({"service_type": "shelter", "status": "lost"}, "status"),
            ({"service_type": "shelter", "status": "unavailable"}, "reason"),
            ({"service_type": "shelter", "reason": "language"}, "reason"),
            ({"service_type": "shelter", "reason": "far_away"}, "reason"),
            ({"service_type": "shelter", "status": "referred"}, "provider"),
            ({"service_type": "shelter", "provider": 999999}, "provider"),
            ({"service_type": "shelter", "identified_on": "yesterday"}, "identified_on"),
            ({"service_type": "shelter", "identified_on": "2999-01-01"}, "identified_on"),
            ({"service_type": "shelter", "provider_name": "x" * 201}, "provider_name"),
            ({"service_type": "shelter", "notes": "x" * 4001}, "notes"),
        ],
    )
    def test_each_error_is_a_400_naming_its_field_and_writes_nothing(
        self, api_for, make_case, body, field
    ):
        case = make_case(status=Status.ACCEPTED)
        events = CaseEvent.objects.filter(case=case).count()

        response = api_for("outagamie.worker").post(needs_url(case), body, format="json")

        assert response.status_code == 400
        assert field in response.json()
        assert not ServiceNeed.objects.exists()
        assert CaseEvent.objects.filter(case=case).count() == events

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"status": "lost"}, "status"),
            ({"status": "unavailable"}, "reason"),
            ({"status": "receiving"}, "provider"),
            ({"reason": "age"}, "reason"),
            ({"provider": "abc"}, "provider"),
        ],
    )
    def test_an_update_refused_names_its_field_and_changes_nothing(
        self, api_for, make_case, personas, body, field
    ):
        case = make_case(status=Status.ACCEPTED)
        need = recorded(case, personas["outagamie.worker"], notes="As it was.")

        response = api_for("outagamie.worker").patch(need_url(case, need), body, format="json")

        assert response.status_code == 400
        assert field in response.json()
        need.refresh_from_db()
        assert (need.status, need.reason, need.notes) == (NeedStatus.IDENTIFIED, "", "As it was.")

    @pytest.mark.parametrize("username", ["brown.worker", "hub5.specialist", "state.admin"])
    def test_another_agencys_case_is_not_found_and_the_attempt_is_logged(
        self, api_for, make_case, personas, username
    ):
        case = make_case(status=Status.ACCEPTED)
        need = recorded(case, personas["outagamie.worker"])
        client = api_for(username)

        responses = [
            client.get(needs_url(case)),
            client.post(needs_url(case), {"service_type": "shelter"}, format="json"),
            client.patch(need_url(case, need), {"status": "declined"}, format="json"),
        ]

        assert [r.status_code for r in responses] == [404, 404, 404]
        assert case.youth.legal_last_name not in "".join(r.content.decode() for r in responses)
        denied = CaseAccess.objects.filter(case=case, user=personas[username])
        assert [a.granted for a in denied] == [False, False, False]
        assert ServiceNeed.objects.filter(case=case).count() == 1
        need.refresh_from_db()
        assert need.status == NeedStatus.IDENTIFIED

    def test_a_need_of_another_case_is_not_found(self, api_for, make_case, personas):
        case, other = make_case(status=Status.ACCEPTED), make_case(status=Status.ACCEPTED)
        need = recorded(other, personas["hub2.specialist"])

        response = api_for("hub2.specialist").patch(
            need_url(case, need), {"status": "declined"}, format="json"
        )

        assert response.status_code == 404
        need.refresh_from_db()
        assert need.status == NeedStatus.IDENTIFIED

    def test_a_read_only_viewer_reads_but_may_not_write(self, api_for, make_case, personas):
        case = make_case(status=Status.ACCEPTED)
        need = recorded(case, personas["outagamie.worker"])
        services.case_grant_create(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            user=personas["brown.worker"],
            consent=consent_for_brown(case, personas["hub2.specialist"]),
        )
        client = api_for("brown.worker")

        assert [n["id"] for n in client.get(needs_url(case)).json()] == [need.pk]
        added = client.post(needs_url(case), {"service_type": "shelter"}, format="json")
        changed = client.patch(need_url(case, need), {"status": "declined"}, format="json")

        assert (added.status_code, changed.status_code) == (403, 403)
        assert ServiceNeed.objects.filter(case=case).count() == 1

    def test_a_closed_case_is_a_conflict(self, api_for, make_case, personas):
        case = make_case(status=Status.ACCEPTED)
        worker = personas["outagamie.worker"]
        need = recorded(case, worker)
        services.case_close(case_id=case.pk, actor=worker, reason="services_completed")
        client = api_for("outagamie.worker")

        added = client.post(needs_url(case), {"service_type": "shelter"}, format="json")
        changed = client.patch(
            need_url(case, need),
            {"status": "unavailable", "reason": UnavailableReason.NO_CAPACITY},
            format="json",
        )

        assert (added.status_code, changed.status_code) == (409, 409)
        assert client.get(needs_url(case)).status_code == 200
        need.refresh_from_db()
        assert need.status == NeedStatus.IDENTIFIED


def test_the_list_costs_the_same_however_many_needs(api_for, make_case, personas, provider):
    case = make_case(status=Status.ACCEPTED)
    worker = personas["outagamie.worker"]
    client = api_for("outagamie.worker")
    recorded(case, worker, status=NeedStatus.REFERRED, provider=provider)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(needs_url(case)).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(10):
        recorded(case, worker, status=NeedStatus.RECEIVING, provider=provider)
        recorded(case, worker, key="shelter", status=NeedStatus.WAITLISTED, provider_name="X")
    assert queries() == few
    assert len(client.get(needs_url(case)).json()) == 21


def test_a_need_id_too_large_for_the_database_is_not_found(api_for, make_case):
    case = make_case(status=Status.ACCEPTED)
    url = reverse("case-need-update", kwargs={"pk": case.pk, "need_id": 10**30})

    response = api_for("outagamie.worker").patch(url, {"status": "declined"}, format="json")

    assert response.status_code == 404
