import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.conftest import PERSONA_PASSWORD, authenticator_of, totp_code
from tests.e2e.conftest import TABLET, axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, username: str, password: str = PERSONA_PASSWORD, *, second_factor=True):
    """Password, then the code the person's authenticator app shows (computed here)."""
    user = get_user_model().objects.filter(username=username).first()
    device = authenticator_of(user) if user is not None and second_factor else None
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state()
    if device is not None and "/account/two-factor/" in page.url:
        page.get_by_label("Code").fill(totp_code(device))
        page.get_by_label("Code").press("Enter")
        page.wait_for_load_state()


def test_hub_specialist_signs_in_with_the_keyboard_and_sees_the_hub(page, personas):
    page.goto("/")
    expect(page).to_have_url("/login/?next=/")  # every page needs a login
    expect(page.get_by_role("heading", name="Sign in to HubNet")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "login")

    expect(page.get_by_label("Username")).to_be_focused()

    sign_in(page, "hub2.specialist")

    expect(page.get_by_role("heading", level=1)).to_have_text("Hub 2 · Northeast")
    expect(page.get_by_text("Hub specialist · Hub 2 (Northeast)")).to_be_visible()
    expect(page.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    assert axe_violations(page) == []
    screenshot(page, "home-hub-specialist")

    page.set_viewport_size(TABLET)
    screenshot(page, "home-hub-specialist-tablet")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to HubNet")).to_be_visible()


def test_a_wrong_password_is_announced(page, personas):
    sign_in(page, "outagamie.worker", "wrong-password")

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_label("Username")).to_have_value("outagamie.worker")
    assert axe_violations(page) == []
    screenshot(page, "login-error")


@pytest.mark.parametrize(
    ("username", "heading"),
    [
        ("outagamie.worker", "Outagamie County Human Services"),
        ("state.admin", "Statewide overview"),
    ],
)
def test_each_role_home_is_accessible(page, personas, username, heading):
    sign_in(page, username)

    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert axe_violations(page) == []
    screenshot(page, f"home-{username.replace('.', '-')}")
