import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases.models import AccessChannel, Case, CaseAccess, Status, Youth
from regions.models import Agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(personas):
    def login(username):
        client = APIClient()
        client.force_authenticate(personas[username])
        return client

    return login


def referral_payload(**overrides):
    payload = {
        "received_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
        "source": "hotline",
        "narrative": "Caller worried about a 15-year-old working nights at a restaurant.",
        "suspected_exploitation": "labor",
        "indicators": ["excessive_hours", "debt_to_employer"],
        "youth": {
            "legal_first_name": "Tomas",
            "legal_last_name": "Reyes",
            "estimated_age": 15,
            "county": "55087",
        },
    }
    payload.update(overrides)
    return payload


class TestReferralsApi:
    def test_a_hub_specialist_logs_a_referral(self, api_for):
        response = api_for("hub2.specialist").post(
            reverse("referral-list"), referral_payload(), format="json"
        )

        assert response.status_code == 201, response.json()
        body = response.json()
        case = Case.objects.get(pk=body["case"])
        assert body["case_number"] == case.number
        assert case.youth.legal_last_name == "Reyes"
        assert sorted(body["indicators"]) == ["debt_to_employer", "excessive_hours"]

    def test_bad_input_is_a_structured_400_naming_the_fields(self, api_for):
        payload = referral_payload(source="pigeon", indicators=["no_such_indicator"])
        payload["youth"] = {"legal_first_name": "Tomas", "county": "99999"}

        response = api_for("hub2.specialist").post(
            reverse("referral-list"), payload, format="json"
        )

        assert response.status_code == 400
        errors = response.json()
        assert "source" in errors
        assert "indicators" in errors
        assert {"legal_last_name", "county"} <= set(errors["youth"])
        assert not Youth.objects.filter(legal_first_name="Tomas").exists()

    def test_a_future_received_time_is_a_400_not_a_500(self, api_for):
        future = (timezone.now() + datetime.timedelta(days=2)).isoformat()
        response = api_for("hub2.specialist").post(
            reverse("referral-list"), referral_payload(received_at=future), format="json"
        )
        assert response.status_code == 400
        assert "received_at" in response.json()
        assert not Youth.objects.filter(legal_last_name="Reyes").exists()

    def test_agency_staff_may_not_log_referrals(self, api_for):
        response = api_for("outagamie.worker").post(
            reverse("referral-list"), referral_payload(), format="json"
        )
        assert response.status_code == 403

    def test_a_referral_for_another_region_is_refused(self, api_for):
        response = api_for("hub2.specialist").post(
            reverse("referral-list"), referral_payload(region=5), format="json"
        )
        assert response.status_code == 400
        assert "region" in response.json()

    def test_a_youth_from_another_region_needs_a_handover(self, api_for):
        payload = referral_payload()
        payload["youth"]["county"] = "55025"  # Dane County, region 5

        refused = api_for("hub2.specialist").post(reverse("referral-list"), payload, format="json")
        handed = api_for("hub2.specialist").post(
            reverse("referral-list"), {**payload, "handover": True}, format="json"
        )

        assert refused.status_code == 400
        assert "Hub 5" in refused.json()["county"][0]
        assert handed.status_code == 201
        case = Case.objects.get(pk=handed.json()["case"])
        assert (case.region.number, case.youth.region.number) == (5, 5)
        hub5 = api_for("hub5.specialist").get(reverse("case-list")).json()["results"]
        assert case.number in [c["case_number"] for c in hub5]

    def test_referral_list_and_detail_are_scoped(self, api_for, routed_case):
        own = api_for("outagamie.worker").get(reverse("referral-list")).json()["results"]
        other = api_for("brown.worker").get(reverse("referral-list")).json()["results"]

        assert [r["case"] for r in own] == [str(routed_case.pk)]
        assert other == []
        response = api_for("brown.worker").get(
            reverse("referral-detail", args=[routed_case.referral_id])
        )
        assert response.status_code == 404


class TestCasesApi:
    def test_representation(self, api_for, routed_case):
        response = api_for("outagamie.worker").get(reverse("case-detail", args=[routed_case.pk]))

        body = response.json()
        assert body["id"] == str(routed_case.pk)
        assert body["case_number"] == routed_case.number
        assert body["status"] == "routed"
        assert body["region"] == 2
        assert body["county"] == "55087"
        assert body["agency"] == Agency.objects.get(county__name="Outagamie").pk
        assert [e["kind"] for e in body["timeline"]] == ["logged", "screened", "routed"]
        access = CaseAccess.objects.get(case=routed_case)
        assert access.channel == AccessChannel.API

    def test_the_list_never_leaks_another_agencys_case(self, api_for, make_case):
        outagamie = make_case(county="Outagamie")
        brown = make_case(county="Brown")

        for username, expected in [
            ("outagamie.worker", {outagamie.number}),
            ("brown.worker", {brown.number}),
            ("hub2.specialist", {outagamie.number, brown.number}),
            ("hub5.specialist", set()),
            ("state.admin", set()),
        ]:
            results = api_for(username).get(reverse("case-list")).json()["results"]
            assert {c["case_number"] for c in results} == expected, username
            searched = (
                api_for(username).get(reverse("case-list"), {"q": "Testcase"}).json()["results"]
            )
            assert {c["case_number"] for c in searched} == expected, username

    def test_filters(self, api_for, make_case):
        brown = make_case(county="Brown", status=Status.ROUTED)
        make_case(county="Outagamie", status=Status.RECEIVED)
        client = api_for("hub2.specialist")

        assert [
            c["case_number"]
            for c in client.get(reverse("case-list"), {"county": "55009"}).json()["results"]
        ] == [brown.number]
        assert [
            c["case_number"]
            for c in client.get(reverse("case-list"), {"status": "routed"}).json()["results"]
        ] == [brown.number]
        assert client.get(reverse("case-list"), {"status": "sideways"}).status_code == 400

    def test_following_next_pages_through_every_case_once(self, api_for, make_case):
        numbers = {make_case(county="Brown").number for _ in range(5)}
        client = api_for("hub2.specialist")

        seen, url, params = [], reverse("case-list"), {"limit": 2}
        while url:
            body = client.get(url, params).json()
            seen += [c["case_number"] for c in body["results"]]
            url, params = body["next"], None

        assert sorted(seen) == sorted(numbers)

    def test_a_safe_at_home_address_is_never_returned(self, api_for, make_case):
        case = make_case(county="Outagamie", safe_at_home=True, address="12 Hidden Lane")
        body = api_for("hub2.specialist").get(reverse("case-detail", args=[case.pk])).json()
        assert body["youth"]["address"] == ""
        assert "Hidden Lane" not in str(body)

    def test_accept_then_accept_again_is_409(self, api_for, routed_case):
        client = api_for("outagamie.worker")
        url = reverse("case-accept", args=[routed_case.pk])

        first = client.post(url, {}, format="json")
        second = client.post(url, {}, format="json")

        assert first.status_code == 200
        assert first.json()["status"] == "accepted"
        assert second.status_code == 409
        assert "cannot be accepted" in second.json()["detail"]

    def test_a_stale_expected_status_is_409(self, api_for, routed_case):
        response = api_for("outagamie.worker").post(
            reverse("case-decline", args=[routed_case.pk]),
            {"reason": "No", "expected_status": "screened"},
            format="json",
        )
        assert response.status_code == 409
        routed_case.refresh_from_db()
        assert routed_case.status == Status.ROUTED

    def test_decline_needs_a_reason_400(self, api_for, routed_case):
        response = api_for("outagamie.worker").post(
            reverse("case-decline", args=[routed_case.pk]), {}, format="json"
        )
        assert response.status_code == 400
        assert "reason" in response.json()

    def test_route_outside_without_consent_is_400_on_agency(self, api_for, make_case):
        case = make_case(status=Status.SCREENED)
        response = api_for("hub2.specialist").post(
            reverse("case-route", args=[case.pk]),
            {"agency": Agency.objects.get(county__name="Door").pk},
            format="json",
        )
        assert response.status_code == 400
        assert "agency" in response.json()

    def test_the_agency_may_not_route_403(self, api_for, routed_case):
        response = api_for("outagamie.worker").post(
            reverse("case-route", args=[routed_case.pk]),
            {"agency": Agency.objects.get(county__name="Outagamie").pk},
            format="json",
        )
        assert response.status_code == 403

    def test_another_agency_gets_404_on_actions(self, api_for, routed_case):
        response = api_for("brown.worker").post(
            reverse("case-accept", args=[routed_case.pk]), {}, format="json"
        )
        assert response.status_code == 404

    def test_notes_and_close(self, api_for, routed_case):
        client = api_for("outagamie.worker")

        note = client.post(
            reverse("case-notes", args=[routed_case.pk]), {"body": "Met youth."}, format="json"
        )
        closed = client.post(
            reverse("case-close", args=[routed_case.pk]),
            {"reason": "services_completed"},
            format="json",
        )

        assert note.status_code == 201
        assert note.json()["author"] == "outagamie.worker"
        assert [
            n["body"] for n in client.get(reverse("case-notes", args=[routed_case.pk])).json()
        ] == ["Met youth."]
        assert closed.json()["status"] == "closed"

    def test_query_count_does_not_grow_with_cases(self, api_for, make_case):
        client = api_for("hub2.specialist")

        def queries():
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("case-list"), {"limit": 200}).status_code == 200
            return len(ctx.captured_queries)

        for _ in range(5):
            make_case(county="Brown")
        at_5 = queries()
        for _ in range(95):
            make_case(county="Outagamie", status=Status.ACTIVE)
        at_100 = queries()

        assert at_100 == at_5, "cases API queries grew with the number of cases"


class TestTokens:
    @pytest.fixture(autouse=True)
    def _enrolled(self, personas):
        """Tokens go only to accounts with a second factor (tests/hubnet/test_mfa.py)."""
        from tests.conftest import authenticator_of

        authenticator_of(personas["outagamie.worker"])

    def issue(self, *args):
        out, err = StringIO(), StringIO()
        call_command("issue_token", *args, stdout=out, stderr=err)
        return out.getvalue().strip(), err.getvalue()

    def test_issue_token_prints_a_token_stored_only_as_a_hash(self, personas):
        token, note = self.issue("outagamie.worker")

        assert token.startswith("hubnet_")
        assert "expires" in note
        stored = AuthToken.objects.get(user=personas["outagamie.worker"])
        assert token not in (stored.digest, stored.token_key)
        assert len(stored.digest) == 128  # SHA-512

    def test_a_token_authenticates_scripts(self, personas, routed_case):
        token, _ = self.issue("outagamie.worker")
        client = APIClient()

        response = client.get(reverse("case-list"), HTTP_AUTHORIZATION=f"Token {token}")

        assert response.status_code == 200
        assert [c["case_number"] for c in response.json()["results"]] == [routed_case.number]

    def test_an_expired_token_is_refused(self, personas):
        token, _ = self.issue("outagamie.worker", "--days", "1")
        client = APIClient()
        with time_machine.travel(timezone.now() + datetime.timedelta(days=2), tick=False):
            response = client.get(reverse("case-list"), HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 401

    def test_a_wrong_token_is_refused(self, personas):
        response = APIClient().get(
            reverse("case-list"), HTTP_AUTHORIZATION="Token hubnet_nonsense"
        )
        assert response.status_code == 401

    def test_unknown_user(self, personas):
        with pytest.raises(CommandError, match="No user named"):
            self.issue("nobody")
