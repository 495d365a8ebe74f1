"""The access log's filters and file, and the route page's consents, in a real browser:
usable with the keyboard and free of WCAG 2.1 A/AA violations (axe)."""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import services
from cases.models import AccessChannel, CaseAccess
from regions.models import Agency
from tests.e2e.conftest import axe_violations, screenshot
from tests.e2e.test_sign_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_hub_filters_the_access_log_and_downloads_what_it_shows(page, personas, make_case):
    case = make_case(county="Outagamie", status="routed")
    brown, worker = personas["brown.worker"], personas["outagamie.worker"]
    now = timezone.now()
    for hours_ago in (50, 30, 5):
        CaseAccess.objects.create(
            case=case,
            user=worker,
            at=now - datetime.timedelta(hours=hours_ago),
            channel=AccessChannel.PAGE,
            granted=True,
        )
    CaseAccess.objects.create(
        case=case,
        user=brown,
        at=now - datetime.timedelta(hours=3),
        channel=AccessChannel.PAGE,
        granted=False,
    )
    sign_in(page, "hub2.specialist")
    page.goto(f"/cases/{case.pk}/access-log/")

    page.get_by_label("Outcome").select_option(label="Refused")
    page.get_by_role("button", name="Apply").click()

    entries = page.get_by_role("table", name=f"Every view of and attempt on case {case.number}")
    expect(entries.locator("tbody tr")).to_have_count(1)
    expect(entries).to_contain_text("brown.worker")
    expect(page.locator("#result-count")).to_have_text(
        re.compile(r"Showing 1 of 1 entry matching the filters \(\d+ in all\)\.")
    )
    assert axe_violations(page) == []
    screenshot(page, "access-log-filtered")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the 1 matching entry as CSV").click()
    header, *rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert header.startswith("Case number,When,Person,Username")
    assert len(rows) == 1
    assert rows[0].startswith(f"{case.number},")
    assert "brown.worker" in rows[0]

    today = timezone.localdate()
    page.get_by_label("From (date)").fill(today.isoformat())
    page.get_by_label("To (date)").fill((today - datetime.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("The end date is before the start date.")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "access-log-filter-error")


def test_the_route_page_shows_the_consents_on_file(page, personas, make_case):
    case = make_case(county="Outagamie", status="screened")
    today = timezone.localdate()
    services.consent_record(
        case_id=case.pk,
        actor=personas["hub2.specialist"],
        recipient=Agency.objects.get(county__name="Calumet"),
        scope="Counselling close to school",
        youth_consented=True,
        guardian_consented=True,
        guardian_name="Pat Guardian",
        signed_on=today - datetime.timedelta(days=3),
        expires_on=today + datetime.timedelta(days=180),
    )
    sign_in(page, "hub2.specialist")
    page.goto(f"/cases/{case.pk}/route/")

    consents = page.get_by_role("table", name=f"Consents to share recorded for case {case.number}")
    expect(consents.get_by_role("row").filter(has_text="Calumet")).to_contain_text("Current")
    agency = page.get_by_label("Route to agency")
    expect(agency.locator("optgroup").first).to_have_attribute(
        "label", "Serves the youth's county or tribe"
    )
    calumet = agency.locator("option", has_text="Calumet County Human Services")
    expect(calumet).to_contain_text("consent on file until")
    assert axe_violations(page) == []
    screenshot(page, "route-with-consents")
