"""The one door: who sees which case, and the log it keeps."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cases import services
from cases.models import AccessChannel, CaseAccess, CaseGrant, Consent, Status
from cases.selectors import (
    case_access_log,
    case_search_condition,
    cases_visible_to,
    get_case_for_user,
    youth_matches,
)
from regions.models import Agency, Region, Tribe

pytestmark = pytest.mark.django_db


def cases_search(user, query):
    """The search the caseload page and the cases API run (CaseFilter.filter_q)."""
    return cases_visible_to(user).filter(case_search_condition(query))


def visible_numbers(user):
    return set(cases_visible_to(user).values_list("number", flat=True))


@pytest.fixture
def cases_everywhere(make_case):
    """One case per persona agency, one received in region 2 and one in region 5."""
    return {
        "outagamie": make_case(county="Outagamie", status=Status.ACTIVE),
        "brown": make_case(county="Brown", status=Status.ROUTED),
        "menominee": make_case(
            county="Menominee",
            status=Status.ACCEPTED,
            agency=Agency.objects.get(tribe__name="Menominee Indian Tribe of Wisconsin"),
            tribe=Tribe.objects.get(name="Menominee Indian Tribe of Wisconsin"),
        ),
        "hub2_new": make_case(county="Calumet", status=Status.RECEIVED),
        "dane": make_case(county="Dane", status=Status.ROUTED),
        "hub5_new": make_case(county="Sauk", status=Status.RECEIVED),
    }


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("hub2.specialist", {"outagamie", "brown", "menominee", "hub2_new"}),
        ("hub5.specialist", {"dane", "hub5_new"}),
        ("outagamie.worker", {"outagamie"}),
        ("brown.worker", {"brown"}),
        ("menominee.worker", {"menominee"}),
        ("dane.worker", {"dane"}),
        ("state.admin", set()),
        ("outsider", set()),
    ],
)
def test_who_sees_which_case(personas, cases_everywhere, username, expected):
    numbers = {key: case.number for key, case in cases_everywhere.items()}
    assert visible_numbers(personas[username]) == {numbers[key] for key in expected}


def test_a_superuser_without_membership_sees_no_case(cases_everywhere):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-not-used-1")
    assert visible_numbers(root) == set()


def test_an_inactive_user_sees_nothing(personas, cases_everywhere):
    worker = personas["outagamie.worker"]
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert visible_numbers(worker) == set()


def test_declining_takes_the_case_away_from_the_agency(personas, routed_case):
    services.case_decline(
        case_id=routed_case.pk, actor=personas["outagamie.worker"], reason="Outside our area."
    )

    assert routed_case.number not in visible_numbers(personas["outagamie.worker"])
    assert routed_case.number in visible_numbers(personas["hub2.specialist"])
    assert routed_case.events.filter(
        kind="declined", from_agency__county__name="Outagamie"
    ).exists()


def test_rerouting_moves_access_to_the_new_agency(personas, routed_case):
    services.case_decline(
        case_id=routed_case.pk, actor=personas["outagamie.worker"], reason="Lives in Brown now."
    )
    consent_for_brown(routed_case, personas["hub2.specialist"])

    services.case_route(
        case_id=routed_case.pk,
        actor=personas["hub2.specialist"],
        agency=Agency.objects.get(county__name="Brown"),
    )

    assert routed_case.number in visible_numbers(personas["brown.worker"])
    assert routed_case.number not in visible_numbers(personas["outagamie.worker"])


def consent_for_brown(case, actor, **overrides):
    today = timezone.localdate()
    values = {
        "recipient": Agency.objects.get(county__name="Brown"),
        "scope": "Referral and screening, to arrange services",
        "youth_consented": True,
        "guardian_consented": True,
        "guardian_name": "Pat Guardian",
        "signed_on": today,
        "expires_on": today + datetime.timedelta(days=90),
    }
    values.update(overrides)
    return services.consent_record(case_id=case.pk, actor=actor, **values)


class TestGetCaseForUser:
    def test_the_agency_may_read_and_write_and_the_read_is_logged(self, personas, routed_case):
        worker = personas["outagamie.worker"]

        case = get_case_for_user(
            worker, routed_case.pk, write=True, channel=AccessChannel.API, ip_address="10.0.0.7"
        )

        assert case == routed_case
        access = CaseAccess.objects.get(case=routed_case, user=worker)
        assert access.granted is True
        assert access.channel == AccessChannel.API
        assert access.ip_address == "10.0.0.7"

    @pytest.mark.parametrize(
        "username", ["brown.worker", "hub5.specialist", "state.admin", "outsider"]
    )
    def test_others_get_not_found_and_the_attempt_is_logged(self, personas, routed_case, username):
        user = personas[username]

        with pytest.raises(Http404):
            get_case_for_user(user, routed_case.pk)

        assert CaseAccess.objects.get(case=routed_case, user=user).granted is False

    def test_a_case_that_does_not_exist_is_simply_not_found(self, personas):
        with pytest.raises(Http404):
            get_case_for_user(personas["hub2.specialist"], "8d7c9f1e-0000-4000-8000-000000000000")
        assert not CaseAccess.objects.exists()


class TestConsentBoundGrant:
    @pytest.fixture
    def grant(self, personas, routed_case):
        consent = consent_for_brown(routed_case, personas["hub2.specialist"])
        return services.case_grant_create(
            case_id=routed_case.pk,
            actor=personas["hub2.specialist"],
            user=personas["brown.worker"],
            consent=consent,
        )

    def test_a_grant_lets_one_user_read_one_case(self, personas, routed_case, grant):
        brown = personas["brown.worker"]

        assert get_case_for_user(brown, routed_case.pk) == routed_case
        assert routed_case.number in visible_numbers(brown)

    def test_a_grant_is_read_only(self, personas, routed_case, grant):
        with pytest.raises(PermissionDenied):
            get_case_for_user(personas["brown.worker"], routed_case.pk, write=True)

    def test_a_grant_ends_with_the_consent(self, personas, routed_case, grant):
        after_expiry = timezone.now() + datetime.timedelta(days=92)
        with time_machine.travel(after_expiry, tick=False), pytest.raises(Http404):
            get_case_for_user(personas["brown.worker"], routed_case.pk)

    def test_a_grant_needs_a_current_consent(self, personas, routed_case):
        consent = consent_for_brown(routed_case, personas["hub2.specialist"])
        Consent.objects.filter(pk=consent.pk).update(revoked_at=timezone.now())
        consent.refresh_from_db()

        with pytest.raises(Exception, match="current consent"):
            services.case_grant_create(
                case_id=routed_case.pk,
                actor=personas["hub2.specialist"],
                user=personas["brown.worker"],
                consent=consent,
            )
        assert not CaseGrant.objects.exists()


class TestSearch:
    def test_search_never_matches_outside_the_door(self, personas, make_case):
        make_case(county="Dane", first="Zebediah", last="Quartermaine", status=Status.ROUTED)

        assert not cases_search(personas["hub2.specialist"], "Zebediah").exists()
        assert not cases_search(personas["outagamie.worker"], "Quartermaine").exists()
        assert cases_search(personas["hub5.specialist"], "Zebediah Quartermaine").count() == 1
        assert cases_search(personas["dane.worker"], "quarterm").count() == 1

    def test_search_by_case_number(self, personas, routed_case, make_case):
        make_case(county="Brown")

        found = cases_search(personas["hub2.specialist"], routed_case.number)

        assert list(found) == [routed_case]


class TestYouthMatches:
    def test_matches_only_youth_of_cases_one_can_see(self, personas, make_case):
        make_case(county="Dane", first="Maya", last="Lindqvist")
        region2 = Region.objects.get(number=2)
        region5 = Region.objects.get(number=5)

        hub2 = youth_matches(
            personas["hub2.specialist"], region_ids=[region2.pk], first="Maya", last="Lindq"
        )
        hub5 = youth_matches(
            personas["hub5.specialist"], region_ids=[region5.pk], first="M", last="Lindqvist"
        )

        assert list(hub2) == []
        assert [y.legal_first_name for y in hub5] == ["Maya"]

    def test_same_birth_date_and_initial_match_despite_a_spelling_change(
        self, personas, make_case
    ):
        case = make_case(county="Brown", first="Aaliyah", last="Vang")
        region2 = Region.objects.get(number=2)

        matches = youth_matches(
            personas["hub2.specialist"],
            region_ids=[region2.pk],
            first="Aliya",
            last="Vaang",
            born=case.youth.date_of_birth,
        )

        assert list(matches) == [case.youth]


class TestAccessLog:
    def test_hub_sees_who_looked(self, personas, routed_case):
        get_case_for_user(personas["outagamie.worker"], routed_case.pk)
        with pytest.raises(Http404):
            get_case_for_user(personas["brown.worker"], routed_case.pk)

        log = case_access_log(personas["hub2.specialist"], routed_case)

        assert [(a.user.username, a.granted) for a in log] == [
            ("brown.worker", False),
            ("outagamie.worker", True),
        ]

    def test_staff_without_supervision_may_not(self, personas, routed_case):
        with pytest.raises(PermissionDenied):
            case_access_log(personas["outagamie.worker"], routed_case)

    def test_agency_supervisors_may(self, personas, routed_case):
        from regions.models import Role
        from regions.services import membership_grant

        supervisor = get_user_model().objects.create_user("outagamie.supervisor")
        membership_grant(
            user=supervisor,
            role=Role.AGENCY_SUPERVISOR,
            agency=Agency.objects.get(county__name="Outagamie"),
        )

        assert list(case_access_log(supervisor, routed_case)) == []
