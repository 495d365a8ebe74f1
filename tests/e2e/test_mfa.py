"""In the browser: a newcomer sets up an authenticator app from the QR page (the code
computed here from the key the page shows, as a phone would), keeps the backup codes and
signs in with one later; a passkey made with Chromium's virtual authenticator; five
wrong passwords lock the sign-in; the idle warning lets the person stay."""

import base64
import re

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.e2e.conftest import TABLET, axe_violations, screenshot
from tests.e2e.test_sign_in import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "lantern-harbour-quietly-58"


def _newcomer():
    return get_user_model().objects.create_user(
        "nia.newcomer", email="nia@example.org", password=PASSWORD, first_name="Nia"
    )


def _code_from(key_text: str) -> str:
    key = base64.b32decode(key_text.replace(" ", "") + "=" * (-len(key_text.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


def test_a_newcomer_sets_up_an_authenticator_app_and_keeps_backup_codes(page, personas):
    _newcomer()
    sign_in(page, "nia.newcomer", PASSWORD, second_factor=False)

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "mfa-setup")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "mfa-setup-phone")
    page.set_viewport_size({"width": 1366, "height": 768})

    page.get_by_label("The 6-digit code your app shows now").fill("000000")
    page.get_by_role("button", name="Confirm and finish").click()
    expect(page.locator(".field__errors")).to_contain_text("does not match")
    assert axe_violations(page) == []

    page.wait_for_timeout(1100)  # a wrong code makes the next one wait a second
    key = page.locator("#totp-key").inner_text()
    page.get_by_label("The 6-digit code your app shows now").fill(_code_from(key))
    page.get_by_role("button", name="Confirm and finish").click()

    expect(page.get_by_role("heading", name="Backup codes")).to_be_visible()
    codes = page.locator(".backup-codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "mfa-backup-codes")
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nia")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "nia.newcomer", PASSWORD, second_factor=False)
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "mfa-verify")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_label("Code").press("Enter")
    expect(page.get_by_text("You used a backup code; 9 left")).to_be_visible()


def test_a_passkey_made_on_the_account_page_signs_in(page, personas, settings, live_server):
    """Chromium's virtual authenticator stands in for a phone or a security key."""
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    sign_in(page, "outagamie.worker")
    page.goto("/account/")
    page.get_by_role("button", name="Add a passkey").click()
    # Made and verified: the page reloads and lists it.
    expect(page.get_by_role("button", name=re.compile("Remove the passkey"))).to_be_visible()
    screenshot(page, "account-second-factor")

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "outagamie.worker", second_factor=False)
    page.get_by_role("button", name="Use my passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outagamie County Human Services")


def test_five_wrong_passwords_lock_the_sign_in(page, personas):
    for _ in range(5):
        sign_in(page, "brown.worker", "not-the-password", second_factor=False)
    sign_in(page, "brown.worker", second_factor=False)

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Too many failed sign-in attempts")
    expect(alert).to_contain_text("15 minutes")
    expect(page.get_by_role("heading", name="Sign in to HubNet")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "login-locked")


def test_the_idle_warning_lets_the_person_stay(page, personas, settings):
    settings.SESSION_IDLE_TIMEOUT = 125  # the warning (2 minutes) shows 5 seconds in
    sign_in(page, "hub2.specialist")

    dialog = page.get_by_role("alertdialog", name="Still there?")
    expect(dialog).to_be_visible(timeout=15_000)
    expect(dialog).to_contain_text("You will be signed out in 2 minutes")
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    assert axe_violations(page) == []
    page.set_viewport_size(TABLET)
    screenshot(page, "session-warning")

    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
