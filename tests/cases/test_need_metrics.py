"""The need and provider metrics against an independent computation, then through the
real rollup (published with suppression).

Needs are recorded through cases.services by the personas on cases built the way users
build them, and providers through regions.services by the hubs, with the clock set to
20 May 2026 (2026Q2 under way). Each metric is computed for 2026Q1 (complete) and
2026Q2 (to date) and compared, over every place (the state, each region, county and
tribe) and every category (zeros included), with what this file works out in plain
Python from the needs and providers as written below; never through cases.metrics,
cases.gaps or regions.metrics.
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db.models import Q

from cases import services
from cases.models import NeedStatus, UnavailableReason
from regions.figures import published
from regions.metrics import Period, metric
from regions.models import County, Region, RollupStatus, ServiceType, Tribe
from regions.quarters import Quarter
from regions.rollups import rollup_quarter
from regions.services import ProviderInput, provider_create

pytestmark = pytest.mark.django_db

CT = zoneinfo.ZoneInfo("America/Chicago")
NOW = datetime.datetime(2026, 5, 20, 12, 0, tzinfo=CT)
Q1, Q2 = Quarter(2026, 1), Quarter(2026, 2)
D = datetime.date
# The periods, written out here: first day, and the day after the last one counted.
BOUNDS = {Q1: (D(2026, 1, 1), D(2026, 4, 1)), Q2: (D(2026, 4, 1), D(2026, 5, 21))}
NEED_METRICS = ["needs_identified", "needs_met", "needs_unmet", "needs_unavailable"]
UNMET = {"identified", "referred", "waitlisted", "unavailable"}  # declined is neither
ONEIDA = "Oneida Nation"

# (case, service type, date identified, what became of it, why unavailable)
NEEDS = [
    ("out1", "mental_health", D(2026, 1, 15), "receiving", ""),
    ("out1", "shelter", D(2026, 2, 1), "unavailable", "no_capacity"),
    ("out1", "interpretation", D(2026, 3, 31), "unavailable", "language"),
    ("out2", "mental_health", D(2026, 4, 1), "referred", ""),
    ("out2", "substance_use", D(2026, 5, 20), "unavailable", "none_in_reach"),
    ("brown", "shelter", D(2026, 2, 10), "completed", ""),
    ("brown", "shelter", D(2026, 3, 1), "identified", ""),
    ("brown", "basic_needs", D(2025, 12, 31), "declined", ""),
    ("winnebago", "legal_advocacy", D(2025, 9, 15), "waitlisted", ""),
    ("winnebago", "legal_advocacy", D(2026, 1, 1), "completed", ""),
    ("dane", "mental_health", D(2026, 1, 2), "unavailable", "age"),
    ("dane", "shelter", D(2026, 5, 1), "receiving", ""),
]
# (region, name, service types, counties, tribes, active)
PROVIDERS = [
    (2, "Fox Valley Counselling", ["mental_health", "substance_use"],
        ["Outagamie", "Winnebago"], [ONEIDA], True),
    (2, "Bay Shelter", ["shelter", "basic_needs"], ["Brown"], [], True),
    (2, "Closed Clinic", ["mental_health"], ["Brown"], [], False),
    (5, "Madison Youth Law", ["legal_advocacy"], ["Dane", "Winnebago"], [], True),
    (5, "Capital Interpreters", ["interpretation", "mental_health"], ["Dane"], [], True),
]  # fmt: skip
MET = {"receiving", "completed"}


def service(key: str) -> ServiceType:
    return ServiceType.objects.get(key=key)


@pytest.fixture
def world(make_case, personas):
    """The cases, needs and providers above, written as of NOW through the services."""
    with time_machine.travel(NOW, tick=False):
        oneida = Tribe.objects.get(name=ONEIDA)
        cases = {
            "out1": make_case(county="Outagamie", status="accepted", tribe=oneida),
            "out2": make_case(county="Outagamie"),
            "brown": make_case(county="Brown"),
            "winnebago": make_case(county="Winnebago"),
            "dane": make_case(county="Dane"),
        }
        needs = []
        for case_key, key, day, status, reason in NEEDS:
            case = cases[case_key]
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
                    provider_name="Somewhere listed elsewhere"
                    if status in ("referred", "receiving", "waitlisted")
                    else "",
                )
            needs.append((case, key, day, status, reason))
        for number, name, offered, counties, tribes, active in PROVIDERS:
            provider_create(
                actor=personas[f"hub{number}.specialist"],
                region=Region.objects.get(number=number),
                data=ProviderInput(
                    name=name,
                    kind="community",
                    service_types=[service(k) for k in offered],
                    counties=list(County.objects.filter(name__in=counties)),
                    tribes=list(Tribe.objects.filter(name__in=tribes)),
                    active=active,
                ),
            )
    return needs


def places():
    """(place key, a test on (region id, county id, tribe id): is this about here?)."""
    yield ("state", None, None, None), lambda r, c, t: True
    for pk in Region.objects.values_list("pk", flat=True):
        yield ("region", pk, None, None), lambda r, c, t, pk=pk: r == pk
    for pk, region in County.objects.values_list("pk", "region_id"):
        yield ("county", region, pk, None), lambda r, c, t, pk=pk: c == pk
    for pk, region in Tribe.objects.values_list("pk", "primary_region_id"):
        yield ("tribe", region, None, pk), lambda r, c, t, pk=pk: t == pk


def expected_needs(key: str, needs, quarter) -> dict[tuple, float]:
    start, end = BOUNDS[quarter]
    counted = [n for n in needs if start <= n[2] < end]
    if key == "needs_met":
        counted = [n for n in counted if n[3] in MET]
    elif key == "needs_unmet":
        counted = [n for n in counted if n[3] in UNMET]
    elif key == "needs_unavailable":
        counted = [n for n in counted if n[3] == "unavailable"]
    table = {}
    service_keys = ServiceType.objects.values_list("key", flat=True)
    for place, here in places():
        mine = [n for n in counted if here(n[0].region_id, n[0].county_id, n[0].youth.tribe_id)]
        table[(*place, "", "")] = len(mine)
        for k in service_keys:
            table[(*place, "service_type", k)] = sum(n[1] == k for n in mine)
        if key == "needs_unavailable":
            for reason in UnavailableReason.values:
                table[(*place, "reason", reason)] = sum(n[4] == reason for n in mine)
    return {k: float(v) for k, v in table.items()}


def expected_providers() -> dict[tuple, float]:
    county_region = dict(County.objects.values_list("name", "region_id"))
    county_pk = dict(County.objects.values_list("name", "pk"))
    tribe_pk = dict(Tribe.objects.values_list("name", "pk"))
    active = [p for p in PROVIDERS if p[5]]

    def serves(provider, scope, region, county, tribe) -> bool:
        counties, tribes = provider[3], provider[4]
        if scope == "state":
            return True
        if scope == "region":
            return any(county_region[name] == region for name in counties)
        if scope == "county":
            return any(county_pk[name] == county for name in counties)
        return any(tribe_pk[name] == tribe for name in tribes)

    table = {}
    for place, _ in places():
        here = [p for p in active if serves(p, *place)]
        table[(*place, "", "")] = len(here)
        for k in ServiceType.objects.values_list("key", flat=True):
            table[(*place, "service_type", k)] = sum(k in p[2] for p in here)
    return {k: float(v) for k, v in table.items()}


def computed(key: str, quarter) -> dict[tuple, float]:
    with time_machine.travel(NOW, tick=False):
        rows = metric(key).compute(Period.of(quarter, NOW))
    table = {}
    for row in rows:
        place = (
            row.scope,
            row.region_id,
            row.county_id,
            row.tribe_id,
            row.dimension,
            row.category,
        )
        assert place not in table, f"{key}: two rows for {place}"
        table[place] = row.value
    return table


@pytest.mark.parametrize("quarter", [Q1, Q2], ids=str)
@pytest.mark.parametrize("key", NEED_METRICS)
def test_each_need_metric_matches_an_independent_computation_everywhere(world, key, quarter):
    assert computed(key, quarter) == expected_needs(key, world, quarter)


@pytest.mark.parametrize("quarter", [Q1, Q2], ids=str)
def test_active_providers_match_an_independent_computation_everywhere(world, quarter):
    assert computed("providers_active", quarter) == expected_providers()


def test_a_few_cells_worked_out_by_hand(world):
    brown = County.objects.get(name="Brown")
    outagamie = County.objects.get(name="Outagamie")
    winnebago = County.objects.get(name="Winnebago")
    r2 = Region.objects.get(number=2).pk
    r5 = Region.objects.get(number=5).pk
    oneida = Tribe.objects.get(name=ONEIDA)
    state = ("state", None, None, None)
    identified = computed("needs_identified", Q1)
    met = computed("needs_met", Q1)
    unmet = computed("needs_unmet", Q1)
    unavailable = computed("needs_unavailable", Q1)
    providers = computed("providers_active", Q1)

    # 15 Jan, 1 Feb, 31 Mar, 10 Feb, 1 Mar, 1 Jan, 2 Jan; not 31 Dec, not 1 Apr
    assert identified[(*state, "", "")] == 7
    assert identified[("county", r2, brown.pk, None, "service_type", "shelter")] == 2
    assert met[("county", r2, brown.pk, None, "service_type", "shelter")] == 1  # completed
    assert met[("region", r2, None, None, "", "")] == 3  # receiving, completed, completed
    # Two unavailable and one identified; not the basic needs declined on 31 Dec
    assert unmet[("county", r2, brown.pk, None, "service_type", "shelter")] == 1
    assert unmet[("region", r2, None, None, "", "")] == 3
    assert unavailable[("region", r5, None, None, "reason", "age")] == 1
    assert unavailable[("tribe", r2, None, oneida.pk, "", "")] == 2  # out1's youth is Oneida
    assert unavailable[("county", r2, outagamie.pk, None, "reason", "language")] == 1
    # The inactive clinic never counts; Madison Youth Law serves Winnebago (region 2) too.
    assert providers[("county", r2, brown.pk, None, "service_type", "mental_health")] == 0
    assert providers[("county", r2, winnebago.pk, None, "service_type", "legal_advocacy")] == 1
    assert providers[("region", r2, None, None, "", "")] == 3
    assert providers[("region", r5, None, None, "", "")] == 2
    assert providers[(*state, "service_type", "mental_health")] == 2
    assert providers[(*state, "", "")] == 4


def test_the_quarter_under_way_counts_up_to_the_run(world):
    state = ("state", None, None, None, "", "")
    before = NOW - datetime.timedelta(days=1)

    with time_machine.travel(before, tick=False):
        early = {r[:6]: r.value for r in metric("needs_identified").compute(Period.of(Q2, before))}

    assert computed("needs_identified", Q2)[state] == 3  # 1 April, 1 May, 20 May
    assert early[state] == 2  # not the need identified on 20 May


def test_the_rollup_publishes_needs_suppressed_and_providers_whole(world):
    with time_machine.travel(NOW, tick=False):
        run = rollup_quarter(quarter=Q1)
    assert run.status == RollupStatus.SUCCEEDED, run.error

    brown = County.objects.get(name="Brown")
    tables = published(["2026Q1"], Q(county=brown, dimension="service_type", category="shelter"))
    key = ("county", brown.region_id, brown.pk, None, "service_type", "shelter")
    needs = tables[("2026Q1", "needs_identified")].index[key]
    # Two shelter needs in Brown: hidden, and no value leaves.
    assert (needs.suppressed, needs.small, needs.value) == (True, True, None)
    # One provider: not about youth, published as it is.
    providers = tables[("2026Q1", "providers_active")].index[key]
    assert (providers.suppressed, providers.value) == (False, 1)
    # Every provider figure is published whole and equals the independent computation.
    rows = published(["2026Q1"], Q(metric="providers_active"))[("2026Q1", "providers_active")]
    assert not any(row.suppressed for row in rows.rows)
    assert {
        (r.scope, r.region_id, r.county_id, r.tribe_id, r.dimension, r.category): r.value
        for r in rows.rows
    } == expected_providers()
    # Of the need figures, nothing shown is a count from 1 to 4.
    for key in NEED_METRICS:
        for row in published(["2026Q1"], Q(metric=key))[("2026Q1", key)].rows:
            assert row.suppressed or row.value == 0 or row.value >= 5, row
