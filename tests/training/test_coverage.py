"""The region coverage page: each county's (and tribe's) delivered trainings and people
trained in the last four quarters, read off the page and checked against a computation
made here, in plain Python over the trainings the test logged; the counties nobody
reached flagged; who may look; a page whose query count does not grow with the data.
"""

import datetime
import re
import zoneinfo
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regions.models import County, Region, Tribe
from training.filters import TrainingFilter
from training.selectors import trainings_visible_to
from training.services import training_cancel

pytestmark = pytest.mark.django_db

CT = zoneinfo.ZoneInfo("America/Chicago")
NOW = datetime.datetime(2026, 5, 20, 12, 0, tzinfo=CT)  # in 2026Q2
# The last four quarters as of NOW, written out here: (label, first day, next quarter's).
QUARTERS = [
    ("2025Q3", datetime.date(2025, 7, 1), datetime.date(2025, 10, 1)),
    ("2025Q4", datetime.date(2025, 10, 1), datetime.date(2026, 1, 1)),
    ("2026Q1", datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)),
    ("2026Q2", datetime.date(2026, 4, 1), datetime.date(2026, 7, 1)),
]
ONEIDA = "Oneida Nation"

# What the test logs: (region, counties, tribes, date, attendance, what happens to it).
STORY = [
    (2, ["Outagamie"], [], datetime.date(2025, 7, 1), {"education": 12, "youth": 3}, None),
    (2, ["Outagamie", "Brown"], [ONEIDA], datetime.date(2025, 11, 4), {"health_care": 20}, None),
    (2, ["Brown"], [], datetime.date(2026, 2, 3), {"law_enforcement": 2}, None),
    (2, ["Brown", "Winnebago"], [], datetime.date(2026, 3, 31), {"hospitality": 9}, None),
    (2, ["Outagamie"], [], datetime.date(2026, 4, 1), {"child_welfare": 5}, None),
    # Another hub's training counts in the region 2 county it reached.
    (5, ["Dane", "Winnebago"], [], datetime.date(2026, 5, 11), {"transportation": 30}, None),
    # The day before the four quarters: not counted, but it is when Door was last reached.
    (2, ["Door"], [], datetime.date(2025, 6, 30), {"faith": 14}, None),
    # Planned (in the past, attendance not yet recorded, and ahead) and cancelled: not counted.
    (2, ["Calumet"], [], datetime.date(2026, 3, 2), None, None),
    (2, ["Calumet", "Outagamie"], [], datetime.date(2026, 6, 10), None, None),
    (2, ["Kewaunee"], [], datetime.date(2026, 6, 20), None, None),
    (2, ["Door"], [], datetime.date(2026, 6, 1), None, "cancel"),
    (5, ["Dane"], [], datetime.date(2026, 1, 15), {"education": 40}, None),
]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def story(make_training, personas):
    """The STORY's trainings, logged by the hubs; returns the specs as logged."""
    for region, counties, tribes, date, attendance, then in STORY:
        training = make_training(
            region=region, counties=counties, tribes=tribes, date=date, attendance=attendance
        )
        if then == "cancel":
            actor = personas[f"hub{region}.specialist"]
            training_cancel(actor=actor, training_id=training.pk, reason="Snow day.")
    return STORY


def expected(places: list[str], *, tribes=False) -> dict[str, dict]:
    """Independently of training.coverage: per place, per quarter (trainings, people),
    over the delivered trainings of the STORY that reached it."""
    table = {}
    for place in places:
        cells = []
        for _, start, end in QUARTERS:
            reached = [
                spec
                for spec in STORY
                if spec[4]
                and spec[5] is None
                and place in (spec[2] if tribes else spec[1])
                and start <= spec[3] < end
            ]
            cells.append((len(reached), sum(sum(s[4].values()) for s in reached)))
        table[place] = {
            "quarters": cells,
            "total": (sum(c[0] for c in cells), sum(c[1] for c in cells)),
        }
    return table


def rows_on_page(html: str, kind: str) -> dict[str, dict]:
    """What the page shows for each county (or tribe): name, per quarter (trainings,
    people), the total, whether flagged, and the quarter links."""
    found = {}
    for row in re.findall(rf'<tr id="{kind}-[^"]+"[^>]*>(.*?)</tr>', html, re.S):
        name = re.search(r'<th scope="row">([^<]+)', row)[1].strip()
        cells, links = [], []
        for cell in re.findall(r'<td class="num coverage-quarter"[^>]*>(.*?)</td>', row, re.S):
            link = re.search(r'<a href="([^"]+)"[^>]*>(\d+)</a>', cell)
            people = re.search(r'<span class="coverage-people">(\d+) people</span>', cell)
            if link:
                cells.append((int(link[2]), int(people[1])))
                links.append(link[1].replace("&amp;", "&"))
            else:
                assert '<span class="muted">0</span>' in cell
                cells.append((0, 0))
        total = re.search(
            r'data-label="Total"><strong>(\d+)</strong>.*?'
            r'<span class="coverage-people">(\d+) people</span>',
            row,
            re.S,
        )
        found[name] = {
            "quarters": cells,
            "total": (int(total[1]), int(total[2])),
            "flagged": "Not reached" in row,
            "links": links,
            "html": row,
        }
    return found


def page_of(client, region=2):
    response = client.get(reverse("training:coverage", args=[region]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_county_and_tribe_shows_what_an_independent_count_gives(story, client_for, personas):
    html = page_of(client_for(personas["outagamie.worker"]))

    counties = list(County.objects.filter(region__number=2).values_list("name", flat=True))
    shown = rows_on_page(html, "county")
    want = expected(counties)
    assert set(shown) == set(counties)  # all 17, not only those with trainings
    for county in counties:
        assert shown[county]["quarters"] == want[county]["quarters"], county
        assert shown[county]["total"] == want[county]["total"], county
    # Worked out by hand for a few, so the expectation itself is checked too.
    assert shown["Outagamie"]["quarters"] == [(1, 15), (1, 20), (0, 0), (1, 5)]
    assert shown["Brown"]["total"] == (3, 31)
    assert shown["Winnebago"]["quarters"] == [(0, 0), (0, 0), (1, 9), (1, 30)]
    assert shown["Calumet"]["total"] == (0, 0)  # planned only

    tribes = list(Tribe.objects.filter(primary_region__number=2).values_list("name", flat=True))
    shown_tribes = rows_on_page(html, "tribe")
    want_tribes = expected(tribes, tribes=True)
    assert set(shown_tribes) == set(tribes)
    for tribe in tribes:
        assert shown_tribes[tribe]["quarters"] == want_tribes[tribe]["quarters"], tribe
    assert shown_tribes[ONEIDA]["total"] == (1, 20)

    # The region's own row counts each training once (the Brown and Winnebago one too).
    region_total = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S)[1]
    delivered = [s for s in STORY if s[4] and any(c in counties for c in s[1])]
    in_period = [s for s in delivered if QUARTERS[0][1] <= s[3] < QUARTERS[-1][2]]
    assert re.search(
        rf'data-label="Total"><strong>{len(in_period)}</strong>.*?'
        rf"{sum(sum(s[4].values()) for s in in_period)} people",
        region_total,
        re.S,
    )
    assert "counts in each" in html


def test_counties_nobody_reached_come_first_flagged_and_named_in_the_summary(
    story, client_for, personas
):
    html = page_of(client_for(personas["hub2.specialist"]))

    shown = rows_on_page(html, "county")
    reached = {name for name, row in shown.items() if row["total"][0]}
    assert reached == {"Outagamie", "Brown", "Winnebago"}
    unreached = sorted(set(shown) - reached)
    assert [name for name, row in shown.items() if row["flagged"]] == unreached
    assert list(shown)[: len(unreached)] == unreached  # the gaps first, by name
    summary = re.search(
        r'<p class="alert alert--warn" id="unreached-counties">(.*?)</p>', html, re.S
    )
    text = re.sub(r"<[^>]+>", "", summary[1])
    assert f"{len(unreached)} of 17 counties not reached in the last four quarters" in text
    assert ", ".join(unreached) in text
    # Door was last reached before the four quarters; the cancelled one is not planned.
    assert "Jun 30, 2025" in shown["Door"]["html"]
    assert "None planned" in shown["Door"]["html"]
    assert "Never" in shown["Kewaunee"]["html"]
    assert "Jun 20, 2026" in shown["Kewaunee"]["html"]  # the next planned one
    assert "Jun 10, 2026" in shown["Calumet"]["html"]  # not the past planned one


def test_a_reached_county_loses_its_flag_once_a_training_there_is_delivered(
    story, client_for, personas, make_training
):
    client = client_for(personas["hub2.specialist"])
    assert rows_on_page(page_of(client), "county")["Kewaunee"]["flagged"]

    make_training(counties=["Kewaunee"], attendance={"community": 1})

    row = rows_on_page(page_of(client), "county")["Kewaunee"]
    assert not row["flagged"]
    assert row["quarters"][-1] == (1, 1)


def test_each_count_links_to_the_list_of_the_same_trainings(story, client_for, personas):
    user = personas["dane.worker"]
    shown = rows_on_page(page_of(client_for(user)), "county")

    checked = 0
    for name, row in shown.items():
        numbers = [cell for cell in row["quarters"] if cell[0]]
        assert len(row["links"]) == len(numbers)
        for (trainings, people), link in zip(numbers, row["links"], strict=True):
            url = urlsplit(link)
            assert url.path == reverse("training:list")
            query = {
                key: values[0]
                for key, values in parse_qs(url.query, keep_blank_values=True).items()
            }
            assert query["county"] == County.objects.get(name=name).fips
            assert query["region"] == ""  # every hub's trainings, not the viewer's region's
            listed = TrainingFilter(query, queryset=trainings_visible_to(user)).qs
            assert listed.count() == trainings
            assert sum(t.total_attendees for t in listed) == people
            checked += 1
    assert checked >= 6


def test_any_region_can_be_chosen_and_the_tabs_are_there(story, client_for, personas):
    html = page_of(client_for(personas["hub5.specialist"]), region=2)

    for region in Region.objects.all():
        assert f'href="{reverse("training:coverage", args=[region.number])}"' in html
    assert re.search(
        rf'href="{reverse("training:coverage", args=[2])}" aria-current="page">2 · Northeast<',
        html,
    )
    assert '<nav class="subnav" aria-label="Trainings">' in html
    # hub 5 reads region 2's gaps but is not told to close them
    assert "gaps to close next" not in html
    assert "gaps to close next" in page_of(client_for(personas["hub2.specialist"]), region=2)


def test_a_region_without_tribes_has_no_tribe_table_and_milwaukee_has_one_county(
    client_for, personas
):
    html = page_of(client_for(personas["state.admin"]), region=7)

    assert list(rows_on_page(html, "county")) == ["Milwaukee"]
    assert "1 of 1 county not reached" in html
    assert "<strong>0 of 1</strong> county reached" in html
    assert rows_on_page(html, "tribe") == {}


def test_one_county_reached_of_one_is_said_in_the_singular(client_for, personas, make_training):
    # Hub 5's (region 7 has no hub specialist among the personas): it counts all the same.
    make_training(region=5, counties=["Milwaukee"], attendance={"education": 4})

    html = page_of(client_for(personas["state.admin"]), region=7)

    assert "<strong>1 of 1</strong> county reached" in html
    assert "<strong>1</strong> training by any hub that reached the region's counties" in html


def test_the_region_row_says_it_counts_any_hubs_trainings_in_its_counties(
    story, client_for, personas
):
    """Hub 5's training in Winnebago counts in region 2's last row (unlike the quarterly
    metric's region figure, which counts hub 2's own trainings): the row says so."""
    html = page_of(client_for(personas["hub2.specialist"]))

    region_total = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S)[1]
    label = re.search(r'<th scope="row">([^<]+)</th>', region_total)[1]
    assert label == "Any hub's trainings that reached the region's counties, each once"
    assert rows_on_page(html, "county")["Winnebago"]["quarters"][-1] == (1, 30)  # hub 5's
    # 2026Q2: hub 2's Outagamie training and hub 5's that reached Winnebago.
    cells = re.findall(r'class="num coverage-quarter"[^>]*><strong>(\d+)</strong>', region_total)
    assert cells[-1] == "2"


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("state.admin", 200),
        ("hub2.specialist", 200),
        ("hub5.specialist", 200),
        ("outagamie.worker", 200),
        ("dane.worker", 200),
        ("accounts.admin", 403),
        ("outsider", 403),
    ],
)
def test_who_may_read_region_2s_coverage(client_for, personas, username, status):
    response = client_for(personas[username]).get(reverse("training:coverage", args=[2]))

    assert response.status_code == status
    if status == 200:
        assert "Training coverage: Region 2 (Northeast)" in response.content.decode()


def test_a_number_that_is_no_region_is_not_found(client_for, personas):
    client = client_for(personas["hub2.specialist"])

    assert client.get(reverse("training:coverage", args=[9])).status_code == 404
    assert client.get(reverse("training:coverage", args=[0])).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("training:coverage", args=[2]))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_runs_the_same_queries_for_2_trainings_as_for_20(
    client_for, personas, make_training
):
    client = client_for(personas["hub2.specialist"])
    url = reverse("training:coverage", args=[2])
    make_training(counties=["Brown"], tribes=[ONEIDA], attendance={"education": 5})
    make_training(counties=["Outagamie"])  # planned
    client.get(url)  # the session and the like, settled

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200

    counties = list(County.objects.filter(region__number=2).values_list("name", flat=True))
    for index in range(18):
        make_training(
            counties=counties[index % 17 : index % 17 + 2],
            tribes=[ONEIDA] if index % 3 else [],
            attendance={"health_care": index + 1} if index % 4 else None,
            date=datetime.date(2025, 8, 1) + datetime.timedelta(days=17 * index),
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
