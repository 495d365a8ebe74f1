"""Casework people can trust: counts that count everything, closed cases without overdue
steps, one action for the screening and its protocol step, and overdue steps shown to the
people who can record them. With a controlled clock."""

import datetime
import importlib
import json

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services
from cases.models import CaseStep, ClosureReason, ReferralSource, Status, StepStatus
from protocols.reference_data import DEFAULT_PROTOCOL
from protocols.services import protocol_version_load
from regions.models import County, Region, Tribe

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)
MENOMINEE = "Menominee Indian Tribe of Wisconsin"
TOOL = "Wisconsin Indicator and Response Guide"
# Overdue 30 hours after a referral: intake, immediate safety, screening, the CPS report
# (the hub's) and the two law-enforcement reports (the agency's once one holds the case).
HUB_STEPS_OVERDUE, AGENCY_STEPS_OVERDUE = 4, 2


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def hours(n):
    return datetime.timedelta(hours=n)


ONE_HOUR = hours(1)


def log_case(personas, *, tribe=None, missing=False, received_ago=ONE_HOUR):
    return services.referral_create(
        logged_by=personas["hub2.specialist"],
        region=Region.objects.get(number=2),
        youth_data={
            "legal_first_name": "Jesse",
            "legal_last_name": "Stonebridge",
            "estimated_age": 15,
            "county": County.objects.get(name="Outagamie"),
            "tribe": tribe,
            "missing_from_care": missing,
        },
        referral_data={
            "received_at": timezone.now() - received_ago,
            "source": ReferralSource.HOTLINE,
            "narrative": "Synthetic.",
        },
    )


def steps(case):
    return {
        s.definition.key: s
        for s in CaseStep.objects.filter(case=case).select_related("definition")
    }


def page(client_for, personas, username, url):
    """The page as `username` sees it now (a fresh sign-in: the clock may have moved)."""
    response = client_for(personas[username]).get(url)
    assert response.status_code == 200
    return response.text


def row_of(text, case):
    start = text.index(f"{case.number}</a>")
    return text[start : text.index("</tr>", start)]


def section(text, key):
    start = text.index(f'id="{key}"')
    return text[start : text.index("</section>", start)]


@pytest.fixture
def api_for(personas):
    def login(username):
        client = APIClient()
        client.force_authenticate(personas[username])
        return client

    return login


class TestOverdueCountsAgree:
    def test_a_cut_list_says_so_and_every_count_counts_everything(
        self, clock, client_for, personas, monkeypatch
    ):
        from cases.views import lists

        monkeypatch.setattr(lists, "OVERDUE_CASES_SHOWN", 5)
        for _ in range(9):
            log_case(personas)
        clock.shift(hours(30))  # six overdue steps on each of the nine cases

        queue = page(client_for, personas, "hub2.specialist", reverse("cases:hub-queue"))
        home = page(client_for, personas, "hub2.specialist", reverse("home"))

        overdue = section(queue, "overdue")
        assert 'Overdue steps in my region <span class="count">54</span>' in overdue
        assert "in 9 cases · showing the 5 cases overdue longest" in overdue
        # Grouped by case: five cases, each with its six steps and how late each is.
        assert overdue.count('class="overdue-cases__case"') == 5
        assert overdue.count("late by") == 30
        assert "<strong>54</strong> overdue protocol steps in the region" in home

    def test_an_uncut_list_does_not_claim_to_be_cut(self, clock, client_for, personas):
        log_case(personas)
        clock.shift(hours(30))

        overdue = section(
            page(client_for, personas, "hub2.specialist", reverse("cases:hub-queue")), "overdue"
        )

        assert 'Overdue steps in my region <span class="count">6</span>' in overdue
        assert "showing" not in overdue


class TestClosedCasesHaveNothingOverdue:
    def close(self, personas, case):
        services.case_close(
            case_id=case.pk, actor=personas["hub2.specialist"], reason=ClosureReason.DUPLICATE
        )

    def test_closing_sets_the_open_steps_aside_on_the_timeline(self, clock, personas):
        case = log_case(personas, received_ago=hours(30))
        services.case_step_complete(
            case_id=case.pk,
            step_key="intake",
            actor=personas["hub2.specialist"],
            data={"reviewed_at": "2026-03-01T08:00"},
        )

        self.close(personas, case)

        s = steps(case)
        assert s["intake"].status == StepStatus.DONE  # what was done stays done
        assert not CaseStep.objects.filter(case=case, status=StepStatus.PENDING).exists()
        assert s["immediate_safety"].status == StepStatus.NOT_APPLICABLE
        assert s["immediate_safety"].closed_with_case
        assert not s["tribal_notice"].closed_with_case  # not applicable before: no tribe
        event = case.events.get(kind="step_not_applicable")
        assert event.reason.startswith(
            "Open steps not applicable after closure: Immediate safety assessed, Screening, "
        )
        assert "Intake reviewed" not in event.reason
        assert "Tribe notified" not in event.reason

    def test_no_page_shows_a_closed_case_overdue(self, clock, client_for, personas):
        case = log_case(personas)
        clock.shift(hours(30))
        self.close(personas, case)
        clock.shift(datetime.timedelta(days=278))

        caseload = page(
            client_for, personas, "hub2.specialist", reverse("cases:list") + "?status=closed"
        )
        queue = page(client_for, personas, "hub2.specialist", reverse("cases:hub-queue"))
        home = page(client_for, personas, "hub2.specialist", reverse("home"))
        detail = page(
            client_for, personas, "hub2.specialist", reverse("cases:detail", args=[case.pk])
        )

        assert "overdue" not in row_of(caseload, case)
        assert case.number not in section(queue, "overdue")
        assert "<strong>0</strong> overdue protocol steps" in home
        assert "Overdue by" not in detail
        assert "Not applicable after closure" in detail

    def test_the_api_checklist_agrees(self, clock, api_for, personas):
        case = log_case(personas)
        clock.shift(hours(30))
        self.close(personas, case)

        body = api_for("hub2.specialist").get(reverse("case-steps", args=[case.pk])).json()

        by_key = {s["key"]: s for s in body}
        assert {s["state"] for s in body} <= {"done", "skipped", "not applicable"}
        assert by_key["intake"]["closed_with_case"] is True
        assert by_key["tribal_notice"]["closed_with_case"] is False

    def test_reopening_makes_them_due_again_by_the_same_clocks(self, clock, personas):
        case = log_case(personas, tribe=Tribe.objects.get(name=MENOMINEE))
        received = T0 - hours(1)
        self.close(personas, case)
        clock.shift(datetime.timedelta(days=3))

        services.case_reopen(
            case_id=case.pk, actor=personas["hub2.specialist"], reason="New disclosure"
        )

        s = steps(case)
        assert s["intake"].status == StepStatus.PENDING
        assert not s["intake"].closed_with_case
        assert s["intake"].due_at == received + hours(2)
        assert s["tribal_notice"].due_at == received + hours(24)  # it applied all along
        assert s["missing_le_report"].status == StepStatus.NOT_APPLICABLE  # never applied
        event = case.events.filter(kind="step_applies").get()
        assert event.reason.startswith("Steps to do again after reopening: Intake reviewed, ")
        assert "Tribe notified" in event.reason

    def test_a_step_whose_condition_ended_while_closed_is_not_revived(self, clock, personas):
        case = log_case(personas, missing=True)
        hub = personas["hub2.specialist"]
        self.close(personas, case)
        services.youth_update(case_id=case.pk, actor=hub, missing_from_care=False)

        services.case_reopen(case_id=case.pk, actor=hub, reason="Youth returned; new concerns")

        s = steps(case)
        assert s["missing_le_report"].status == StepStatus.NOT_APPLICABLE
        assert not s["missing_le_report"].closed_with_case
        assert s["intake"].status == StepStatus.PENDING
        assert case.events.filter(kind="step_not_applicable", reason__contains="NCIC").exists()

    def test_the_migration_resolves_cases_closed_before(self, clock, personas):
        closed = log_case(personas)
        self.close(personas, closed)
        open_case = log_case(personas)
        # as closing left them before the fix
        were_pending = CaseStep.objects.filter(case=closed, closed_with_case=True).update(
            status=StepStatus.PENDING, closed_with_case=False
        )
        migration = importlib.import_module(
            "cases.migrations.0005_close_out_steps_of_closed_cases"
        )

        migration.close_out(apps, None)

        assert not CaseStep.objects.filter(case=closed, status=StepStatus.PENDING).exists()
        assert CaseStep.objects.filter(case=closed, closed_with_case=True).count() == were_pending
        assert steps(open_case)["intake"].status == StepStatus.PENDING
        services.case_reopen(case_id=closed.pk, actor=personas["hub2.specialist"], reason="x")
        assert steps(closed)["intake"].status == StepStatus.PENDING


class TestScreeningRecordsItsStep:
    def test_saving_the_screening_marks_the_screening_step_done(self, clock, client_for, personas):
        case = log_case(personas)
        client = client_for(personas["hub2.specialist"])
        detail = reverse("cases:detail", args=[case.pk])
        assert 'name="tool"' in section(client.get(detail).text, "screen-title")

        response = client.post(
            reverse("cases:screen", args=[case.pk]),
            {"outcome": "suspected", "note": "Older partner", "tool": TOOL},
            follow=True,
        )

        assert response.status_code == 200
        step = steps(case)["screening"]
        assert step.status == StepStatus.DONE
        assert step.values == {"tool": TOOL, "notes": "Suspected: Older partner"}
        assert step.completed_by == personas["hub2.specialist"]
        assert 'id="step-screening"' in response.text
        screening = response.text[response.text.index('id="step-screening"') :]
        assert 'step-state--done">Done' in screening[: screening.index("</li>")]
        assert case.events.filter(kind="step_completed", reason__startswith="Screening").exists()
        assert 'name="tool"' not in client.get(detail).text  # the step is done

    def test_without_the_tool_the_step_waits(self, clock, personas):
        case = log_case(personas)

        services.case_screen(case_id=case.pk, actor=personas["hub2.specialist"], outcome="at_risk")

        case.refresh_from_db()
        assert case.status == Status.SCREENED
        assert steps(case)["screening"].status == StepStatus.PENDING
        assert not case.events.filter(kind="step_completed").exists()

    def test_screening_again_after_the_step_is_done(self, clock, personas):
        case = log_case(personas)
        hub = personas["hub2.specialist"]
        fields = {"tool": TOOL}
        services.case_screen(case_id=case.pk, actor=hub, outcome="suspected", step_fields=fields)

        services.case_screen(
            case_id=case.pk, actor=hub, outcome="confirmed", note="Disclosed", step_fields=fields
        )

        case.refresh_from_db()
        assert case.screening_outcome == "confirmed"
        assert steps(case)["screening"].values["notes"] == "Suspected"  # as first recorded
        assert case.events.filter(kind="step_completed").count() == 1

    def test_the_api_screens_and_records_the_step(self, clock, api_for, personas):
        case = log_case(personas)
        client = api_for("hub2.specialist")
        url = reverse("case-screen", args=[case.pk])

        refused = client.post(
            url, {"outcome": "suspected", "step_fields": {"tool": "A hunch"}}, format="json"
        )
        screened = client.post(
            url, {"outcome": "suspected", "step_fields": {"tool": TOOL}}, format="json"
        )

        assert refused.status_code == 400
        assert "tool" in refused.json()
        assert screened.status_code == 200
        assert steps(case)["screening"].status == StepStatus.DONE

    def test_a_protocol_whose_step_the_screening_fills(self, clock, api_for, personas):
        data = json.loads(DEFAULT_PROTOCOL.read_text())
        data["name"] = "Hub 2: the screening step takes the outcome"
        screening = next(s for s in data["steps"] if s["key"] == "screening")
        screening["fields"] = [
            {
                "key": "outcome",
                "label": "Outcome",
                "kind": "choice",
                "choices": ["Not indicated", "At risk", "Suspected", "Confirmed"],
            },
            {"key": "screened_at", "label": "Screened at", "kind": "datetime"},
        ]
        protocol_version_load(data, region=Region.objects.get(number=2))
        case = log_case(personas)

        response = api_for("hub2.specialist").post(
            reverse("case-screen", args=[case.pk]), {"outcome": "at_risk"}, format="json"
        )

        assert response.status_code == 200
        step = steps(case)["screening"]
        assert step.status == StepStatus.DONE
        assert step.values == {"outcome": "At risk", "screened_at": T0.isoformat()}

    def test_a_protocol_without_a_screening_step(self, clock, personas):
        data = json.loads(DEFAULT_PROTOCOL.read_text())
        data["name"] = "Hub 2 without a screening step"
        data["steps"] = [s for s in data["steps"] if s["key"] != "screening"]
        protocol_version_load(data, region=Region.objects.get(number=2))
        case = log_case(personas)

        services.case_screen(
            case_id=case.pk,
            actor=personas["hub2.specialist"],
            outcome="suspected",
            step_fields={"tool": TOOL},
        )

        case.refresh_from_db()
        assert case.status == Status.SCREENED
        assert "screening" not in steps(case)


class TestOverdueStepsByWhoRecordsThem:
    def test_each_side_acts_on_its_own_and_sees_the_rest_waiting(
        self, clock, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.ACTIVE)  # received 2 hours ago
        clock.shift(hours(28))

        agency_list = page(client_for, personas, "outagamie.worker", reverse("cases:list"))
        hub_list = page(client_for, personas, "hub2.specialist", reverse("cases:list"))
        hub_home = page(client_for, personas, "hub2.specialist", reverse("home"))

        agency_row, hub_row = row_of(agency_list, case), row_of(hub_list, case)
        assert f"{AGENCY_STEPS_OVERDUE} overdue<" in agency_row
        assert f"{HUB_STEPS_OVERDUE} waiting on the hub" in agency_row
        assert "Law enforcement and CPS cross-notified" in agency_row  # theirs, not intake
        assert f"{HUB_STEPS_OVERDUE} overdue<" in hub_row
        assert f"{AGENCY_STEPS_OVERDUE} waiting on the agency" in hub_row
        assert "Intake reviewed" in hub_row
        assert "waiting on the agency</span>" in hub_row
        assert (
            "<strong>6</strong> overdue protocol steps in the region: "
            f"{HUB_STEPS_OVERDUE} for the hub to record, "
            f"{AGENCY_STEPS_OVERDUE} waiting on agencies"
        ) in hub_home

    def test_before_routing_the_agency_steps_are_the_hubs(self, clock, client_for, personas):
        case = log_case(personas)
        clock.shift(hours(30))

        row = row_of(page(client_for, personas, "hub2.specialist", reverse("cases:list")), case)

        assert "6 overdue<" in row
        assert "waiting" not in row

    def test_the_next_step_says_who_it_waits_on(self, clock, client_for, personas, make_case):
        case = make_case(county="Outagamie", status=Status.ROUTED)
        hub = personas["hub2.specialist"]
        for key, data in {
            "intake": {"reviewed_at": "2026-03-02T06:30"},
            "immediate_safety": {"safe_now": "yes", "actions": "Safe with aunt"},
            "screening": {"tool": TOOL},
            "cps_report": {"reported_at": "2026-03-02T06:45", "cps_agency": case.agency_id},
        }.items():
            services.case_step_complete(case_id=case.pk, step_key=key, actor=hub, data=data)

        queue = page(client_for, personas, "hub2.specialist", reverse("cases:hub-queue"))

        row = row_of(section(queue, "awaiting"), case)
        assert "Law enforcement and CPS cross-notified" in row
        assert "· waiting on the agency" in row

    def test_the_hub_queue_query_count_does_not_grow(self, clock, client_for, personas, make_case):
        client = client_for(personas["hub2.specialist"])

        def queries():
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("cases:hub-queue")).status_code == 200
            return len(ctx.captured_queries)

        for status in (Status.RECEIVED, Status.ROUTED):
            make_case(county="Outagamie", status=status)
        few = queries()
        for status in (Status.RECEIVED, Status.SCREENED, Status.ROUTED, Status.DECLINED) * 3:
            make_case(county="Brown", status=status)
        many = queries()

        assert few == many
