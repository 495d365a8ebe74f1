"""Protocol versions: the default ships as data; published versions never change;
new drafts are made from existing versions and checked before publishing."""

import copy
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from protocols.models import ProtocolVersion, StepDefinition, StepField, VersionStatus
from protocols.reference_data import DEFAULT_PROTOCOL
from protocols.selectors import protocol_for_region
from protocols.services import (
    protocol_problems,
    protocol_version_draft_from,
    protocol_version_load,
    protocol_version_publish,
)
from regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def statewide():
    return ProtocolVersion.objects.get(region__isnull=True, status=VersionStatus.PUBLISHED)


@pytest.fixture
def default_data():
    return json.loads(DEFAULT_PROTOCOL.read_text())


class TestDefaultProtocol:
    def test_loaded_and_published_statewide(self, statewide):
        keys = list(statewide.steps.values_list("key", flat=True))
        assert keys == [
            "intake",
            "immediate_safety",
            "screening",
            "cps_report",
            "le_notification",
            "federal_le_report",
            "tribal_notice",
            "missing_le_report",
            "missing_ncmec_report",
            "initial_assessment",
            "safety_plan",
            "service_plan",
            "follow_up",
            "closure",
        ]
        assert protocol_for_region(Region.objects.get(number=2)) == statewide

    @pytest.mark.parametrize(
        ("key", "deadline", "condition"),
        [
            ("le_notification", "12 hours after referral received", "always"),
            ("federal_le_report", "24 hours after referral received", "always"),
            (
                "tribal_notice",
                "24 hours after the step's condition began to hold",
                "tribal_affiliation",
            ),
            (
                "missing_le_report",
                "8 hours after the step's condition began to hold",
                "missing_from_care",
            ),
            (
                "missing_ncmec_report",
                "24 hours after the step's condition began to hold",
                "missing_from_care",
            ),
            ("initial_assessment", "60 days after referral received", "always"),
            ("safety_plan", "7 days after case accepted by the agency", "always"),
            ("service_plan", "14 days after step 'safety_plan' completed", "always"),
        ],
    )
    def test_legal_deadlines(self, statewide, key, deadline, condition):
        step = statewide.steps.get(key=key)
        assert step.deadline_label == deadline
        assert step.condition == condition

    def test_every_step_cites_its_rule(self, statewide):
        for step in statewide.steps.all():
            assert len(step.guidance) > 60, step.key
        assert "P.L. 113-183" in statewide.steps.get(key="federal_le_report").guidance
        assert "48.78(2m)" in statewide.steps.get(key="missing_le_report").guidance

    def test_load_wisconsin_loads_it_once(self, statewide):
        out = StringIO()
        call_command("load_wisconsin", stdout=out)
        assert "nothing changed" in out.getvalue()
        assert ProtocolVersion.objects.filter(region__isnull=True).count() == 1


class TestPublishedVersionsNeverChange:
    def test_a_published_step_cannot_be_edited(self, statewide):
        step = statewide.steps.get(key="le_notification")
        step.offset_amount = 48
        with pytest.raises(ValidationError, match="never changes"):
            step.save()
        assert statewide.steps.get(key="le_notification").offset_amount == 12

    def test_a_published_version_cannot_be_renamed(self, statewide):
        statewide.name = "Something else"
        with pytest.raises(ValidationError):
            statewide.save()

    def test_its_fields_cannot_be_edited_or_added(self, statewide):
        field = StepField.objects.filter(step__version=statewide).first()
        field.label = "Changed"
        with pytest.raises(ValidationError):
            field.save()
        with pytest.raises(ValidationError):
            StepField(step=field.step, key="extra", label="Extra", kind="text").save()
        with pytest.raises(ValidationError):
            StepDefinition.objects.filter(version=statewide).first().delete()


class TestNewVersions:
    def test_a_draft_copies_steps_and_fields_and_is_editable(self, statewide):
        draft = protocol_version_draft_from(source=statewide, actor=None)

        assert draft.status == VersionStatus.DRAFT
        assert draft.number == statewide.number + 1
        assert draft.steps.count() == statewide.steps.count()
        assert (
            StepField.objects.filter(step__version=draft).count()
            == StepField.objects.filter(step__version=statewide).count()
        )
        step = draft.steps.get(key="le_notification")
        step.offset_amount = 6
        step.save()
        assert statewide.steps.get(key="le_notification").offset_amount == 12

    def test_publishing_retires_the_previous_version(self, statewide):
        draft = protocol_version_draft_from(source=statewide, actor=None)

        protocol_version_publish(version=draft, actor=None)

        statewide.refresh_from_db()
        assert statewide.status == VersionStatus.RETIRED
        assert protocol_for_region(Region.objects.get(number=3)) == draft

    def test_a_region_can_adopt_its_own_version(self, statewide, default_data):
        region2 = Region.objects.get(number=2)
        data = copy.deepcopy(default_data)
        data["name"] = "Hub 2 Response Protocol"
        own = protocol_version_load(data, region=region2)

        assert protocol_for_region(region2) == own
        assert protocol_for_region(Region.objects.get(number=5)) == statewide

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            (
                lambda d: d["steps"][0]["deadline"].update(
                    anchor="step_completed", step="closure"
                ),
                "does not come before it",
            ),
            (
                lambda d: d["steps"][3]["deadline"].update(
                    anchor="step_completed", step="nowhere"
                ),
                "does not exist",
            ),
            (lambda d: d["steps"][3]["deadline"].update(anchor="step_completed"), "name the step"),
            (
                lambda d: d["steps"][2]["fields"][0].update(choices=["Only one"]),
                "two or more choices",
            ),
            (lambda d: d.update(steps=[]), "no steps"),
        ],
        ids=["anchor-later", "anchor-missing", "anchor-unnamed", "one-choice", "no-steps"],
    )
    def test_an_incoherent_draft_is_not_published(self, default_data, change, problem):
        data = copy.deepcopy(default_data)
        change(data)
        draft = _load_unchecked(data)

        with pytest.raises(ValidationError) as excinfo:
            protocol_version_publish(version=draft, actor=None)

        assert any(problem in message for message in excinfo.value.messages), (
            excinfo.value.messages
        )
        draft.refresh_from_db()
        assert draft.status == VersionStatus.DRAFT
        assert protocol_problems(draft)


def _load_unchecked(data):
    """A draft as an administrator might leave it (field-level checks skipped)."""
    version = ProtocolVersion.objects.create(name=data["name"], number=99, region=None)
    for order, s in enumerate(data["steps"], start=1):
        amount, unit = s["deadline"]["offset"]
        step = StepDefinition.objects.create(
            version=version,
            key=s["key"],
            title=s["title"],
            guidance=s["guidance"],
            order=order,
            owner=s["owner"],
            anchor=s["deadline"]["anchor"],
            anchor_step_key=s["deadline"].get("step", ""),
            offset_amount=amount,
            offset_unit=unit,
            condition=s.get("condition", "always"),
            optional=s.get("optional", False),
        )
        for f in s.get("fields", []):
            StepField.objects.create(
                step=step,
                key=f["key"],
                label=f["label"],
                kind=f["kind"],
                choices="\n".join(f.get("choices", [])),
            )
    return version


class TestAdmin:
    @pytest.fixture
    def admin_client(self, client, personas):
        client.force_login(personas["state.admin"])
        return client

    def test_published_versions_are_view_only(self, admin_client, statewide):
        response = admin_client.get(
            reverse("admin:protocols_protocolversion_change", args=[statewide.pk])
        )
        assert response.status_code == 200
        assert 'name="_save"' not in response.text
        assert "Law enforcement and CPS cross-notified" in response.text

    def test_draft_then_publish_from_the_admin(self, admin_client, statewide):
        admin_client.post(
            reverse("admin:protocols_protocolversion_changelist"),
            {"action": "make_draft", "_selected_action": [statewide.pk]},
        )
        draft = ProtocolVersion.objects.get(status=VersionStatus.DRAFT)
        edit = admin_client.get(reverse("admin:protocols_protocolversion_change", args=[draft.pk]))
        assert 'name="_save"' in edit.text
        assert "Ready to publish?" in edit.text

        response = admin_client.post(
            reverse("admin:protocols_protocolversion_changelist"),
            {"action": "publish", "_selected_action": [draft.pk]},
            follow=True,
        )

        assert "published; new cases start on it" in response.text
        draft.refresh_from_db()
        assert draft.status == VersionStatus.PUBLISHED

    def test_an_incoherent_draft_is_refused_with_the_reason(self, admin_client, statewide):
        draft = protocol_version_draft_from(source=statewide, actor=None)
        step = draft.steps.get(key="intake")
        step.anchor, step.anchor_step_key = "step_completed", "closure"
        step.save()

        response = admin_client.post(
            reverse("admin:protocols_protocolversion_changelist"),
            {"action": "publish", "_selected_action": [draft.pk]},
            follow=True,
        )

        assert "was not published" in response.text
        assert "does not come before it" in response.text


def test_protocols_api_lists_versions_with_steps(client_for, personas, statewide):
    response = client_for(personas["outagamie.worker"]).get(reverse("protocol-list"))
    version = response.json()["results"][0]
    assert version["region"] is None
    assert version["status"] == "published"
    le = next(s for s in version["steps"] if s["key"] == "le_notification")
    assert le["deadline"] == "12 hours after referral received"
    assert [f["key"] for f in le["fields"]] == ["notified_at", "law_enforcement_agency", "contact"]
