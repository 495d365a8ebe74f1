"""Recording a protocol step in a real browser: "Now" fills Wisconsin's time whatever the
device's zone, under the strict Content-Security-Policy; a future time is refused with one
message, next to its field."""

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import CaseStep, StepStatus
from tests.e2e.conftest import SCREENSHOTS, axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

WISCONSIN = zoneinfo.ZoneInfo("America/Chicago")


def test_now_fills_wisconsins_time_on_a_device_set_to_another_zone(open_as, make_case):
    case = make_case(county="Outagamie", status="received")
    # The policy applies (no bypass), and the device's clock is in Tokyo.
    page = open_as("hub2.specialist", csp=True, timezone_id="Asia/Tokyo")
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"/cases/{case.pk}/")
    step = page.locator("#step-intake")
    step.get_by_text("Record…").click()
    field = step.get_by_label("Reviewed at")
    now = step.get_by_role(
        "button", name=re.compile(r"^Now\s*\(fill in the current date and time\)$")
    )

    before = datetime.datetime.now(WISCONSIN).replace(second=0, microsecond=0, tzinfo=None)
    now.click()
    after = datetime.datetime.now(WISCONSIN).replace(tzinfo=None)

    filled = datetime.datetime.fromisoformat(field.input_value())
    assert before <= filled <= after
    expect(field).to_be_focused()  # a screen reader reads the time just filled in
    screenshot(page, "step-form-now")
    step.screenshot(path=str(SCREENSHOTS / "step-form-now-step.png"))
    step.get_by_role("button", name="Mark done").click()

    expect(page.locator("#step-intake .step-state")).to_have_text("Done")
    recorded = CaseStep.objects.get(case=case, definition__key="intake")
    assert recorded.status == StepStatus.DONE
    reviewed = datetime.datetime.fromisoformat(recorded.values["reviewed_at"])
    assert abs(reviewed - timezone.now()) < datetime.timedelta(minutes=2)
    assert violations == []


def test_a_future_time_is_refused_once_next_to_its_field(open_as, make_case):
    case = make_case(county="Outagamie", status="received")
    page = open_as("hub2.specialist")  # the policy bypassed: axe is injected inline
    page.goto(f"/cases/{case.pk}/")
    step = page.locator("#step-intake")
    step.get_by_text("Record…").click()
    later = datetime.datetime.now(WISCONSIN) + datetime.timedelta(hours=3)
    step.get_by_label("Reviewed at").fill(later.strftime("%Y-%m-%dT%H:%M"))

    step.get_by_role("button", name="Mark done").click()

    step = page.locator("#step-intake")
    field = step.get_by_label("Reviewed at")
    expect(field).to_have_attribute("aria-invalid", "true")
    message = re.compile(r"“Reviewed at” is later than now \(.+\)\. Enter when it happened\.")
    expect(page.get_by_text(message)).to_have_count(1)
    expect(step.locator(".field__errors")).to_have_text(message)
    expect(step.get_by_role("button", name=re.compile("^Now"))).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "step-form-future-refused")
    step.screenshot(path=str(SCREENSHOTS / "step-form-future-refused-step.png"))
    assert CaseStep.objects.get(case=case, definition__key="intake").status == (StepStatus.PENDING)
