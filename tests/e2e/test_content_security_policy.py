"""The pages work under their Content-Security-Policy: htmx, the page script, no violations."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_sign_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_pages_work_without_a_single_policy_violation(browser, live_server, personas, make_case):
    make_case(county="Brown", first="Quinn", last="Marchetti")
    context = browser.new_context(base_url=live_server.url)  # the policy applies
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    try:
        sign_in(page, "hub2.specialist")
        page.goto("/referrals/new/")
        page.get_by_label("Legal first name").fill("Quinn")
        page.get_by_label("Legal last name").press_sequentially("Marche")
        page.get_by_role(
            "button", name=re.compile("Link to Quinn Marchetti")
        ).click()  # htmx + page script
        expect(page.locator("#linked-panel")).to_contain_text("Linked to Quinn Marchetti")
        page.get_by_role("button", name="Log referral").click()  # server errors: focus script
        expect(page.get_by_role("alert").first).to_be_focused()
        for path in ("/", "/hub/queue/", "/cases/", "/notifications/"):
            page.goto(path)
    finally:
        context.close()

    assert violations == []
