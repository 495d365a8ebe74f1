"""The forms people fill in, as they read them: the new-referral form (no answers chosen for
them, indicators by category, the age rule up front, an error summary in plain words,
the guardian and where the youth is now) and the case page's note, close, decline and
consent forms (the app's own validation, errors beside the field and in a summary)."""

import datetime
import html

import pytest
from django.test.html import Element, parse_html
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, Indicator, Youth
from regions.models import Agency, County
from tests.cases.test_pages import referral_post

pytestmark = pytest.mark.django_db

DJANGO_DEFAULTS = ("This field is required.", "Select a valid choice", "Enter a valid date")


def elements(node):
    """Every element under `node` (parsed with django.test.html), depth first."""
    for child in node.children:
        if isinstance(child, Element):
            yield child
            yield from elements(child)


def attrs(node) -> dict:
    return dict(node.attributes)


def text(node) -> str:
    parts = [c if isinstance(c, str) else text(c) for c in node.children]
    return " ".join(p.strip() for p in parts if p.strip())


def by_id(page, element_id):
    return next((e for e in elements(page) if attrs(e).get("id") == element_id), None)


def classed(page, name):
    return [e for e in elements(page) if name in (attrs(e).get("class") or "").split()]


@pytest.fixture
def hub(client_for, personas):
    return client_for(personas["hub2.specialist"])


def new_referral_page(hub):
    response = hub.get(reverse("cases:referral-new"))
    assert response.status_code == 200
    return parse_html(response.text)


class TestNothingIsChosenForTheUser:
    def test_gender_race_and_exploitation_start_unanswered_with_unknown_offered(self, hub):
        page = new_referral_page(hub)

        for select_id, placeholder in (
            ("id_youth-gender", "Choose gender"),
            ("id_youth-race_ethnicity", "Choose race/ethnicity"),
            ("id_youth-county", "Choose a county"),
            ("id_referral-source", "Choose a source"),
        ):
            options = [e for e in elements(by_id(page, select_id)) if e.name == "option"]
            assert text(options[0]) == placeholder
            assert attrs(options[0])["value"] == ""
            assert [text(o) for o in options if "selected" in attrs(o)] in ([], [placeholder])
        for select_id in ("id_youth-gender", "id_youth-race_ethnicity"):
            labels = [text(e) for e in elements(by_id(page, select_id)) if e.name == "option"]
            assert "Unknown or not disclosed" in labels

        radios = [
            e
            for e in elements(page)
            if e.name == "input" and attrs(e).get("name") == "referral-suspected_exploitation"
        ]
        assert [attrs(r)["value"] for r in radios] == ["sex", "labor", "both", "unknown"]
        assert not any("checked" in attrs(r) for r in radios)
        assert "---------" not in text(page)

    def test_a_referral_without_those_answers_is_refused_in_plain_words(self, hub):
        data = referral_post()
        for name in ("youth-gender", "youth-race_ethnicity", "referral-suspected_exploitation"):
            data.pop(name)

        response = hub.post(reverse("cases:referral-new"), data)

        assert response.status_code == 400
        shown = html.unescape(response.text)
        assert "Choose the youth's gender, or “Unknown or not disclosed”." in shown
        assert "Choose the youth's race or ethnicity" in shown
        assert "Choose the suspected exploitation, or “Unknown”." in shown
        assert not Youth.objects.filter(legal_last_name="Lindqvist").exists()

    def test_unknown_is_an_answer_like_any_other(self, hub):
        data = referral_post(
            **{
                "youth-gender": "unknown",
                "youth-race_ethnicity": "unknown",
                "referral-suspected_exploitation": "unknown",
            }
        )

        response = hub.post(reverse("cases:referral-new"), data)

        assert response.status_code == 302
        case = Case.objects.get(youth__legal_last_name="Lindqvist")
        assert (case.youth.gender, case.youth.race_ethnicity) == ("unknown", "unknown")
        assert case.referral.suspected_exploitation == "unknown"


class TestTheFormExplainsItself:
    def test_indicators_are_grouped_by_category_under_legends(self, hub):
        page = new_referral_page(hub)

        groups = {
            text(next(e for e in elements(group) if e.name == "legend")): [
                text(label) for label in elements(group) if label.name == "label"
            ]
            for group in classed(page, "indicator-group")
        }
        assert "Partner (boyfriend or girlfriend) much older" in groups["Relationships"]
        assert "Owes a debt to an employer or recruiter" in groups["Work and labor"]
        assert "Frequent or unexplained absence from school" in groups["School"]
        shown = sorted(label for labels in groups.values() for label in labels)
        offered = sorted(Indicator.objects.filter(active=True).values_list("label", flat=True))
        assert shown == offered  # every indicator once, none lost to the grouping
        assert all(group.name == "fieldset" for group in classed(page, "indicator-group"))

    def test_the_birth_date_or_age_rule_is_stated_before_saving(self, hub):
        page = new_referral_page(hub)

        rule = by_id(page, "age-rule")
        assert "If it is not, give an estimated age instead" in text(rule)
        group = next(e for e in elements(page) if attrs(e).get("aria-describedby") == "age-rule")
        assert group.name == "fieldset"
        assert by_id(group, "id_youth-date_of_birth") is not None
        assert by_id(group, "id_youth-estimated_age") is not None

    def test_the_guardian_and_where_the_youth_is_now_are_asked(self, hub):
        page = new_referral_page(hub)

        labels = {text(e) for e in elements(page) if e.name == "label"}
        assert {
            "Name of parent, guardian or caregiver",
            "Relationship to the youth",
            "Their phone or email",
            "Where the youth is now",
        } <= labels


class TestTheErrorSummary:
    def test_every_error_is_listed_and_links_to_its_field(self, hub):
        data = referral_post(
            **{
                "youth-legal_last_name": "",
                "youth-date_of_birth": "",
                "youth-county": "",
                "referral-narrative": "",
            }
        )
        data.pop("referral-suspected_exploitation")

        response = hub.post(reverse("cases:referral-new"), data)

        assert response.status_code == 400
        page = parse_html(response.text)
        summary = by_id(page, "form-errors")
        assert attrs(summary)["role"] == "alert"
        assert attrs(summary)["tabindex"] == "-1"
        assert "The referral was not saved." in text(summary)
        links = {text(a): attrs(a)["href"] for a in elements(summary) if a.name == "a"}
        assert links == {
            "Enter the youth's legal last name.": "#id_youth-legal_last_name",
            "Give a date of birth, or an estimated age if it is unknown.": (
                "#id_youth-date_of_birth"
            ),
            "Choose the county where the youth lives.": "#id_youth-county",
            "Describe the concerns: what was observed or reported.": "#id_referral-narrative",
            "Choose the suspected exploitation, or “Unknown”.": (
                "#id_referral-suspected_exploitation_0"
            ),
        }
        for href in links.values():  # each link leads somewhere real
            assert by_id(page, href[1:]) is not None
        for default in DJANGO_DEFAULTS:
            assert default not in response.text

    def test_each_invalid_field_is_marked_and_described_by_its_error(self, hub):
        response = hub.post(
            reverse("cases:referral-new"),
            referral_post(**{"youth-legal_last_name": "", "youth-estimated_age": "40"}),
        )

        page = parse_html(response.text)
        last_name = by_id(page, "id_youth-legal_last_name")
        assert attrs(last_name)["aria-invalid"] == "true"
        assert "id_youth-legal_last_name_error" in attrs(last_name)["aria-describedby"]
        assert text(by_id(page, "id_youth-legal_last_name_error")) == (
            "Enter the youth's legal last name."
        )
        assert text(by_id(page, "id_youth-estimated_age_error")) == (
            "Enter an estimated age of 25 or under."
        )

    def test_a_long_answer_is_refused_in_plain_words(self, hub):
        response = hub.post(
            reverse("cases:referral-new"),
            referral_post(**{"youth-guardian_relationship": "x" * 61}),
        )

        assert response.status_code == 400
        assert (
            "Use 60 characters or fewer for “Relationship to the youth” (this has 61)."
            in response.text
        )

    def test_no_summary_before_anything_is_sent(self, hub):
        page = new_referral_page(hub)

        assert by_id(page, "form-errors") is None
        assert not classed(page, "field--error")


class TestGuardianAndWhereaboutsOnTheCase:
    GUARDIAN = {
        "youth-guardian_name": "Marisol Lindqvist",
        "youth-guardian_relationship": "aunt",
        "youth-guardian_contact": "920-555-0142",
        "youth-current_location": "With her aunt in Appleton",
    }

    def test_they_are_saved_on_the_youth_and_shown_on_the_case_page(self, hub):
        response = hub.post(reverse("cases:referral-new"), referral_post(**self.GUARDIAN))

        assert response.status_code == 302
        youth = Youth.objects.get(legal_last_name="Lindqvist")
        assert (youth.guardian_name, youth.guardian_relationship) == ("Marisol Lindqvist", "aunt")
        assert youth.guardian_contact == "920-555-0142"
        assert youth.current_location == "With her aunt in Appleton"
        page = hub.get(response["Location"]).text
        assert "Marisol Lindqvist (aunt)" in page
        assert "920-555-0142" in page
        assert "With her aunt in Appleton" in page

    def test_safe_at_home_hides_the_address_and_whereabouts_but_not_the_guardians_phone(self, hub):
        response = hub.post(
            reverse("cases:referral-new"),
            referral_post(
                **self.GUARDIAN,
                **{"youth-address": "12 Elm Street", "youth-safe_at_home": "on"},
            ),
        )

        page = hub.get(response["Location"]).text
        assert "Elm Street" not in page
        assert "With her aunt in Appleton" not in page  # where the youth can be found
        assert page.count("Confidential (Safe at Home)") == 2
        assert "920-555-0142" in page  # a way to reach the guardian, not where the youth lives

    def test_not_recorded_says_so(self, hub):
        response = hub.post(reverse("cases:referral-new"), referral_post())

        page = parse_html(hub.get(response["Location"]).text)
        facts = {
            text(e.children[0]): text(e.children[1])
            for e in elements(page)
            if e.name == "div"
            and [c.name for c in e.children if isinstance(c, Element)] == ["dt", "dd"]
        }
        assert facts["Where the youth is now"] == "Not recorded"
        assert facts["Parent, guardian or caregiver"] == "Not recorded"


class TestCasePageForms:
    """Close, decline, consent and note: the app validates (novalidate, no browser pop-up),
    and a refused post re-renders the case page with that form open, its errors beside
    the fields and in a summary focused on load."""

    def case_page(self, client, case):
        return parse_html(client.get(reverse("cases:detail", args=[case.pk])).text)

    def test_the_forms_leave_validation_to_the_app(self, client_for, personas, routed_case):
        hub_page = self.case_page(client_for(personas["hub2.specialist"]), routed_case)
        agency_page = self.case_page(client_for(personas["outagamie.worker"]), routed_case)

        for page, form_id in (
            (hub_page, "note-form"),
            (hub_page, "close-form"),
            (hub_page, "consent-form"),
            (agency_page, "decline-form"),
        ):
            form = by_id(page, form_id)
            assert form is not None, form_id
            assert "novalidate" in attrs(form), form_id

    def refused(self, response, summary_id, title):
        assert response.status_code == 400
        page = parse_html(response.text)
        summary = by_id(page, summary_id)
        assert summary is not None
        assert attrs(summary)["role"] == "alert"
        assert title in text(summary)
        details = next(d for d in elements(page) if d.name == "details" and by_id(d, summary_id))
        assert "open" in attrs(details)  # the form is open, its errors in view
        for default in DJANGO_DEFAULTS:
            assert default not in response.text
        return page, summary

    def test_an_empty_note(self, client_for, personas, routed_case):
        client = client_for(personas["hub2.specialist"])

        response = client.post(reverse("cases:note", args=[routed_case.pk]), {"body": ""})

        assert response.status_code == 400
        page = parse_html(response.text)
        summary = by_id(page, "note-errors")
        assert "The note was not added." in text(summary)
        links = [attrs(a)["href"] for a in elements(summary) if a.name == "a"]
        assert links == ["#id_body"]
        assert text(by_id(page, "id_body_error")) == "Write the note before adding it."
        assert attrs(by_id(page, "id_body"))["aria-invalid"] == "true"
        assert not routed_case.notes.exists()

    def test_closing_without_a_reason(self, client_for, personas, routed_case):
        client = client_for(personas["hub2.specialist"])

        response = client.post(
            reverse("cases:close", args=[routed_case.pk]),
            {"reason": "", "expected_status": routed_case.status},
        )

        page, summary = self.refused(response, "close-errors", "The case was not closed.")
        assert [attrs(a)["href"] for a in elements(summary) if a.name == "a"] == ["#id_reason"]
        assert "Choose why the case is closed." in text(by_id(page, "close-form"))
        routed_case.refresh_from_db()
        assert routed_case.is_open

    def test_declining_without_a_reason(self, client_for, personas, routed_case):
        client = client_for(personas["outagamie.worker"])

        response = client.post(
            reverse("cases:decline", args=[routed_case.pk]),
            {"reason": "  ", "expected_status": routed_case.status},
        )

        page, _ = self.refused(response, "decline-errors", "The referral was not declined.")
        assert "Say why the referral is declined." in text(by_id(page, "decline-form"))
        routed_case.refresh_from_db()
        assert routed_case.status == "routed"

    def test_consent_without_dates(self, client_for, personas, routed_case):
        client = client_for(personas["hub2.specialist"])
        agency = Agency.objects.get(name="Outagamie County Human Services")

        response = client.post(
            reverse("cases:consent", args=[routed_case.pk]),
            {"recipient": agency.pk, "scope": "", "signed_on": "", "expires_on": "soon"},
        )

        _, summary = self.refused(response, "consent-errors", "The consent was not recorded.")
        assert {text(a) for a in elements(summary) if a.name == "a"} == {
            "Say what may be shared, and why.",
            "Enter the date the consent was signed.",
            "Enter the date the consent expires as a real date.",
        }
        assert not routed_case.consents.exists()

    def test_a_valid_note_still_goes_through(self, client_for, personas, routed_case):
        client = client_for(personas["hub2.specialist"])

        response = client.post(
            reverse("cases:note", args=[routed_case.pk]), {"body": "Called the school."}
        )

        assert response.status_code == 302
        page = client.get(response["Location"]).text
        assert "Called the school." in page
        assert 'id="note-errors"' not in page


class TestReferralApi:
    """API clients send the new fields too; leaving out gender and the other choices
    still means "unknown" for them (the form asks; a script may not know)."""

    def payload(self, **youth):
        return {
            "received_at": (timezone.now() - datetime.timedelta(hours=1)).isoformat(),
            "source": "hotline",
            "narrative": "Caller worried about a 15-year-old working nights.",
            "youth": {
                "legal_first_name": "Tomas",
                "legal_last_name": "Reyes",
                "estimated_age": 15,
                "county": County.objects.get(name="Outagamie").fips,
                **youth,
            },
        }

    def test_the_guardian_and_whereabouts_go_in_and_come_back(self, personas):
        client = APIClient()
        client.force_authenticate(personas["hub2.specialist"])

        created = client.post(
            reverse("referral-list"),
            self.payload(
                guardian_name="Ana Reyes",
                guardian_relationship="mother",
                guardian_contact="ana@example.org",
                current_location="At the county shelter",
            ),
            format="json",
        )

        assert created.status_code == 201, created.json()
        case = Case.objects.get(pk=created.json()["case"])
        youth = client.get(reverse("case-detail", args=[case.pk])).json()["youth"]
        assert youth["guardian_name"] == "Ana Reyes"
        assert youth["guardian_relationship"] == "mother"
        assert youth["guardian_contact"] == "ana@example.org"
        assert youth["current_location"] == "At the county shelter"

    def test_a_safe_at_home_youths_whereabouts_are_not_sent(self, personas):
        client = APIClient()
        client.force_authenticate(personas["hub2.specialist"])
        payload = self.payload(current_location="At the county shelter")
        payload["youth"]["safe_at_home"] = True
        created = client.post(reverse("referral-list"), payload, format="json")
        assert created.status_code == 201, created.json()
        case_id = created.json()["case"]
        youth = client.get(reverse("case-detail", args=[case_id])).json()["youth"]
        assert youth["current_location"] == ""
        assert Youth.objects.get(pk=Case.objects.get(pk=case_id).youth_id).current_location

    def test_choices_left_out_stay_unknown(self, personas):
        client = APIClient()
        client.force_authenticate(personas["hub2.specialist"])

        created = client.post(reverse("referral-list"), self.payload(), format="json")

        assert created.status_code == 201, created.json()
        case = Case.objects.get(pk=created.json()["case"])
        assert (case.youth.gender, case.youth.race_ethnicity) == ("unknown", "unknown")
        assert case.referral.suspected_exploitation == "unknown"
        assert case.youth.guardian_name == ""
