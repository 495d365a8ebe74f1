"""The route page and the consent form: agencies grouped by region and kind, the youth's own
county's (and tribe's) agencies first, and the consents on file beside the choice."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Consent, LegalBasis, Status
from regions.models import Agency, Tribe

pytestmark = pytest.mark.django_db

SERVES = "Serves the youth's county or tribe"
NEEDS = " (consent or legal basis needed)"


def optgroups(page: str, select_name: str) -> list[tuple[str, list[str]]]:
    """(group label, option labels) of the select named `select_name`, in page order."""
    select = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', page, re.S)[1]
    return [
        (
            html.unescape(label),
            [html.unescape(o.strip()) for o in re.findall(r">([^<]+)</option>", body)],
        )
        for label, body in re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    ]


def consent(case, hub, agency, *, signed_days_ago=10, valid_days=365, scope="Service planning"):
    today = timezone.localdate()
    return services.consent_record(
        case_id=case.pk,
        actor=hub,
        recipient=agency,
        scope=scope,
        youth_consented=True,
        guardian_consented=True,
        guardian_name="Pat Guardian",
        signed_on=today - datetime.timedelta(days=signed_days_ago),
        expires_on=today
        - datetime.timedelta(days=signed_days_ago)
        + datetime.timedelta(days=valid_days),
    )


def route_page(client_for, personas, case) -> str:
    response = client_for(personas["hub2.specialist"]).get(reverse("cases:route", args=[case.pk]))
    assert response.status_code == 200
    return response.text


class TestAgencyChoices:
    def test_the_youths_county_first_then_the_region_by_kind(
        self, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.SCREENED)

        groups = optgroups(route_page(client_for, personas, case), "agency")

        assert [label for label, _ in groups] == [
            SERVES,
            "Region 2 · County agencies" + NEEDS,
            "Region 2 · Tribal agencies" + NEEDS,
        ]
        assert groups[0][1] == ["Outagamie County Human Services (Resource Agency)"]
        assert "Brown County Human Services (Resource Agency)" in groups[1][1]
        assert "Calumet County Human Services" in groups[1][1]
        assert groups[2][1] == [
            "Menominee Indian Tribe of Wisconsin Social Services (Resource Agency)",
            "Oneida Nation Social Services",
            "Stockbridge-Munsee Community Social Services",
        ]
        offered = [name for _, names in groups for name in names]
        assert not [name for name in offered if name.startswith("Dane County")]  # region 5
        assert len(offered) == len(set(offered))

    def test_a_tribal_youths_tribe_is_served_wherever_its_agency_is(
        self, client_for, personas, make_case
    ):
        case = make_case(
            county="Outagamie",
            status=Status.SCREENED,
            tribe=Tribe.objects.get(name="Ho-Chunk Nation"),
        )

        groups = dict(optgroups(route_page(client_for, personas, case), "agency"))

        assert groups[SERVES] == [
            "Outagamie County Human Services (Resource Agency)",
            "Ho-Chunk Nation Social Services · Region 4",
        ]
        assert "Region 4 · Tribal agencies" + NEEDS not in groups  # not the region's

    def test_an_agency_with_a_current_consent_says_so_and_takes_the_case(
        self, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.SCREENED)
        hub = personas["hub2.specialist"]
        calumet = Agency.objects.get(county__name="Calumet")
        given = consent(case, hub, calumet)

        groups = dict(optgroups(route_page(client_for, personas, case), "agency"))

        until = given.expires_on
        day = f"{until:%b} {until.day}, {until.year}"
        marked = f"Calumet County Human Services · consent on file until {day}"
        assert marked in groups["Region 2 · County agencies" + NEEDS]
        response = client_for(hub).post(
            reverse("cases:route", args=[case.pk]),
            {"agency": calumet.pk, "expected_status": "screened"},
        )
        assert response.status_code == 302
        case.refresh_from_db()
        assert (case.status, case.agency, case.routing_basis) == (
            Status.ROUTED,
            calumet,
            LegalBasis.CONSENT,
        )

    def test_a_consent_no_longer_current_marks_nothing(self, client_for, personas, make_case):
        case = make_case(county="Outagamie", status=Status.SCREENED)
        hub = personas["hub2.specialist"]
        consent(case, hub, Agency.objects.get(county__name="Calumet"), signed_days_ago=400)
        revoked = consent(case, hub, Agency.objects.get(county__name="Brown"))
        Consent.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())

        page = route_page(client_for, personas, case)

        assert "consent on file" not in page[: page.index('id="consents-title"')]


class TestConsentsOnFile:
    def test_each_consent_with_what_it_allows_and_whether_it_holds_today(
        self, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.SCREENED)
        hub = personas["hub2.specialist"]
        consent(case, hub, Agency.objects.get(county__name="Calumet"), scope="Counselling")
        consent(case, hub, Agency.objects.get(county__name="Winnebago"), signed_days_ago=400)
        revoked = consent(case, hub, Agency.objects.get(county__name="Brown"), scope="School")
        Consent.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())

        page = route_page(client_for, personas, case)

        table = page[page.index('id="consents-title"') :]
        rows = re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", table, re.S)
        read = [
            re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
            for row in rows
        ]
        assert len(read) == 3
        by_agency = {row.split(" Human Services")[0]: row for row in read}
        assert "Counselling" in by_agency["Calumet County"]
        assert "Youth: yes Parent or guardian: Pat Guardian" in by_agency["Calumet County"]
        assert by_agency["Calumet County"].endswith("Current")
        assert by_agency["Winnebago County"].endswith("Expired")
        assert "Revoked on" in by_agency["Brown County"]

    def test_none_on_file_says_what_routing_then_needs(self, client_for, personas, make_case):
        case = make_case(county="Outagamie", status=Status.SCREENED)

        page = route_page(client_for, personas, case)

        assert "No consent recorded for this case. Routing outside the youth" in page

    def test_the_page_costs_the_same_queries_with_one_consent_or_six(
        self, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.SCREENED)
        hub = personas["hub2.specialist"]
        client = client_for(hub)
        url = reverse("cases:route", args=[case.pk])
        client.get(url)
        names = ["Calumet", "Brown", "Winnebago", "Door", "Kewaunee", "Marinette"]
        consent(case, hub, Agency.objects.get(county__name=names[0]))

        def queries():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        one = queries()
        for name in names[1:]:
            consent(case, hub, Agency.objects.get(county__name=name))
        assert queries() == one


class TestConsentForm:
    def test_recipients_grouped_by_region_and_kind_the_youths_county_first(
        self, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.SCREENED)

        page = (
            client_for(personas["hub2.specialist"])
            .get(reverse("cases:detail", args=[case.pk]))
            .text
        )

        groups = optgroups(page, "recipient")
        labels = [label for label, _ in groups]
        assert labels[:3] == [SERVES, "Region 2 · County agencies", "Region 2 · Tribal agencies"]
        assert labels[3:5] == ["Region 1 · County agencies", "Region 1 · Tribal agencies"]
        assert groups[0][1] == ["Outagamie County Human Services"]
        offered = [name for _, names in groups for name in names]
        assert sorted(offered) == sorted(Agency.objects.values_list("name", flat=True))

    def test_a_consent_is_recorded_with_the_chosen_recipient(
        self, client_for, personas, make_case
    ):
        case = make_case(county="Outagamie", status=Status.SCREENED)
        dane = Agency.objects.get(county__name="Dane")
        today = timezone.localdate()

        response = client_for(personas["hub2.specialist"]).post(
            reverse("cases:consent", args=[case.pk]),
            {
                "recipient": dane.pk,
                "scope": "Placement near family in Madison",
                "youth_consented": "on",
                "guardian_consented": "on",
                "guardian_name": "Pat Guardian",
                "signed_on": today.isoformat(),
                "expires_on": (today + datetime.timedelta(days=90)).isoformat(),
            },
        )

        assert response.status_code == 302
        assert case.consents.get().recipient == dane
