"""Notifications and the header's search box, in the browser, as a hub specialist would use
them: at a desk and on a phone, with the keyboard."""

import re

import pytest
from playwright.sync_api import expect

from cases import services
from cases.models import Status
from tests.e2e.conftest import axe_violations, screenshot
from tests.e2e.test_sign_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def alerted(make_case):
    """Two new region 2 cases, their referrals received 2 hours ago, alerted by the scheduled
    job: each has its intake overdue and its immediate-safety check due within 4 hours."""
    cases = [
        make_case(first="Lucía", last="Díaz", status=Status.RECEIVED),
        make_case(first="Owen", last="Marsh", status=Status.RECEIVED),
    ]
    services.step_deadline_alerts_send()
    return cases


def nav_notifications(page):
    return page.get_by_role("navigation", name="Main").get_by_role(
        "link", name=re.compile("^Notifications")
    )


def test_open_a_notification_from_the_list_with_the_keyboard(page, personas, alerted):
    diaz, marsh = alerted
    sign_in(page, "hub2.specialist")
    expect(nav_notifications(page)).to_have_text("Notifications 4 unread")

    nav_notifications(page).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    groups = page.get_by_role("heading", level=2)
    expect(groups).to_have_text([f"Case {marsh.number}", f"Case {diaz.number}"])
    assert axe_violations(page) == []
    screenshot(page, "notifications")

    page.get_by_role("navigation", name="Show notifications").get_by_role(
        "link", name=re.compile("^Overdue")
    ).click()
    links = page.get_by_role("link", name=re.compile("Intake reviewed is overdue"))
    expect(links).to_have_count(2)
    expect(page.get_by_role("link", name=re.compile("is due within 4 hours"))).to_have_count(0)
    screenshot(page, "notifications-overdue")

    first = links.first
    first.focus()
    focus_outline = first.evaluate("el => getComputedStyle(el).outlineStyle")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/cases/{marsh.pk}/#step-intake$"))
    expect(page.locator("#step-intake")).to_be_in_viewport()
    expect(nav_notifications(page)).to_have_text("Notifications 3 unread")
    assert focus_outline == "solid"

    page.go_back()
    page.reload()
    expect(page.get_by_role("link", name=re.compile("Intake reviewed is overdue"))).to_have_count(
        2
    )
    expect(
        page.get_by_role("link", name=re.compile(r"^Unread\s?: Intake reviewed"))
    ).to_have_count(1)

    page.get_by_role("button", name="Mark all as read").click()
    expect(page.get_by_text("3 notifications marked as read.")).to_be_visible()
    expect(nav_notifications(page)).to_have_text("Notifications")
    assert axe_violations(page) == []


def test_the_header_search_on_a_phone(page, personas, alerted):
    diaz, marsh = alerted
    page.set_viewport_size(PHONE)
    sign_in(page, "hub2.specialist")

    box = page.get_by_label("Search cases")
    expect(box).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for _ in range(20):  # from the top of the page, the keyboard reaches the box
        if box.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(box).to_be_focused()
    assert box.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    screenshot(page, "header-search-phone")

    page.keyboard.type("diaz")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/cases/\?q=diaz$"))
    expect(page.get_by_role("link", name=diaz.number)).to_be_visible()
    expect(page.get_by_role("link", name=marsh.number)).to_have_count(0)
    assert axe_violations(page) == []
    screenshot(page, "header-search-results-phone")

    page.goto("/notifications/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page) == []
    screenshot(page, "notifications-phone")
