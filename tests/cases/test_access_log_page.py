"""The access log page of a case: who may read it, filters, true totals, paging and the CSV
file of the same entries (itself logged)."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessChannel, CaseAccess
from cases.views import access as access_views
from regions.models import Agency, Role
from regions.services import membership_grant

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TO = "\N{EN DASH}"  # between the numbers of "Showing 1 to 6 of 6"


@pytest.fixture
def supervisor(personas):
    user = get_user_model().objects.create_user(
        "outagamie.supervisor", first_name="Sasha", last_name="Supervisor"
    )
    membership_grant(
        user=user, role=Role.AGENCY_SUPERVISOR, agency=Agency.objects.get(county__name="Outagamie")
    )
    return user


def entry(case, user, *, at, granted=True, channel=AccessChannel.PAGE):
    return CaseAccess.objects.create(
        case=case, user=user, at=at, granted=granted, channel=channel, ip_address="10.0.0.7"
    )


def noon(days_ago: int) -> datetime.datetime:
    today = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    return today - days_ago * DAY


@pytest.fixture
def logged(routed_case, personas):
    """routed_case's log, beside what building it wrote: outagamie.worker opened it on
    three days, brown.worker was refused twice, hub2.specialist found it in a search."""
    worker, brown, hub = (
        personas["outagamie.worker"],
        personas["brown.worker"],
        personas["hub2.specialist"],
    )
    for days_ago in (9, 5, 1):
        entry(routed_case, worker, at=noon(days_ago))
    entry(routed_case, brown, at=noon(6), granted=False)
    entry(routed_case, brown, at=noon(2), granted=False)
    entry(routed_case, hub, at=noon(3), channel=AccessChannel.SEARCH)
    return routed_case


def url(case, **query):
    base = reverse("cases:access-log", args=[case.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def export_url(case, **query):
    base = reverse("cases:access-log-export", args=[case.pk])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def entries_section(page: str) -> str:
    return page[page.index('id="entries"') :]


def entry_rows(page: str) -> list[tuple[str, str, str]]:
    """(who, how, outcome) of each row of the entries table."""
    body = entries_section(page)
    body = body[body.index("<tbody>") : body.index("</tbody>")]
    rows = re.findall(
        r"<tr>\s*<td><time[^>]*>[^<]*</time></td>\s*<td>.*?\((\S+)\)</span></td>\s*"
        r"<td>([^<]+)</td>\s*<td>(Allowed|<strong class=\"denied\">Refused</strong>)</td>",
        body,
        re.S,
    )
    return [
        (who, how, "Refused" if "Refused" in outcome else "Allowed") for who, how, outcome in rows
    ]


def showing(page: str) -> str:
    match = re.search(r'<p class="result-count" id="result-count">(.*?)</p>', page, re.S)
    return re.sub(r"\s+", " ", match[1]).strip()


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


class TestWhoMayRead:
    def test_the_hub_and_the_agencys_supervisor_read_the_page_and_the_file(
        self, client_for, personas, supervisor, logged
    ):
        for user in (personas["hub2.specialist"], supervisor):
            client = client_for(user)
            assert client.get(url(logged)).status_code == 200
            assert client.get(export_url(logged)).status_code == 200

    def test_agency_staff_who_do_not_supervise_are_refused_and_that_is_logged(
        self, client_for, personas, logged
    ):
        worker = personas["outagamie.worker"]
        client = client_for(worker)
        before = CaseAccess.objects.latest("id").pk

        page = client.get(url(logged))
        export = client.get(export_url(logged))

        assert (page.status_code, export.status_code) == (403, 403)
        assert "brown.worker" not in page.text + export.content.decode()
        new = CaseAccess.objects.filter(pk__gt=before)
        assert sorted((a.user_id, a.channel, a.granted) for a in new) == [
            (worker.pk, AccessChannel.EXPORT, False),
            (worker.pk, AccessChannel.PAGE, False),
        ]

    def test_another_regions_hub_finds_nothing(self, client_for, personas, logged):
        hub5 = personas["hub5.specialist"]
        client = client_for(hub5)

        assert client.get(url(logged)).status_code == 404
        assert client.get(export_url(logged)).status_code == 404
        assert CaseAccess.objects.filter(case=logged, user=hub5, granted=False).count() == 2


class TestFiltersAndTotals:
    def test_unfiltered_the_page_shows_everything_with_its_true_total(
        self, client_for, personas, logged
    ):
        page = client_for(personas["hub2.specialist"]).get(url(logged)).text

        assert showing(page) == f"Showing 1{TO}6 of 6 entries."
        assert [who for who, _, _ in entry_rows(page)] == [
            "outagamie.worker",  # 1 day ago
            "brown.worker",  # 2
            "hub2.specialist",  # 3
            "outagamie.worker",  # 5
            "brown.worker",  # 6
            "outagamie.worker",  # 9
        ]

    def test_by_person(self, client_for, personas, logged):
        worker = personas["outagamie.worker"]
        page = client_for(personas["hub2.specialist"]).get(url(logged, person=worker.pk)).text

        assert {who for who, _, _ in entry_rows(page)} == {"outagamie.worker"}
        assert showing(page) == f"Showing 1{TO}3 of 3 entries matching the filters (6 in all)."
        assert re.search(rf'<option value="{worker.pk}" selected>Olivia Appleton', page)

    def test_refused_only(self, client_for, personas, logged):
        page = client_for(personas["hub2.specialist"]).get(url(logged, outcome="refused")).text

        assert entry_rows(page) == [
            ("brown.worker", "Case page", "Refused"),
            ("brown.worker", "Case page", "Refused"),
        ]
        assert showing(page) == f"Showing 1{TO}2 of 2 entries matching the filters (6 in all)."

    def test_a_date_range_takes_whole_days_at_both_ends(self, client_for, personas, logged):
        since = noon(6).date().isoformat()
        until = noon(2).date().isoformat()

        page = client_for(personas["hub2.specialist"]).get(
            url(logged, since=since, until=until, outcome="allowed")
        )

        assert [(who, how) for who, how, _ in entry_rows(page.text)] == [
            ("hub2.specialist", "Search results: name shown"),
            ("outagamie.worker", "Case page"),
        ]

    def test_an_end_before_the_start_is_explained_and_shows_nothing(
        self, client_for, personas, logged
    ):
        response = client_for(personas["hub2.specialist"]).get(
            url(logged, since=noon(1).date().isoformat(), until=noon(5).date().isoformat())
        )

        assert response.status_code == 400
        assert 'id="id_until_error"><li>The end date is before the start date.</li>' in (
            response.text
        )
        assert entry_rows(response.text) == []
        assert showing(response.text) == "No entries shown."
        assert "as CSV" not in entries_section(response.text)

    def test_a_date_at_the_end_of_the_calendar_is_explained_not_a_crash(
        self, client_for, personas, logged
    ):
        client = client_for(personas["hub2.specialist"])
        for address in (url(logged, until="9999-12-31"), export_url(logged, until="9999-12-31")):
            response = client.get(address)
            assert response.status_code == 400
            assert "no later than a year from today" in response.text

    def test_a_person_not_in_this_log_cannot_be_chosen(self, client_for, personas, logged):
        response = client_for(personas["hub2.specialist"]).get(
            url(logged, person=personas["dane.worker"].pk)
        )

        assert response.status_code == 400
        assert "only people in this log are listed" in response.text
        assert "dane.worker" not in response.text

    def test_pages_keep_the_filters_and_count_true_positions(
        self, client_for, personas, logged, monkeypatch
    ):
        monkeypatch.setattr(access_views, "ACCESS_LOG_PAGE_SIZE", 2)
        client = client_for(personas["hub2.specialist"])

        seen, shown, next_url = [], [], url(logged, outcome="allowed")
        while next_url:
            page = client.get(next_url).text
            seen += entry_rows(page)
            shown.append(showing(page))
            more = re.search(r'href="(\?after=[^"]+)#entries" rel="next"', page)
            next_url = url(logged) + more[1].replace("&amp;", "&") if more else None

        assert [outcome for _, _, outcome in seen] == ["Allowed"] * 4
        # Opening the first page is itself an entry, newer than any shown: the second page
        # still continues where the first ended, and its numbers count it.
        assert shown == [
            f"Showing 1{TO}2 of 4 entries matching the filters (6 in all).",
            f"Showing 4{TO}5 of 5 entries matching the filters (7 in all).",
        ]

    def test_the_page_costs_the_same_queries_at_6_entries_and_at_300(
        self, client_for, personas, logged
    ):
        client = client_for(personas["hub2.specialist"])
        client.get(url(logged))  # warm the session

        def queries(**query):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url(logged, **query)).status_code == 200
            return len(captured)

        few, few_filtered = queries(), queries(outcome="allowed")
        brown = personas["brown.worker"]
        CaseAccess.objects.bulk_create(
            CaseAccess(
                case=logged,
                user=brown,
                at=noon(10) + n * datetime.timedelta(seconds=1),
                granted=False,
                channel=AccessChannel.PAGE,
            )
            for n in range(300)
        )
        assert (queries(), queries(outcome="allowed")) == (few, few_filtered)


class TestExport:
    def test_the_file_holds_the_filtered_entries_and_the_case_number_only(
        self, client_for, personas, logged
    ):
        hub = personas["hub2.specialist"]
        response = client_for(hub).get(export_url(logged, person=personas["brown.worker"].pk))

        rows = read_csv(response)
        assert rows[0] == ["Case number", "When", "Person", "Username", "How", "Outcome", "From"]
        assert [row[0] for row in rows[1:]] == [logged.number, logged.number]
        assert [(row[3], row[5], row[6]) for row in rows[1:]] == [
            ("brown.worker", "Refused", "10.0.0.7"),
            ("brown.worker", "Refused", "10.0.0.7"),
        ]
        assert rows[1][1] == noon(2).strftime("%Y-%m-%d %H:%M:%S")
        text = "\n".join(",".join(row) for row in rows)
        youth = logged.youth
        for identifying in (youth.legal_first_name, youth.legal_last_name, "Outagamie County"):
            assert identifying not in text
        disposition = response["Content-Disposition"]
        assert disposition.startswith(f'attachment; filename="access-log-{logged.number}-')

    def test_the_export_is_itself_logged(self, client_for, personas, logged):
        hub = personas["hub2.specialist"]
        client_for(hub).get(export_url(logged))

        last = CaseAccess.objects.filter(case=logged, user=hub).latest("id")
        assert (last.channel, last.granted) == (AccessChannel.EXPORT, True)

        page = client_for(hub).get(url(logged)).text
        assert ("hub2.specialist", "Export", "Allowed") in entry_rows(page)

    def test_the_page_links_to_the_file_of_what_it_shows(self, client_for, personas, logged):
        page = client_for(personas["hub2.specialist"]).get(url(logged, outcome="refused")).text

        link = re.search(r'<a href="([^"]+)">Download the 2 matching entries as CSV</a>', page)
        assert link
        response = client_for(personas["hub2.specialist"]).get(link[1].replace("&amp;", "&"))
        assert len(read_csv(response)) == 1 + 2

    def test_text_a_spreadsheet_would_run_is_written_as_text(self, client_for, personas, logged):
        sly = get_user_model().objects.create_user("sly", first_name="=HYPERLINK(1)")
        entry(logged, sly, at=noon(0), granted=False)

        rows = read_csv(client_for(personas["hub2.specialist"]).get(export_url(logged)))

        assert ["'=HYPERLINK(1)", "sly"] in [row[2:4] for row in rows]
