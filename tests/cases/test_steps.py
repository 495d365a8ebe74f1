"""Protocol steps on cases, with a controlled clock."""

import datetime
import json

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services, tasks
from cases.models import CaseStep, Notification, ReferralSource, StepAlert, StepStatus
from protocols.reference_data import DEFAULT_PROTOCOL
from protocols.services import (
    protocol_version_draft_from,
    protocol_version_load,
    protocol_version_publish,
)
from regions.models import County, Region, Tribe

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
MENOMINEE = "Menominee Indian Tribe of Wisconsin"


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def steps(case):
    return {
        s.definition.key: s
        for s in CaseStep.objects.filter(case=case).select_related("definition")
    }


ONE_HOUR = datetime.timedelta(hours=1)


def hours(n):
    return datetime.timedelta(hours=n)


def log_case(
    personas,
    *,
    received_ago=ONE_HOUR,
    imminent=False,
    tribe=None,
    missing=False,
    county="Outagamie",
):
    return services.referral_create(
        logged_by=personas["hub2.specialist"],
        region=Region.objects.get(number=2),
        youth_data={
            "legal_first_name": "Jesse",
            "legal_last_name": "Stonebridge",
            "estimated_age": 15,
            "county": County.objects.get(name=county),
            "tribe": tribe,
            "missing_from_care": missing,
        },
        referral_data={
            "received_at": timezone.now() - received_ago,
            "source": ReferralSource.HOTLINE,
            "narrative": "Synthetic.",
            "imminent_danger": imminent,
        },
    )


def route_and_accept(personas, case):
    from regions.models import Agency

    services.case_screen(case_id=case.pk, actor=personas["hub2.specialist"], outcome="suspected")
    services.case_route(
        case_id=case.pk,
        actor=personas["hub2.specialist"],
        agency=Agency.objects.get(county__name="Outagamie"),
    )
    services.case_accept(case_id=case.pk, actor=personas["outagamie.worker"])


class TestDeadlines:
    def test_deadlines_from_the_referral(self, clock, personas):
        case = log_case(personas, received_ago=hours(1))
        received = T0 - hours(1)
        s = steps(case)

        assert s["intake"].due_at == received + hours(2)
        assert s["le_notification"].due_at == received + hours(12)
        assert s["federal_le_report"].due_at == received + hours(24)
        # 60 calendar days in Wisconsin time: 02:00 CST on March 2 -> 02:00 CDT on May 1
        assert s["initial_assessment"].due_at == datetime.datetime(
            2026, 5, 1, 7, 0, tzinfo=datetime.UTC
        )
        assert case.protocol_version.region is None

    def test_acceptance_anchored_steps_wait_for_acceptance(self, clock, personas):
        case = log_case(personas)
        assert steps(case)["safety_plan"].due_at is None

        clock.shift(hours(5))
        route_and_accept(personas, case)

        # accepted 08:00 CST March 2; days are calendar days across the March 8 change
        assert steps(case)["safety_plan"].due_at == datetime.datetime(
            2026, 3, 9, 13, 0, tzinfo=datetime.UTC
        )
        assert steps(case)["closure"].due_at == datetime.datetime(
            2026, 8, 29, 13, 0, tzinfo=datetime.UTC
        )

    def test_step_anchored_steps_start_when_the_anchor_is_done(self, clock, personas):
        case = log_case(personas)
        route_and_accept(personas, case)
        assert steps(case)["service_plan"].due_at is None

        clock.shift(datetime.timedelta(days=3))
        services.case_step_complete(
            case_id=case.pk,
            step_key="safety_plan",
            actor=personas["outagamie.worker"],
            data={"agreed_at": "2026-03-04T10:00", "summary": "Stays with aunt."},
        )

        # done 03:00 CST March 5 -> due 03:00 CDT March 19
        assert steps(case)["service_plan"].due_at == datetime.datetime(
            2026, 3, 19, 8, 0, tzinfo=datetime.UTC
        )
        assert steps(case)["follow_up"].due_at is None  # anchored on service_plan, not done yet


class TestConditions:
    def test_tribal_notice_applies_from_intake_for_a_tribal_youth(self, clock, personas):
        case = log_case(personas, tribe=Tribe.objects.get(name=MENOMINEE), received_ago=hours(3))
        notice = steps(case)["tribal_notice"]
        assert notice.status == StepStatus.PENDING
        assert notice.due_at == T0 - hours(3) + hours(24)

    def test_tribal_notice_appears_when_an_affiliation_is_recorded(self, clock, personas):
        case = log_case(personas)
        assert steps(case)["tribal_notice"].status == StepStatus.NOT_APPLICABLE

        clock.shift(hours(10))
        services.youth_update(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            tribe=Tribe.objects.get(name=MENOMINEE),
        )

        notice = steps(case)["tribal_notice"]
        assert notice.status == StepStatus.PENDING
        assert notice.due_at == T0 + hours(10) + hours(24)
        assert case.events.filter(kind="step_applies", reason="Tribe notified").exists()
        assert case.events.filter(kind="youth_updated").exists()

    def test_going_missing_adds_the_8_and_24_hour_reports(self, clock, personas):
        case = log_case(personas)
        route_and_accept(personas, case)
        assert steps(case)["missing_le_report"].status == StepStatus.NOT_APPLICABLE

        clock.shift(hours(30))
        services.youth_update(
            case_id=case.pk, actor=personas["outagamie.worker"], missing_from_care=True
        )

        s = steps(case)
        went_missing = T0 + hours(30)
        assert s["missing_le_report"].status == StepStatus.PENDING
        assert s["missing_le_report"].due_at == went_missing + hours(8)
        assert s["missing_ncmec_report"].due_at == went_missing + hours(24)

    def test_returning_marks_undone_reports_not_applicable_never_deleted(self, clock, personas):
        case = log_case(personas, missing=True)
        services.case_step_complete(
            case_id=case.pk,
            step_key="missing_le_report",
            actor=personas["hub2.specialist"],
            data={"reported_at": "2026-03-02T02:30", "law_enforcement_agency": "Appleton PD"},
        )
        count = CaseStep.objects.filter(case=case).count()

        services.youth_update(
            case_id=case.pk, actor=personas["hub2.specialist"], missing_from_care=False
        )

        s = steps(case)
        assert CaseStep.objects.filter(case=case).count() == count
        assert s["missing_le_report"].status == StepStatus.DONE  # what was done stays done
        assert s["missing_ncmec_report"].status == StepStatus.NOT_APPLICABLE
        assert case.events.filter(kind="step_not_applicable", reason__contains="NCMEC").exists()

    def test_imminent_danger_condition(self, clock, personas):
        data = json.loads(DEFAULT_PROTOCOL.read_text())
        data["name"] = "Hub 2 with an emergency step"
        data["steps"].insert(
            1,
            {
                "key": "emergency_response",
                "title": "Emergency response",
                "owner": "hub",
                "condition": "imminent_danger",
                "guidance": "Call 911 and CPS at once: present danger.",
                "deadline": {"anchor": "referral_received", "offset": [1, "hours"]},
                "fields": [{"key": "called_at", "label": "Called at", "kind": "datetime"}],
            },
        )
        protocol_version_load(data, region=Region.objects.get(number=2))

        danger = log_case(personas, imminent=True, received_ago=hours(0))
        calm = log_case(personas, imminent=False)

        assert steps(danger)["emergency_response"].due_at == T0 + hours(1)
        assert steps(calm)["emergency_response"].status == StepStatus.NOT_APPLICABLE


class TestVersionPinning:
    def test_open_cases_stay_on_their_version(self, clock, personas):
        old_case = log_case(personas)
        statewide = old_case.protocol_version
        draft = protocol_version_draft_from(source=statewide, actor=None)
        step = draft.steps.get(key="le_notification")
        step.offset_amount = 6
        step.save()
        protocol_version_publish(version=draft, actor=None)

        new_case = log_case(personas)

        old_case.refresh_from_db()
        assert old_case.protocol_version == statewide
        assert steps(old_case)["le_notification"].due_at == T0 - hours(1) + hours(12)
        assert new_case.protocol_version == draft
        assert steps(new_case)["le_notification"].due_at == T0 - hours(1) + hours(6)
        # a change on the old case still follows the old version
        services.youth_update(
            case_id=old_case.pk, actor=personas["hub2.specialist"], missing_from_care=True
        )
        assert {s.definition.version_id for s in CaseStep.objects.filter(case=old_case)} == {
            statewide.pk
        }


class TestCompleting:
    def complete(self, personas, case, key, data, user="hub2.specialist"):
        return services.case_step_complete(
            case_id=case.pk, step_key=key, actor=personas[user], data=data
        )

    def test_fields_are_validated_one_message_per_field(self, clock, personas):
        case = log_case(personas)
        with pytest.raises(ValidationError) as excinfo:
            self.complete(
                personas,
                case,
                "cps_report",
                {"reported_at": "yesterday-ish", "cps_agency": "999999"},
            )
        errors = excinfo.value.message_dict
        assert set(errors) == {"reported_at", "cps_agency"}
        assert steps(case)["cps_report"].status == StepStatus.PENDING

    @pytest.mark.parametrize(
        ("key", "data", "field"),
        [
            ("immediate_safety", {"actions": "Placed with aunt"}, "safe_now"),
            ("screening", {"tool": "A hunch"}, "tool"),
            ("intake", {"reviewed_at": "2026-03-05T10:00"}, "reviewed_at"),  # in the future
            ("intake", {}, "reviewed_at"),
        ],
    )
    def test_each_kind_of_field(self, clock, personas, key, data, field):
        case = log_case(personas)
        with pytest.raises(ValidationError) as excinfo:
            self.complete(personas, case, key, data)
        assert field in excinfo.value.message_dict

    def test_completion_records_who_when_and_writes_the_timeline(self, clock, personas):
        case = log_case(personas)
        from regions.models import Agency

        outagamie = Agency.objects.get(county__name="Outagamie")
        self.complete(
            personas,
            case,
            "cps_report",
            {"reported_at": "2026-03-02T02:45", "cps_agency": outagamie.pk},
        )

        step = steps(case)["cps_report"]
        assert step.status == StepStatus.DONE
        assert step.completed_by == personas["hub2.specialist"]
        assert step.completed_at == T0
        assert step.values["cps_agency"] == {"id": outagamie.pk, "name": outagamie.name}
        event = case.events.get(kind="step_completed")
        assert "CPS report made" in event.reason
        assert "Outagamie County Human Services" in event.reason

    def test_only_the_owner_completes(self, clock, personas):
        case = log_case(personas)
        route_and_accept(personas, case)
        with pytest.raises(PermissionDenied):
            self.complete(
                personas,
                case,
                "le_notification",
                {"notified_at": "2026-03-02T08:00", "law_enforcement_agency": "X"},
            )
        with pytest.raises(PermissionDenied):
            self.complete(
                personas,
                case,
                "intake",
                {"reviewed_at": "2026-03-02T08:00"},
                user="outagamie.worker",
            )

    def test_a_correction_keeps_the_earlier_value_on_the_timeline(self, clock, personas):
        case = log_case(personas)
        self.complete(personas, case, "intake", {"reviewed_at": "2026-03-02T02:15"})

        services.case_step_correct(
            case_id=case.pk,
            step_key="intake",
            actor=personas["hub2.specialist"],
            data={"reviewed_at": "2026-03-02T02:05", "notes": "Time corrected"},
        )

        event = case.events.get(kind="step_corrected")
        assert "Was: Intake reviewed (Reviewed at: Mar 2, 2026, 2:15 AM)" in event.reason
        assert "2:05 AM" in event.reason.split("Now:")[1]

    def test_completing_twice_is_a_conflict(self, clock, personas):
        case = log_case(personas)
        self.complete(personas, case, "intake", {"reviewed_at": "2026-03-02T02:15"})
        with pytest.raises(services.CaseConflict):
            self.complete(personas, case, "intake", {"reviewed_at": "2026-03-02T02:15"})

    def test_optional_steps_are_skipped_with_a_reason_required_ones_are_not(self, clock, personas):
        case = log_case(personas)
        route_and_accept(personas, case)
        worker = personas["outagamie.worker"]

        with pytest.raises(ValidationError):
            services.case_step_skip(case_id=case.pk, step_key="follow_up", actor=worker, reason="")
        with pytest.raises(ValidationError, match="required"):
            services.case_step_skip(
                case_id=case.pk, step_key="safety_plan", actor=worker, reason="No"
            )
        services.case_step_skip(
            case_id=case.pk, step_key="follow_up", actor=worker, reason="Youth declined contact"
        )

        assert steps(case)["follow_up"].status == StepStatus.SKIPPED
        assert case.events.filter(
            kind="step_skipped", reason__contains="declined contact"
        ).exists()


class TestCasePage:
    def test_checklist_states(self, clock, client_for, personas):
        case = log_case(personas, received_ago=hours(11))
        client = client_for(personas["hub2.specialist"])

        text = client.get(reverse("cases:detail", args=[case.pk])).text
        assert "Overdue by 9 h" in text  # intake, due 2 hours after receipt
        assert 'step-state--due-soon">Due soon' in text  # le_notification: due in 1 hour

        clock.shift(hours(30))
        client = client_for(personas["hub2.specialist"])  # the 8-hour session has ended
        text = client.get(reverse("cases:detail", args=[case.pk])).text
        assert "Overdue by 1 days" not in text
        assert "Overdue by 29 h" in text  # le_notification

    def test_completing_from_the_page_with_errors_next_to_fields(
        self, clock, client_for, personas
    ):
        case = log_case(personas)
        client = client_for(personas["hub2.specialist"])
        url = reverse("cases:step-complete", args=[case.pk, "immediate_safety"])

        bad = client.post(url, {"immediate_safety-actions": "Called police"})
        good = client.post(
            url, {"immediate_safety-safe_now": "yes", "immediate_safety-actions": "Safe"}
        )

        assert bad.status_code == 400
        assert 'id="id_immediate_safety-safe_now_error"' in bad.text
        assert good.status_code == 302
        assert steps(case)["immediate_safety"].values == {"safe_now": True, "actions": "Safe"}

    def test_another_agency_gets_not_found(self, clock, client_for, personas):
        case = log_case(personas)
        route_and_accept(personas, case)
        response = client_for(personas["brown.worker"]).post(
            reverse("cases:step-complete", args=[case.pk, "le_notification"]), {}
        )
        assert response.status_code == 404

    def test_queries_do_not_grow_with_steps_or_timeline(self, clock, client_for, personas):
        case = log_case(personas)
        client = client_for(personas["hub2.specialist"])

        def queries():
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
            return len(ctx.captured_queries)

        before = queries()
        services.youth_update(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            missing_from_care=True,
            tribe=Tribe.objects.get(name=MENOMINEE),
        )  # three more steps apply
        for n in range(8):
            services.case_note_add(
                case_id=case.pk, actor=personas["hub2.specialist"], body=f"Note {n}"
            )
        self_intake = {"reviewed_at": "2026-03-02T02:30"}
        services.case_step_complete(
            case_id=case.pk, step_key="intake", actor=personas["hub2.specialist"], data=self_intake
        )
        after = queries()

        assert case.events.count() > 10
        assert after == before


class TestDeadlineAlerts:
    def test_due_soon_then_overdue_once_each(self, clock, personas):
        case = log_case(personas, received_ago=hours(0))

        clock.shift(hours(1))  # intake due in 1 h, immediate safety in 3 h
        first = tasks.steps_deadline_alerts.apply().get()
        again = tasks.steps_deadline_alerts.apply().get()

        hub = personas["hub2.specialist"]
        assert first == 2
        assert again == 0
        assert set(
            Notification.objects.filter(user=hub).values_list("alert__threshold", flat=True)
        ) == {"due_soon"}

        clock.shift(hours(2))  # intake now overdue
        tasks.steps_deadline_alerts.apply()
        tasks.steps_deadline_alerts.apply()

        overdue = Notification.objects.filter(user=hub, alert__threshold="overdue")
        assert [n.alert.step.definition.key for n in overdue] == ["intake"]
        assert StepAlert.objects.filter(step__case=case).count() == 3
        assert case.number in overdue[0].message

    def test_emails_carry_no_names(self, clock, personas, django_capture_on_commit_callbacks):
        log_case(personas, received_ago=hours(0))
        clock.shift(hours(3))

        with django_capture_on_commit_callbacks(execute=True):
            services.step_deadline_alerts_send()

        assert mail.outbox
        assert all(
            "Stonebridge" not in m.body + m.subject and "Jesse" not in m.body for m in mail.outbox
        )
        assert mail.outbox[0].to == ["hub2.specialist@example.org"]

    def test_agency_steps_go_to_the_agency_once_routed(self, clock, personas):
        case = log_case(personas, received_ago=hours(0))
        route_and_accept(personas, case)
        clock.shift(hours(11))

        services.step_deadline_alerts_send()

        worker_keys = set(
            Notification.objects.filter(user=personas["outagamie.worker"]).values_list(
                "alert__step__definition__key", flat=True
            )
        )
        assert "le_notification" in worker_keys
        assert not Notification.objects.filter(user=personas["brown.worker"]).exists()

    def test_done_steps_and_closed_cases_are_not_alerted(self, clock, personas):
        case = log_case(personas, received_ago=hours(0))
        services.case_close(case_id=case.pk, actor=personas["hub2.specialist"], reason="duplicate")
        clock.shift(hours(30))
        assert services.step_deadline_alerts_send() == 0

    def test_it_reads_only_what_it_needs(self, clock, personas):
        """A run reads the steps that crossed a threshold without an alert, not every case."""

        def repeat_run_queries():
            services.step_deadline_alerts_send()  # sends what is due
            with CaptureQueriesContext(connection) as ctx:
                assert services.step_deadline_alerts_send() == 0
            return len(ctx.captured_queries)

        for _ in range(3):
            log_case(personas, received_ago=hours(0))
        few = repeat_run_queries()
        for _ in range(12):
            log_case(personas, received_ago=hours(0))
        many = repeat_run_queries()

        assert few == many == 1

    def test_notifications_page_shows_only_ones_own(self, clock, client_for, personas):
        log_case(personas, received_ago=hours(0))
        clock.shift(hours(3))
        services.step_deadline_alerts_send()

        hub_page = client_for(personas["hub2.specialist"]).get(reverse("cases:notifications")).text
        other_page = (
            client_for(personas["hub5.specialist"]).get(reverse("cases:notifications")).text
        )

        assert "is overdue" in hub_page
        assert "is overdue" not in other_page
