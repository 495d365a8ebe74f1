"""How a case moves: each service checks who acts and the state, and writes its timeline row."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CaseEvent,
    ClosureReason,
    EventKind,
    LegalBasis,
    Referral,
    ReferralSource,
    ScreeningOutcome,
    Status,
    Youth,
)
from regions.models import Agency, County, Region, Tribe

pytestmark = pytest.mark.django_db


def counts():
    return (
        Youth.objects.count(),
        Referral.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
    )


def referral(personas, **youth_overrides):
    youth = {
        "legal_first_name": "Riley",
        "legal_last_name": "Okafor",
        "date_of_birth": datetime.date(2010, 6, 1),
        "county": County.objects.get(name="Outagamie"),
    }
    youth.update(youth_overrides)
    return services.referral_create(
        logged_by=personas["hub2.specialist"],
        region=Region.objects.get(number=2),
        youth_data=youth,
        referral_data={
            "received_at": timezone.now() - datetime.timedelta(minutes=30),
            "source": ReferralSource.LAW_ENFORCEMENT,
            "narrative": "Found at a truck stop with an older adult.",
            "imminent_danger": True,
        },
    )


class TestReferralCreate:
    def test_logging_opens_a_numbered_case_with_its_first_event(self, personas):
        case = referral(personas)
        second = referral(personas, legal_first_name="Sam")

        year = timezone.localdate().year
        assert case.number == f"R2-{year}-0001"
        assert second.number == f"R2-{year}-0002"
        assert case.status == Status.RECEIVED
        assert case.county.name == "Outagamie"
        event = case.events.get()
        assert (event.kind, event.actor.username, event.to_status) == (
            EventKind.LOGGED,
            "hub2.specialist",
            Status.RECEIVED,
        )

    def test_case_numbers_count_per_region(self, personas, make_case):
        make_case(county="Dane", status=Status.RECEIVED)
        case = referral(personas)
        assert case.number.startswith("R2-")
        assert case.number.endswith("-0001")

    def test_an_agency_worker_cannot_log_a_referral(self, personas):
        before = counts()
        with pytest.raises(PermissionDenied):
            services.referral_create(
                logged_by=personas["outagamie.worker"],
                region=Region.objects.get(number=2),
                youth_data={},
                referral_data={},
            )
        assert counts() == before

    def test_missing_birth_date_and_age_writes_nothing(self, personas):
        before = counts()
        with pytest.raises(ValidationError) as excinfo:
            referral(personas, date_of_birth=None)
        assert "date_of_birth" in excinfo.value.message_dict
        assert counts() == before

    def test_a_referral_received_in_the_future_writes_nothing(self, personas):
        before = counts()
        with pytest.raises(ValidationError) as excinfo:
            services.referral_create(
                logged_by=personas["hub2.specialist"],
                region=Region.objects.get(number=2),
                youth_data={
                    "legal_first_name": "A",
                    "legal_last_name": "B",
                    "estimated_age": 15,
                    "county": County.objects.get(name="Brown"),
                },
                referral_data={
                    "received_at": timezone.now() + datetime.timedelta(days=1),
                    "source": ReferralSource.SCHOOL,
                    "narrative": "x",
                },
            )
        assert "received_at" in excinfo.value.message_dict
        assert counts() == before  # the youth created first was rolled back too

    def test_a_known_youth_gets_a_second_case_not_a_second_record(self, personas, routed_case):
        case = services.referral_create(
            logged_by=personas["hub2.specialist"],
            region=Region.objects.get(number=2),
            youth=routed_case.youth,
            referral_data={
                "received_at": timezone.now(),
                "source": ReferralSource.FAMILY,
                "narrative": "Ran away again.",
            },
        )
        assert case.youth == routed_case.youth
        assert routed_case.youth.cases.count() == 2

    def test_linking_a_youth_from_another_region_is_refused(self, personas, make_case):
        dane_case = make_case(county="Dane")
        with pytest.raises(ValidationError):
            services.referral_create(
                logged_by=personas["hub2.specialist"],
                region=Region.objects.get(number=2),
                youth=dane_case.youth,
                referral_data={"received_at": timezone.now(), "source": "self", "narrative": "x"},
            )


class TestMoves:
    def test_screen_route_accept_assign_close_reopen(self, personas):
        hub, worker = personas["hub2.specialist"], personas["outagamie.worker"]
        outagamie = Agency.objects.get(county__name="Outagamie")
        case = referral(personas)

        services.case_screen(case_id=case.pk, actor=hub, outcome=ScreeningOutcome.SUSPECTED)
        services.case_route(
            case_id=case.pk, actor=hub, agency=outagamie, reason="Please call today"
        )
        services.case_accept(case_id=case.pk, actor=worker)
        services.case_assign(case_id=case.pk, actor=worker, worker=worker)
        services.case_close(case_id=case.pk, actor=worker, reason=ClosureReason.SERVICES_COMPLETED)
        services.case_reopen(case_id=case.pk, actor=hub, reason="New disclosure")

        case.refresh_from_db()
        assert case.status == Status.ACTIVE
        assert case.closed_at is None
        assert case.closure_reason == ""
        rows = list(case.events.values_list("kind", "actor__username", "from_status", "to_status"))
        assert rows == [
            ("logged", "hub2.specialist", "", "received"),
            ("screened", "hub2.specialist", "received", "screened"),
            ("routed", "hub2.specialist", "screened", "routed"),
            ("accepted", "outagamie.worker", "routed", "accepted"),
            ("assigned", "outagamie.worker", "accepted", "active"),
            ("closed", "outagamie.worker", "active", "closed"),
            ("step_not_applicable", "outagamie.worker", "closed", "closed"),  # steps set aside
            ("reopened", "hub2.specialist", "closed", "active"),
            ("step_applies", "hub2.specialist", "active", "active"),  # and back to do
        ]
        routed = case.events.get(kind="routed")
        assert routed.to_agency == outagamie
        assert routed.reason == "Please call today"

    def test_decline_returns_the_case_to_the_hub_and_records_why(self, personas, routed_case):
        services.case_decline(
            case_id=routed_case.pk,
            actor=personas["outagamie.worker"],
            reason="Family moved to Brown",
        )

        routed_case.refresh_from_db()
        assert routed_case.status == Status.DECLINED
        assert routed_case.agency is None
        event = routed_case.events.get(kind="declined")
        assert event.from_agency.county.name == "Outagamie"
        assert event.reason == "Family moved to Brown"

    def test_decline_needs_a_reason(self, personas, routed_case):
        with pytest.raises(ValidationError) as excinfo:
            services.case_decline(
                case_id=routed_case.pk, actor=personas["outagamie.worker"], reason=" "
            )
        assert "reason" in excinfo.value.message_dict
        routed_case.refresh_from_db()
        assert routed_case.status == Status.ROUTED

    def test_only_the_agency_accepts(self, personas, routed_case):
        with pytest.raises(PermissionDenied):
            services.case_accept(case_id=routed_case.pk, actor=personas["hub2.specialist"])
        with pytest.raises(PermissionDenied):
            services.case_accept(case_id=routed_case.pk, actor=personas["brown.worker"])

    def test_only_the_hub_routes(self, personas, make_case):
        case = make_case(status=Status.SCREENED)
        with pytest.raises(PermissionDenied):
            services.case_route(
                case_id=case.pk,
                actor=personas["outagamie.worker"],
                agency=Agency.objects.get(county__name="Outagamie"),
            )

    def test_accepting_twice_is_a_conflict(self, personas, routed_case):
        services.case_accept(case_id=routed_case.pk, actor=personas["outagamie.worker"])
        with pytest.raises(services.CaseConflict, match="cannot be accepted"):
            services.case_accept(case_id=routed_case.pk, actor=personas["outagamie.worker"])
        assert routed_case.events.filter(kind="accepted").count() == 1

    def test_acting_on_a_stale_status_is_a_conflict(self, personas, routed_case):
        with pytest.raises(services.CaseConflict, match="changed while you were looking"):
            services.case_accept(
                case_id=routed_case.pk,
                actor=personas["outagamie.worker"],
                expected_status=Status.SCREENED,
            )

    def test_a_not_indicated_case_is_not_routed(self, personas, make_case):
        case = make_case(status=Status.RECEIVED)
        services.case_screen(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            outcome=ScreeningOutcome.NOT_INDICATED,
        )
        with pytest.raises(ValidationError, match="not indicated"):
            services.case_route(
                case_id=case.pk,
                actor=personas["hub2.specialist"],
                agency=Agency.objects.get(county__name="Outagamie"),
            )

    def test_assigning_someone_outside_the_agency_is_refused(self, personas, make_case):
        case = make_case(status=Status.ACCEPTED)
        with pytest.raises(ValidationError) as excinfo:
            services.case_assign(
                case_id=case.pk,
                actor=personas["outagamie.worker"],
                worker=personas["brown.worker"],
            )
        assert "worker" in excinfo.value.message_dict

    def test_closing_for_another_reason_needs_a_note(self, personas, routed_case):
        with pytest.raises(ValidationError) as excinfo:
            services.case_close(
                case_id=routed_case.pk,
                actor=personas["hub2.specialist"],
                reason=ClosureReason.OTHER,
            )
        assert "note" in excinfo.value.message_dict

    def test_a_note_writes_a_timeline_row(self, personas, routed_case):
        note = services.case_note_add(
            case_id=routed_case.pk, actor=personas["outagamie.worker"], body="Called school."
        )
        assert note.body == "Called school."
        assert routed_case.events.filter(
            kind="note_added", actor__username="outagamie.worker"
        ).exists()

    def test_a_failure_while_writing_the_event_leaves_the_case_untouched(
        self, personas, routed_case, monkeypatch
    ):
        def broken_create(*args, **kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(CaseEvent.objects, "create", broken_create)
        with pytest.raises(RuntimeError):
            services.case_accept(case_id=routed_case.pk, actor=personas["outagamie.worker"])

        routed_case.refresh_from_db()
        assert routed_case.status == Status.ROUTED


class TestRoutingConsent:
    """Routing outside the youth's own county or tribe needs consent or a legal basis."""

    @pytest.fixture
    def screened(self, make_case):
        return make_case(county="Outagamie", status=Status.SCREENED)

    def route(self, personas, case, agency_name, **kwargs):
        return services.case_route(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            agency=Agency.objects.get(name=agency_name),
            **kwargs,
        )

    def test_outside_the_county_without_consent_is_refused(self, personas, screened):
        with pytest.raises(ValidationError) as excinfo:
            self.route(personas, screened, "Brown County Human Services")
        assert "consent" in excinfo.value.message_dict["agency"][0]
        screened.refresh_from_db()
        assert screened.status == Status.SCREENED

    def test_a_mandated_cps_report_is_a_legal_basis(self, personas, screened):
        case = self.route(
            personas,
            screened,
            "Brown County Human Services",
            legal_basis=LegalBasis.MANDATED_CPS_REPORT,
        )
        assert case.routing_basis == LegalBasis.MANDATED_CPS_REPORT

    def test_a_current_consent_naming_the_agency_allows_it(self, personas, screened):
        today = timezone.localdate()
        services.consent_record(
            case_id=screened.pk,
            actor=personas["hub2.specialist"],
            recipient=Agency.objects.get(county__name="Brown"),
            scope="Intake and screening",
            youth_consented=True,
            guardian_consented=True,
            guardian_name="Jordan Okafor",
            signed_on=today,
            expires_on=today + datetime.timedelta(days=30),
        )
        case = self.route(personas, screened, "Brown County Human Services")
        assert case.routing_basis == LegalBasis.CONSENT

    def test_an_expired_consent_does_not(self, personas, screened):
        today = timezone.localdate()
        services.consent_record(
            case_id=screened.pk,
            actor=personas["hub2.specialist"],
            recipient=Agency.objects.get(county__name="Brown"),
            scope="Intake",
            youth_consented=True,
            guardian_consented=True,
            guardian_name="Jordan Okafor",
            signed_on=today - datetime.timedelta(days=60),
            expires_on=today - datetime.timedelta(days=1),
        )
        with pytest.raises(ValidationError):
            self.route(personas, screened, "Brown County Human Services")

    def test_consent_needs_youth_and_guardian(self, personas, screened):
        today = timezone.localdate()
        with pytest.raises(ValidationError, match="both the youth and a parent"):
            services.consent_record(
                case_id=screened.pk,
                actor=personas["hub2.specialist"],
                recipient=Agency.objects.get(county__name="Brown"),
                scope="Intake",
                youth_consented=True,
                guardian_consented=False,
                guardian_name="",
                signed_on=today,
                expires_on=today + datetime.timedelta(days=30),
            )
        assert not screened.consents.exists()

    def test_the_youths_tribe_needs_no_consent(self, personas, make_case):
        menominee = Tribe.objects.get(name="Menominee Indian Tribe of Wisconsin")
        case = make_case(county="Shawano", status=Status.SCREENED, tribe=menominee)

        routed = self.route(personas, case, "Menominee Indian Tribe of Wisconsin Social Services")

        assert routed.status == Status.ROUTED
        assert routed.routing_basis == ""
