"""The directory's CSV import as a hub specialist uses it: download the template, fill it
in, upload, read every error with its row number (and the name meant, for a typo), see
what will be added, import it once. Nothing is ever half-imported."""

import csv
import html
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from guardian.shortcuts import assign_perm

from regions.directory_imports import COLUMN_NAMES, EXAMPLE, import_rows
from regions.models import Agency, Provider, Region, ServiceType
from regions.selectors import MANAGE_DIRECTORY
from regions.services import ProviderInput, provider_create

pytestmark = pytest.mark.django_db

IMPORT = reverse("directory:import")
TEMPLATE = reverse("directory:import-template")


def good_row(**cells) -> dict:
    """A shelter for Outagamie and Brown, as a spreadsheet row; `cells` change columns."""
    return {
        "name": "Fox Valley Youth Shelter",
        "kind": "shelter",
        "service_types": "shelter; Basic needs (food, clothing, phone)",
        "counties": "Outagamie; 55009",
        "min_age": "12",
        "max_age": "17",
        "languages": "english, Spanish",
        "trafficking_specialised": "yes",
        "trauma_informed": "no",
        "phone": "(920) 555-0142",
        "email": "intake@example.org",
        **cells,
    }


def csv_bytes(rows: list[dict], *, header: list[str] | None = None, delimiter=",") -> bytes:
    header = header or list(dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([row.get(name, "") for name in header] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def upload(client, content: bytes, *, name="providers.csv", region=2):
    return client.post(
        IMPORT, {"region": str(region), "file": SimpleUploadedFile(name, content, "text/csv")}
    )


def errors_in(response) -> list[tuple[str, str, str]]:
    """The error table as (row, column, message)."""
    rows = re.findall(
        r'<tr>\s*<th scope="row">([^<]+)</th>\s*<td data-label="Column">(.*?)</td>\s*'
        r'<td data-label="What to fix">(.*?)</td>',
        response.content.decode(),
        re.S,
    )
    return [
        (row, html.unescape(re.sub(r"<[^>]+>", "", column)), html.unescape(message))
        for row, column, message in rows
    ]


def token_of(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "no confirm button"
    return match[1]


@pytest.fixture
def hub2(client_for, personas):
    return client_for(personas["hub2.specialist"])


class TestTemplate:
    def test_the_template_has_every_column_and_example_rows_of_the_region(self, hub2):
        response = hub2.get(TEMPLATE, {"region": "2"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "region-2" in response["Content-Disposition"]
        body = response.content.decode("utf-8")
        assert body.startswith("\ufeff")
        header, *examples = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        assert header == COLUMN_NAMES
        assert header[:4] == ["name", "kind", "service_types", "counties"]
        assert len(examples) == 2
        assert all(row[0].startswith(EXAMPLE) for row in examples)

        # Uploaded as it is, its example rows are refused.
        refused = upload(hub2, response.content)
        assert refused.status_code == 400
        assert {row for row, _, _ in errors_in(refused)} == {"Row 2", "Row 3"}
        assert not Provider.objects.exists()

    def test_without_its_example_rows_the_template_imports(self, hub2):
        body = hub2.get(TEMPLATE).content.decode("utf-8").lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(body)))
        for row in rows[1:]:
            row[0] = row[0].removeprefix(EXAMPLE)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        preview = upload(hub2, buffer.getvalue().encode())
        assert preview.status_code == 200, errors_in(preview)
        assert hub2.post(IMPORT, {"token": token_of(preview)}).status_code == 302
        assert Provider.objects.count() == 2

    @pytest.mark.parametrize(
        ("username", "region", "status"),
        [
            ("hub5.specialist", "2", 403),
            ("hub5.specialist", "5", 200),
            ("hub2.specialist", "9", 400),
            ("hub2.specialist", "two", 400),
            ("outagamie.worker", "2", 403),
            ("state.admin", "2", 403),
        ],
    )
    def test_the_template_is_for_the_regions_one_keeps(
        self, client_for, personas, username, region, status
    ):
        response = client_for(personas[username]).get(TEMPLATE, {"region": region})
        assert response.status_code == status


class TestUpload:
    def test_a_good_file_is_shown_then_imported_once(self, hub2):
        content = csv_bytes(
            [
                good_row(),
                good_row(
                    name="Harbor Counselling",
                    kind="Mental-health or substance-use provider",
                    service_types="mental_health",
                    counties="Brown County",
                    tribes="Oneida Nation",
                    min_age="",
                    max_age="",
                    languages="English; Hmong",
                    agency="Brown County Human Services",
                    active="no",
                ),
            ]
        )
        preview = upload(hub2, content)
        assert preview.status_code == 200
        text = html.unescape(preview.content.decode())
        assert "Check before importing" in text
        assert "Fox Valley Youth Shelter" in text
        assert "Emergency shelter or housing, Basic needs (food, clothing, phone)" in text
        assert "Brown, Outagamie" in text
        assert "Import 2 providers" in text
        assert not Provider.objects.exists()

        token = token_of(preview)
        done = hub2.post(IMPORT, {"token": token})
        assert done.status_code == 302
        assert done["Location"] == reverse("directory:list") + "?region=2"
        shelter = Provider.objects.get(name="Fox Valley Youth Shelter")
        assert shelter.region.number == 2
        assert shelter.languages == "English; Spanish"
        assert (shelter.min_age, shelter.max_age) == (12, 17)
        assert shelter.trafficking_specialised
        assert not shelter.trauma_informed
        assert shelter.active
        assert sorted(shelter.counties.values_list("fips", flat=True)) == ["55009", "55087"]
        assert sorted(shelter.service_types.values_list("key", flat=True)) == [
            "basic_needs",
            "shelter",
        ]
        harbor = Provider.objects.get(name="Harbor Counselling")
        assert harbor.kind == "behavioral_health"
        assert harbor.agency == Agency.objects.get(name="Brown County Human Services")
        assert list(harbor.tribes.values_list("name", flat=True)) == ["Oneida Nation"]
        assert (harbor.min_age, harbor.max_age) == (None, None)
        assert not harbor.active

        # The same confirmation again (a second click, the back button) imports nothing.
        again = hub2.post(IMPORT, {"token": token}, follow=True)
        assert Provider.objects.count() == 2
        assert "already submitted" in str(list(get_messages(again.wsgi_request))[-1])

    def test_a_token_that_is_not_pending_imports_nothing(self, hub2):
        response = hub2.post(IMPORT, {"token": "made-up"}, follow=True)
        assert "no longer open" in str(list(get_messages(response.wsgi_request))[-1])
        assert not Provider.objects.exists()

    @pytest.mark.parametrize(
        ("cells", "column", "message"),
        [
            (
                {"counties": "Outagami"},
                "counties",
                'Unknown county "Outagami". Did you mean "Outagamie"?',
            ),
            (
                {"service_types": "shelter; mental helth"},
                "service_types",
                'Unknown service type "mental helth". Did you mean "mental_health"?',
            ),
            ({"kind": "shelters"}, "kind", 'Unknown kind "shelters". Did you mean "shelter"?'),
            (
                {"tribes": "Oneida"},
                "tribes",
                'Unknown tribe "Oneida". Did you mean "Oneida Nation"?',
            ),
            ({"min_age": "twelve"}, "min_age", '"twelve" is not an age.'),
            ({"max_age": "45"}, "max_age", "Give an age from 0 to 30, or leave it empty."),
            (
                {"min_age": "17", "max_age": "12"},
                "max_age",
                "The oldest age served is below the youngest.",
            ),
            (
                {"trauma_informed": "sometimes"},
                "trauma_informed",
                "Write yes or no (or leave it empty for no).",
            ),
            ({"active": "maybe"}, "active", "Write yes or no (or leave it empty for yes)."),
            ({"agency": "Dane County Human Services"}, "agency", "is an agency of Region 5"),
            (
                {"agency": "Outagamie Human Services"},
                "agency",
                'Unknown agency "Outagamie Human Services".',
            ),
            ({"email": "not an email"}, "email", "Give a working email address"),
            ({"name": ""}, "name", "Give the provider's name."),
            ({"service_types": ""}, "service_types", "Choose at least one service it offers."),
            ({"counties": ""}, "counties", "Choose at least one county it serves."),
            ({"phone": "5" * 41}, "phone", "Keep it to 40 characters."),
        ],
    )
    def test_each_kind_of_bad_row_is_named_and_nothing_is_imported(
        self, hub2, cells, column, message
    ):
        content = csv_bytes([good_row(name="First Shelter"), good_row(**cells)])
        response = upload(hub2, content)
        assert response.status_code == 400
        errors = errors_in(response)
        assert [(row, col) for row, col, _ in errors] == [("Row 3", column)], errors
        assert message in errors[0][2]
        text = html.unescape(response.content.decode())
        assert "Nothing was imported." in text
        assert "1 of 2 rows in" in text
        assert 'name="token"' not in text
        assert not Provider.objects.exists()

    def test_every_row_is_checked_and_every_error_listed(self, hub2):
        content = csv_bytes(
            [
                good_row(name="A", counties="Nowhere"),
                good_row(name="B"),
                good_row(name="b", min_age="x", trauma_informed="perhaps"),
            ]
        )
        errors = errors_in(upload(hub2, content))
        assert [(row, column) for row, column, _ in errors] == [
            ("Row 2", "counties"),
            ("Row 4", "name"),
            ("Row 4", "min_age"),
            ("Row 4", "trauma_informed"),
        ]
        assert errors[1][2] == "The same name as row 3."
        assert not Provider.objects.exists()

    def test_a_name_already_in_the_directory_is_refused(self, hub2, personas):
        provider_create(
            actor=personas["hub2.specialist"],
            region=Region.objects.get(number=2),
            data=ProviderInput(
                name="Fox Valley Youth Shelter",
                kind="shelter",
                service_types=[ServiceType.objects.get(key="shelter")],
                counties=list(Region.objects.get(number=2).counties.all()[:1]),
            ),
        )
        errors = errors_in(upload(hub2, csv_bytes([good_row(), good_row(name="Another")])))
        assert errors[0][:2] == ("Row 2", "name")
        assert "already lists a provider of this name" in errors[0][2]
        assert Provider.objects.count() == 1

    def test_what_changed_since_the_preview_is_checked_again_and_nothing_half_imported(
        self, hub2, personas
    ):
        preview = upload(hub2, csv_bytes([good_row(name="First"), good_row(name="Second")]))
        token = token_of(preview)
        # Someone lists "Second" by hand before the import is confirmed.
        provider_create(
            actor=personas["hub2.specialist"],
            region=Region.objects.get(number=2),
            data=ProviderInput(
                name="Second",
                kind="legal",
                service_types=[ServiceType.objects.get(key="legal_advocacy")],
                counties=list(Region.objects.get(number=2).counties.all()[:1]),
            ),
        )
        response = hub2.post(IMPORT, {"token": token})
        assert response.status_code == 400
        assert errors_in(response)[0][:2] == ("Row 3", "name")
        assert list(Provider.objects.values_list("name", flat=True)) == ["Second"]

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "The file is empty."),
            (csv_bytes([], header=["name", "kind", "service_types", "counties"]), "no providers"),
            (b"PK\x03\x04rest-of-a-workbook", "This is an Excel workbook"),
            (
                "name,kind,service_types,counties\nCaf\xe9,shelter,shelter,Brown\n".encode(
                    "latin-1"
                ),
                "not UTF-8",
            ),
        ],
    )
    def test_a_file_that_cannot_be_read_says_why(self, hub2, content, message):
        response = upload(hub2, content)
        assert response.status_code == 400
        assert message in html.unescape(response.content.decode())
        assert not Provider.objects.exists()

    def test_header_mistakes_are_named_with_the_column_meant(self, hub2):
        content = csv_bytes(
            [{"name": "A", "kind": "shelter", "service_type": "shelter", "counties": "Brown"}]
        )
        errors = errors_in(upload(hub2, content))
        assert (
            "Row 1",
            "service_type",
            'Unknown column "service_type". Did you mean "service_types"?',
        ) in errors
        assert ("Row 1", "service_types", "This required column is missing.") in errors

    def test_headings_in_any_case_and_a_semicolon_separated_file(self, hub2):
        row = good_row(counties="Outagamie", service_types="shelter")
        header = [name.upper().replace("_", " ") for name in row]
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(header)
        writer.writerow(row.values())
        preview = upload(hub2, buffer.getvalue().encode())
        assert preview.status_code == 200, errors_in(preview)

    def test_the_parser_takes_names_fips_keys_and_labels(self):
        region = Region.objects.get(number=2)
        text = csv_bytes(
            [good_row(service_types="mental_health; Mental-health counselling; Interpretation")]
        ).decode("utf-8-sig")
        parsed = import_rows(text, region=region)
        assert parsed.errors == []
        ((_, data),) = parsed.rows
        assert [s.key for s in data.service_types] == ["mental_health", "interpretation"]


class TestWhoMayImport:
    @pytest.mark.parametrize("username", ["outagamie.worker", "state.admin", "outsider"])
    def test_only_hub_specialists_import(self, client_for, personas, username):
        client = client_for(personas[username])
        assert client.get(IMPORT).status_code == 403
        assert upload(client, csv_bytes([good_row()])).status_code == 403
        assert not Provider.objects.exists()

    def test_hub5_cannot_import_into_region_2(self, client_for, personas):
        response = upload(client_for(personas["hub5.specialist"]), csv_bytes([good_row()]))
        assert response.status_code == 400
        assert "Select a valid choice" in html.unescape(response.content.decode())
        assert not Provider.objects.exists()

    def test_a_specialist_of_two_regions_chooses_and_the_rows_go_there(self, client_for, personas):
        user = personas["hub2.specialist"]
        assign_perm(MANAGE_DIRECTORY, user, Region.objects.get(number=3))
        client = client_for(user)
        page = client.get(IMPORT).content.decode()
        assert '<select name="region"' in page
        assert page.count(TEMPLATE + "?region=") == 2
        preview = upload(client, csv_bytes([good_row(counties="Outagamie")]), region=3)
        assert client.post(IMPORT, {"token": token_of(preview)}).status_code == 302
        assert Provider.objects.get().region.number == 3

    def test_a_token_kept_for_one_user_is_not_anothers(self, client_for, personas, client):
        preview = upload(client_for(personas["hub2.specialist"]), csv_bytes([good_row()]))
        token = token_of(preview)
        client.logout()
        other = client_for(personas["hub5.specialist"])
        other.post(IMPORT, {"token": token})
        assert not Provider.objects.exists()
