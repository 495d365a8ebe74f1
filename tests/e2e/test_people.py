"""Giving access to case records, in a real browser: the region's hub specialist and an
account administrator, and what the region's hub sees of it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from regions.models import AccessChange, Membership
from tests.e2e.conftest import axe_violations, screenshot
from tests.e2e.test_sign_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_account_administrator_invites_a_caseworker_and_the_hub_sees_it(
    open_as,
    browser,
    live_server,
    personas,
):
    admin = open_as("accounts.admin")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Account administration")
    admin.get_by_role("link", name="Invite someone").click()
    admin.get_by_label("First name").fill("Nia")
    admin.get_by_label("Last name").fill("Newcomer")
    admin.get_by_label("Work email").fill("nia.newcomer@example.org")
    admin.get_by_role("combobox", name="Access").select_option(
        label="Agency staff, Outagamie County Human Services"
    )
    admin.get_by_label("Why is this access given?").fill("New caseworker, started Monday")
    assert axe_violations(admin) == []
    screenshot(admin, "people-invite")
    admin.get_by_role("button", name="Send the invitation").click()

    expect(admin.get_by_text("Invitation sent to nia.newcomer@example.org")).to_be_visible()
    screenshot(admin, "people-detail")

    # The invited person follows the link, chooses a password and signs in.
    link = re.search(r"https?://\S+/invitation/\S+/", mail.outbox[-1].body).group(0)
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    newcomer = context.new_page()
    newcomer.goto(link)
    newcomer.locator("#id_password1").fill("maple-harbor-lantern-62")
    newcomer.get_by_label("The same password again").fill("maple-harbor-lantern-62")
    newcomer.get_by_role("button", name="Set my password").click()
    sign_in(newcomer, "nia.newcomer@example.org", "maple-harbor-lantern-62")
    expect(newcomer.get_by_role("link", name="Caseload", exact=True)).to_be_visible()
    context.close()

    # The region's hub specialist sees who was given access to the region's cases.
    hub = open_as("hub2.specialist")
    new_access = re.compile(r"new (person|people) with access to your region")
    expect(hub.get_by_text(new_access)).to_be_visible()
    hub.get_by_role("link", name="People", exact=True).click()
    expect(hub.locator("table").first).to_contain_text("Nia Newcomer")
    expect(hub.locator("#changes-title + .table-wrap")).to_contain_text(
        "New caseworker, started Monday"
    )
    assert axe_violations(hub) == []
    screenshot(hub, "people-hub")


def test_a_hub_specialist_ends_a_role_and_cannot_touch_their_own(open_as, personas):
    hub = open_as("hub2.specialist")
    hub.goto(f"/people/{personas['outagamie.worker'].pk}/")
    hub.get_by_label("Why does this access end?").fill("Moved to another county")
    hub.get_by_role("button", name="End this role").click()

    expect(hub.get_by_text("Membership ended: Outagamie")).to_be_visible()
    assert not Membership.objects.active().filter(user=personas["outagamie.worker"]).exists()
    assert AccessChange.objects.filter(reason="Moved to another county").exists()

    hub.goto(f"/people/{personas['hub2.specialist'].pk}/")
    expect(hub.get_by_text("This is your own account")).to_be_visible()
    expect(hub.get_by_role("button", name="Give access")).to_have_count(0)
    expect(hub.get_by_role("button", name="End this role")).to_have_count(0)
