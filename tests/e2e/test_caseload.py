"""The caseload and the case page in a real browser: on a phone the next action is in the
first screen and nothing scrolls sideways; lists become cards; headings sort; the bulk bar
accepts several referrals; printing shows the record only."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Status
from tests.e2e.conftest import axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def scrolls_sideways(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def test_on_a_phone_the_accept_button_is_in_the_first_screen(open_as, personas, make_case):
    case = make_case(status=Status.ROUTED)
    page = open_as("outagamie.worker", viewport=PHONE, has_touch=True)
    page.goto(f"/cases/{case.pk}/")

    accept = page.get_by_role("button", name="Accept referral")
    expect(accept).to_be_visible()
    box = accept.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], "the accept button is below the fold"
    assert not scrolls_sideways(page)
    screenshot(page, "phone-case-routed")
    assert axe_violations(page) == []


def test_on_a_phone_the_hubs_next_step_is_at_the_top(open_as, personas, make_case):
    case = make_case(status=Status.SCREENED)
    page = open_as("hub2.specialist", viewport=PHONE, has_touch=True)
    page.goto(f"/cases/{case.pk}/")

    route = page.get_by_role("link", name="Route to an agency")
    box = route.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    next_step = page.get_by_role("heading", name="Your next step")
    expect(next_step).to_be_visible()
    assert not scrolls_sideways(page)
    screenshot(page, "phone-case-screened")


def test_on_a_phone_the_caseload_is_cards_not_a_wide_table(open_as, personas, make_case):
    for _ in range(3):
        make_case(status=Status.ROUTED)
    page = open_as("outagamie.worker", viewport=PHONE, has_touch=True)
    page.goto("/cases/")

    assert not scrolls_sideways(page)
    first_row = page.locator("table.case-table tbody tr").first
    assert first_row.bounding_box()["width"] <= PHONE["width"]
    # Each value is labelled with its column's name on the card.
    label = first_row.locator("td[data-label=Youth]").evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert label == '"Youth"'
    screenshot(page, "phone-caseload")
    assert axe_violations(page) == []


def test_sort_by_a_heading_and_accept_two_at_once(open_as, personas, make_case):
    zed = make_case(status=Status.ROUTED, last="Zeller")
    amy = make_case(status=Status.ROUTED, last="Abbott")
    page = open_as("outagamie.worker")
    page.goto("/cases/")

    page.get_by_role("link", name=re.compile(r"^Youth\W+select to sort")).click()
    expect(page).to_have_url(re.compile(r"sort=youth"))
    rows = page.locator("table.case-table tbody th[scope=row] a")
    expect(rows).to_have_text([amy.number, zed.number])
    page.get_by_role("link", name=re.compile(r"^Youth\W+sorted ascending")).click()
    expect(rows).to_have_text([zed.number, amy.number])

    page.get_by_label(f"Select case {zed.number}").check()
    page.get_by_label(f"Select case {amy.number}").check()
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.locator(".message")).to_contain_text(f"Accepted {zed.number}, {amy.number}.")
    # Back on the same view, sorted as it was.
    assert "sort=-youth" in page.url
    screenshot(page, "caseload-bulk-accepted")
    assert axe_violations(page) == []


def test_printing_a_case_shows_the_record_and_says_confidential(open_as, personas, make_case):
    case = make_case(status=Status.ACTIVE)
    page = open_as("outagamie.worker")
    page.goto(f"/cases/{case.pk}/")
    header = page.locator(".print-header")
    expect(header).to_be_hidden()  # on screen, the page's own heading says it
    page.emulate_media(media="print")

    expect(header).to_be_visible()
    expect(header).to_contain_text(f"Case {case.number}")
    expect(header).to_contain_text("Confidential")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".case-actions--secondary")).to_be_hidden()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    screenshot(page, "case-print")
