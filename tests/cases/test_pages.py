import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessChannel, Case, CaseAccess, Indicator, Status, Youth
from regions.models import Agency, County

pytestmark = pytest.mark.django_db


def referral_post(**overrides):
    data = {
        "youth-legal_first_name": "Harper",
        "youth-legal_last_name": "Lindqvist",
        "youth-date_of_birth": "2010-02-03",
        "youth-gender": "female",
        "youth-race_ethnicity": "white",
        "youth-county": County.objects.get(name="Outagamie").pk,
        "referral-received_at": (timezone.localtime() - datetime.timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "referral-source": "school",
        "referral-narrative": "Counselor saw an older man pick her up from school daily.",
        "referral-suspected_exploitation": "sex",
        "referral-indicators": [Indicator.objects.get(key="older_partner").pk],
    }
    data.update(overrides)
    return data


class TestNewReferral:
    def test_form_is_labelled(self, client_for, personas):
        response = client_for(personas["hub2.specialist"]).get(reverse("cases:referral-new"))

        assert response.status_code == 200
        for field in ("youth-legal_first_name", "youth-date_of_birth", "referral-narrative"):
            assert f'<label for="id_{field}">' in response.text
        assert "<legend>Indicators" in response.text

    def test_logging_a_referral_opens_the_case(self, client_for, personas):
        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:referral-new"), referral_post()
        )

        case = Case.objects.get(youth__legal_last_name="Lindqvist")
        assert response.status_code == 302
        assert response["Location"] == reverse("cases:detail", args=[case.pk])
        assert case.status == Status.RECEIVED
        assert list(case.referral.indicators.values_list("key", flat=True)) == ["older_partner"]

    def test_errors_are_shown_next_to_the_fields_and_nothing_is_saved(self, client_for, personas):
        before = (Youth.objects.count(), Case.objects.count())

        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:referral-new"),
            referral_post(
                **{
                    "youth-date_of_birth": "",
                    "referral-narrative": "",
                    "referral-source": "carrier pigeon",
                }
            ),
        )

        assert response.status_code == 400
        text = response.text
        assert 'role="alert"' in text
        assert 'id="id_youth-date_of_birth_error"' in text
        assert "Give a date of birth, or an estimated age" in text
        assert 'aria-invalid="true"' in text
        assert 'id="id_referral-narrative_error"' in text
        assert "Choose the source from the list." in text  # plain words, not Django's
        assert 'value="Harper"' in text  # what was typed is kept
        assert (Youth.objects.count(), Case.objects.count()) == before

    def linked_post(self, youth, **overrides):
        """What the page sends while linked: the identity fields and the situation fields
        (the record's other fields are shown read-only and not sent)."""
        data = referral_post(
            **{
                "referral-existing_youth": str(youth.pk),
                "youth-legal_first_name": youth.legal_first_name,
                "youth-legal_last_name": youth.legal_last_name,
                "youth-date_of_birth": youth.date_of_birth.isoformat()
                if youth.date_of_birth
                else "",
                "youth-tribe": youth.tribe_id or "",
            }
        )
        for name in ("gender", "race_ethnicity", "county"):
            data.pop(f"youth-{name}")
        data.update(overrides)
        return data

    def test_linking_an_existing_youth_instead_of_a_duplicate(
        self, client_for, personas, routed_case
    ):
        client = client_for(personas["hub2.specialist"])

        response = client.post(reverse("cases:referral-new"), self.linked_post(routed_case.youth))

        assert response.status_code == 302
        assert routed_case.youth.cases.count() == 2

    def test_a_link_that_does_not_match_what_was_typed_is_refused(
        self, client_for, personas, routed_case
    ):
        """The wrong-child bug: 'Emma Diaz' linked, last name changed to 'Dixon', saved under
        Emma Diaz with the typed county, birth date and missing flag dropped."""
        client = client_for(personas["hub2.specialist"])
        youth = routed_case.youth
        typed = referral_post(
            **{
                "referral-existing_youth": str(youth.pk),
                "youth-legal_first_name": youth.legal_first_name,
                "youth-legal_last_name": "Dixon",
                "youth-county": County.objects.get(name="Brown").pk,
                "youth-missing_from_care": "on",
            }
        )

        response = client.post(reverse("cases:referral-new"), typed)

        assert response.status_code == 400
        assert "differs from the linked youth" in response.text
        assert "legal last name" in response.text
        assert youth.cases.count() == 1
        assert not Youth.objects.filter(legal_last_name="Dixon").exists()
        assert 'value="Dixon"' in response.text  # nothing typed is lost

    def test_a_linked_referral_updates_the_youth_situation_on_the_timeline(
        self, client_for, personas, routed_case
    ):
        client = client_for(personas["hub2.specialist"])
        youth = routed_case.youth
        assert not youth.missing_from_care

        response = client.post(
            reverse("cases:referral-new"),
            self.linked_post(youth, **{"youth-missing_from_care": "on"}),
        )

        assert response.status_code == 302
        youth.refresh_from_db()
        assert youth.missing_from_care
        assert routed_case.events.filter(
            kind="youth_updated", reason__icontains="missing"
        ).exists()

    def test_a_youth_from_another_region_is_handed_over_only_when_confirmed(
        self, client_for, personas
    ):
        client = client_for(personas["hub2.specialist"])
        dane = {"youth-county": County.objects.get(name="Dane").pk}

        warned = client.post(reverse("cases:referral-new"), referral_post(**dane))

        assert warned.status_code == 400
        assert "Region 5" in warned.text
        assert "Hand over" in warned.text
        assert not Youth.objects.filter(legal_last_name="Lindqvist").exists()

        handed = client.post(
            reverse("cases:referral-new"), referral_post(**dane, **{"referral-handover": "on"})
        )

        assert handed.status_code == 302
        assert handed["Location"] == reverse("cases:hub-queue")
        case = Case.objects.get(youth__legal_last_name="Lindqvist")
        assert case.region.number == 5
        queue = client_for(personas["hub5.specialist"]).get(reverse("cases:hub-queue"))
        assert case.number in queue.text
        matches = client_for(personas["hub5.specialist"]).get(
            reverse("cases:youth-matches"),
            {"youth-legal_first_name": "Harper", "youth-legal_last_name": "Lindqvist"},
        )
        assert "Link to Harper Lindqvist" in matches.text  # hub 5's duplicate check finds it

    def test_the_match_panel_sends_no_address(self, client_for, personas, make_case):
        make_case(county="Brown", first="Lane", last="Zyskowski", address="12 Elm Street")

        response = client_for(personas["hub2.specialist"]).get(
            reverse("cases:youth-matches"), {"youth-legal_last_name": "Zy"}
        )

        assert "Link to Lane Zyskowski" in response.text
        assert "Elm Street" not in response.text

    def test_the_match_panel_shows_enough_to_decide(self, client_for, personas, routed_case):
        youth = routed_case.youth

        response = client_for(personas["hub2.specialist"]).get(
            reverse("cases:youth-matches"),
            {
                "youth-legal_first_name": youth.legal_first_name,
                "youth-legal_last_name": youth.legal_last_name,
            },
        )

        assert f"Case {routed_case.number}" in response.text
        assert "Routed, awaiting acceptance" in response.text
        assert "last referral" in response.text
        assert f"{youth.county.name} County" in response.text

    def test_possible_matches_while_typing(self, client_for, personas, make_case):
        make_case(county="Brown", first="Harper", last="Lindqvist")
        make_case(county="Dane", first="Harriet", last="Lindgren")

        response = client_for(personas["hub2.specialist"]).get(
            reverse("cases:youth-matches"),
            {"youth-legal_first_name": "Har", "youth-legal_last_name": "Lind"},
            headers={"HX-Request": "true"},
        )

        assert "Link to Harper Lindqvist" in response.text
        assert "Harriet" not in response.text  # region 5's youth is not offered

    def test_agency_staff_cannot_log_referrals(self, client_for, personas):
        response = client_for(personas["outagamie.worker"]).post(
            reverse("cases:referral-new"), referral_post()
        )
        assert response.status_code == 403
        assert not Case.objects.filter(youth__legal_last_name="Lindqvist").exists()


class TestRouting:
    def test_agencies_serving_the_youth_come_first_resource_agencies_first(
        self, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.SCREENED)

        response = client_for(personas["hub2.specialist"]).get(
            reverse("cases:route", args=[case.pk])
        )

        text = response.text
        serving = text.index("Serves the youth&#x27;s county or tribe")
        others = text.index("Region 2 · County agencies (consent or legal basis needed)")
        assert serving < text.index("Outagamie County Human Services (Resource Agency)") < others
        assert others < text.index("Calumet County Human Services")

    def test_routing_outside_without_consent_shows_the_error_on_the_agency_field(
        self, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.SCREENED)

        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:route", args=[case.pk]),
            {
                "agency": Agency.objects.get(county__name="Calumet").pk,
                "expected_status": "screened",
            },
        )

        assert response.status_code == 400
        assert 'id="id_agency_error"' in response.text
        assert "Record a current consent" in response.text
        case.refresh_from_db()
        assert case.status == Status.SCREENED

    def test_routing_to_the_county_agency(self, client_for, personas, make_case):
        case = make_case(county="Outagamie", status=Status.SCREENED)

        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:route", args=[case.pk]),
            {
                "agency": Agency.objects.get(county__name="Outagamie").pk,
                "expected_status": "screened",
            },
            follow=True,
        )

        case.refresh_from_db()
        assert case.status == Status.ROUTED
        assert f"Case {case.number} routed to Outagamie County Human Services." in response.text


class TestAgencyActions:
    def test_accept(self, client_for, personas, routed_case):
        response = client_for(personas["outagamie.worker"]).post(
            reverse("cases:accept", args=[routed_case.pk]),
            {"expected_status": "routed"},
            follow=True,
        )
        routed_case.refresh_from_db()
        assert routed_case.status == Status.ACCEPTED
        assert "You accepted case" in response.text

    def test_a_stale_page_gets_a_clear_message_and_changes_nothing(
        self, client_for, personas, routed_case
    ):
        client = client_for(personas["outagamie.worker"])
        client.post(reverse("cases:accept", args=[routed_case.pk]), {"expected_status": "routed"})

        response = client.post(
            reverse("cases:decline", args=[routed_case.pk]),
            {"expected_status": "routed", "reason": "Not ours", "confirmed": "on"},
            follow=True,
        )

        assert "changed while you were looking at it" in response.text
        routed_case.refresh_from_db()
        assert routed_case.status == Status.ACCEPTED

    def test_decline_without_reason_is_explained_next_to_the_field(
        self, client_for, personas, routed_case
    ):
        response = client_for(personas["outagamie.worker"]).post(
            reverse("cases:decline", args=[routed_case.pk]),
            {"expected_status": "routed", "reason": ""},
        )
        assert response.status_code == 400
        assert 'id="id_reason_error"' in response.text
        assert "<details open>" in response.text

    def test_declining_sends_the_worker_back_to_the_caseload(
        self, client_for, personas, routed_case
    ):
        client = client_for(personas["outagamie.worker"])
        response = client.post(
            reverse("cases:decline", args=[routed_case.pk]),
            {"expected_status": "routed", "reason": "Wrong county", "confirmed": "on"},
        )
        assert response["Location"] == reverse("cases:list")
        assert client.get(reverse("cases:detail", args=[routed_case.pk])).status_code == 404

    def test_brown_gets_the_not_found_page(self, client_for, personas, routed_case):
        response = client_for(personas["brown.worker"]).get(
            reverse("cases:detail", args=[routed_case.pk])
        )
        assert response.status_code == 404
        assert "<h1>Not found</h1>" in response.text
        assert routed_case.youth.legal_last_name not in response.text


class TestCasePage:
    def test_shows_referral_timeline_and_records_the_view(self, client_for, personas, routed_case):
        response = client_for(personas["outagamie.worker"]).get(
            reverse("cases:detail", args=[routed_case.pk]), REMOTE_ADDR="192.0.2.10"
        )
        assert response.status_code == 200
        assert routed_case.number in response.text
        assert "Referral logged" in response.text
        assert "Routed</strong> to Outagamie" in response.text
        access = CaseAccess.objects.get(case=routed_case, user=personas["outagamie.worker"])
        assert (access.channel, access.ip_address, access.granted) == (
            AccessChannel.PAGE,
            "192.0.2.10",
            True,
        )

    def test_a_search_hit_is_logged_shown_then_opened(self, client_for, personas, routed_case):
        client = client_for(personas["hub2.specialist"])
        client.get(reverse("cases:list"), {"q": routed_case.youth.legal_last_name})
        client.get(reverse("cases:detail", args=[routed_case.pk]))
        channels = CaseAccess.objects.filter(case=routed_case).order_by("id")
        assert list(channels.values_list("channel", flat=True)) == [
            AccessChannel.SEARCH,
            AccessChannel.PAGE,
        ]

    def test_a_safe_at_home_address_is_never_shown(self, client_for, personas, make_case):
        case = make_case(county="Outagamie", safe_at_home=True, address="12 Hidden Lane, Appleton")
        response = client_for(personas["hub2.specialist"]).get(
            reverse("cases:detail", args=[case.pk])
        )
        assert "Hidden Lane" not in response.text
        assert "Confidential (Safe at Home)" in response.text

    def test_state_admin_gets_a_friendly_page_and_the_attempt_is_logged(
        self, client_for, personas, routed_case
    ):
        response = client_for(personas["state.admin"]).get(
            reverse("cases:detail", args=[routed_case.pk])
        )
        assert response.status_code == 403
        assert "Case records are not part of your role" in response.text
        assert routed_case.youth.legal_last_name not in response.text
        assert (
            CaseAccess.objects.get(case=routed_case, user=personas["state.admin"]).granted is False
        )

    def test_access_log_page_lists_views(self, client_for, personas, routed_case):
        client_for(personas["outagamie.worker"]).get(
            reverse("cases:detail", args=[routed_case.pk])
        )
        response = client_for(personas["hub2.specialist"]).get(
            reverse("cases:access-log", args=[routed_case.pk])
        )
        assert "outagamie.worker" in response.text
        assert "Case page" in response.text


class TestCaseList:
    def test_filters_and_search_stay_inside_the_door(self, client_for, personas, make_case):
        mine = make_case(county="Outagamie", status=Status.ACTIVE, first="Quincy", last="Ashgrove")
        make_case(county="Brown", status=Status.ROUTED, first="Quincy", last="Ashgrove")
        client = client_for(personas["outagamie.worker"])

        found = client.get(reverse("cases:list"), {"q": "Ashgrove"}).text
        active = client.get(reverse("cases:list"), {"status": "active"}).text
        routed = client.get(reverse("cases:list"), {"status": "routed"}).text

        assert found.count("Quincy Ashgrove") == 1
        assert mine.number in found
        assert mine.number in active
        assert mine.number not in routed
        assert f"{mine.number}</a>" in client.get(reverse("cases:list"), {"worker": "me"}).text

    def test_county_filter(self, client_for, personas, make_case):
        brown = make_case(county="Brown")
        outagamie = make_case(county="Outagamie")
        text = (
            client_for(personas["hub2.specialist"])
            .get(reverse("cases:list"), {"county": "55009"})
            .text
        )
        assert brown.number in text
        assert outagamie.number not in text

    def test_keyset_pages_do_not_overlap(self, client_for, personas, make_case, monkeypatch):
        from cases.views import lists

        numbers = [make_case(county="Outagamie").number for _ in range(7)]
        client = client_for(personas["hub2.specialist"])
        monkeypatch.setattr(lists, "PAGE_SIZE", 3)
        seen = []
        url = reverse("cases:list") + "?sort=number"
        for _ in range(3):
            response = client.get(url)
            seen += [n for n in numbers if f"{n}</a>" in response.text]
            if 'rel="next"' not in response.text:
                break
            next_link = re.search(r'href="([^"]+)" rel="next"', response.text).group(1)
            url = reverse("cases:list") + html.unescape(next_link)
        assert seen == sorted(numbers)

    def test_query_count_does_not_grow_with_the_caseload(self, client_for, personas, make_case):
        client = client_for(personas["outagamie.worker"])

        def queries():
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse("cases:list")).status_code == 200
            return len(ctx.captured_queries)

        for _ in range(5):
            make_case(county="Outagamie", status=Status.ACTIVE)
        at_5 = queries()
        for _ in range(95):
            make_case(county="Outagamie", status=Status.ACTIVE)
        at_100 = queries()

        assert at_100 == at_5, "caseload page queries grew with the number of cases"

    def test_hub_queue_groups_what_waits_on_the_hub(self, client_for, personas, make_case):
        new = make_case(status=Status.RECEIVED)
        declined = make_case(status=Status.DECLINED)
        active = make_case(status=Status.ACTIVE)

        text = client_for(personas["hub2.specialist"]).get(reverse("cases:hub-queue")).text

        def section(key):
            start = text.index(f'<section id="{key}"')
            return text[start : text.index("</section>", start)]

        assert new.number in section("new")
        assert new.number not in section("unrouted")
        assert declined.number in section("declined")
        assert active.number not in section("new") + section("awaiting")


class TestConsequentialActionsAreConfirmed:
    """Closing and declining ask first; closing names the required steps not done."""

    def test_closing_asks_first_and_names_the_required_steps_not_done(
        self, client_for, personas, make_case
    ):
        from cases.models import CaseStep

        case = make_case(county="Outagamie", status=Status.ACTIVE)
        client = client_for(personas["hub2.specialist"])
        data = {"expected_status": "active", "reason": "services_completed", "note": "Done"}
        unfinished = CaseStep.objects.filter(
            case=case, status="pending", definition__optional=False
        ).values_list("definition__title", flat=True)
        assert unfinished  # a new case has required steps to do

        first = client.post(reverse("cases:close", args=[case.pk]), data)

        assert first.status_code == 200
        assert f"Close case {case.number}?" in first.text
        assert "These required protocol steps are not done" in first.text
        for title in unfinished:
            assert title in first.text
        case.refresh_from_db()
        assert case.status == Status.ACTIVE  # nothing happened yet

        second = client.post(reverse("cases:close", args=[case.pk]), {**data, "confirmed": "on"})

        assert second.status_code == 302
        case.refresh_from_db()
        assert case.status == Status.CLOSED

    def test_declining_asks_first(self, client_for, personas, routed_case):
        client = client_for(personas["outagamie.worker"])

        response = client.post(
            reverse("cases:decline", args=[routed_case.pk]),
            {"expected_status": "routed", "reason": "Wrong county"},
        )

        assert response.status_code == 200
        assert "Decline the referral" in response.text
        assert 'name="reason" value="Wrong county"' in response.text
        routed_case.refresh_from_db()
        assert routed_case.status == Status.ROUTED
