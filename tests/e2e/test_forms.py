"""Forms in a real browser: the app validates (never a browser pop-up), says what is wrong in
plain words beside the field and in a summary that takes focus, and each summary link
takes the keyboard to its field. The new-referral form asks without choosing for the
user and groups the indicators; the case page's note, close, decline and consent forms
behave the same way, under the Content-Security-Policy."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case
from tests.e2e.conftest import SCREENSHOTS, axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

DANGER = "rgb(164, 22, 26)"  # --danger


def border_color(locator) -> str:
    return locator.evaluate("e => getComputedStyle(e).borderTopColor")


def test_the_referral_form_asks_without_answering_for_the_user(open_as, personas):
    hub = open_as("hub2.specialist")
    hub.goto("/referrals/new/")

    expect(hub.get_by_label("Gender")).to_have_value("")
    expect(hub.get_by_label("Race/ethnicity")).to_have_value("")
    exploitation = hub.get_by_role("group", name=re.compile("^Suspected exploitation"))
    for answer in ("Sex", "Labor", "Both", "Unknown"):
        expect(exploitation.get_by_label(answer, exact=True)).not_to_be_checked()
    expect(hub.get_by_label("County of residence").locator("option:checked")).to_have_text(
        "Choose a county"
    )
    expect(hub.get_by_role("combobox", name=re.compile("^Source"))).to_contain_text(
        "Choose a source"
    )
    expect(hub.get_by_text("---------")).to_have_count(0)

    # The age rule, before anything is sent, read out with the age fields.
    age = hub.get_by_role("group", name=re.compile("^Age"))
    expect(age).to_have_accessible_description(re.compile("give an estimated age instead"))
    expect(age.get_by_label("Date of birth")).to_be_visible()
    expect(age.get_by_label("Estimated age")).to_be_visible()

    # Indicators under their category's legend.
    relationships = hub.get_by_role("group", name="Relationships", exact=True)
    expect(relationships.get_by_role("checkbox")).to_have_count(4)
    expect(
        relationships.get_by_label("Partner (boyfriend or girlfriend) much older")
    ).to_be_visible()
    expect(hub.get_by_role("group", name="Work and labor").get_by_role("checkbox")).to_have_count(
        3
    )
    assert axe_violations(hub) == []
    SCREENSHOTS.mkdir(exist_ok=True)
    hub.locator(".indicator-groups").screenshot(path=str(SCREENSHOTS / "indicator-groups.png"))


def test_the_error_summary_takes_focus_and_its_links_take_the_keyboard_to_the_field(
    open_as, personas
):
    hub = open_as("hub2.specialist", csp=True)
    hub.goto("/referrals/new/")
    hub.get_by_label("Legal first name").fill("Kai")

    hub.get_by_role("button", name="Log referral").click()

    summary = hub.locator("#form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("The referral was not saved.")
    for message in (
        "Enter the youth's legal last name.",
        "Give a date of birth, or an estimated age if it is unknown.",
        "Choose the youth's gender, or “Unknown or not disclosed”.",
        "Choose the county where the youth lives.",
        "Choose who made the referral (the source).",
        "Describe the concerns: what was observed or reported.",
        "Choose the suspected exploitation, or “Unknown”.",
    ):
        expect(summary.get_by_role("link", name=message)).to_be_visible()
    expect(hub.get_by_text("This field is required.")).to_have_count(0)

    summary.get_by_role("link", name="Enter the youth's legal last name.").click()
    expect(hub.get_by_label("Legal last name")).to_be_focused()
    hub.keyboard.type("Okafor")  # straight on with the keyboard
    expect(hub.get_by_label("Legal last name")).to_have_value("Okafor")

    summary.get_by_role("link", name="Choose the suspected exploitation, or “Unknown”.").click()
    expect(hub.get_by_label("Sex", exact=True)).to_be_focused()

    summary.get_by_role(
        "link", name="Describe the concerns: what was observed or reported."
    ).click()
    expect(hub.get_by_label("Concerns")).to_be_focused()
    expect(hub.get_by_label("Concerns")).to_be_in_viewport()
    assert not Case.objects.exists()


def test_invalid_text_inputs_look_like_invalid_selects(open_as, personas):
    hub = open_as("hub2.specialist")
    hub.goto("/referrals/new/")
    hub.get_by_role("button", name="Log referral").click()
    expect(hub.locator("#form-errors")).to_be_focused()

    last_name = hub.get_by_label("Legal last name")
    county = hub.get_by_label("County of residence")
    concerns = hub.get_by_label("Concerns")
    expect(last_name).to_have_attribute("aria-invalid", "true")
    expect(last_name).to_have_accessible_description(
        re.compile("Enter the youth's legal last name")
    )
    assert border_color(last_name) == border_color(county) == border_color(concerns) == DANGER
    assert border_color(hub.get_by_label("Preferred name or alias")) != DANGER  # valid
    assert axe_violations(hub) == []
    screenshot(hub, "referral-form-errors-summary")


def test_guardian_and_whereabouts_are_saved_and_hidden_while_linked(open_as, personas, make_case):
    make_case(county="Brown", first="Rowan", last="Ashby")
    hub = open_as("hub2.specialist")
    hub.goto("/referrals/new/")
    hub.get_by_label("Legal first name").fill("Rowan")
    hub.get_by_label("Name of parent, guardian or caregiver").fill("Dana Ashby")
    hub.get_by_label("Where the youth is now").fill("At school")
    hub.get_by_label("Legal last name").press_sequentially("Ashby")

    # Linked: the record's guardian is not sent to the page, and nothing typed is sent.
    hub.get_by_role("button", name=re.compile("Link to Rowan Ashby")).click()
    guardian = hub.get_by_label("Name of parent, guardian or caregiver")
    expect(guardian).to_be_disabled()
    expect(guardian).to_have_value("")
    expect(hub.get_by_label("Where the youth is now")).to_be_disabled()
    hub.get_by_role("button", name="Unlink").click()
    expect(guardian).to_have_value("Dana Ashby")
    expect(hub.get_by_label("Where the youth is now")).to_have_value("At school")

    hub.get_by_label("Legal last name").fill("Ashby-Moore")
    hub.get_by_label("Estimated age").fill("14")
    hub.get_by_label("Gender").select_option(label="Non-binary")
    hub.get_by_label("Race/ethnicity").select_option(label="White")
    hub.get_by_label("County of residence").select_option(label="Outagamie County")
    hub.get_by_label("Relationship to the youth").fill("grandmother")
    hub.get_by_label("Their phone or email").fill("920-555-0199")
    hub.get_by_role("combobox", name=re.compile(r"^Source")).select_option(label="Family")
    hub.get_by_label("Concerns").fill("Grandmother reports a new adult 'friend' with gifts.")
    hub.get_by_label("Unknown", exact=True).check()
    hub.get_by_role("button", name="Log referral").click()

    expect(hub.get_by_role("heading", level=1)).to_have_text("Rowan Ashby-Moore")
    youth = hub.get_by_role("region", name="Youth", exact=True)
    expect(youth).to_contain_text("Dana Ashby (grandmother)")
    expect(youth).to_contain_text("920-555-0199")
    expect(youth).to_contain_text("At school")


def submit_and_expect_summary(page, form_id, title):
    form = page.locator(f"#{form_id}")
    form.get_by_role("button").click()
    summary = page.locator(f"#{form_id} [data-error-summary]")
    expect(summary).to_be_focused()  # a new page came back: no browser pop-up stopped it
    expect(summary).to_contain_text(title)
    return page.locator(f"#{form_id}"), summary


def test_case_page_forms_use_the_apps_validation(open_as, personas, make_case):
    case = make_case(county="Outagamie", status="routed")
    hub = open_as("hub2.specialist", csp=True)
    hub.goto(f"/cases/{case.pk}/")

    # Note: empty.
    form, summary = submit_and_expect_summary(hub, "note-form", "The note was not added.")
    expect(form.get_by_label("Note")).to_have_accessible_description(
        "Write the note before adding it."
    )
    summary.get_by_role("link", name="Write the note before adding it.").click()
    expect(form.get_by_label("Note")).to_be_focused()

    # Close: no reason chosen; the form comes back open.
    hub.get_by_text("Close…").click()
    form, summary = submit_and_expect_summary(hub, "close-form", "The case was not closed.")
    expect(form.get_by_label("Closure reason")).to_be_visible()
    summary.get_by_role("link", name="Choose why the case is closed.").click()
    expect(form.get_by_label("Closure reason")).to_be_focused()

    # Consent: nothing filled in.
    hub.get_by_text("Record consent…").click()
    form, summary = submit_and_expect_summary(hub, "consent-form", "The consent was not recorded.")
    expect(summary.get_by_role("link")).to_have_count(4)
    summary.get_by_role("link", name="Say what may be shared, and why.").click()
    expect(form.get_by_label("What may be shared, and why")).to_be_focused()
    case.refresh_from_db()
    assert case.is_open
    assert not case.consents.exists()
    assert not case.notes.exists()


def test_declining_without_a_reason_is_refused_in_place(open_as, personas, make_case):
    case = make_case(county="Outagamie", status="routed")
    worker = open_as("outagamie.worker")
    worker.goto(f"/cases/{case.pk}/")

    worker.get_by_text("Decline…").click()
    form, summary = submit_and_expect_summary(
        worker, "decline-form", "The referral was not declined."
    )
    reason = form.get_by_label("Why is the referral declined?")
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert border_color(reason) == DANGER
    assert axe_violations(worker) == []
    screenshot(worker, "case-decline-error")
    summary.get_by_role("link", name="Say why the referral is declined.").click()
    expect(reason).to_be_focused()
    case.refresh_from_db()
    assert case.status == "routed"
