"""Regressions from an independent review of the protocol engine."""

import datetime
import json
import logging
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services
from cases.models import Notification, StepStatus
from protocols.models import ProtocolVersion, StepDefinition, VersionStatus
from protocols.reference_data import DEFAULT_PROTOCOL
from protocols.services import (
    protocol_version_draft_from,
    protocol_version_load,
    protocol_version_publish,
)
from regions.models import Membership, Region
from regions.services import membership_revoke
from tests.cases.test_steps import hours, log_case, route_and_accept, steps

pytestmark = pytest.mark.django_db


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


class TestCorrectionForm:
    def test_recorded_values_come_back_unchanged(self, client_for, personas):
        case = log_case(personas)
        reviewed = timezone.now() - hours(1)
        services.case_step_complete(
            case_id=case.pk,
            step_key="intake",
            actor=personas["hub2.specialist"],
            data={
                "reviewed_at": local(reviewed),
                "notes": "The youth was seen at the mall twice.",
            },
        )

        text = (
            client_for(personas["hub2.specialist"])
            .get(reverse("cases:detail", args=[case.pk]))
            .text
        )

        assert "The youth was seen at the mall twice.</textarea>" in text
        assert f'value="{local(reviewed)}"' in text


class TestApiInput:
    @pytest.fixture
    def client(self, personas):
        client = APIClient()
        client.force_authenticate(personas["hub2.specialist"])
        return client

    @pytest.mark.parametrize("body", [["reviewed_at"], "reviewed_at", 7])
    def test_a_body_that_is_not_an_object_is_a_400(self, client, personas, body):
        case = log_case(personas)
        url = reverse("case-step-complete", kwargs={"pk": case.pk, "key": "intake"})
        response = client.post(url, json.dumps(body), content_type="application/json")
        assert response.status_code == 400

    @pytest.mark.parametrize("value", [12345, ["2026-01-01"], {"at": "now"}])
    def test_a_datetime_that_is_not_text_is_a_field_error(self, client, personas, value):
        case = log_case(personas)
        url = reverse("case-step-complete", kwargs={"pk": case.pk, "key": "intake"})
        response = client.post(url, {"reviewed_at": value}, format="json")
        assert response.status_code == 400
        assert "reviewed_at" in response.json()

    def test_yes_no_accepts_json_booleans(self, client, personas):
        case = log_case(personas)
        url = reverse("case-step-complete", kwargs={"pk": case.pk, "key": "immediate_safety"})
        response = client.post(url, {"safe_now": False, "actions": "Called 911"}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["values"]["safe_now"] is False

    def test_correct_over_the_api(self, client, personas):
        case = log_case(personas)
        key = {"pk": case.pk, "key": "intake"}
        client.post(
            reverse("case-step-complete", kwargs=key),
            {"reviewed_at": local(timezone.now())},
            format="json",
        )
        response = client.post(
            reverse("case-step-correct", kwargs=key),
            {"reviewed_at": local(timezone.now() - hours(1))},
            format="json",
        )
        assert response.status_code == 200
        assert case.events.filter(kind="step_corrected").exists()


class TestLifecycle:
    def test_reopening_catches_up_with_the_youths_situation(self, personas):
        case = log_case(personas)
        services.case_close(case_id=case.pk, actor=personas["hub2.specialist"], reason="duplicate")
        services.youth_update(  # recorded while the case was closed
            case_id=case.pk, actor=personas["hub2.specialist"], missing_from_care=True
        )
        assert steps(case)["missing_le_report"].status == StepStatus.NOT_APPLICABLE

        services.case_reopen(
            case_id=case.pk, actor=personas["hub2.specialist"], reason="Came back"
        )

        assert steps(case)["missing_le_report"].status == StepStatus.PENDING

    def test_skip_and_correct_refuse_on_a_closed_case(self, personas):
        case = log_case(personas)
        route_and_accept(personas, case)
        services.case_close(case_id=case.pk, actor=personas["outagamie.worker"], reason="moved")
        with pytest.raises(services.CaseConflict, match="closed"):
            services.case_step_skip(
                case_id=case.pk,
                step_key="follow_up",
                actor=personas["outagamie.worker"],
                reason="x",
            )

    def test_the_hub_records_agency_steps_while_no_agency_holds_the_case(self, personas):
        case = log_case(personas)
        services.case_step_complete(
            case_id=case.pk,
            step_key="le_notification",
            actor=personas["hub2.specialist"],
            data={"notified_at": local(timezone.now()), "law_enforcement_agency": "Green Bay PD"},
        )
        assert steps(case)["le_notification"].status == StepStatus.DONE

    def test_once_routed_the_agency_steps_are_the_agencys(self, personas):
        case = log_case(personas)
        route_and_accept(personas, case)
        with pytest.raises(PermissionDenied):
            services.case_step_complete(
                case_id=case.pk,
                step_key="le_notification",
                actor=personas["hub2.specialist"],
                data={"notified_at": local(timezone.now()), "law_enforcement_agency": "X"},
            )


class TestAlerts:
    def test_a_step_that_applies_again_is_alerted_again(self, personas):
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            case = log_case(personas, missing=True, received_ago=hours(0))
            clock.shift(hours(9))
            services.step_deadline_alerts_send()
            services.youth_update(
                case_id=case.pk, actor=personas["hub2.specialist"], missing_from_care=False
            )
            clock.shift(datetime.timedelta(days=5))
            services.youth_update(
                case_id=case.pk, actor=personas["hub2.specialist"], missing_from_care=True
            )
            clock.shift(hours(9))
            services.step_deadline_alerts_send()

        overdue = Notification.objects.filter(
            alert__step__definition__key="missing_le_report", alert__threshold="overdue"
        )
        assert overdue.count() == 2  # once for each time the youth went missing

    def test_an_agency_with_no_staff_left_falls_back_to_the_hub(self, personas):
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            case = log_case(personas, received_ago=hours(0))
            route_and_accept(personas, case)
            membership_revoke(membership=Membership.objects.get(user=personas["outagamie.worker"]))
            clock.shift(hours(13))
            services.step_deadline_alerts_send()

        le = Notification.objects.filter(alert__step__definition__key="le_notification")
        assert [n.user.username for n in le] == ["hub2.specialist"]

    def test_one_email_each_and_a_failure_does_not_stop_the_rest(
        self, personas, monkeypatch, caplog, django_capture_on_commit_callbacks
    ):
        from regions.models import Hub, Role
        from regions.services import membership_grant
        from tests.factories import UserFactory

        colleague = UserFactory(username="hub2.colleague", email="colleague@example.org")
        membership_grant(
            user=colleague, role=Role.HUB_SPECIALIST, hub=Hub.objects.get(region__number=2)
        )
        real_send = services.send_mail

        def flaky(*args, recipient_list, **kwargs):
            if recipient_list == ["hub2.specialist@example.org"]:
                raise OSError("SMTP down")
            return real_send(*args, recipient_list=recipient_list, **kwargs)

        monkeypatch.setattr(services, "send_mail", flaky)
        log_case(personas, received_ago=hours(3))
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            services.step_deadline_alerts_send()

        assert {tuple(m.to) for m in mail.outbox} == {("colleague@example.org",)}
        assert re.search(r"Deadline alert email \d of 2 failed: Case R2-", caplog.text)
        assert "hub2.specialist@example.org" not in caplog.text  # no address in the log
        assert Notification.objects.filter(user=personas["hub2.specialist"]).exists()


class TestDefinitions:
    def test_a_published_version_cannot_go_back_to_draft(self):
        version = ProtocolVersion.objects.get(region__isnull=True, status=VersionStatus.PUBLISHED)
        version.status = VersionStatus.DRAFT
        with pytest.raises(ValidationError):
            version.save(update_fields=["status"])
        with pytest.raises(ValidationError):
            ProtocolVersion.objects.get(pk=version.pk).delete()

    def test_a_step_cannot_be_moved_out_of_a_published_version(self):
        published = ProtocolVersion.objects.get(
            region__isnull=True, status=VersionStatus.PUBLISHED
        )
        draft = protocol_version_draft_from(source=published, actor=None)
        step = StepDefinition.objects.get(version=published, key="intake")
        step.version = draft
        step.key = "intake_moved"
        with pytest.raises(ValidationError):
            step.save()

    def test_anchoring_on_an_optional_step_is_refused_at_publishing(self):
        published = ProtocolVersion.objects.get(
            region__isnull=True, status=VersionStatus.PUBLISHED
        )
        draft = protocol_version_draft_from(source=published, actor=None)
        closure = draft.steps.get(key="closure")
        closure.anchor, closure.anchor_step_key = "step_completed", "follow_up"
        closure.save()
        with pytest.raises(ValidationError, match="optional or conditional"):
            protocol_version_publish(version=draft, actor=None)

    def test_day_deadlines_keep_the_wall_clock_across_daylight_saving(self, personas):
        # Accepted Thursday March 5, 2026, 10:00 CST; clocks go forward on March 8.
        accepted = datetime.datetime(2026, 3, 5, 16, 0, tzinfo=datetime.UTC)
        with time_machine.travel(accepted, tick=False):
            case = log_case(personas)
            route_and_accept(personas, case)
        due = timezone.localtime(steps(case)["safety_plan"].due_at)
        assert (due.month, due.day, due.hour, due.minute) == (3, 12, 10, 0)

    def test_the_admin_fixes_a_versions_region_once_created(self, client, personas):
        data = json.loads(DEFAULT_PROTOCOL.read_text())
        draft = protocol_version_load(data, region=Region.objects.get(number=2), publish=False)
        client.force_login(personas["state.admin"])
        text = client.get(reverse("admin:protocols_protocolversion_change", args=[draft.pk])).text
        assert 'name="region"' not in text
        assert "Region 2" in text
