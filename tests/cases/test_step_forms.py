"""Recording protocol steps from the case page: "now", clock skew, each error once, and no
internal keys on the screen."""

import datetime
import html
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import CaseStep, StepStatus
from protocols.models import StepDefinition
from regions.models import County
from tests.cases.test_steps import log_case, route_and_accept

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)  # 9:00 a.m. in Wisconsin


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def local(delta: datetime.timedelta) -> str:
    """What a datetime-local field sends for now + `delta`, on Wisconsin's clock."""
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def step(case, key) -> CaseStep:
    return CaseStep.objects.get(case=case, definition__key=key)


def step_section(page: str, key: str) -> str:
    start = page.index(f'<li id="step-{key}"')
    end = page.find('<li id="step-', start + 1)
    return page[start : end if end > 0 else page.index("</ol>", start)]


def visible_text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


class TestClockSkew:
    def test_a_time_a_couple_of_minutes_ahead_of_the_server_is_accepted(
        self, clock, client_for, personas
    ):
        case = log_case(personas)
        ahead = local(datetime.timedelta(minutes=3))  # the worker's phone runs fast

        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:step-complete", args=[case.pk, "intake"]),
            {"intake-reviewed_at": ahead},
        )

        assert response.status_code == 302
        recorded = step(case, "intake")
        assert recorded.status == StepStatus.DONE
        assert (
            timezone.localtime(
                datetime.datetime.fromisoformat(recorded.values["reviewed_at"])
            ).strftime("%Y-%m-%dT%H:%M")
            == ahead
        )

    def test_a_real_future_time_is_refused_with_a_clear_message_shown_once(
        self, clock, client_for, personas
    ):
        case = log_case(personas)

        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:step-complete", args=[case.pk, "intake"]),
            {"intake-reviewed_at": local(datetime.timedelta(hours=2))},
        )

        assert response.status_code == 400
        section = step_section(response.text, "intake")
        message = "“Reviewed at” is later than now (Mar 2, 2026, 9:00 AM). Enter when it happened."
        assert visible_text(section).count(message) == 1
        assert response.text.count("is later than now") == 1  # not twice beside the field
        assert 'aria-invalid="true"' in section
        assert step(case, "intake").status == StepStatus.PENDING

    def test_the_api_takes_the_same_rule(self, clock, personas):
        case = log_case(personas)
        hub = personas["hub2.specialist"]

        with pytest.raises(ValidationError) as refused:
            services.case_step_complete(
                case_id=case.pk,
                step_key="intake",
                actor=hub,
                data={"reviewed_at": (timezone.now() + datetime.timedelta(minutes=6)).isoformat()},
            )
        assert refused.value.message_dict["reviewed_at"] == [
            "“Reviewed at” is later than now (Mar 2, 2026, 9:00 AM). Enter when it happened."
        ]
        services.case_step_complete(
            case_id=case.pk,
            step_key="intake",
            actor=hub,
            data={"reviewed_at": (timezone.now() + datetime.timedelta(minutes=4)).isoformat()},
        )
        assert step(case, "intake").status == StepStatus.DONE


class TestEachErrorOnce:
    def test_every_field_error_shows_once(self, clock, client_for, personas):
        case = log_case(personas)

        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:step-complete", args=[case.pk, "cps_report"]),
            {"cps_report-reported_at": "yesterday-ish", "cps_report-reference": "R-1"},
        )

        assert response.status_code == 400
        text = visible_text(step_section(response.text, "cps_report"))
        assert (
            text.count("Enter “Reported to CPS at” as a date and time, e.g. 2026-03-02T14:30.")
            == 1
        )
        assert text.count("Choose the agency for “CPS agency”.") == 1
        assert "This field is required" not in text  # plain words, not Django's default
        assert "R-1" in text  # what was typed stays

    def test_a_correction_refused_shows_its_error_once(self, clock, client_for, personas):
        case = log_case(personas)
        hub = personas["hub2.specialist"]
        services.case_step_complete(
            case_id=case.pk, step_key="intake", actor=hub, data={"reviewed_at": local(-T)}
        )

        response = client_for(hub).post(
            reverse("cases:step-correct", args=[case.pk, "intake"]),
            {"intake-reviewed_at": local(datetime.timedelta(days=1))},
        )

        assert response.status_code == 400
        assert response.text.count("is later than now") == 1

    def test_a_skip_without_a_reason_says_so_once(self, clock, client_for, personas):
        case = log_case(personas, received_ago=datetime.timedelta(hours=1))
        route_and_accept(personas, case)
        worker = personas["outagamie.worker"]
        services.case_step_complete(
            case_id=case.pk,
            step_key="safety_plan",
            actor=worker,
            data={"agreed_at": local(-T), "summary": "Stays with aunt."},
        )
        services.case_step_complete(
            case_id=case.pk,
            step_key="service_plan",
            actor=worker,
            data={"referrals": "Counselling", "consent_on_file": True},
        )

        response = client_for(worker).post(
            reverse("cases:step-skip", args=[case.pk, "follow_up"]), {"skip-follow_up-reason": ""}
        )

        assert response.status_code == 400
        errors = re.findall(
            r'<ul class="field__errors" id="id_skip-follow_up-reason_error">(.*?)</ul>',
            response.text,
            re.S,
        )
        assert len(errors) == 1
        assert errors[0].count("<li>") == 1


T = datetime.timedelta(minutes=30)


class TestNowButton:
    def test_each_date_and_time_field_offers_now_and_the_page_loads_its_script(
        self, clock, client_for, personas
    ):
        case = log_case(personas)

        page = client_for(personas["hub2.specialist"]).get(reverse("cases:detail", args=[case.pk]))

        section = step_section(page.text, "intake")
        field = r'<input type="datetime-local" name="intake-reviewed_at"[^>]*id="id_intake-rev'
        assert re.search(field, section)
        button = re.search(r"<button [^>]*data-now-for=\"id_intake-reviewed_at\"[^>]*>", section)
        assert button
        assert 'type="button"' in button[0]  # never submits the form
        assert 'data-time-zone="America/Chicago"' in button[0]
        assert "Now (fill in the current date and time)" in visible_text(section)  # its name
        assert '<script src="/static/js/steps.js" defer></script>' in page.text
        assert "<script>" not in page.text  # strict CSP: no inline script


class TestNoInternalKeys:
    def test_a_clock_waiting_on_another_step_names_that_step(self, clock, client_for, personas):
        case = log_case(personas)
        route_and_accept(personas, case)

        page = client_for(personas["outagamie.worker"]).get(
            reverse("cases:detail", args=[case.pk])
        )

        text = visible_text(step_section(page.text, "service_plan"))
        assert "Clock not started: 14 days after 'Safety plan in place' is done." in text
        assert "safety_plan" not in text

    def test_no_step_or_field_key_shows_on_the_checklist(self, clock, client_for, personas):
        case = log_case(personas)
        route_and_accept(personas, case)
        services.case_step_complete(
            case_id=case.pk,
            step_key="safety_plan",
            actor=personas["outagamie.worker"],
            data={"agreed_at": local(-T), "summary": "Stays with aunt."},
        )

        for user in ("hub2.specialist", "outagamie.worker"):
            page = client_for(personas[user]).get(reverse("cases:detail", args=[case.pk])).text
            start = page.index('id="protocol"')
            checklist = visible_text(page[start : page.index("</section>", start)])
            keys = set(StepDefinition.objects.values_list("key", flat=True))
            keys |= set(StepDefinition.objects.values_list("fields__key", flat=True))
            leaked = sorted(key for key in keys if key and "_" in key and key in checklist)
            assert leaked == [], f"{user} sees internal keys: {leaked}"
            assert "after 'Safety plan in place' is done" in checklist


@pytest.mark.parametrize(("ahead", "accepted"), [(2, True), (10, False)])
def test_a_referral_received_minutes_ahead_of_the_server_is_the_same_rule(
    client_for, personas, ahead, accepted
):
    """The referral form takes the same clock-skew allowance as the step forms."""
    with time_machine.travel(T0, tick=False):
        typed = timezone.localtime(T0 + datetime.timedelta(minutes=ahead))
        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:referral-new"),
            {
                "youth-legal_first_name": "Skew",
                "youth-legal_last_name": "Tester",
                "youth-estimated_age": "15",
                "youth-gender": "unknown",
                "youth-race_ethnicity": "unknown",
                "youth-county": County.objects.get(name="Outagamie").pk,
                "referral-received_at": typed.strftime("%Y-%m-%dT%H:%M"),
                "referral-source": "school",
                "referral-narrative": "Seen at school.",
                "referral-suspected_exploitation": "unknown",
            },
        )
    if accepted:
        text = response.content.decode()
        assert response.status_code == 302, text[text.find("error") :][:1500]
    else:
        assert response.status_code == 400
        assert "cannot be received in the future" in response.content.decode()
