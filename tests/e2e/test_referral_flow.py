"""The heart of HubNet in a real browser: log, route, accept; strangers see nothing; all logged."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, CaseAccess
from tests.e2e.conftest import TABLET, axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_route_accept_and_the_access_log(open_as, personas):
    # The hub specialist logs a referral.
    hub = open_as("hub2.specialist")
    hub.get_by_role("link", name="New referral").first.click()
    expect(hub.get_by_role("heading", level=1)).to_have_text("New referral")
    hub.get_by_label("Legal first name").fill("Avery")
    hub.get_by_label("Legal last name").fill("Brightwater")
    hub.get_by_label("Date of birth").fill("2010-05-17")
    hub.get_by_label("Gender").select_option(label="Female")
    hub.get_by_label("Race/ethnicity").select_option(label="Unknown or not disclosed")
    hub.get_by_label("County of residence").select_option(label="Outagamie County")
    hub.get_by_role("combobox", name=re.compile(r"^Source")).select_option(label="School")
    hub.get_by_label("Concerns").fill(
        "Counselor reports an older adult picks the student up daily."
    )
    hub.get_by_label("Sex", exact=True).check()  # suspected exploitation: none chosen first
    hub.get_by_label("Partner (boyfriend or girlfriend) much older").check()
    assert axe_violations(hub) == []
    screenshot(hub, "referral-form")
    hub.get_by_role("button", name="Log referral").click()

    expect(hub.get_by_role("heading", level=1)).to_have_text("Avery Brightwater")
    case = Case.objects.get(youth__legal_last_name="Brightwater")
    expect(hub.get_by_text(f"Referral logged as case {case.number}.")).to_be_visible()

    # Screens and routes it to Outagamie.
    hub.get_by_label("Suspected").check()
    hub.get_by_role("button", name="Save screening").click()
    hub.get_by_role("link", name="Route to an agency").click()
    hub.get_by_label("Route to agency").select_option(
        label="Outagamie County Human Services (Resource Agency)"
    )
    assert axe_violations(hub) == []
    screenshot(hub, "route")
    hub.get_by_role("button", name="Route case").click()
    expect(hub.locator(".status")).to_have_text("Routed, awaiting acceptance")
    assert axe_violations(hub) == []
    screenshot(hub, "case-routed-hub")

    # The Outagamie worker finds it in the caseload and accepts.
    worker = open_as("outagamie.worker")
    worker.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    expect(worker.get_by_role("link", name=case.number)).to_be_visible()
    assert axe_violations(worker) == []
    screenshot(worker, "caseload")
    worker.get_by_role("link", name=case.number).click()
    worker.get_by_role("button", name="Accept referral").click()
    expect(worker.locator(".status")).to_have_text("Accepted")
    expect(worker.get_by_text(f"You accepted case {case.number}.")).to_be_visible()
    screenshot(worker, "case-accepted-agency")
    worker.set_viewport_size(TABLET)
    screenshot(worker, "case-accepted-agency-tablet")

    # The worker records the law-enforcement cross-notification (a 12-hour rule).
    step = worker.locator("#step-le_notification")
    expect(step.locator(".step-state")).to_have_text(re.compile("Due soon|To do"))
    step.get_by_text("Record…").click()
    notified = (timezone.localtime() - datetime.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")
    step.get_by_label("Notified at").fill(notified)
    step.get_by_label("Law enforcement agency").fill("Appleton Police Department")
    step.get_by_role("button", name="Mark done").click()
    expect(
        worker.get_by_text("'Law enforcement and CPS cross-notified' recorded.")
    ).to_be_visible()
    expect(worker.locator("#step-le_notification .step-state")).to_have_text("Done")
    assert axe_violations(worker) == []
    screenshot(worker, "checklist-agency")

    # Brown's worker, given the URL, learns nothing.
    brown = open_as("brown.worker")
    response = brown.goto(f"/cases/{case.pk}/")
    assert response.status == 404
    expect(brown.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(brown.get_by_text("Brightwater")).to_have_count(0)

    # The hub sees who looked.
    hub.reload()
    hub.get_by_role("link", name="Who looked at this record").click()
    people = hub.get_by_role("table", name="Who has seen this case, by person")
    expect(people).to_contain_text("outagamie.worker")
    refused = people.get_by_role("row").filter(has_text="brown.worker").locator(".denied")
    expect(refused).to_have_text("1")
    table = hub.get_by_role("table", name=f"Every view of and attempt on case {case.number}")
    expect(table).to_contain_text("outagamie.worker")
    expect(table).to_contain_text("hub2.specialist")
    expect(table.get_by_role("row").filter(has_text="brown.worker")).to_contain_text("Refused")
    assert axe_violations(hub) == []
    screenshot(hub, "access-log")

    # The hub sees the step done, by whom.
    hub.goto(f"/cases/{case.pk}/")
    le_step = hub.locator("#step-le_notification")
    expect(le_step.locator(".step-state")).to_have_text("Done")
    expect(le_step).to_contain_text("Done by Olivia Appleton")
    expect(le_step).to_contain_text("Appleton Police Department")
    screenshot(hub, "checklist-hub")

    views = CaseAccess.objects.filter(case=case, granted=True, channel="page")
    assert {a.user.username for a in views} == {"hub2.specialist", "outagamie.worker"}
    assert CaseAccess.objects.filter(
        case=case, user__username="brown.worker", granted=False
    ).exists()


def test_form_errors_are_announced_and_nothing_is_saved(open_as, personas):
    hub = open_as("hub2.specialist")
    hub.goto("/referrals/new/")
    hub.get_by_label("Legal first name").fill("Kai")
    hub.get_by_role("button", name="Log referral").click()

    alert = hub.get_by_role("alert").first
    expect(alert).to_contain_text("The referral was not saved")
    expect(alert).to_be_focused()
    expect(hub.get_by_label("Legal last name")).to_have_attribute("aria-invalid", "true")
    expect(hub.get_by_label("Legal first name")).to_have_value("Kai")
    assert axe_violations(hub) == []
    screenshot(hub, "referral-form-errors")
    assert not Case.objects.exists()


def test_possible_duplicates_are_offered_while_typing(open_as, personas, make_case):
    case = make_case(county="Brown", first="Jordan", last="Whitfeather")
    hub = open_as("hub2.specialist")
    hub.goto("/referrals/new/")

    hub.get_by_label("Legal first name").fill("Jordan")
    hub.get_by_label("Legal last name").press_sequentially("Whitf")

    link = hub.get_by_role("button", name=re.compile("Link to Jordan Whitfeather"))
    expect(link).to_be_visible()
    expect(hub.locator("#youth-matches")).to_contain_text(f"Case {case.number}")
    expect(hub.locator("#youth-matches")).to_contain_text("Brown County")
    link.click()
    expect(hub.locator("#linked-panel")).to_be_visible()
    expect(hub.locator("#linked-panel")).to_contain_text("Linked to Jordan Whitfeather")
    expect(hub.get_by_label("County of residence")).to_be_disabled()
    assert axe_violations(hub) == []
    screenshot(hub, "referral-duplicate-linked")


def test_changing_the_name_after_linking_removes_the_link(open_as, personas, make_case):
    """The wrong-child bug: link Emma Diaz, change the last name to Dixon, save: the
    referral went to Emma Diaz and the county, birth date and missing flag were dropped."""
    emma = make_case(county="Brown", first="Emma", last="Diaz")
    hub = open_as("hub2.specialist")
    hub.goto("/referrals/new/")
    hub.get_by_label("Legal first name").fill("Emma")
    hub.get_by_label("Legal last name").press_sequentially("Diaz")
    hub.get_by_role("button", name=re.compile("Link to Emma Diaz")).click()
    expect(hub.locator("#linked-panel")).to_be_visible()

    last_name = hub.get_by_label("Legal last name")
    last_name.fill("Dixon")
    last_name.dispatch_event("input")

    expect(hub.locator("#linked-panel")).to_be_hidden()
    expect(hub.locator("#id_referral-existing_youth")).to_have_value("")
    expect(hub.get_by_role("status").filter(has_text="Link removed")).to_be_attached()
    expect(hub.get_by_label("County of residence")).to_be_enabled()
    hub.get_by_label("Date of birth").fill("2011-04-09")
    hub.get_by_label("County of residence").select_option(label="Outagamie County")
    hub.get_by_label("Missing from care").check()
    hub.get_by_label("Gender").select_option(label="Female")
    hub.get_by_label("Race/ethnicity").select_option(label="Hispanic or Latino")
    hub.get_by_role("combobox", name=re.compile(r"^Source")).select_option(label="School")
    hub.get_by_label("Concerns").fill("A teacher reports bruises and an older boyfriend.")
    hub.get_by_label("Unknown", exact=True).check()  # suspected exploitation
    hub.get_by_role("button", name="Log referral").click()

    expect(hub.get_by_role("heading", level=1)).to_have_text("Emma Dixon")
    dixon = Case.objects.get(youth__legal_last_name="Dixon")
    assert dixon.youth_id != emma.youth_id
    assert (dixon.youth.county.name, dixon.youth.missing_from_care) == ("Outagamie", True)
    assert emma.youth.cases.count() == 1


def test_unlink_gives_back_what_was_typed(open_as, personas, make_case):
    make_case(county="Brown", first="Rowan", last="Ashby")
    hub = open_as("hub2.specialist")
    hub.goto("/referrals/new/")
    hub.get_by_label("Legal first name").fill("Rowan")
    hub.get_by_label("Preferred name or alias").fill("Ro")
    hub.get_by_label("Legal last name").press_sequentially("Ashby")
    hub.get_by_role("button", name=re.compile("Link to Rowan Ashby")).click()
    expect(hub.get_by_label("Preferred name or alias")).to_be_disabled()

    hub.get_by_role("button", name="Unlink").click()

    expect(hub.locator("#linked-panel")).to_be_hidden()
    expect(hub.get_by_label("Preferred name or alias")).to_have_value("Ro")
    expect(hub.get_by_label("Preferred name or alias")).to_be_enabled()


def test_a_youth_from_another_region_is_flagged_before_saving(open_as, personas):
    hub = open_as("hub2.specialist")
    hub.goto("/referrals/new/")

    hub.get_by_label("County of residence").select_option(label="Dane County")

    warning = hub.locator("#county-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Region 5")
    expect(hub.get_by_label(re.compile("^Hand over"))).to_be_visible()
    assert axe_violations(hub) == []
    screenshot(hub, "referral-other-region")
    hub.get_by_label("County of residence").select_option(label="Brown County")
    expect(warning).to_be_hidden()


def test_an_unfinished_step_shows_as_overdue_when_the_clock_moves(open_as, personas, make_case):
    case = make_case(county="Outagamie", status="accepted")
    hub = open_as("hub2.specialist")
    hub.goto(f"/cases/{case.pk}/")
    federal = hub.locator("#step-federal_le_report .step-state")
    expect(federal).to_have_text(re.compile("To do|Due soon"))

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=30), tick=True):
        hub = open_as("hub2.specialist")  # the 8-hour session ended meanwhile
        hub.goto(f"/cases/{case.pk}/")
        expect(hub.locator("#step-federal_le_report .step-state")).to_have_text(
            re.compile(r"Overdue by \d+ h")
        )
        expect(hub.locator("#step-le_notification .step-state")).to_contain_text("Overdue")
        hub.get_by_role("link", name="Hub queue").click()
        expect(hub.locator("#overdue")).to_contain_text(case.number)
        assert axe_violations(hub) == []
        screenshot(hub, "hub-queue-overdue")
