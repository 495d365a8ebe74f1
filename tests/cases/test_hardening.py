"""Regressions for an independent security review: bad input never 500s, nothing leaks,
nothing goes unlogged."""

import base64
import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services
from cases.models import CaseAccess, Consent, LegalBasis, Status
from cases.selectors import cases_visible_to, get_case_for_user
from hubnet.http import client_ip
from regions.models import Agency, Membership
from regions.services import membership_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(personas):
    def login(username):
        client = APIClient()
        client.force_authenticate(personas[username])
        return client

    return login


class TestNoServerErrors:
    @pytest.mark.parametrize(
        "url",
        [
            "/api/v1/cases/not-a-uuid/",
            "/api/v1/referrals/not-a-uuid/",
            "/api/v1/cases/not-a-uuid/accept/",
        ],
    )
    def test_ids_that_are_not_uuids_are_not_found(self, api_for, url):
        client = api_for("hub2.specialist")
        response = client.post(url, {}) if url.endswith("accept/") else client.get(url)
        assert response.status_code == 404

    @pytest.mark.parametrize(
        "params",
        [
            {"worker": "²"},
            {"worker": "99999999999999999999999"},
            {"worker": "someone"},
            {"agency": "99999999999999999999999"},
            {"agency": "abc"},
            {"status": "sideways"},
        ],
    )
    def test_bad_filter_values_are_400_in_the_api(self, api_for, params):
        response = api_for("hub2.specialist").get(reverse("case-list"), params)
        assert response.status_code == 400
        assert set(params) <= set(response.json())

    @pytest.mark.parametrize("params", [{"worker": "²"}, {"worker": "9" * 30}, {"status": "x"}])
    def test_bad_filter_values_on_the_page_show_an_error(self, client_for, personas, params):
        response = client_for(personas["hub2.specialist"]).get(reverse("cases:list"), params)
        assert response.status_code == 200
        assert 'role="alert"' in response.text

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            base64.urlsafe_b64encode(b'["2024-01-01T00:00:00+00:00", 5]').decode(),
            base64.urlsafe_b64encode(b'["0001-01-01T00:00:00+14:00", "x"]').decode(),
        ],
    )
    def test_a_forged_page_cursor_starts_from_the_first_page(
        self, client_for, personas, routed_case, cursor
    ):
        response = client_for(personas["hub2.specialist"]).get(
            reverse("cases:list"), {"after": cursor}
        )
        assert response.status_code == 200
        assert routed_case.number in response.text

    @pytest.mark.parametrize("position", [b"p=garbage", b"o=1&r=0&p=not-a-date", b"p=0001-01-01"])
    @pytest.mark.parametrize("name", ["case-list", "referral-list"])
    def test_a_forged_api_cursor_is_404(self, api_for, routed_case, position, name):
        cursor = base64.b64encode(position).decode()
        response = api_for("hub2.specialist").get(reverse(name), {"cursor": cursor})
        assert response.status_code == 404


class TestNothingLeaksOrGoesUnlogged:
    def test_the_referral_list_is_a_summary_and_logs_nothing(self, api_for, routed_case):
        results = api_for("outagamie.worker").get(reverse("referral-list")).json()["results"]

        assert len(results) == 1
        assert not {"narrative", "reporter_contact", "reporter_name", "youth"} & set(results[0])
        assert not CaseAccess.objects.exists()

    def test_the_full_referral_is_a_logged_read(self, api_for, routed_case):
        body = (
            api_for("outagamie.worker")
            .get(reverse("referral-detail", args=[routed_case.referral_id]))
            .json()
        )

        assert body["narrative"] == "Synthetic test referral."
        assert CaseAccess.objects.get(case=routed_case).channel == "api"

    def test_missing_and_forbidden_referrals_look_the_same(self, api_for, routed_case):
        client = api_for("brown.worker")
        forbidden = client.get(reverse("referral-detail", args=[routed_case.referral_id]))
        missing = client.get(
            reverse("referral-detail", args=["5f0e6f7a-0000-4000-8000-000000000000"])
        )

        assert forbidden.status_code == missing.status_code == 404
        assert forbidden.json() == missing.json()

    def test_a_refused_write_is_logged_as_denied(self, personas, routed_case):
        services.case_grant_create(
            case_id=routed_case.pk,
            actor=personas["hub2.specialist"],
            user=personas["brown.worker"],
            consent=_consent(routed_case, personas),
        )

        with pytest.raises(PermissionDenied):  # a grant reads, never writes
            get_case_for_user(personas["brown.worker"], routed_case.pk, write=True)

        access = CaseAccess.objects.get(case=routed_case, user=personas["brown.worker"])
        assert access.granted is False

    @override_settings(BEHIND_TLS_PROXY=True)
    def test_behind_the_proxy_the_logged_address_is_the_one_the_proxy_saw(self):
        request = RequestFactory().get(
            "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9"
        )
        assert client_ip(request) == "203.0.113.9"

    def test_without_the_proxy_forwarded_headers_are_ignored(self):
        request = RequestFactory().get(
            "/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="6.6.6.6"
        )
        assert client_ip(request) == "198.51.100.4"


def _consent(case, personas, **overrides):
    today = timezone.localdate()
    values = {
        "recipient": Agency.objects.get(county__name="Brown"),
        "scope": "Services",
        "youth_consented": True,
        "guardian_consented": True,
        "guardian_name": "Pat Guardian",
        "signed_on": today,
        "expires_on": today + datetime.timedelta(days=30),
    }
    values.update(overrides)
    return services.consent_record(case_id=case.pk, actor=personas["hub2.specialist"], **values)


class TestGrantsEndWithWhatTheyRestOn:
    @pytest.fixture
    def granted(self, personas, routed_case):
        consent = _consent(routed_case, personas)
        services.case_grant_create(
            case_id=routed_case.pk,
            actor=personas["hub2.specialist"],
            user=personas["brown.worker"],
            consent=consent,
        )
        return consent

    def test_revoking_the_consent_ends_the_grant(self, personas, routed_case, granted):
        Consent.objects.filter(pk=granted.pk).update(revoked_at=timezone.now())
        assert not cases_visible_to(personas["brown.worker"]).filter(pk=routed_case.pk).exists()

    def test_leaving_the_agency_ends_the_grant(self, personas, routed_case, granted):
        membership_revoke(membership=Membership.objects.get(user=personas["brown.worker"]))
        assert not cases_visible_to(personas["brown.worker"]).filter(pk=routed_case.pk).exists()


class TestStateRules:
    def test_the_api_cannot_route_outside_the_region_even_with_a_legal_basis(
        self, api_for, make_case
    ):
        case = make_case(status=Status.SCREENED)
        response = api_for("hub2.specialist").post(
            reverse("case-route", args=[case.pk]),
            {
                "agency": Agency.objects.get(county__name="Adams").pk,
                "legal_basis": LegalBasis.MANDATED_CPS_REPORT,
            },
            format="json",
        )
        assert response.status_code == 400
        assert "agency" in response.json()
        case.refresh_from_db()
        assert case.status == Status.SCREENED

    def test_reopening_returns_to_the_status_before_closing(self, personas, routed_case):
        services.case_close(
            case_id=routed_case.pk, actor=personas["hub2.specialist"], reason="duplicate"
        )
        case = services.case_reopen(
            case_id=routed_case.pk, actor=personas["hub2.specialist"], reason="Not a duplicate"
        )
        assert case.status == Status.ROUTED  # still awaiting the agency's acceptance
