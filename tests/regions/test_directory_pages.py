"""The resource directory's pages as the network uses them: everyone signed in searches
and reads it, a region's hub specialists add and edit its entries, nobody else changes
anything. The search's filters (age and language included), totals over the whole
filtered set, sorting, paging with a constant number of queries, and exports that hold
exactly what the search finds."""

import csv
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import assign_perm
from openpyxl import load_workbook

from regions.models import Agency, County, Provider, Region, ServiceType, Tribe
from regions.selectors import MANAGE_DIRECTORY
from regions.services import ProviderInput, provider_create

pytestmark = pytest.mark.django_db

LIST = reverse("directory:list")
NEW = reverse("directory:new")
EVERYONE = [
    "state.admin",
    "hub2.specialist",
    "hub5.specialist",
    "outagamie.worker",
    "brown.worker",
    "menominee.worker",
    "dane.worker",
    "accounts.admin",
    "outsider",
]


def detail(provider) -> str:
    return reverse("directory:detail", args=[provider.pk])


def edit(provider) -> str:
    return reverse("directory:edit", args=[provider.pk])


@pytest.fixture
def add(personas):
    """add("Name", region=2, services=["shelter"], counties=["Outagamie"], ...) -> a
    Provider listed through regions.services by the region's hub specialist."""

    def make(
        name: str,
        *,
        region: int = 2,
        services=("shelter",),
        counties=("Outagamie",),
        tribes=(),
        **fields,
    ) -> Provider:
        data = ProviderInput(
            name=name,
            kind=fields.pop("kind", "shelter"),
            service_types=list(ServiceType.objects.filter(key__in=services)),
            counties=list(County.objects.filter(name__in=counties)),
            tribes=list(Tribe.objects.filter(name__in=tribes)),
            **fields,
        )
        return provider_create(
            actor=personas[f"hub{region}.specialist"],
            region=Region.objects.get(number=region),
            data=data,
        )

    return make


def names_in(text: str) -> list[str]:
    """Provider names in the order the search shows them."""
    return [
        html.unescape(name)
        for name in re.findall(
            r'<h2 id="provider-\d+"><a href="/directory/\d+/">([^<]+)</a>', text
        )
    ]


def stat(text: str, label: str) -> str:
    match = re.search(rf"<strong>(\d+)</strong> {label}", text)
    assert match, f"no '{label}' figure on the page"
    return match[1]


def error_of(text: str, field_id: str) -> str:
    """The errors shown next to a field (its `<id>_error` list), as text."""
    match = re.search(rf'<ul class="field__errors" id="{field_id}_error">(.*?)</ul>', text, re.S)
    assert match, f"no error shown next to {field_id}"
    return html.unescape(re.sub(r"<[^>]+>", " ", match[1])).strip()


def summary_of(text: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', text, re.S)
    assert match, "no error summary"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match[0])))


def form_post(**overrides) -> dict:
    """A complete, valid entry: a shelter for Outagamie and Brown, ages 12 to 17."""
    data = {
        "name": "Fox Valley Youth Shelter",
        "kind": "shelter",
        "agency": "",
        "active": "on",
        "service_types": [
            str(ServiceType.objects.get(key=k).pk) for k in ("shelter", "basic_needs")
        ],
        "trafficking_specialised": "on",
        "capacity_notes": "8 beds",
        "counties": [str(c.pk) for c in County.objects.filter(name__in=["Outagamie", "Brown"])],
        "min_age": "12",
        "max_age": "17",
        "languages": "english; spanish",
        "phone": "(920) 555-0142",
        "email": "Intake@Example.org",
        "hours": "24/7",
        "address": "100 Main Street, Appleton",
        "how_to_refer": "Call the intake line.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class TestWhoMay:
    @pytest.mark.parametrize("username", EVERYONE)
    def test_everyone_signed_in_searches_and_reads_the_directory(
        self, client_for, personas, add, username
    ):
        provider = add("Fox Valley Youth Shelter", phone="(920) 555-0142")
        client = client_for(personas[username])

        found = client.get(LIST, {"region": ""})
        assert found.status_code == 200
        assert names_in(found.text) == ["Fox Valley Youth Shelter"]
        page = client.get(detail(provider))
        assert page.status_code == 200
        assert "(920) 555-0142" in page.text
        may_edit = username == "hub2.specialist"
        assert (edit(provider) in page.text) is may_edit
        assert (NEW in found.text) is (username in ("hub2.specialist", "hub5.specialist"))

    def test_nobody_signed_out_sees_anything(self, client, add):
        provider = add("Fox Valley Youth Shelter")
        for url in (LIST, detail(provider), edit(provider), NEW, reverse("directory:import")):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))

    @pytest.mark.parametrize(
        ("username", "status"),
        [
            ("hub2.specialist", 200),
            ("hub5.specialist", 403),
            ("outagamie.worker", 403),
            ("state.admin", 403),
            ("accounts.admin", 403),
            ("outsider", 403),
        ],
    )
    def test_only_the_regions_hub_specialists_edit_its_entries(
        self, client_for, personas, add, username, status
    ):
        provider = add("Fox Valley Youth Shelter")
        client = client_for(personas[username])

        assert client.get(edit(provider)).status_code == status
        response = client.post(edit(provider), form_post(name="Taken over"))
        assert response.status_code == (302 if status == 200 else 403)
        provider.refresh_from_db()
        assert (provider.name == "Taken over") is (status == 200)

    @pytest.mark.parametrize(
        ("username", "status"),
        [
            ("hub2.specialist", 200),
            ("hub5.specialist", 200),
            ("outagamie.worker", 403),
            ("state.admin", 403),
            ("outsider", 403),
        ],
    )
    def test_only_hub_specialists_add_entries(self, client_for, personas, username, status):
        client = client_for(personas[username])
        assert client.get(NEW).status_code == status
        if status == 403:
            assert client.post(NEW, form_post()).status_code == 403
            assert not Provider.objects.exists()

    def test_an_unknown_entry_is_404(self, client_for, personas):
        client = client_for(personas["hub2.specialist"])
        assert client.get(reverse("directory:detail", args=[98765])).status_code == 404
        assert client.get(reverse("directory:edit", args=[98765])).status_code == 404

    @pytest.mark.parametrize(
        ("username", "linked"),
        [
            ("state.admin", True),
            ("hub2.specialist", True),
            ("dane.worker", True),
            ("menominee.worker", True),
            ("accounts.admin", False),
            ("outsider", False),
        ],
    )
    def test_the_main_navigation_links_the_directory_for_members(
        self, client_for, personas, username, linked
    ):
        home = client_for(personas[username]).get(reverse("home"))
        assert (f'href="{LIST}"' in home.text) is linked


class TestAddAndEdit:
    def test_hub2_adds_a_shelter_for_brown_and_outagamie(self, client_for, personas):
        agency = Agency.objects.get(name="Outagamie County Human Services")
        response = client_for(personas["hub2.specialist"]).post(
            NEW, form_post(agency=str(agency.pk))
        )

        provider = Provider.objects.get()
        assert response.status_code == 302
        assert response["Location"] == detail(provider)
        assert provider.region.number == 2
        assert provider.agency == agency
        assert provider.languages == "English; Spanish"
        assert provider.email == "intake@example.org"
        assert (provider.min_age, provider.max_age) == (12, 17)
        assert provider.trafficking_specialised
        assert not provider.trauma_informed
        assert provider.active
        assert sorted(provider.service_types.values_list("key", flat=True)) == [
            "basic_needs",
            "shelter",
        ]
        assert sorted(provider.counties.values_list("name", flat=True)) == ["Brown", "Outagamie"]

    def test_mistakes_are_shown_next_to_their_fields_and_nothing_is_written(
        self, client_for, personas
    ):
        client = client_for(personas["hub2.specialist"])

        empty = client.post(NEW, {})
        assert empty.status_code == 400
        assert error_of(empty.text, "id_name") == "Give the provider's name."
        assert error_of(empty.text, "id_kind") == "Choose what kind of provider it is."
        assert error_of(empty.text, "id_service_types") == "Choose at least one service it offers."
        assert error_of(empty.text, "id_counties") == "Choose at least one county it serves."
        summary = summary_of(empty.text)
        assert "The entry was not saved." in summary
        assert "Give the provider's name." in summary
        # The summary's link to the counties lands on the first of the region's own.
        first = re.search(r'id="id_counties_0"[^>]*>\s*<label[^>]*>([^<]+)<', empty.text)
        assert first
        assert County.objects.get(name=first[1]).region.number == 2
        assert 'href="#id_counties_0"' in empty.text

        wrong = client.post(
            NEW, form_post(min_age="17", max_age="12", email="not an email", phone="5" * 41)
        )
        assert wrong.status_code == 400
        assert error_of(wrong.text, "id_max_age") == "The oldest age served is below the youngest."
        assert error_of(wrong.text, "id_email").startswith("Give a working email address")
        assert error_of(wrong.text, "id_phone") == "Keep it to 40 characters."
        assert error_of(client.post(NEW, form_post(min_age="abc")).text, "id_min_age") == (
            "Give an age from 0 to 30, or leave it empty."
        )
        assert not Provider.objects.exists()
        # What was typed is kept.
        assert 'value="Fox Valley Youth Shelter"' in wrong.text

    def test_a_name_is_listed_once_per_region(self, client_for, personas, add):
        add("Fox Valley Youth Shelter")
        response = client_for(personas["hub2.specialist"]).post(
            NEW, form_post(name="fox valley youth shelter")
        )
        assert response.status_code == 400
        assert "already lists a provider of this name" in error_of(response.text, "id_name")
        assert Provider.objects.count() == 1

    def test_the_agency_is_one_of_the_regions_own(self, client_for, personas):
        client = client_for(personas["hub2.specialist"])
        form = client.get(NEW).text
        assert "Outagamie County Human Services</option>" in form
        assert "Dane County Human Services</option>" not in form

        dane = Agency.objects.get(name="Dane County Human Services")
        response = client.post(NEW, form_post(agency=str(dane.pk)))
        assert response.status_code == 400
        assert error_of(response.text, "id_agency") == (
            "Choose one of the region's agencies, or none."
        )
        assert not Provider.objects.exists()

    def test_someone_who_keeps_two_regions_chooses_one(self, client_for, personas):
        user = personas["hub2.specialist"]
        three = Region.objects.get(number=3)
        assign_perm(MANAGE_DIRECTORY, user, three)
        client = client_for(user)
        assert '<select name="region"' in client.get(NEW).text

        missing = client.post(NEW, form_post())
        assert error_of(missing.text, "id_region") == "Choose the region whose directory lists it."
        five = Region.objects.get(number=5)
        other = client.post(NEW, form_post(region=str(five.pk)))
        assert error_of(other.text, "id_region") == (
            "Choose one of the regions whose directory you keep."
        )
        assert not Provider.objects.exists()
        assert client.post(NEW, form_post(region=str(three.pk))).status_code == 302
        assert Provider.objects.get().region == three

    def test_the_form_starts_with_the_entry_and_unticking_active_deactivates_it(
        self, client_for, personas, add
    ):
        provider = add(
            "Fox Valley Youth Shelter",
            counties=("Brown", "Door"),
            services=("shelter", "transportation"),
            min_age=12,
            languages="English; Hmong",
        )
        client = client_for(personas["hub2.specialist"])
        form = client.get(edit(provider)).text
        assert 'value="Fox Valley Youth Shelter"' in form
        assert 'value="English; Hmong"' in form
        assert re.search(r'name="min_age" value="12"', form)
        door = County.objects.get(name="Door")
        assert re.search(rf'name="counties" value="{door.pk}"[^>]*checked', form)
        assert re.search(r'name="active"[^>]*checked', form)

        posted = form_post(name=provider.name)
        del posted["active"]
        assert client.post(edit(provider), posted).status_code == 302
        provider.refresh_from_db()
        assert not provider.active
        # Out of the search, unless asked for; its page says why.
        assert names_in(client.get(LIST).text) == []
        shown = client.get(LIST, {"include_inactive": "true"}).text
        assert names_in(shown) == ["Fox Valley Youth Shelter"]
        assert "This provider is inactive" in client.get(detail(provider)).text

    def test_an_edit_with_a_mistake_changes_nothing(self, client_for, personas, add):
        provider = add("Fox Valley Youth Shelter", min_age=12, max_age=17)
        response = client_for(personas["hub2.specialist"]).post(
            edit(provider), form_post(name="Renamed", min_age="19")
        )
        assert response.status_code == 400
        assert error_of(response.text, "id_max_age") == (
            "The oldest age served is below the youngest."
        )
        provider.refresh_from_db()
        assert (provider.name, provider.min_age) == ("Fox Valley Youth Shelter", 12)


class TestSearch:
    def test_each_filter_narrows_the_search(self, client_for, personas, add):
        add(
            "Harbor Counselling",
            kind="behavioral_health",
            services=("mental_health",),
            counties=("Outagamie", "Brown"),
            min_age=12,
            max_age=17,
            languages="English; Hmong",
            trauma_informed=True,
        )
        add(
            "Oneida Family Services",
            kind="community",
            services=("family_support", "culturally_specific"),
            counties=("Brown",),
            tribes=("Oneida Nation",),
            languages="English; Oneida",
            culturally_specific=True,
        )
        add(
            "Lakeshore Recovery",
            kind="behavioral_health",
            services=("substance_use", "mental_health"),
            counties=("Door",),
            min_age=16,
            trafficking_specialised=True,
        )
        add("Madison Legal Aid", region=5, kind="legal", counties=("Dane",), max_age=20)
        client = client_for(personas["outagamie.worker"])

        def found(**params) -> list[str]:
            response = client.get(LIST, params)
            assert response.status_code == 200, params
            return sorted(names_in(response.text))

        # The worker's own region unless they ask for all.
        assert found() == ["Harbor Counselling", "Lakeshore Recovery", "Oneida Family Services"]
        assert found(region="") == [
            "Harbor Counselling",
            "Lakeshore Recovery",
            "Madison Legal Aid",
            "Oneida Family Services",
        ]
        assert found(region="5") == ["Madison Legal Aid"]
        assert found(service_type="mental_health") == ["Harbor Counselling", "Lakeshore Recovery"]
        assert found(county="55009") == ["Harbor Counselling", "Oneida Family Services"]
        oneida = Tribe.objects.get(name="Oneida Nation")
        assert found(tribe=str(oneida.pk)) == ["Oneida Family Services"]
        # A youth's age: within the range, open ends included.
        assert found(age="15") == ["Harbor Counselling", "Oneida Family Services"]
        assert found(age="17") == [
            "Harbor Counselling",
            "Lakeshore Recovery",
            "Oneida Family Services",
        ]
        assert found(age="18", region="") == [
            "Lakeshore Recovery",
            "Madison Legal Aid",
            "Oneida Family Services",
        ]
        assert found(age="0") == ["Oneida Family Services"]
        # Any part of the languages, whatever the case.
        assert found(language="hmong") == ["Harbor Counselling"]
        assert found(language=" ONEIDA ") == ["Oneida Family Services"]
        assert found(trafficking_specialised="true") == ["Lakeshore Recovery"]
        assert found(trauma_informed="true") == ["Harbor Counselling"]
        assert found(culturally_specific="true") == ["Oneida Family Services"]
        assert found(q="harbor") == ["Harbor Counselling"]
        assert found(service_type="mental_health", age="13") == ["Harbor Counselling"]

    @pytest.mark.parametrize(
        ("username", "region"),
        [
            ("hub2.specialist", "2"),
            ("outagamie.worker", "2"),
            ("menominee.worker", "2"),
            ("dane.worker", "5"),
            ("state.admin", ""),
            ("outsider", ""),
        ],
    )
    def test_each_reader_starts_in_their_own_region(
        self, client_for, personas, add, username, region
    ):
        add("North Shelter", region=2)
        add("South Shelter", region=5, counties=("Dane",))
        text = client_for(personas[username]).get(LIST).text
        expected = {
            "2": ["North Shelter"],
            "5": ["South Shelter"],
            "": ["North Shelter", "South Shelter"],
        }
        assert sorted(names_in(text)) == expected[region]
        selected = re.search(r'<option value="(\d*)" selected>', text.split('name="region"')[1])
        assert selected
        assert selected[1] == region

    @pytest.mark.parametrize(
        ("params", "label"),
        [
            ({"age": "fifteen"}, "Youth's age"),
            ({"age": "31"}, "Youth's age"),
            ({"county": "99999"}, "County served"),
            ({"service_type": "spa"}, "Service"),
            ({"tribe": "98765"}, "Tribe served"),
            ({"region": "9"}, "Region"),
        ],
    )
    def test_a_wrong_filter_is_named_not_an_error_page(
        self, client_for, personas, add, params, label
    ):
        add("Fox Valley Youth Shelter")
        response = client_for(personas["brown.worker"]).get(LIST, params)
        assert response.status_code == 400
        assert f"<strong>{label}:</strong>" in html.unescape(response.text)
        assert names_in(response.text) == []
        assert "Correct the filters above to see providers." in response.text

    def test_totals_count_every_provider_found_not_one_page(self, client_for, personas, add):
        for n in range(23):
            add(
                f"Provider {n:02}",
                trafficking_specialised=n % 2 == 0,
                trauma_informed=n % 3 == 0,
                culturally_specific=n % 5 == 0,
            )
        add("Closed Shelter", active=False, trafficking_specialised=True)
        add("Elsewhere", region=5, counties=("Dane",), trafficking_specialised=True)
        text = client_for(personas["hub2.specialist"]).get(LIST).text

        assert stat(text, "providers") == "23"
        assert stat(text, "trafficking-specialised") == "12"
        assert stat(text, "trauma-informed") == "8"
        assert stat(text, "culturally specific") == "5"
        assert "Showing 1\u201320 of 23 providers in Region 2 (Northeast)." in text
        with_closed = client_for(personas["hub2.specialist"]).get(
            LIST, {"include_inactive": "true"}
        )
        assert stat(with_closed.text, "providers") == "24"
        assert "1 of them is inactive." in with_closed.text

    def test_sorting_by_name_region_and_kind_both_ways(self, client_for, personas, add):
        add("beta Shelter", kind="shelter")
        add("Alpha Legal", kind="legal")
        add("Gamma Clinic", region=5, kind="health_care", counties=("Dane",))
        add("Delta Advocates", kind="victim_services")
        client = client_for(personas["state.admin"])

        def order(sort) -> list[str]:
            return names_in(client.get(LIST, {"sort": sort}).text)

        assert order("name") == ["Alpha Legal", "beta Shelter", "Delta Advocates", "Gamma Clinic"]
        assert order("-name") == ["Gamma Clinic", "Delta Advocates", "beta Shelter", "Alpha Legal"]
        assert order("region") == [
            "Alpha Legal",
            "beta Shelter",
            "Delta Advocates",
            "Gamma Clinic",
        ]
        assert order("-region")[0] == "Gamma Clinic"
        # By the kind's name: Health care, Legal services, Shelter..., Victim service provider.
        assert order("kind") == ["Gamma Clinic", "Alpha Legal", "beta Shelter", "Delta Advocates"]
        assert order("-kind") == ["Delta Advocates", "beta Shelter", "Alpha Legal", "Gamma Clinic"]
        assert order("nonsense") == order("name")
        text = client.get(LIST, {"sort": "kind"}).text
        assert 'aria-current="true"><span class="visually-hidden">Sort by </span>Kind' in text

    def test_paging_with_a_constant_number_of_queries(self, client_for, personas, add):
        client = client_for(personas["hub2.specialist"])
        brown_county = (
            "Brown",
            "Outagamie",
            "Door",
            "Winnebago",
            "Calumet",
            "Kewaunee",
            "Marinette",
        )

        def more(count, start):
            for n in range(start, start + count):
                add(
                    f"Provider {n:02}",
                    services=("shelter", "mental_health", "transportation")[: 1 + n % 3],
                    counties=brown_county[: 1 + n % 7],
                    tribes=("Oneida Nation",) if n % 2 else (),
                    agency=Agency.objects.get(name="Brown County Human Services")
                    if n % 4 == 0
                    else None,
                )

        more(3, 0)
        client.get(LIST)  # the session's first request writes the session

        def queries(**params):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(LIST, params)
            assert response.status_code == 200
            return response.text, len(captured)

        _, few = queries()
        _, few_filtered = queries(service_type="shelter", age="15", county="55009")
        more(37, 3)
        text, many = queries()
        _, many_filtered = queries(service_type="shelter", age="15", county="55009")
        assert many == few, f"{few} queries for 3 providers, {many} for 40"
        assert many_filtered == few_filtered
        assert "Showing 1\u201320 of 40 providers" in text
        second = client.get(LIST, {"page": 2}).text
        assert "Showing 21\u201340 of 40 providers" in second
        assert set(names_in(text)) | set(names_in(second)) == set(
            Provider.objects.values_list("name", flat=True)
        )
        assert "and 1 more" in text  # seven counties: six shown


class TestExports:
    @pytest.fixture
    def listed(self, add):
        add("Harbor Counselling", services=("mental_health",), counties=("Brown",), min_age=12)
        add("Lakeshore Recovery", services=("substance_use",), counties=("Door",))
        add("Oneida Family Services", services=("mental_health",), counties=("Brown",))
        add("Closed Clinic", services=("mental_health",), counties=("Brown",), active=False)
        add("Madison Legal Aid", region=5, services=("mental_health",), counties=("Dane",))
        add(
            "=Formula Shelter",
            services=("mental_health",),
            counties=("Brown",),
            how_to_refer="@call them",
        )

    def test_the_csv_holds_exactly_the_filtered_sorted_search(self, client_for, personas, listed):
        client = client_for(personas["brown.worker"])
        params = {"service_type": "mental_health", "age": "10", "sort": "-name"}
        shown = names_in(client.get(LIST, params).text)

        response = client.get(reverse("directory:export-csv"), params)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        body = response.content.decode("utf-8")
        assert body.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
        assert [row["Name"].lstrip("'") for row in rows] == shown
        assert shown == ["Oneida Family Services", "=Formula Shelter"]
        # Typed text that would start a formula is written as text.
        assert rows[1]["Name"] == "'=Formula Shelter"
        assert rows[1]["How to refer"] == "'@call them"
        assert rows[0]["Service keys"] == "mental_health"
        assert rows[0]["County FIPS"] == "55009"
        assert rows[0]["Region"] == "2"

    def test_the_xlsx_holds_the_same_rows(self, client_for, personas, listed):
        client = client_for(personas["state.admin"])
        params = {"service_type": "mental_health", "include_inactive": "true"}
        shown = names_in(client.get(LIST, params).text)
        response = client.get(reverse("directory:export-xlsx"), params)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content))["Providers"]
        rows = list(sheet.iter_rows(values_only=True))
        names = [row[1] for row in rows[1:]]
        assert names == shown
        assert "Closed Clinic" in names
        assert "Madison Legal Aid" in names
        assert sheet["B2"].data_type == "s"

    @pytest.mark.parametrize("name", ["directory:export-csv", "directory:export-xlsx"])
    def test_an_export_asks_as_many_queries_for_40_providers_as_for_3(
        self, client_for, personas, add, name
    ):
        client = client_for(personas["state.admin"])
        client.get(LIST)  # the session's first request writes the session

        def added(count, start):
            for n in range(start, start + count):
                add(
                    f"Provider {n:02}",
                    region=2 if n % 3 else 5,
                    services=("shelter", "mental_health", "transportation")[: 1 + n % 3],
                    counties=("Dane",) if n % 3 == 0 else ("Brown", "Door")[: 1 + n % 2],
                    tribes=("Oneida Nation",) if n % 2 else (),
                )

        def queries() -> tuple[int, int]:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse(name))
            assert response.status_code == 200
            return len(captured), len(response.content)

        added(3, 0)
        few, small = queries()
        added(37, 3)
        many, large = queries()

        assert many == few, f"{few} queries for 3 providers, {many} for 40"
        assert large > small  # the 37 more are in it

    def test_a_wrong_filter_is_named_instead_of_an_empty_file(self, client_for, personas, listed):
        response = client_for(personas["brown.worker"]).get(
            reverse("directory:export-csv"), {"age": "old"}
        )
        assert response.status_code == 400
        assert "<strong>Youth's age:</strong>" in html.unescape(response.text)
