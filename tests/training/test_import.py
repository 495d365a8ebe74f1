"""The CSV import as a hub specialist uses it: download the template, fill it in, upload,
read every error with its row number, see what will be created, import it once. Nothing
is ever half-imported."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from regions.models import Hub, Region, Role
from regions.services import membership_grant
from tests.conftest import SignedInClient
from training.imports import ATTENDANCE, COLUMN_NAMES, MAX_ROWS, import_rows
from training.models import ChangeKind, Training, TrainingChange, TrainingStatus

pytestmark = pytest.mark.django_db

IMPORT = reverse("training:import")
TEMPLATE = reverse("training:import-template")
TODAY = timezone.localdate()
PAST = TODAY - datetime.timedelta(days=20)
FUTURE = TODAY + datetime.timedelta(days=20)


def good_row(**cells) -> dict:
    """A delivered training, as a spreadsheet row; `cells` change or add columns."""
    return {
        "title": "Recognising trafficking: what schools see",
        "date": PAST.isoformat(),
        "duration_hours": "2",
        "format": "in_person",
        "topics": "awareness;indicators",
        "counties": "Outagamie;Brown",
        "education": "12",
        "law_enforcement": "",
        "youth_attendees": "",
        **cells,
    }


def csv_text(rows: list[dict], *, header: list[str] | None = None, delimiter=",") -> str:
    header = header or list(dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([row.get(name, "") for name in header] for row in rows)
    return buffer.getvalue()


def upload(client, content, *, name="trainings.csv", region=2):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        IMPORT, {"region": region, "file": SimpleUploadedFile(name, raw, "text/csv")}
    )


def confirm(client, token, **extra):
    return client.post(IMPORT, {"token": token, **extra})


def imported(preview, client) -> None:
    """Confirm a good file's preview (ticking "Import them anyway" if it is offered)."""
    assert preview.context["errors"] == [], preview.context["errors"]
    done = confirm(client, preview.context["token"], import_anyway="on")
    assert done.status_code == 302, done


def errors_of(response) -> list[tuple]:
    return [tuple(error) for error in response.context["errors"]]


@pytest.fixture
def hub2(client_for, personas):
    return client_for(personas["hub2.specialist"])


class TestAGoodFile:
    def test_every_row_is_imported_once_confirmed_each_with_an_imported_change(self, hub2):
        rows = [
            good_row(title="Schools, Appleton", education="12", law_enforcement="3"),
            good_row(title="Hotel staff", date=FUTURE.isoformat(), education="", topics="other"),
            good_row(title="Truckers", counties="Brown", format="virtual", youth_attendees="0"),
        ]
        before = Training.objects.count()

        preview = upload(hub2, csv_text(rows))

        assert preview.status_code == 200
        assert preview.context["errors"] == []
        assert "Import 3 trainings" in preview.text
        assert Training.objects.count() == before  # nothing until confirmed

        done = confirm(hub2, preview.context["token"])

        assert done.status_code == 302
        assert done.url == reverse("training:list")
        assert [str(m) for m in get_messages(done.wsgi_request)] == ["Imported 3 trainings."]
        created = Training.objects.filter(region__number=2).order_by("title")
        assert created.count() == before + 3
        schools = created.get(title="Schools, Appleton")
        assert schools.status == TrainingStatus.DELIVERED
        assert schools.total_attendees == 15
        assert {a.sector: a.count for a in schools.attendance.all()} == {
            "education": 12,
            "law_enforcement": 3,
        }
        assert sorted(c.name for c in schools.counties.all()) == ["Brown", "Outagamie"]
        assert sorted(t.topic for t in schools.topic_rows.all()) == ["awareness", "indicators"]
        assert created.get(title="Hotel staff").status == TrainingStatus.PLANNED
        assert created.get(title="Truckers").format == "virtual"
        kinds = TrainingChange.objects.filter(training__in=created).values_list("kind", flat=True)
        assert list(kinds) == [ChangeKind.IMPORTED] * 3

    def test_labels_names_and_excel_quirks_are_read_like_keys(self, hub2):
        rows = [
            {
                " Title ": "Labels and names",
                "DATE": f"{PAST.month}/{PAST.day}/{PAST.year}",
                "Start Time": "1:30 PM",
                "Duration hours": "1.5",
                "Format": "In person",
                "Topics": "Recognising the indicators; The Response Protocol",
                "Counties": "Outagamie County; 55009",
                "Tribes": "oneida nation",
                "Delivered by hub": "no",
                "Partner agencies": "Outagamie County Human Services",
                "Law-Enforcement": "12.0",
            },
            {
                " Title ": "Hybrid, keys",
                "DATE": f"{PAST.isoformat()} 00:00:00",
                "Duration hours": "1",
                "Format": "hybrid",
                "Topics": "response protocol",
                "Counties": "brown",
                "Law-Enforcement": "4",
            },
        ]
        # Excel in a comma-decimal locale: BOM, ';' between cells, CRLF, empty rows at the end.
        text = csv_text(rows, delimiter=";") + ";;;\r\n\r\n"
        preview = upload(hub2, "\ufeff" + text)
        assert preview.context["errors"] == []

        confirm(hub2, preview.context["token"])

        training = Training.objects.get(title="Labels and names")
        assert training.date == PAST
        assert training.start_time == datetime.time(13, 30)
        assert training.format == "in_person"
        assert sorted(t.topic for t in training.topic_rows.all()) == [
            "indicators",
            "response_protocol",
        ]
        assert sorted(c.name for c in training.counties.all()) == ["Brown", "Outagamie"]
        assert [t.name for t in training.tribes.all()] == ["Oneida Nation"]
        assert training.delivered_by_hub is False
        assert [a.name for a in training.partner_agencies.all()] == [
            "Outagamie County Human Services"
        ]
        assert training.total_attendees == 12
        hybrid = Training.objects.get(title="Hybrid, keys")
        assert hybrid.format == "hybrid"
        assert hybrid.date == PAST
        assert [t.topic for t in hybrid.topic_rows.all()] == ["response_protocol"]

    @pytest.mark.parametrize("delimiter", [";", ","])
    def test_a_decimal_comma_is_read_as_a_decimal_mark(self, hub2, delimiter):
        rows = [
            good_row(title="An hour and a half", duration_hours="1,5"),
            good_row(title="Three quarters", duration_hours="0,75"),
        ]
        imported(upload(hub2, csv_text(rows, delimiter=delimiter)), hub2)

        hours = dict(Training.objects.values_list("title", "duration_hours"))
        assert hours == {"An hour and a half": Decimal("1.5"), "Three quarters": Decimal("0.75")}


class TestThePreview:
    def test_it_shows_what_will_be_created_with_totals(self, hub2):
        rows = [
            good_row(title="Schools, Appleton", education="12", law_enforcement="3"),
            good_row(
                title="Hotel staff",
                date=FUTURE.isoformat(),
                education="",
                counties="Door",
                format="hybrid",
                topics="response_protocol",
            ),
        ]
        preview = upload(hub2, csv_text(rows)).text

        for shown in (
            "Schools, Appleton",
            "Hotel staff",
            "Brown, Outagamie",
            "Door",
            "Awareness, Recognising the indicators",
            "The Response Protocol",
            "In person",
            "Hybrid",
            "Delivered",
            "Planned",
            "Region 2",
            "Import 2 trainings",
            f'href="{IMPORT}">Cancel</a>',
        ):
            assert shown in preview, shown
        totals = upload(hub2, csv_text(rows)).context["totals"]
        assert totals == {
            "trainings": 2,
            "delivered": 1,
            "planned": 1,
            "people": 15,
            "hours": "2",
            "counties": 2,
        }

    def test_on_a_phone_each_value_of_a_training_s_card_is_labelled(self, hub2):
        preview = upload(hub2, csv_text([good_row(title="Schools, Appleton")])).text
        row = re.search(r"<tbody>(.*?)</tbody>", preview, re.S).group(1)
        cells = re.findall(r"<t[hd]\b([^>]*)>", row)
        assert '<th scope="row" data-label="Title">Schools, Appleton</th>' in row
        assert len(cells) == 8
        assert all("data-label=" in cell for cell in cells), cells

    def test_no_import_style_is_wider_than_a_320px_screen(self):
        css = (Path(settings.BASE_DIR) / "static/css/training.css").read_text()
        section = css.split("/* == import == */")[1].split("/* == ")[0]
        minimums = re.findall(r"minmax\(\s*(min\([^)]*\)|[^,]+),", section)
        assert minimums, "the section has grid columns with a minimum width"
        for minimum in minimums:
            assert minimum == "0" or re.fullmatch(r"min\([^,]+,\s*100%\)", minimum), minimum

    def test_the_confirm_button_needs_no_tick_when_no_row_looks_logged(self, hub2):
        preview = upload(hub2, csv_text([good_row()]))
        assert preview.context["duplicates"] == []
        assert "Import them anyway" not in preview.text
        assert confirm(hub2, preview.context["token"]).status_code == 302
        assert Training.objects.filter(title=good_row()["title"]).count() == 1

    def test_confirming_twice_imports_once(self, hub2):
        preview = upload(hub2, csv_text([good_row(), good_row(title="Second")]))
        token = preview.context["token"]
        before = Training.objects.count()

        first = confirm(hub2, token)
        second = confirm(hub2, token)

        assert Training.objects.count() == before + 2
        assert first.url == second.url == reverse("training:list")
        assert "nothing was imported a second time" in str(
            list(get_messages(second.wsgi_request))[-1]
        )

    def test_the_previewed_file_is_imported_not_what_the_browser_sends_at_confirm(self, hub2):
        preview = upload(hub2, csv_text([good_row(title="What was previewed")]))
        edited = csv_text([good_row(title="Sneaked in", education="900000")])

        confirm(
            hub2,
            preview.context["token"],
            file=SimpleUploadedFile("t.csv", edited.encode(), "text/csv"),
            text=edited,
        )

        assert Training.objects.filter(title="What was previewed").count() == 1
        assert not Training.objects.filter(title="Sneaked in").exists()

    def test_a_forged_or_replaced_token_imports_nothing(self, hub2):
        first = upload(hub2, csv_text([good_row(title="First file")]))
        upload(hub2, csv_text([good_row(title="Second file")]))  # replaces the first
        before = Training.objects.count()

        forged = confirm(hub2, "not-a-token")
        stale = confirm(hub2, first.context["token"])

        assert Training.objects.count() == before
        assert forged.url == stale.url == IMPORT

    def test_rows_are_checked_again_at_confirm(self, hub2, monkeypatch):
        preview = upload(hub2, csv_text([good_row(title="Checked twice")]))
        # What was kept is read and checked again at confirm; here it no longer passes.
        session = hub2.session
        session["training_import"]["text"] = csv_text(
            [good_row(title="Checked twice", date=FUTURE.isoformat())]
        )
        session.save()

        refused = confirm(hub2, preview.context["token"])

        assert refused.status_code == 200
        assert [e[:2] for e in errors_of(refused)] == [(2, ATTENDANCE)]
        assert not Training.objects.filter(title="Checked twice").exists()


class TestRowsAlreadyLogged:
    """Importing the same file twice is the likely mistake: rows with the date and title of
    a training already logged in the region (or of an earlier row) are listed, and
    imported only with "Import them anyway" ticked."""

    def test_the_same_file_twice_lists_every_row_and_needs_the_tick(self, hub2):
        text = csv_text([good_row(title="Schools"), good_row(title="Hotels")])
        imported(upload(hub2, text), hub2)
        before = Training.objects.count()
        logged = Training.objects.get(title="Schools")

        again = upload(hub2, text)

        assert again.context["errors"] == []
        assert [(d.row, d.training.title) for d in again.context["duplicates"]] == [
            (2, "Schools"),
            (3, "Hotels"),
        ]
        page = again.text
        assert "2 rows look like trainings already logged" in page
        warning = page.index("2 rows look like trainings already logged")
        assert (
            warning
            < page.index('type="checkbox" name="import_anyway"')
            < page.index("Import 2 trainings</button>")
        )
        assert f"Row 2, <q>Schools</q> on {date_filter(PAST)}: already logged" in page
        assert f'href="{reverse("training:detail", args=[logged.pk])}"' in page
        assert "Already logged?" in page

        unticked = confirm(hub2, again.context["token"])

        assert unticked.status_code == 200
        assert Training.objects.count() == before
        assert unticked.context["confirm"].errors["import_anyway"]
        field = page_field(unticked.text, "import_anyway")
        assert "field--error" in field
        assert "Tick" in field
        assert "Nothing was imported." in unticked.text  # the error summary
        assert 'href="#id_import_anyway"' in unticked.text

        ticked = confirm(hub2, again.context["token"], import_anyway="on")

        assert ticked.status_code == 302
        assert Training.objects.filter(title="Schools").count() == 2
        assert Training.objects.count() == before + 2

    def test_titles_match_trimmed_and_whatever_the_case_on_the_same_date_and_region(
        self, hub2, make_training
    ):
        logged = make_training(title="Schools, Appleton", date=PAST, attendance={"education": 3})
        make_training(region=5, counties=("Dane",), title="Hotels", date=PAST)
        rows = [
            good_row(title="  SCHOOLS, appleton "),
            good_row(title="Schools, Appleton", date=str(PAST - datetime.timedelta(days=1))),
            good_row(title="Hotels"),  # region 5's, not region 2's
        ]

        preview = upload(hub2, csv_text(rows))

        assert [(d.row, d.training) for d in preview.context["duplicates"]] == [(2, logged)]
        assert "1 row looks like a training already logged" in preview.text

    def test_a_row_repeated_in_the_file_is_listed_with_the_row_it_repeats(self, hub2):
        rows = [good_row(title="Truckers"), good_row(title="Schools"), good_row(title="truckers ")]

        preview = upload(hub2, csv_text(rows))

        assert [(d.row, d.same_as_row) for d in preview.context["duplicates"]] == [(4, 2)]
        assert "the same date and title as row 2 of this file" in preview.text
        assert "Also row 2" in preview.text
        assert confirm(hub2, preview.context["token"]).status_code == 200
        assert not Training.objects.filter(title="Schools").exists()

    def test_a_training_logged_between_preview_and_confirm_is_caught(self, hub2, make_training):
        preview = upload(hub2, csv_text([good_row(title="Schools")]))
        assert "Import them anyway" not in preview.text
        make_training(title="Schools", date=PAST, attendance={"education": 1})

        response = confirm(hub2, preview.context["token"])

        assert response.status_code == 200
        assert "1 row looks like" in response.text
        assert Training.objects.filter(title="Schools").count() == 1


def page_field(html: str, name: str) -> str:
    """The `.field` block of the form field `name` in a page."""
    start = html.rindex('<div class="field', 0, html.index(f'name="{name}"'))
    return html[start : html.index("</div>", start)]


BAD_ROWS = [
    ("missing title", {"title": "  "}, "title", "Give the training a title."),
    ("bad date", {"date": "14/03/2026"}, "date", "is not a date"),
    ("impossible date", {"date": "2026-02-30"}, "date", "is not a date"),
    (
        "future date with attendance",
        {"date": FUTURE.isoformat(), "education": "5"},
        ATTENDANCE,
        "Attendance is recorded once the training has taken place",
    ),
    ("unknown county", {"counties": "Outagami"}, "counties", 'Did you mean "Outagamie"?'),
    (
        "unknown county, with County",
        {"counties": "Brown; Outagami County"},
        "counties",
        'Unknown county "Outagami County". Did you mean "Outagamie"?',
    ),
    ("unknown topic", {"topics": "awareness;prevension"}, "topics", 'Unknown topic "prevension"'),
    ("bad format", {"format": "zoom"}, "format", 'Unknown format "zoom"'),
    ("negative attendance", {"education": "-3"}, "education", "from 0 to 100,000"),
    ("non-numeric attendance", {"education": "twelve"}, "education", "is not a whole number"),
    ("fractional attendance", {"education": "2.5"}, "education", "is not a whole number"),
    (
        "youth over the total",
        {"education": "5", "youth_attendees": "9"},
        "youth_attendees",
        "More youth (9) than attendees in all (5).",
    ),
    ("no county", {"counties": ""}, "counties", "Choose at least one county"),
    ("duration too long", {"duration_hours": "81"}, "duration_hours", "from 0.25 to 80"),
    ("duration zero", {"duration_hours": "0"}, "duration_hours", "from 0.25 to 80"),
    ("duration not a number", {"duration_hours": "2h"}, "duration_hours", "not a number"),
    ("duration, thousands", {"duration_hours": "1,500"}, "duration_hours", "not a number"),
    ("duration, both marks", {"duration_hours": "1.000,5"}, "duration_hours", "not a number"),
    ("no topic", {"topics": ""}, "topics", "Choose at least one topic."),
    ("bad time", {"start_time": "25:00"}, "start_time", "is not a time"),
    ("unknown tribe", {"tribes": "Oneida Nations"}, "tribes", 'Did you mean "Oneida Nation"?'),
    ("bad yes/no", {"delivered_by_hub": "maybe"}, "delivered_by_hub", "Write yes or no"),
    (
        "unknown agency",
        {"partner_agencies": "Outagamie County Human Service"},
        "partner_agencies",
        'Unknown agency "Outagamie County Human Service". Did you mean "Outagamie County '
        'Human Services"?',
    ),
    (
        "another region's agency",
        {"partner_agencies": "Dane County Human Services"},
        "partner_agencies",
        "Not an agency of Region 2",
    ),
]


class TestBadRows:
    @pytest.mark.parametrize(
        ("cells", "column", "message"),
        [case[1:] for case in BAD_ROWS],
        ids=[case[0] for case in BAD_ROWS],
    )
    def test_a_bad_row_among_good_ones_is_named_and_nothing_is_imported(
        self, hub2, cells, column, message
    ):
        rows = [good_row(title="Good one"), good_row(**cells), good_row(title="Good two")]
        before = Training.objects.count()

        response = upload(hub2, csv_text(rows))

        assert response.status_code == 200
        errors = errors_of(response)
        assert [(row, col) for row, col, _ in errors] == [(3, column)], errors
        assert message in errors[0][2]
        assert "Nothing was imported." in response.text
        assert "Row 3" in response.text
        assert "1 of 3 rows in <strong>trainings.csv</strong> has errors" in response.text
        assert 'name="token"' not in response.text
        assert "training_import" not in hub2.session
        assert Training.objects.count() == before

    def test_every_row_s_errors_are_listed_at_once(self, hub2):
        rows = [
            good_row(title="", counties="Outagami"),
            good_row(),
            good_row(date="yesterday", education="lots"),
        ]
        errors = errors_of(upload(hub2, csv_text(rows)))
        assert [(row, column) for row, column, _ in errors] == [
            (2, "title"),
            (2, "counties"),
            (4, "date"),
            (4, "education"),
        ]

    def test_a_value_under_no_heading_is_an_error_of_its_row(self, hub2):
        text = csv_text([good_row()]) + csv_text([good_row()]).splitlines()[1] + ",stray\r\n"
        assert errors_of(upload(hub2, text)) == [
            (3, "", "There is a value in column 10, which has no name in the header.")
        ]


class TestBadFiles:
    def test_an_unknown_column_is_named(self, hub2):
        response = upload(hub2, csv_text([good_row(colour="red", venu="Library")]))
        assert errors_of(response) == [
            (1, "colour", 'Unknown column "colour".'),
            (1, "venu", 'Unknown column "venu". Did you mean "venue"?'),
        ]

    def test_a_missing_required_column_is_named(self, hub2):
        row = good_row()
        del row["counties"]
        assert errors_of(upload(hub2, csv_text([row]))) == [
            (1, "counties", "This required column is missing.")
        ]

    @pytest.mark.parametrize(
        ("content", "row", "message"),
        [
            (b"", None, "The file is empty."),
            (b"\xef\xbb\xbf\r\n\r\n", None, "The file is empty."),
            (
                ",".join(COLUMN_NAMES).encode() + b"\r\n,,\r\n",
                None,
                "The file has a header but no trainings.",
            ),
            (b"PK\x03\x04rest-of-a-workbook", None, "This is an Excel workbook"),
        ],
        ids=["empty", "only a BOM and blank lines", "header only", "an xlsx workbook"],
    )
    def test_a_file_with_nothing_to_import_says_why(self, hub2, content, row, message):
        before = Training.objects.count()
        errors = errors_of(upload(hub2, content))
        assert [(e[0], e[1]) for e in errors] == [(row, "")]
        assert message in errors[0][2]
        assert Training.objects.count() == before

    def test_a_file_not_in_utf8_names_the_row_and_how_to_save_it(self, hub2):
        text = csv_text([good_row(), good_row(venue="Café Rouge")])
        response = upload(hub2, text.encode("cp1252"))
        errors = errors_of(response)
        assert [(e[0], e[1]) for e in errors] == [(3, "")]
        assert "CSV UTF-8" in errors[0][2]
        assert "<strong>trainings.csv</strong> cannot be imported as it is" in response.text

    def test_too_many_rows_are_refused_whole(self, hub2):
        before = Training.objects.count()
        rows = [good_row(title=f"Training {n}") for n in range(MAX_ROWS + 1)]
        errors = errors_of(upload(hub2, csv_text(rows)))
        assert errors == [
            (
                None,
                "",
                "The file has 501 trainings; import at most 500 at a time (split the file).",
            )
        ]
        assert Training.objects.count() == before

    def test_a_file_over_a_megabyte_is_not_read(self, hub2):
        text = csv_text([good_row(notes="x" * 1024 * 1024)])
        response = upload(hub2, text)
        assert response.templates[0].name == "training/import.html"
        assert "over 1 MB" in response.text
        assert "training_import" not in hub2.session


class TestTheTemplate:
    def test_it_downloads_with_a_bom_the_columns_and_two_examples(self, hub2):
        assert f'href="{TEMPLATE}?region=2"' in hub2.get(IMPORT).text
        response = hub2.get(TEMPLATE, {"region": 2})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        raw = response.content
        assert raw.startswith(b"\xef\xbb\xbf")
        header, *examples = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert header == COLUMN_NAMES
        assert len(examples) == 2
        assert all(row[0].startswith("EXAMPLE (delete this row)") for row in examples)
        notes = [row[COLUMN_NAMES.index("notes")] for row in examples]
        assert "never write names or details of attendees" in notes[0]

    def test_its_example_rows_are_refused_and_import_once_no_longer_examples(self, hub2):
        template = hub2.get(TEMPLATE).content.decode("utf-8-sig")
        before = Training.objects.count()

        refused = upload(hub2, template)

        assert [(row, column) for row, column, _ in errors_of(refused)] == [(2, ""), (3, "")]
        assert "Delete the example rows" in errors_of(refused)[0][2]
        assert "Row 2" in refused.text
        assert "Row 3" in refused.text
        assert Training.objects.count() == before

        # The same rows, the marker taken off their titles, are good trainings.
        imported(upload(hub2, template.replace("EXAMPLE (delete this row): ", "")), hub2)

        examples = Training.objects.filter(region__number=2).order_by("date")
        assert [t.title for t in examples] == [
            "Recognising trafficking, for school staff",
            "The Response Protocol for hotel staff",
        ]
        assert [t.status for t in examples] == [TrainingStatus.DELIVERED, TrainingStatus.PLANNED]
        assert examples[0].total_attendees == 27
        assert examples[0].tribes.exists()
        assert examples[0].partner_agencies.exists()

    def test_an_example_row_left_among_real_ones_is_refused_whatever_its_case(self, hub2):
        rows = [good_row(), good_row(title="  example (Delete this row): my own edit")]
        errors = errors_of(upload(hub2, csv_text(rows)))
        assert [(row, column) for row, column, _ in errors] == [(3, "")]
        assert not Training.objects.filter(title__icontains="example").exists()

    def test_a_specialist_of_two_regions_is_offered_each_region_s_template(self, hub2, personas):
        membership_grant(
            user=personas["hub2.specialist"],
            role=Role.HUB_SPECIALIST,
            hub=Hub.objects.get(region__number=5),
        )

        page = hub2.get(IMPORT).text
        region5 = hub2.get(TEMPLATE, {"region": 5})

        assert f'href="{TEMPLATE}?region=2"' in page
        assert f'href="{TEMPLATE}?region=5"' in page
        assert "Download the template for Region 5" in page
        assert region5.status_code == 200
        assert "region-5" in region5["Content-Disposition"]
        _, example, _ = list(csv.reader(io.StringIO(region5.content.decode("utf-8-sig"))))
        counties = example[COLUMN_NAMES.index("counties")].split("; ")
        region = Region.objects.get(number=5)
        assert set(counties) <= set(region.counties.values_list("name", flat=True))

    @pytest.mark.parametrize(("asked", "status"), [("5", 403), ("x", 400), ("99", 400), ("", 400)])
    def test_a_region_the_specialist_does_not_manage_is_refused(self, hub2, asked, status):
        assert hub2.get(TEMPLATE, {"region": asked}).status_code == status


class TestWhoMayImport:
    @pytest.mark.parametrize(
        "username", ["outagamie.worker", "state.admin", "accounts.admin", "outsider"]
    )
    def test_only_hub_specialists_import(self, client_for, personas, username):
        client = client_for(personas[username])
        before = Training.objects.count()

        assert client.get(IMPORT).status_code == 403
        assert client.get(TEMPLATE).status_code == 403
        assert upload(client, csv_text([good_row()])).status_code == 403
        assert Training.objects.count() == before

    def test_the_upload_page_is_for_the_specialist_s_region(self, hub2):
        page = hub2.get(IMPORT)
        assert page.status_code == 200
        assert "The trainings are logged for <strong>Region 2" in page.text
        assert f'href="{TEMPLATE}?region=2"' in page.text
        for name in COLUMN_NAMES:
            assert f"<code>{name}</code>" in page.text

    def test_another_region_s_specialist_cannot_import_into_region_2(self, client_for, personas):
        client = client_for(personas["hub5.specialist"])
        before = Training.objects.count()

        response = upload(client, csv_text([good_row()]), region=2)

        assert response.status_code == 200
        assert "Select a valid choice" in response.text
        assert Training.objects.count() == before
        preview = upload(client, csv_text([good_row(counties="Dane")]), region=5)
        confirm(client, preview.context["token"])
        assert Training.objects.get(title=good_row()["title"]).region.number == 5

    def test_a_confirm_from_someone_else_s_session_imports_nothing(self, hub2, personas):
        preview = upload(hub2, csv_text([good_row(title="Not yours")]))
        token = preview.context["token"]
        hub5 = SignedInClient()
        hub5.force_login(personas["hub5.specialist"])

        assert confirm(hub5, token).url == IMPORT
        assert not Training.objects.filter(title="Not yours").exists()


def test_reading_a_file_takes_the_same_queries_however_many_rows(wisconsin):
    region = Region.objects.get(number=2)

    def queries(rows: int) -> int:
        text = csv_text([good_row(title=f"T{n}", tribes="Oneida Nation") for n in range(rows)])
        with CaptureQueriesContext(connection) as captured:
            parsed = import_rows(text, region=region)
        assert parsed.errors == []
        assert len(parsed.rows) == rows
        return len(captured)

    assert queries(2) == queries(40) == 3
