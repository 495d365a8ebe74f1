"""CSV and XLSX exports of the trainings list: the same trainings as the filtered, sorted
list (every row, not one page), attendance one column per sector, nothing a spreadsheet
would run as a formula, and a clear refusal past the cap."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from training import exports
from training.models import Sector, Training
from training.views import lists

pytestmark = pytest.mark.django_db

LIST = reverse("training:list")
CSV = reverse("training:export-csv")
XLSX = reverse("training:export-xlsx")


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response) -> list[list]:
    book = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book["Trainings"].iter_rows(values_only=True)]


def listed_ids(client, params, pages=5) -> list[int]:
    ids = []
    for page in range(1, pages + 1):
        text = client.get(LIST, {**params, "page": page}).text
        ids += [
            int(i) for i in re.findall(r'data-label="Title"><a href="/trainings/(\d+)/"', text)
        ]
        if 'rel="next"' not in text:
            break
    return ids


@pytest.fixture
def trainings(make_training):
    """Region 2: three delivered (two on awareness), one planned; region 5: one."""
    return [
        make_training(
            title="Hotel staff awareness",
            attendance={"hospitality": 14, "law_enforcement": 2},
            counties=("Brown", "Outagamie"),
            tribes=("Oneida Nation",),
            youth_attendees=None,
            venue="KI Convention Center",
            topics=["awareness"],
        ),
        make_training(
            title="School counsellors",
            attendance={"education": 30},
            counties=("Winnebago",),
            topics=["awareness", "indicators"],
            duration_hours="1.5",
        ),
        make_training(
            title="Truckers at the Kaukauna stop",
            attendance={"transportation": 8},
            counties=("Outagamie",),
            topics=["labor_trafficking"],
        ),
        make_training(title="Planned school visit", counties=("Door",), topics=["awareness"]),
        make_training(
            region=5, title="Dane clinics", attendance={"health_care": 11}, counties=("Dane",)
        ),
    ]


class TestExportMatchesTheList:
    @pytest.mark.parametrize(
        "params",
        [
            {},
            {"topic": "awareness", "sort": "-people"},
            {"region": "", "sort": "title"},
            {"status": "planned"},
        ],
    )
    def test_csv_and_xlsx_hold_the_filtered_sorted_list(
        self, params, client_for, personas, trainings, monkeypatch
    ):
        monkeypatch.setattr(lists, "PAGE_SIZE", 2)  # the export is every row, not one page
        client = client_for(personas["outagamie.worker"])
        expected = listed_ids(client, params)
        assert expected

        rows = csv_rows(client.get(CSV, params))
        assert rows[0] == exports.COLUMNS
        assert [int(row[0]) for row in rows[1:]] == expected

        sheet = xlsx_rows(client.get(XLSX, params))
        assert list(sheet[0]) == exports.COLUMNS
        assert [row[0] for row in sheet[1:]] == expected

    def test_a_rows_columns(self, client_for, personas, trainings):
        hotel = trainings[0]
        response = client_for(personas["hub2.specialist"]).get(CSV, {"q": "hotel"})
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment;" in response["Content-Disposition"]
        header, row = csv_rows(response)
        record = dict(zip(header, row, strict=True))
        assert record["ID"] == str(hotel.pk)
        assert record["Region"] == "2"
        assert record["Date"] == hotel.date.isoformat()
        assert record["Title"] == "Hotel staff awareness"
        assert record["Status"] == "Delivered"
        assert record["Format"] == "In person"
        assert record["Topics"] == "Awareness"
        assert record["Counties"] == "Brown; Outagamie"
        assert record["County FIPS"] == "55009; 55087"
        assert record["Tribes"] == "Oneida Nation"
        assert record["Delivered by hub"] == "yes"
        assert record["Host or venue"] == "KI Convention Center"
        assert record["Duration (hours)"] == "2"  # as the pages write it, not "2.00"
        assert record[f"Attendance: {Sector.HOSPITALITY.label}"] == "14"
        assert record[f"Attendance: {Sector.LAW_ENFORCEMENT.label}"] == "2"
        assert record[f"Attendance: {Sector.EDUCATION.label}"] == ""
        assert record["Total attendees"] == "16"
        assert record["Youth attendees"] == ""

        book = load_workbook(
            io.BytesIO(client_for(personas["hub2.specialist"]).get(XLSX, {"q": "hotel"}).content)
        )
        about = [row[0] for row in book["About"].iter_rows(values_only=True)]
        assert "q=hotel" in about[1]
        assert "no attendee is named" in about[2]

    def test_hours_are_written_as_the_pages_write_them(self, client_for, personas, trainings):
        client = client_for(personas["hub2.specialist"])
        params = {"sort": "title", "q": "s"}  # School counsellors (1.5), Truckers (2), ...
        column = exports.COLUMNS.index("Duration (hours)")
        hours = {row[4]: row[column] for row in csv_rows(client.get(CSV, params))[1:]}
        assert hours["School counsellors"] == "1.5"
        assert hours["Truckers at the Kaukauna stop"] == "2"
        book = load_workbook(io.BytesIO(client.get(XLSX, params).content))
        cells = {row[4].value: row[column] for row in book["Trainings"].iter_rows(min_row=2)}
        # Numbers a spreadsheet adds up, not text.
        assert cells["School counsellors"].data_type == "n"
        assert cells["School counsellors"].value == 1.5
        assert cells["Truckers at the Kaukauna stop"].data_type == "n"
        assert cells["Truckers at the Kaukauna stop"].value == 2

    @pytest.mark.parametrize(
        ("params", "named"),
        [
            ({"quarter": "garbage"}, "Quarter:"),
            ({"region": "two"}, "Region: Enter a number."),
            ({"topic": "juggling", "format": "in_person"}, "Topic: Select a valid choice."),
        ],
    )
    def test_a_wrong_filter_is_refused_and_named_not_an_empty_file(
        self, params, named, client_for, personas, trainings
    ):
        client = client_for(personas["hub2.specialist"])
        for url in (CSV, XLSX):
            response = client.get(url, params)
            assert response.status_code == 400, url
            assert "attachment" not in response.get("Content-Disposition", "")
            text = re.sub(r"<[^>]+>", "", response.text)
            assert "This list cannot be exported: a filter is wrong" in text
            assert named in text
            back = "?" + "&amp;".join(f"{key}={value}" for key, value in params.items())
            assert f'href="{LIST}{back}"' in response.text

    def test_cancelled_trainings_are_exported_only_when_asked_for(
        self, client_for, personas, make_training
    ):
        from training.services import training_cancel

        kept = make_training(title="Kept")
        gone = make_training(title="Gone")
        training_cancel(actor=personas["hub2.specialist"], training_id=gone.pk, reason="Snow")
        client = client_for(personas["hub2.specialist"])
        assert [int(r[0]) for r in csv_rows(client.get(CSV))[1:]] == [kept.pk]
        rows = csv_rows(client.get(CSV, {"status": "cancelled"}))
        assert [int(r[0]) for r in rows[1:]] == [gone.pk]
        assert rows[1][exports.COLUMNS.index("Cancel reason")] == "Snow"


class TestSafety:
    def test_typed_formulas_stay_text(self, client_for, personas, make_training):
        make_training(
            title='=HYPERLINK("http://evil.example","click")',
            presenters="+1 555 0100",
            notes="@SUM(A1)",
            attendance={"education": 3},
        )
        client = client_for(personas["hub2.specialist"])
        header, row = csv_rows(client.get(CSV))
        record = dict(zip(header, row, strict=True))
        assert record["Title"] == '\'=HYPERLINK("http://evil.example","click")'
        assert record["Presenters"] == "'+1 555 0100"
        assert record["Notes"] == "'@SUM(A1)"

        book = load_workbook(io.BytesIO(client.get(XLSX).content))
        title = book["Trainings"].cell(row=2, column=exports.COLUMNS.index("Title") + 1)
        assert title.data_type == "s"
        assert title.value == '=HYPERLINK("http://evil.example","click")'

    def test_past_the_cap_the_export_is_refused_with_a_way_back(
        self, client_for, personas, make_training, monkeypatch
    ):
        monkeypatch.setattr(lists, "EXPORT_LIMIT", 2)
        for n in range(3):
            make_training(title=f"Training {n}")
        client = client_for(personas["hub2.specialist"])
        for url in (CSV, XLSX):
            response = client.get(url, {"format": "in_person"})
            assert response.status_code == 400
            assert "This list is too large to export" in response.text
            assert "at most 2 trainings, and this list has 3" in response.text
            assert f'href="{LIST}?format=in_person"' in response.text
        assert client.get(CSV, {"q": "Training 1"}).status_code == 200

    def test_queries_do_not_grow_with_the_rows(self, client_for, personas, make_training):
        client = client_for(personas["hub2.specialist"])
        make_training(attendance={"education": 2}, tribes=("Oneida Nation",))
        client.get(LIST)

        def queries():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(CSV).status_code == 200
            return len(captured)

        few = queries()
        for n in range(10):
            make_training(
                title=f"More {n}",
                attendance={"education": 2, "youth": n + 1},
                counties=("Brown", "Door"),
            )
        assert queries() == few
        assert Training.objects.count() == 11
