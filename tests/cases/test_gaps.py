"""The resource-gap view: the matrix against an independent computation (live for a
region's hub specialists, published and suppressed for the state task force), its flags,
the reasons, who may open it, its query count, and its exports.

Needs are recorded through cases.services and providers through regions.services, with
the clock at 20 May 2026 (2026Q2 under way: the last four quarters are 2025Q3 to
2026Q2). The expected numbers are worked out here in plain Python from the lists below,
never through cases.gaps or the metrics.
"""

import csv
import datetime
import io
import re
import zoneinfo

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import NeedStatus, UnavailableReason
from regions.figures import publish
from regions.models import County, Figure, Region, ScopeKind, ServiceType
from regions.quarters import Quarter
from regions.rollups import rollup_quarter
from regions.services import ProviderInput, provider_create

pytestmark = pytest.mark.django_db

CT = zoneinfo.ZoneInfo("America/Chicago")
NOW = datetime.datetime(2026, 5, 20, 12, 0, tzinfo=CT)
D = datetime.date
# The periods, written out: first day, and the day after the last one counted.
PERIODS = {
    "last4": (D(2025, 7, 1), D(2026, 7, 1)),
    "2026Q1": (D(2026, 1, 1), D(2026, 4, 1)),
    "2026Q2": (D(2026, 4, 1), D(2026, 7, 1)),
}
# (case, service type, date identified, what became of it, why unavailable)
NEEDS = [
    ("out1", "mental_health", D(2026, 4, 10), "receiving", ""),
    ("out1", "mental_health", D(2026, 5, 1), "referred", ""),
    ("out1", "shelter", D(2026, 2, 1), "unavailable", "no_capacity"),
    ("out1", "interpretation", D(2026, 3, 31), "unavailable", "language"),
    ("out2", "substance_use", D(2025, 8, 1), "unavailable", "none_in_reach"),
    ("out2", "substance_use", D(2025, 6, 30), "completed", ""),  # before the last four
    ("brown", "shelter", D(2026, 2, 10), "completed", ""),
    ("brown", "shelter", D(2026, 3, 1), "identified", ""),
    ("brown", "shelter", D(2026, 4, 1), "receiving", ""),  # 2026Q2 from its first day
    ("brown", "basic_needs", D(2025, 12, 31), "declined", ""),
    ("winnebago", "legal_advocacy", D(2026, 1, 1), "completed", ""),
    ("dane", "mental_health", D(2026, 1, 2), "unavailable", "age"),
    ("dane", "shelter", D(2026, 5, 1), "receiving", ""),
]
# (region, name, service types, counties, active)
PROVIDERS = [
    (2, "Fox Valley Counselling", ["mental_health", "substance_use"],
        ["Outagamie", "Winnebago"], True),
    (2, "Bay Shelter", ["shelter", "basic_needs"], ["Brown"], True),
    (2, "Closed Clinic", ["mental_health"], ["Brown"], False),
    (5, "Madison Youth Law", ["legal_advocacy"], ["Dane", "Winnebago"], True),
    (5, "Capital Interpreters", ["interpretation", "mental_health"], ["Dane"], True),
]  # fmt: skip
CASE_COUNTY = {"out1": "Outagamie", "out2": "Outagamie", "brown": "Brown"}
CASE_COUNTY |= {"winnebago": "Winnebago", "dane": "Dane"}
MET = {"receiving", "completed"}
UNMET = {"identified", "referred", "waitlisted", "unavailable"}  # declined is neither
REGION2 = reverse("cases:gaps-region", args=[2])
EXPORT = reverse("cases:gaps-export")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def service(key: str) -> ServiceType:
    return ServiceType.objects.get(key=key)


WITH_PROVIDER = ("referred", "receiving", "waitlisted")


def record_need(case, personas, key, day, status, reason=""):
    hub = personas[f"hub{case.region.number}.specialist"]
    need = services.need_identify(
        case_id=case.pk, actor=hub, service_type=service(key), identified_on=day
    )
    if status != NeedStatus.IDENTIFIED:
        services.need_update(
            case_id=case.pk,
            need_id=need.pk,
            actor=hub,
            status=status,
            reason=reason,
            provider_name="Listed elsewhere" if status in WITH_PROVIDER else "",
        )
    return need


@pytest.fixture
def world(clock, make_case, personas):
    cases = {
        "out1": make_case(county="Outagamie", status="accepted", first="Quinn", last="Privacy"),
        "out2": make_case(county="Outagamie"),
        "brown": make_case(county="Brown"),
        "winnebago": make_case(county="Winnebago"),
        "dane": make_case(county="Dane"),
    }
    for case_key, key, day, status, reason in NEEDS:
        record_need(cases[case_key], personas, key, day, status, reason)
    for number, name, offered, counties, active in PROVIDERS:
        provider_create(
            actor=personas[f"hub{number}.specialist"],
            region=Region.objects.get(number=number),
            data=ProviderInput(
                name=name,
                kind="community",
                service_types=[service(k) for k in offered],
                counties=list(County.objects.filter(name__in=counties)),
                active=active,
            ),
        )
    return cases


def expected_region(number: int, period: str) -> dict[tuple[str, str], tuple]:
    """{(county name or "total", service key):
    (identified, met, unmet, unavailable, providers)}
    for the region's counties and every active service type."""
    start, end = PERIODS[period]
    region = Region.objects.get(number=number)
    counties = list(County.objects.filter(region=region).values_list("name", flat=True))
    keys = list(ServiceType.objects.filter(active=True).values_list("key", flat=True))
    needs = [
        n for n in NEEDS if CASE_COUNTY[n[0]] in counties and start <= n[2] < end
    ]  # region `number`'s cases: their counties are its counties
    active = [p for p in PROVIDERS if p[4]]
    table = {}
    for place in [*counties, "total"]:
        here = [n for n in needs if place in ("total", CASE_COUNTY[n[0]])]
        for key in keys:
            mine = [n for n in here if n[1] == key]
            if place == "total":  # serving any of the region's counties
                serving = [p for p in active if key in p[2] and set(p[3]) & set(counties)]
            else:
                serving = [p for p in active if key in p[2] and place in p[3]]
            table[(place, key)] = (
                len(mine),
                sum(n[3] in MET for n in mine),
                sum(n[3] in UNMET for n in mine),
                sum(n[3] == "unavailable" for n in mine),
                len(serving),
            )
    return table


def expected_reasons(number: int, period: str) -> dict[str, int]:
    start, end = PERIODS[period]
    counties = set(Region.objects.get(number=number).counties.values_list("name", flat=True))
    needs = [n for n in NEEDS if CASE_COUNTY[n[0]] in counties and start <= n[2] < end]
    return {r: sum(n[4] == r for n in needs) for r in UnavailableReason.values}


def shown(matrix) -> dict[tuple[str, str], tuple]:
    table = {}
    for row in [*matrix.rows, matrix.total]:
        place = "total" if row.is_total else row.label
        for cell in row.cells:
            table[(place, cell.service_key)] = tuple(
                t.value
                for t in (cell.identified, cell.met, cell.unmet, cell.unavailable, cell.providers)
            )
    return table


def cell_html(text: str, row_key: str, service_key: str) -> str:
    row = re.search(rf'<tr id="gap-{row_key}".*?</tr>', text, re.S).group(0)
    return re.search(rf'<td [^>]*data-service="{service_key}">.*?</td>', row, re.S).group(0)


# --- Live: a hub specialist's region --------------------------------------------------


@pytest.mark.parametrize("period", list(PERIODS))
def test_the_live_matrix_equals_an_independent_computation(world, client_for, personas, period):
    response = client_for(personas["hub2.specialist"]).get(REGION2, {"period": period})

    assert response.status_code == 200
    matrix = response.context["matrix"]
    assert matrix.live
    assert shown(matrix) == expected_region(2, period)
    assert {r.key: r.tally.value for r in matrix.reasons} == expected_reasons(2, period)


def test_a_few_live_cells_worked_out_by_hand(world, client_for, personas):
    matrix = client_for(personas["hub2.specialist"]).get(REGION2).context["matrix"]
    cells = shown(matrix)

    # 10 April (receiving) and 1 May (referred), with Fox Valley Counselling serving it
    assert cells[("Outagamie", "mental_health")] == (2, 1, 1, 0, 1)
    # 10 Feb completed, 1 Mar identified, 1 Apr receiving; Bay Shelter
    assert cells[("Brown", "shelter")] == (3, 2, 1, 0, 1)
    # declined by the family: neither met nor unmet
    assert cells[("Brown", "basic_needs")] == (1, 0, 0, 0, 1)
    # the closed clinic is inactive: no provider
    assert cells[("Brown", "mental_health")] == (0, 0, 0, 0, 0)
    # a region 5 directory's provider that serves Winnebago counts there
    assert cells[("Winnebago", "legal_advocacy")] == (1, 1, 0, 0, 1)
    # 1 Aug 2025 is in the last four quarters, 30 June 2025 is not; Dane is region 5's
    assert cells[("total", "substance_use")] == (1, 0, 1, 1, 1)
    assert cells[("total", "mental_health")] == (2, 1, 1, 0, 1)
    assert matrix.headline["needs_identified"].value == 10


def test_cells_with_unmet_needs_or_no_provider_are_flagged_in_words(world, client_for, personas):
    response = client_for(personas["hub2.specialist"]).get(REGION2)
    matrix, text = response.context["matrix"], response.text
    outagamie, brown, winnebago = (
        County.objects.get(name=n).fips for n in ("Outagamie", "Brown", "Winnebago")
    )
    flags = {
        (row.label, cell.service_key): (cell.has_unmet, cell.no_provider)
        for row in matrix.rows
        for cell in row.cells
    }

    assert flags[("Outagamie", "mental_health")] == (True, False)
    assert flags[("Brown", "shelter")] == (True, False)
    assert flags[("Brown", "mental_health")] == (False, True)
    assert flags[("Winnebago", "legal_advocacy")] == (False, False)
    # Declined by the family, and Bay Shelter serves Brown: no gap.
    assert flags[("Brown", "basic_needs")] == (False, False)
    # Every flag agrees with the numbers: unmet as a case's "has unmet needs" counts.
    for (place, key), (_, _, unmet, _, providers) in expected_region(2, "last4").items():
        if place != "total":
            assert flags[(place, key)] == (unmet > 0, providers == 0), (place, key)
    # On the page, a word in the cell (not colour alone), and the legend explains it.
    unmet = cell_html(text, outagamie, "mental_health")
    assert "Unmet" in unmet
    assert "No provider" not in unmet
    assert "No provider" in cell_html(text, brown, "mental_health")
    plain = cell_html(text, winnebago, "legal_advocacy")
    assert "Unmet" not in plain
    assert "No provider" not in plain
    assert 'id="gap-legend"' in text
    assert "at least one need not met yet" in text
    assert matrix.unmet_cells == sum(u for u, _ in flags.values())


def test_the_reasons_for_unavailable_are_summed_up(world, client_for, personas):
    response = client_for(personas["hub2.specialist"]).get(REGION2, {"period": "2026Q1"})
    text = response.text

    reasons = {r.key: r.tally.value for r in response.context["matrix"].reasons}
    assert reasons == {
        "none_in_reach": 0,
        "no_capacity": 1,
        "age": 0,  # Dane's is region 5's
        "language": 1,
        "other": 0,
    }
    assert re.search(r'id="reason-language"><th scope="row">[^<]+</th><td class="num">1<', text)


def test_the_service_filter_narrows_the_columns(world, client_for, personas):
    client = client_for(personas["hub2.specialist"])

    matrix = client.get(REGION2, {"service": "shelter"}).context["matrix"]
    refused = client.get(REGION2, {"service": "teleportation", "period": "2031Q1"})

    assert matrix.columns == [("shelter", "Emergency shelter or housing")]
    assert {key for _, key in shown(matrix)} == {"shelter"}
    assert matrix.headline["needs_identified"].value == 4  # Brown's three, Outagamie's one
    assert refused.status_code == 200
    assert "“teleportation” is not a service type shown here." in refused.text
    assert "Q1 2031 has not begun yet." in refused.text
    assert len(refused.context["matrix"].columns) > 1


def test_the_page_names_no_case_and_no_youth(world, client_for, personas):
    text = client_for(personas["hub2.specialist"]).get(REGION2).text

    for case in world.values():
        assert case.number not in text
    assert "Quinn" not in text
    assert "Privacy" not in text


def test_the_query_count_does_not_grow_with_the_needs(world, client_for, personas, make_case):
    client = client_for(personas["hub2.specialist"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(REGION2).status_code == 200
        return len(captured)

    few = queries()
    for n, county in enumerate(["Door", "Calumet", "Brown", "Outagamie"]):
        case = make_case(county=county)
        for key in ("shelter", "transportation", "family_support"):
            record_need(case, personas, key, D(2026, 3, 1 + n), "unavailable", "other")
    many = queries()

    assert many == few, f"{few} queries before, {many} with 12 more needs"


# --- Who may see which view -----------------------------------------------------------

ACCESS = [
    ("hub2.specialist", "region", 2, 200),
    ("hub2.specialist", "region", 5, 403),
    ("hub5.specialist", "region", 5, 200),
    ("hub5.specialist", "region", 2, 403),
    ("state.admin", "region", 2, 200),
    ("state.admin", "region", 7, 200),
    ("state.admin", "state", None, 200),
    ("hub2.specialist", "state", None, 403),
    ("outagamie.worker", "region", 2, 403),
    ("brown.worker", "region", 2, 403),
    ("menominee.worker", "region", 2, 403),
    ("dane.worker", "region", 5, 403),
    ("dane.worker", "state", None, 403),
    ("accounts.admin", "region", 2, 403),
    ("accounts.admin", "state", None, 403),
    ("outsider", "region", 2, 403),
    ("outsider", "state", None, 403),
]


@pytest.mark.parametrize(("username", "view", "number", "status"), ACCESS)
def test_who_may_open_the_view(world, client_for, personas, username, view, number, status):
    client = client_for(personas[username])
    if view == "state":
        url = reverse("cases:gaps-state")
    else:
        url = reverse("cases:gaps-region", args=[number])
    exported = client.get(EXPORT, {"region": number or "", "format": "csv"})

    response = client.get(url)

    assert response.status_code == status
    assert exported.status_code == status
    if status == 200:
        assert response.context["matrix"].live == username.startswith("hub")
    else:
        assert "matrix" not in response.context
        assert "is for" in response.text  # says whose view it is


def test_agency_staff_are_told_whose_view_it_is(world, client_for, personas):
    response = client_for(personas["outagamie.worker"]).get(REGION2)

    assert response.status_code == 403
    assert "for the hub specialists of each region and the state task force" in response.text
    assert "hub specialist of your region" in response.text


def test_another_regions_hub_is_pointed_to_their_own(world, client_for, personas):
    response = client_for(personas["hub5.specialist"]).get(REGION2)

    assert response.status_code == 403
    assert reverse("cases:gaps-region", args=[5]) in response.text


def test_an_unknown_region_is_not_found(world, client_for, personas):
    client = client_for(personas["state.admin"])
    assert client.get(reverse("cases:gaps-region", args=[9])).status_code == 404
    assert client.get(EXPORT, {"region": "nine"}).status_code == 404


# --- Published: the state task force --------------------------------------------------


@pytest.fixture
def rolled_up(world):
    for quarter in Quarter(2026, 2).back(4):
        run = rollup_quarter(quarter=quarter)
        assert run.status == "succeeded", run.error
    return world


def test_the_state_view_shows_suppressed_figures(rolled_up, client_for, personas):
    client = client_for(personas["state.admin"])
    brown = County.objects.get(name="Brown")

    quarter = client.get(REGION2, {"period": "2026Q1"}).context["matrix"]
    year = client.get(REGION2).context["matrix"]

    assert not quarter.live
    cells = {(row.label, c.service_key): c for row in quarter.rows for c in row.cells}
    brown_shelter = cells[("Brown", "shelter")]
    # Two shelter needs in Brown in 2026Q1: never the number.
    assert (brown_shelter.identified.value, brown_shelter.identified.text) == (
        None,
        "fewer than 5",
    )
    assert brown_shelter.providers.value == 1  # providers are not about youth
    # One of them still waiting: hidden, but a hidden count is at least one.
    assert brown_shelter.unmet.text == "fewer than 5"
    assert brown_shelter.has_unmet
    # Over four quarters a sum with a hidden part stays hidden.
    year_cells = {(row.label, c.service_key): c for row in year.rows for c in row.cells}
    assert year_cells[("Brown", "shelter")].identified.value is None
    assert year.missing == []
    # Not one need figure on either page is a count from 1 to 4.
    for matrix in (quarter, year):
        for row in [*matrix.rows, matrix.total]:
            for cell in row.cells:
                for tally in (cell.identified, cell.met, cell.unmet, cell.unavailable):
                    assert tally.value in (None, 0) or tally.value >= 5
        for reason in matrix.reasons:
            assert reason.tally.value in (None, 0) or reason.tally.value >= 5
    # The provider figures are the published ones: the same as the live view's.
    assert {k: v[4] for k, v in shown(quarter).items()} == {
        k: v[4] for k, v in expected_region(2, "2026Q1").items()
    }
    text = client.get(REGION2, {"period": "2026Q1"}).text
    assert "&lt;5" in cell_html(text, brown.fips, "shelter")


def test_a_flag_is_raised_where_the_published_figures_prove_it(rolled_up, client_for, personas):
    matrix = client_for(personas["state.admin"]).get(REGION2).context["matrix"]
    cells = {(row.label, c.service_key): c for row in matrix.rows for c in row.cells}

    # Dane's providers are region 5's; Brown's mental health has none (the clinic closed).
    assert cells[("Brown", "mental_health")].no_provider
    # Outagamie's mental health: one need still referred. Its count is hidden, and a
    # hidden count is at least one.
    assert cells[("Outagamie", "mental_health")].unmet.hidden
    assert cells[("Outagamie", "mental_health")].has_unmet
    # Nothing identified in Door: nothing unmet.
    assert cells[("Door", "shelter")].unmet.value == 0
    assert not cells[("Door", "shelter")].has_unmet


def test_the_statewide_view_has_a_row_per_region_opening_it(rolled_up, client_for, personas):
    response = client_for(personas["state.admin"]).get(reverse("cases:gaps-state"))
    matrix = response.context["matrix"]

    assert [row.label.split(" (")[0] for row in matrix.rows] == [
        f"Region {n}" for n in range(1, 8)
    ]
    assert matrix.rows[1].url == REGION2
    assert f'href="{REGION2}?period=last4"' in response.text
    assert matrix.total.label == "Wisconsin"


def test_the_state_pages_read_no_case_table(rolled_up, client_for, personas):
    client = client_for(personas["state.admin"])

    for url in (REGION2, reverse("cases:gaps-state")):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        touched = [q["sql"] for q in captured if '"cases_' in q["sql"]]
        assert not touched, touched


# --- Disclosure: the need figures are suppressed together --------------------------


def state_figures(**values) -> list[Figure]:
    """One quarter's Wisconsin-wide figure of each need metric given, as the rollup
    builds them."""
    return [
        Figure(quarter="2026Q1", scope=ScopeKind.STATE, metric=key, value=value)
        for key, value in values.items()
    ]


def shown_values(figures: list[Figure]) -> dict[str, int | None]:
    return {f.metric: None if f.suppressed else f.shown for f in figures}


def test_a_small_difference_between_published_need_figures_is_hidden():
    # 8 identified, 6 met: 2 still waiting. Publishing 8 and 6 would give the 2 away.
    figures = state_figures(needs_identified=8, needs_met=6, needs_unmet=2, needs_unavailable=0)

    publish(figures, threshold=5)

    values = shown_values(figures)
    assert values["needs_unmet"] is None
    assert values["needs_identified"] is None or values["needs_met"] is None
    assert values["needs_unavailable"] == 0  # zeros are never hidden


def test_a_small_number_declined_is_not_given_away_either():
    # 20 identified, 10 met, 8 unmet: 2 declined, a count published nowhere.
    figures = state_figures(needs_identified=20, needs_met=10, needs_unmet=8)

    publish(figures, threshold=5)

    values = shown_values(figures)
    assert None in values.values()


def test_a_small_number_unmet_but_not_unavailable_is_hidden():
    # 12 unmet, 10 of them unavailable: 2 waiting for a referral.
    figures = state_figures(
        needs_identified=30, needs_met=18, needs_unmet=12, needs_unavailable=10
    )

    publish(figures, threshold=5)

    values = shown_values(figures)
    assert values["needs_unmet"] is None or values["needs_unavailable"] is None


def test_need_figures_with_no_small_difference_are_all_shown():
    figures = state_figures(
        needs_identified=30, needs_met=15, needs_unmet=15, needs_unavailable=10
    )

    publish(figures, threshold=5)

    assert shown_values(figures) == {
        "needs_identified": 30,
        "needs_met": 15,
        "needs_unmet": 15,
        "needs_unavailable": 10,
    }


def test_no_small_count_can_be_worked_out_from_the_published_gap_view(
    world, client_for, personas, make_case
):
    # Outagamie, 2026Q1: eight mental-health needs, six met and two still referred.
    cases = [make_case(county="Outagamie") for _ in range(4)]
    for n in range(8):
        status = "receiving" if n < 6 else "referred"
        record_need(cases[n % 4], personas, "mental_health", D(2026, 2, 1 + n), status)
    assert rollup_quarter(quarter=Quarter(2026, 1)).status == "succeeded"

    matrix = client_for(personas["state.admin"]).get(REGION2, {"period": "2026Q1"})
    matrix = matrix.context["matrix"]

    cells = {(row.label, c.service_key): c for row in matrix.rows for c in row.cells}
    outagamie = cells[("Outagamie", "mental_health")]
    assert outagamie.has_unmet
    assert outagamie.identified.hidden or outagamie.met.hidden
    for row in [*matrix.rows, matrix.total]:
        for c in row.cells:
            for whole, parts in (
                (c.identified, (c.met, c.unmet)),  # what is left: declined
                (c.identified, (c.met,)),
                (c.identified, (c.unmet,)),
                (c.unmet, (c.unavailable,)),
            ):
                if whole.hidden or any(part.hidden for part in parts):
                    continue
                left = whole.value - sum(part.value for part in parts)
                assert left == 0 or left >= 5, (row.label, c.service_key, whole, parts)


@pytest.mark.parametrize(
    "url",
    [
        reverse("cases:gaps-state"),
        REGION2,
        f"{EXPORT}?format=csv",
        f"{EXPORT}?region=2&format=xlsx",
    ],
)
def test_the_state_pages_and_files_ask_as_many_queries_for_more_figures(
    rolled_up, client_for, personas, make_case, url
):
    client = client_for(personas["state.admin"])
    client.get(reverse("cases:gaps-state"))  # the session's first request writes it

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n, county in enumerate(["Door", "Dane", "Brown", "Winnebago", "Calumet", "Outagamie"]):
        case = make_case(county=county)
        for key in ("shelter", "transportation", "family_support", "medical"):
            record_need(case, personas, key, D(2026, 3, 1 + n), "unavailable", "no_capacity")
    for quarter in Quarter(2026, 2).back(4):
        assert rollup_quarter(quarter=quarter).status == "succeeded"
    many = queries()

    assert many == few, f"{few} queries before, {many} with 24 more needs in six counties"


def test_the_hub_export_asks_as_many_queries_for_more_needs(
    world, client_for, personas, make_case
):
    client = client_for(personas["hub2.specialist"])
    client.get(REGION2)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(EXPORT, {"region": 2, "format": "csv"}).status_code == 200
        return len(captured)

    few = queries()
    for n, county in enumerate(["Door", "Calumet", "Brown", "Outagamie"]):
        case = make_case(county=county)
        for key in ("shelter", "transportation", "family_support"):
            record_need(case, personas, key, D(2026, 3, 1 + n), "waitlisted")
    many = queries()

    assert many == few, f"{few} queries before, {many} with 12 more needs"


def test_the_state_view_before_any_rollup_says_so(world, client_for, personas):
    response = client_for(personas["state.admin"]).get(REGION2)

    assert response.status_code == 200
    assert not response.context["matrix"].has_figures
    assert 'id="no-figures"' in response.text


# --- Exports --------------------------------------------------------------------------


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def as_number(value: str):
    return int(value) if value.isdigit() else value


def test_the_hub_export_equals_the_page(world, client_for, personas):
    client = client_for(personas["hub2.specialist"])
    page = client.get(REGION2, {"period": "2026Q1"}).context["matrix"]

    rows = csv_rows(client.get(EXPORT, {"region": 2, "period": "2026Q1", "format": "csv"}))
    book = client.get(EXPORT, {"region": 2, "period": "2026Q1", "format": "xlsx"})

    cells = {
        ("total" if r["county_fips"] == "" else r["place"], r["service_type"]): tuple(
            as_number(r[k])
            for k in (
                "needs_identified",
                "needs_met",
                "needs_unmet",
                "needs_unavailable",
                "providers_active",
            )
        )
        for r in rows
        if r["service_type"]
    }
    assert cells == shown(page) == expected_region(2, "2026Q1")
    flags = {
        (r["place"], r["service_type"]): (r["flag_unmet"], r["flag_no_provider"])
        for r in rows
        if r["service_type"] and r["county_fips"]
    }
    assert flags[("Brown", "shelter")] == ("yes", "no")
    assert flags[("Brown", "mental_health")] == ("no", "yes")
    reasons = {r["reason"]: as_number(r["needs_unavailable"]) for r in rows if r["reason"]}
    assert reasons == expected_reasons(2, "2026Q1")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content))["Resource gaps"]
    values = list(sheet.iter_rows(values_only=True))
    assert [str(v) for v in values[0]] == list(rows[0])
    assert [[("" if v is None else str(v)) for v in row] for row in values[1:]] == [
        list(r.values()) for r in rows
    ]
    assert book["Content-Disposition"].endswith('region-2-2026Q1.xlsx"')


def test_the_state_export_is_suppressed_as_the_page(rolled_up, client_for, personas):
    client = client_for(personas["state.admin"])
    page = client.get(REGION2, {"period": "2026Q1"}).context["matrix"]

    rows = csv_rows(client.get(EXPORT, {"region": 2, "period": "2026Q1", "format": "csv"}))

    by_cell = {(r["place"], r["service_type"]): r for r in rows if r["service_type"]}
    assert by_cell[("Brown", "shelter")]["needs_identified"] == "fewer than 5"
    for row in [*page.rows, page.total]:
        for cell in row.cells:
            exported = by_cell[(row.label, cell.service_key)]
            identified = cell.identified
            assert exported["needs_identified"] == str(identified.value or identified.text)
            assert exported["providers_active"] == str(cell.providers.value)
    for r in rows:
        for key in ("needs_identified", "needs_met", "needs_unmet", "needs_unavailable"):
            if r[key].isdigit():
                assert int(r[key]) == 0 or int(r[key]) >= 5, r
    statewide = csv_rows(client.get(EXPORT, {"period": "2026Q1", "format": "csv"}))
    assert {r["place"] for r in statewide if r["service_type"]} == {
        *(f"Region {r.number} ({r.name})" for r in Region.objects.all()),
        "Wisconsin",
    }


def test_the_export_follows_the_service_filter_and_refuses_what_is_wrong(
    world, client_for, personas
):
    client = client_for(personas["hub2.specialist"])

    rows = csv_rows(client.get(EXPORT, {"region": 2, "service": "shelter", "format": "csv"}))
    wrong_period = client.get(EXPORT, {"region": 2, "period": "someday"})
    wrong_service = client.get(EXPORT, {"region": 2, "service": "teleportation"})
    wrong_format = client.get(EXPORT, {"region": 2, "format": "pdf"})

    assert {r["service_type"] for r in rows if r["service_type"]} == {"shelter"}
    assert (wrong_period.status_code, wrong_service.status_code) == (400, 400)
    assert wrong_format.status_code == 400
    assert b"period" in wrong_period.content
    assert b"service" in wrong_service.content
