"""Trainings in a real browser: hub2.specialist logs a training for Brown and Outagamie
counties with attendance by sector, finds it in the list and in the region's coverage;
outagamie.worker reads it and cannot change it."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations, screenshot
from training.models import Training, TrainingStatus

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
# WCAG 1.4.10 Reflow: content fits 320 CSS px without scrolling sideways.
NARROW_PHONE = {"width": 320, "height": 640}
TITLE = "Front desk and housekeeping: recognising trafficking"


def scrolls_sideways(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def test_a_hub_logs_a_training_and_an_agency_reads_it(open_as, personas):
    held_on = timezone.localdate() - datetime.timedelta(days=3)
    page = open_as("hub2.specialist")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trainings").click()
    page.get_by_role("navigation", name="Trainings").get_by_role(
        "link", name="Log a training"
    ).click()

    # First try: the counties left out. The error is announced and next to its field,
    # and what was typed is still there.
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Date").fill(held_on.isoformat())
    page.get_by_label("Start time").fill("09:30")
    page.get_by_label("Duration in hours").fill("1.5")
    page.get_by_label("In person").check()
    page.get_by_label("Awareness").check()
    page.get_by_label("Recognising the indicators").check()
    page.get_by_label("Host or venue").fill("Fox River Hotel, Appleton")
    page.get_by_label("Hospitality (hotels, casinos)").fill("18")
    page.get_by_label("Law enforcement", exact=True).fill("4")
    page.get_by_role("button", name="Log training").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Choose at least one county")
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    assert not Training.objects.filter(title=TITLE).exists()
    screenshot(page, "training-form-error")
    assert axe_violations(page) == []

    page.get_by_label("Brown", exact=True).check()
    page.get_by_label("Outagamie", exact=True).check()
    page.get_by_role("button", name="Log training").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("Training logged.")).to_be_visible()
    training = Training.objects.get(title=TITLE)
    assert training.status == TrainingStatus.DELIVERED
    assert training.total_attendees == 22
    assert sorted(training.counties.values_list("name", flat=True)) == ["Brown", "Outagamie"]
    screenshot(page, "training-detail-hub")

    # The list: it is there, with its people trained.
    page.get_by_role("navigation", name="Trainings").get_by_role("link", name="Trainings").click()
    row = page.locator("tbody tr", has_text=TITLE)
    expect(row).to_contain_text("Brown")
    expect(row).to_contain_text("22")
    screenshot(page, "training-list-hub")
    assert axe_violations(page) == []

    # The coverage: Brown and Outagamie each count it, with its 22 people.
    page.get_by_role("link", name="Coverage by county").click()
    for fips in ("55009", "55087"):  # Brown, Outagamie
        county = page.locator(f"#county-{fips}")
        expect(county).not_to_contain_text("Not reached")
        expect(county.locator(".coverage-total")).to_contain_text("1 training")
        expect(county.locator(".coverage-total")).to_contain_text("22 people")
    expect(page.locator("#county-55139")).to_contain_text("Not reached")  # Winnebago
    screenshot(page, "training-coverage-hub")
    assert axe_violations(page) == []

    # The agency reads the same training and has no way to change it.
    worker = open_as("outagamie.worker")
    worker.goto("/trainings/")
    worker.get_by_role("link", name=TITLE).click()
    expect(worker.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(worker.get_by_role("rowheader", name="Hospitality (hotels, casinos)")).to_be_visible()
    expect(worker.get_by_role("link", name=re.compile("^(Edit|Cancel)"))).to_have_count(0)
    expect(worker.get_by_role("link", name="Log a training")).to_have_count(0)
    screenshot(page=worker, name="training-detail-agency")
    response = worker.goto(f"/trainings/{training.pk}/edit/")
    assert response.status == 403


@pytest.mark.parametrize("viewport", [PHONE, NARROW_PHONE], ids=["390px", "320px"])
def test_on_a_phone_the_training_pages_fit(viewport, open_as, personas, make_training):
    training = make_training(
        attendance={"education": 30, "hospitality": 12},
        counties=("Brown", "Outagamie", "Calumet"),
        title="Casino hotel staff briefing: what to notice and who to call",
    )
    # A planned one whose day has passed: the list shows "Waiting for attendance" beside
    # "Upcoming".
    make_training(date=timezone.localdate() - datetime.timedelta(days=2))
    page = open_as("hub2.specialist", viewport=viewport, has_touch=True)
    suffix = "" if viewport == PHONE else f"-{viewport['width']}"
    for url, name in (
        ("/trainings/", "phone-training-list"),
        ("/trainings/?sector=education", "phone-training-list-sector"),
        (f"/trainings/{training.pk}/", "phone-training-detail"),
        ("/trainings/coverage/2/", "phone-training-coverage"),
        ("/trainings/new/", "phone-training-form"),
    ):
        page.goto(url)
        # Folded parts (the history's first record, other regions' counties) open too.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        assert not scrolls_sideways(page), f"{url} at {viewport['width']}px"
        screenshot(page, name + suffix)
    assert axe_violations(page) == []
