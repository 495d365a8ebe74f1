"""The caseload and the hub queue as a specialist or agency worker uses them all day:
sorting by any column, true totals and paging, closed cases out of the way, tribes,
exports that match the view and are logged, bulk accept and assign, and a hub queue whose
size does not grow with the region's caseload."""

import csv
import datetime
import io
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cases import services
from cases.models import AccessChannel, CaseAccess, CaseEvent, EventKind, Status
from cases.views import lists
from regions.models import Tribe

pytestmark = pytest.mark.django_db

LIST = reverse("cases:list")


def numbers_in(text: str) -> list[str]:
    """Case numbers in the order the table shows them."""
    return re.findall(r'<th scope="row" data-label="Case"><a href="[^"]+">([^<]+)</a>', text)


class TestClosedCasesAndTotals:
    def test_closed_cases_are_hidden_until_a_status_asks_for_them(
        self, client_for, personas, make_case
    ):
        open_case = make_case(status=Status.ACTIVE)
        closed = make_case(status=Status.CLOSED)
        client = client_for(personas["hub2.specialist"])

        default = client.get(LIST).text
        assert numbers_in(default) == [open_case.number]
        assert "closed cases hidden" in default

        assert numbers_in(client.get(LIST, {"status": "closed"}).text) == [closed.number]
        every = client.get(LIST, {"status": ""}).text
        assert set(numbers_in(every)) == {open_case.number, closed.number}
        # A search (the header's box sends only q) finds a closed case too.
        found = client.get(LIST, {"q": closed.number}).text
        assert numbers_in(found) == [closed.number]

    def test_the_total_counts_every_match_and_pages_go_both_ways(
        self, client_for, personas, make_case, monkeypatch
    ):
        monkeypatch.setattr(lists, "PAGE_SIZE", 2)
        made = sorted(make_case(status=Status.ROUTED).number for _ in range(5))
        client = client_for(personas["hub2.specialist"])

        first = client.get(LIST, {"sort": "number"}).text
        assert "Showing 1\u20132 of 5 cases" in first
        assert "Page 1 of 3" in first
        assert 'rel="prev"' not in first
        second = client.get(LIST, {"sort": "number", "page": 2}).text
        assert "Showing 3\u20134 of 5 cases" in second
        assert 'rel="prev"' in second
        assert 'rel="next"' in second
        last = client.get(LIST, {"sort": "number", "page": 3}).text
        assert 'rel="next"' not in last
        assert numbers_in(first) + numbers_in(second) + numbers_in(last) == made

    def test_a_deep_page_asks_what_the_first_does_and_shows_its_steps(
        self, client_for, personas, make_case, monkeypatch
    ):
        monkeypatch.setattr(lists, "PAGE_SIZE", 2)
        for _ in range(6):
            make_case(status=Status.ROUTED)
        client = client_for(personas["hub2.specialist"])
        client.get(LIST)

        def asked(page: int) -> tuple[int, str]:
            with CaptureQueriesContext(connection) as captured:
                text = client.get(LIST, {"page": page}).text
            return len(captured), text

        first, _ = asked(1)
        deep, text = asked(3)

        assert deep == first
        # Only the page's cases were annotated, and they were: each shows its next step.
        cells = re.findall(r'<td data-label="Next step">(.*?)</td>', text, re.S)
        assert len(cells) == 2
        assert all("<time datetime=" in cell for cell in cells), cells


class TestSorting:
    def test_a_column_heading_sorts_and_sorting_again_reverses(
        self, client_for, personas, make_case
    ):
        zed = make_case(last="Zeller")
        amy = make_case(last="Abbott")
        mid = make_case(last="Moreno")
        client = client_for(personas["hub2.specialist"])

        ascending = client.get(LIST, {"sort": "youth"}).text
        assert numbers_in(ascending) == [amy.number, mid.number, zed.number]
        assert 'aria-sort="ascending"' in ascending
        # The heading now offers the other way round, with the filters kept.
        assert 'href="?sort=-youth"' in ascending

        descending = client.get(LIST, {"sort": "-youth"}).text
        assert numbers_in(descending) == [zed.number, mid.number, amy.number]
        assert 'aria-sort="descending"' in descending

    def test_next_due_and_overdue_sort_with_blanks_last(self, client_for, personas, make_case):
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            early = make_case(status=Status.ROUTED)
            clock.shift(datetime.timedelta(hours=3))
            later = make_case(status=Status.ROUTED)
            closed = make_case(status=Status.CLOSED)  # no next step
            clock.shift(datetime.timedelta(days=3))  # both open cases have steps overdue
            client = client_for(personas["hub2.specialist"])

            by_due = numbers_in(client.get(LIST, {"sort": "next_due", "status": ""}).text)
            assert by_due == [early.number, later.number, closed.number]
            reversed_due = numbers_in(client.get(LIST, {"sort": "-next_due", "status": ""}).text)
            assert reversed_due == [later.number, early.number, closed.number]
            overdue = client.get(LIST, {"sort": "-overdue", "status": ""}).text
            assert numbers_in(overdue)[-1] == closed.number

    def test_overdue_sorts_by_every_overdue_step_the_row_shows(
        self, client_for, personas, make_case
    ):
        """Not only the viewer's own: a case with four steps late on the hub comes before
        one with three late, one of them the agency's."""
        worker = personas["outagamie.worker"]
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            hubs_late = make_case(status=Status.ROUTED)
            clock.shift(datetime.timedelta(days=2))
            now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
            for key, data in (
                ("le_notification", {"notified_at": now, "law_enforcement_agency": "APD"}),
                ("federal_le_report", {"reported_at": now, "identified_as_victim": "yes"}),
            ):
                services.case_step_complete(
                    case_id=hubs_late.pk, step_key=key, actor=worker, data=data
                )
            mixed = make_case(status=Status.ROUTED)  # received two hours ago
            clock.shift(datetime.timedelta(hours=11))
            text = client_for(worker).get(LIST, {"sort": "-overdue"}).text

        def flags(case):
            start = text.index(f"{case.number}</a>")
            row = text[start : text.index("</tr>", start)]
            return re.findall(r'<span class="flag[^"]*">([^<]+)<', row)

        assert flags(hubs_late) == ["4 waiting on the hub"]
        assert flags(mixed) == ["1 overdue", "2 waiting on the hub"]
        assert numbers_in(text) == [hubs_late.number, mixed.number]

    @pytest.mark.parametrize("key", [key for key, *_ in lists.COLUMNS])
    def test_every_column_sorts_both_ways_in_a_constant_number_of_queries(
        self, key, client_for, personas, make_case
    ):
        client = client_for(personas["hub2.specialist"])
        make_case(status=Status.ACTIVE)
        client.get(LIST)  # the session's first request writes the session

        def queries(direction):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(LIST, {"sort": f"{direction}{key}"})
            assert response.status_code == 200
            return len(captured)

        few = queries("")
        for _ in range(4):
            make_case(status=Status.ACTIVE)
        assert queries("-") == few

    def test_an_unknown_sort_falls_back_to_newest_first(self, client_for, personas, make_case):
        older = make_case()
        newer = make_case()
        text = client_for(personas["hub2.specialist"]).get(LIST, {"sort": "'; drop"}).text
        assert numbers_in(text) == [newer.number, older.number]


class TestTribes:
    def test_a_tribal_caseload_shows_and_filters_by_tribe(self, client_for, personas, make_case):
        menominee = Tribe.objects.get(name="Menominee Indian Tribe of Wisconsin")
        tribal = make_case(county="Shawano", tribe=menominee, status=Status.ROUTED)
        other = make_case(status=Status.ROUTED)
        client = client_for(personas["hub2.specialist"])

        every = client.get(LIST).text
        assert {tribal.number, other.number} <= set(numbers_in(every))
        assert "Menominee Indian Tribe of Wisconsin</span>" in every
        only = client.get(LIST, {"tribe": menominee.pk}).text
        assert numbers_in(only) == [tribal.number]


class TestExport:
    def test_the_csv_is_the_filtered_view_in_full_and_each_case_is_logged(
        self, client_for, personas, make_case, monkeypatch
    ):
        monkeypatch.setattr(lists, "PAGE_SIZE", 1)  # the file is not the page
        cases = [make_case(status=Status.ROUTED, last=f"Export{i}") for i in range(3)]
        make_case(status=Status.CLOSED, last="Closedcase")
        user = personas["hub2.specialist"]

        response = client_for(user).get(reverse("cases:export-csv"), {"sort": "number"})

        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [r["Case number"] for r in rows] == sorted(c.number for c in cases)
        assert {r["Status"] for r in rows} == {Status.ROUTED.label}
        exported = set(
            CaseAccess.objects.filter(user=user, channel=AccessChannel.EXPORT).values_list(
                "case_id", flat=True
            )
        )
        assert exported == {c.pk for c in cases}

    def test_an_agency_exports_only_its_own_cases(self, client_for, personas, make_case):
        own = make_case(status=Status.ACTIVE)
        make_case(county="Brown", status=Status.ACTIVE)
        response = client_for(personas["outagamie.worker"]).get(reverse("cases:export-csv"))
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert [r["Case number"] for r in rows] == [own.number]

    def test_text_that_looks_like_a_formula_stays_text(self, client_for, personas, make_case):
        make_case(first="=HYPERLINK(1)", last="Formula")
        response = client_for(personas["hub2.specialist"]).get(reverse("cases:export-csv"))
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0]["Youth"].startswith("'=HYPERLINK")

    def test_the_xlsx_keeps_formula_like_text_as_text(self, client_for, personas, make_case):
        make_case(first="=1+1", last="Formula")
        response = client_for(personas["hub2.specialist"]).get(reverse("cases:export-xlsx"))
        sheet = load_workbook(io.BytesIO(response.content))["Caseload"]
        cell = sheet["B2"]
        assert cell.value == "=1+1 Formula"
        assert cell.data_type == "s"

    def test_the_xlsx_opens_with_the_same_rows(self, client_for, personas, make_case):
        case = make_case(status=Status.ROUTED)
        response = client_for(personas["hub2.specialist"]).get(reverse("cases:export-xlsx"))
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content))["Caseload"]
        header, *rows = list(sheet.values)
        assert header[0] == "Case number"
        assert [row[0] for row in rows] == [case.number]

    def test_an_export_too_large_is_refused_with_a_way_forward(
        self, client_for, personas, make_case, monkeypatch
    ):
        monkeypatch.setattr(lists, "EXPORT_LIMIT", 1)
        make_case()
        make_case()
        response = client_for(personas["hub2.specialist"]).get(reverse("cases:export-csv"))
        assert response.status_code == 400
        assert "Narrow the filters" in response.text
        assert not CaseAccess.objects.filter(channel=AccessChannel.EXPORT).exists()


class TestBulk:
    def post(self, client, **data):
        return client.post(reverse("cases:bulk"), data, follow=True)

    def test_an_agency_accepts_several_referrals_each_its_own_event(
        self, client_for, personas, make_case
    ):
        routed = [make_case(status=Status.ROUTED) for _ in range(2)]
        already = make_case(status=Status.ACTIVE)
        brown = make_case(county="Brown", status=Status.ROUTED)
        client = client_for(personas["outagamie.worker"])

        response = self.post(
            client, action="accept", cases=[c.pk for c in [*routed, already, brown]]
        )

        text = response.content.decode()
        assert f"Accepted {routed[0].number}, {routed[1].number}." in text
        assert f"Case {already.number} is" in text  # refused, named
        assert "a case you cannot see" in text  # Brown's: not even its number
        assert brown.number not in text
        for case in routed:
            case.refresh_from_db()
            assert case.status == Status.ACCEPTED
            assert case.events.filter(kind=EventKind.ACCEPTED).count() == 1
        brown.refresh_from_db()
        assert brown.status == Status.ROUTED

    def test_assigning_several_cases_to_a_worker(self, client_for, personas, make_case):
        cases = [make_case(status=Status.ACCEPTED) for _ in range(3)]
        worker = personas["outagamie.worker"]
        client = client_for(worker)

        page = client.get(LIST).text
        assert 'id="bulk-form"' in page
        assert f'<option value="{worker.pk}">' in page

        missing = self.post(client, action="assign", cases=[c.pk for c in cases])
        assert "Choose the worker" in missing.content.decode()
        assert not CaseEvent.objects.filter(kind=EventKind.ASSIGNED).exists()

        self.post(client, action="assign", worker=worker.pk, cases=[c.pk for c in cases])
        for case in cases:
            case.refresh_from_db()
            assert case.assigned_worker == worker
            assert case.status == Status.ACTIVE
        assert CaseEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 3

    def test_nothing_selected_or_a_worker_of_another_agency(self, client_for, personas, make_case):
        case = make_case(status=Status.ACCEPTED)
        client = client_for(personas["outagamie.worker"])
        assert "Select at least one case" in self.post(client, action="accept").content.decode()
        stranger = personas["brown.worker"]
        text = self.post(
            client, action="assign", worker=stranger.pk, cases=[case.pk]
        ).content.decode()
        assert "not on your agency&#x27;s staff" in text
        case.refresh_from_db()
        assert case.assigned_worker is None

    def test_a_hub_specialist_has_no_bulk_bar_and_is_refused(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.ROUTED)
        client = client_for(personas["hub2.specialist"])
        assert 'id="bulk-form"' not in client.get(LIST).text
        response = client.post(reverse("cases:bulk"), {"action": "accept", "cases": [case.pk]})
        assert response.status_code == 403
        case.refresh_from_db()
        assert case.status == Status.ROUTED

    def test_the_way_back_keeps_the_view_and_nothing_else(self, client_for, personas, make_case):
        case = make_case(status=Status.ROUTED)
        client = client_for(personas["outagamie.worker"])
        response = client.post(
            reverse("cases:bulk"),
            {
                "action": "accept",
                "cases": [case.pk],
                "back": "sort=-youth&status=routed&next=//evil.example\r\nX-Evil: 1",
            },
        )
        assert response.status_code == 302
        assert response["Location"] == f"{LIST}?status=routed&sort=-youth"

    def test_too_many_at_once_is_refused_before_anything_is_done(
        self, client_for, personas, make_case, monkeypatch
    ):
        monkeypatch.setattr(lists, "BULK_LIMIT", 2)
        cases = [make_case(status=Status.ROUTED) for _ in range(3)]
        client = client_for(personas["outagamie.worker"])
        text = self.post(client, action="accept", cases=[c.pk for c in cases]).content.decode()
        assert "Select at most 2 cases" in text
        assert not CaseEvent.objects.filter(kind=EventKind.ACCEPTED).exists()


class TestHubQueue:
    def queue(self, client):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("cases:hub-queue"))
        assert response.status_code == 200
        return response.text, len(captured)

    def test_size_and_queries_do_not_grow_with_the_waiting_cases(
        self, client_for, personas, make_case, monkeypatch
    ):
        # Ten cases already fill every cut list (the new referrals, the overdue steps).
        monkeypatch.setattr(lists, "QUEUE_SHOWN", 5)
        monkeypatch.setattr(lists, "OVERDUE_CASES_SHOWN", 5)
        client = client_for(personas["hub2.specialist"])
        for _ in range(10):
            make_case(status=Status.RECEIVED)
        client.get(reverse("cases:hub-queue"))
        small, small_queries = self.queue(client)
        for _ in range(490):
            make_case(status=Status.RECEIVED)
        large, large_queries = self.queue(client)

        assert large_queries == small_queries
        assert large.count("<tr>") == small.count("<tr>")
        assert abs(len(large) - len(small)) < 0.02 * len(small)
        new = large[large.index('id="new"') :]
        assert "Showing the 5 waiting longest of 500" in new
        assert f'href="{LIST}?status=received&amp;sort=opened">See all 500</a>' in new

    def test_awaiting_acceptance_shows_how_long_it_has_waited(
        self, client_for, personas, make_case
    ):
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            case = make_case(status=Status.ROUTED)
            clock.shift(datetime.timedelta(days=3, hours=1))
            text, _ = self.queue(client_for(personas["hub2.specialist"]))
        awaiting = text[text.index('id="awaiting"') :]
        start = awaiting.index(case.number)
        row = awaiting[start : awaiting.index("</tr>", start)]
        assert "3\xa0days" in row

    def test_a_section_not_cut_does_not_claim_to_be(self, client_for, personas, make_case):
        case = make_case(status=Status.SCREENED)
        text, _ = self.queue(client_for(personas["hub2.specialist"]))
        unrouted = text[text.index('id="unrouted"') : text.index('id="declined"')]
        assert case.number in unrouted
        assert "See all" not in unrouted
        assert "Showing" not in unrouted
