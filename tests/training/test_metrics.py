"""The training metrics against an independent computation, then through the real rollup.

The trainings are logged through training.services by the hubs, with the clock set to
20 April 2026. Each registered training metric is computed for 2026Q1 (complete) and
2026Q2 (to date) and compared, over every place (the state, each region, county and
tribe) and every category (zeros included), with what this file works out in plain
Python from the trainings as written below; never through training.metrics or
regions.metrics.
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db.models import Q

from cases import services as case_services
from cases.models import ReferralSource
from regions.figures import published
from regions.metrics import Period, metric
from regions.models import County, Region, RollupRun, RollupStatus, RollupTrigger, Tribe
from regions.quarters import Quarter
from regions.rollups import rollup_execute, rollup_quarter
from training.models import Sector, Topic, TrainingFormat
from training.services import training_cancel

pytestmark = pytest.mark.django_db

CT = zoneinfo.ZoneInfo("America/Chicago")
NOW = datetime.datetime(2026, 4, 20, 12, 0, tzinfo=CT)
Q1, Q2 = Quarter(2026, 1), Quarter(2026, 2)
# The periods, written out here: first day, and the day after the last one counted.
BOUNDS = {
    Q1: (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)),
    Q2: (datetime.date(2026, 4, 1), datetime.date(2026, 4, 21)),  # to date
}
ONEIDA, HO_CHUNK = "Oneida Nation", "Ho-Chunk Nation"
TRAINING_METRICS = ["trainings_delivered", "people_trained", "training_hours", "counties_reached"]


def spec(region, counties, date, attendance, *, tribes=(), topics=("awareness",), **more):
    return {
        "region": region,
        "counties": list(counties),
        "tribes": list(tribes),
        "date": date,
        "attendance": attendance,
        "topics": list(topics),
        "format": more.get("format", "in_person"),
        "duration_hours": Decimal(more.get("duration_hours", "2")),
        "then": more.get("then"),
    }


D = datetime.date
TRAININGS = [
    spec(
        2,
        ["Outagamie"],
        D(2026, 1, 15),
        {"education": 12, "law_enforcement": 3},
        topics=["awareness", "indicators"],
    ),
    # Two counties of one region: once in the region, in each county.
    spec(
        2,
        ["Outagamie", "Brown"],
        D(2026, 2, 10),
        {"health_care": 20},
        tribes=[ONEIDA],
        topics=["indicators"],
        format="virtual",
        duration_hours="1.5",
    ),
    spec(2, ["Brown"], D(2026, 3, 31), {"hospitality": 2}, format="hybrid", duration_hours="1"),
    # Hub 5's training reaching a region 2 county: region 5's, and Winnebago's.
    spec(
        5,
        ["Dane", "Winnebago"],
        D(2026, 3, 5),
        {"transportation": 30, "other": 1},
        topics=["labor_trafficking"],
        duration_hours="3",
    ),
    spec(
        5,
        ["Dane"],
        D(2026, 1, 1),
        {"tribal": 8},
        tribes=[HO_CHUNK],
        topics=["culturally_specific", "prevention"],
        duration_hours="0.75",
    ),
    # Outside 2026Q1, on either side; the second is in 2026Q2 to date.
    spec(2, ["Outagamie"], D(2025, 12, 31), {"education": 40}),
    spec(2, ["Brown"], D(2026, 4, 1), {"parents": 7}, topics=["prevention"]),
    spec(5, ["Dane"], D(2026, 4, 20), {"faith": 4}, format="virtual"),
    # Planned (attendance not recorded yet) and cancelled: never counted.
    spec(2, ["Calumet"], D(2026, 2, 20), None),
    spec(2, ["Door"], D(2026, 3, 10), None, then="cancel"),
    spec(5, ["Dane"], D(2026, 5, 1), None),
]


@pytest.fixture
def logged(make_training, personas):
    with time_machine.travel(NOW, tick=False):
        for t in TRAININGS:
            training = make_training(
                region=t["region"],
                counties=t["counties"],
                tribes=t["tribes"],
                date=t["date"],
                attendance=t["attendance"],
                topics=t["topics"],
                format=t["format"],
                duration_hours=t["duration_hours"],
            )
            if t["then"] == "cancel":
                training_cancel(
                    actor=personas[f"hub{t['region']}.specialist"],
                    training_id=training.pk,
                    reason="Snow.",
                )
    return TRAININGS


class Places:
    """Every place a figure is about, by name, from the reference data."""

    def __init__(self):
        self.regions = {r.number: r.pk for r in Region.objects.all()}
        self.counties = {c.name: (c.pk, c.region_id) for c in County.objects.all()}
        self.tribes = {t.name: (t.pk, t.primary_region_id) for t in Tribe.objects.all()}

    def each(self):
        """(key without dimension, a test: does this training count here?)."""
        yield ("state", None, None, None), lambda t: True
        for number, pk in self.regions.items():
            yield ("region", pk, None, None), lambda t, n=number: t["region"] == n
        for name, (pk, region) in self.counties.items():
            yield ("county", region, pk, None), lambda t, n=name: n in t["counties"]
        for name, (pk, region) in self.tribes.items():
            yield ("tribe", region, None, pk), lambda t, n=name: n in t["tribes"]


def delivered_in(quarter):
    start, end = BOUNDS[quarter]
    return [t for t in TRAININGS if t["attendance"] and not t["then"] and start <= t["date"] < end]


def expected(key: str, quarter) -> dict[tuple, float]:
    trainings = delivered_in(quarter)
    places = Places()
    table = {}
    for place, counts in places.each():
        here = [t for t in trainings if counts(t)]
        if key == "trainings_delivered":
            table[(*place, "", "")] = len(here)
            for topic in Topic.values:
                table[(*place, "topic", topic)] = sum(topic in t["topics"] for t in here)
            for form in TrainingFormat.values:
                table[(*place, "format", form)] = sum(t["format"] == form for t in here)
        elif key == "people_trained":
            table[(*place, "", "")] = sum(sum(t["attendance"].values()) for t in here)
            for sector in Sector.values:
                table[(*place, "sector", sector)] = sum(
                    t["attendance"].get(sector, 0) for t in here
                )
        elif key == "training_hours":
            table[(*place, "", "")] = sum(t["duration_hours"] for t in here)
        elif key == "counties_reached":
            reached = {name for t in trainings for name in t["counties"]}
            scope = place[0]
            if scope == "state":
                value = len(reached)
            elif scope == "region":
                value = sum(places.counties[name][1] == place[1] for name in reached)
            else:
                value = int(bool(here))
            table[(*place, "", "")] = value
    return {k: float(v) for k, v in table.items()}


def computed(key: str, quarter) -> dict[tuple, float]:
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
@pytest.mark.parametrize("key", TRAINING_METRICS)
def test_each_metric_matches_an_independent_computation_everywhere(logged, key, quarter):
    assert computed(key, quarter) == expected(key, quarter)


def test_the_independent_computation_itself_on_a_few_cells_worked_out_by_hand(logged):
    places = Places()
    outagamie, brown = places.counties["Outagamie"][0], places.counties["Brown"][0]
    winnebago = places.counties["Winnebago"][0]
    r2, r5 = places.regions[2], places.regions[5]
    delivered = computed("trainings_delivered", Q1)
    people = computed("people_trained", Q1)
    hours = computed("training_hours", Q1)
    reached = computed("counties_reached", Q1)

    assert delivered[("state", None, None, None, "", "")] == 5
    # the Outagamie-and-Brown training: once in region 2, in each county
    assert delivered[("region", r2, None, None, "", "")] == 3
    assert delivered[("county", r2, outagamie, None, "", "")] == 2
    assert delivered[("county", r2, brown, None, "", "")] == 2
    # hub 5's training counts in region 5 and in Winnebago (region 2), not in region 2
    assert delivered[("region", r5, None, None, "", "")] == 2
    assert delivered[("county", r2, winnebago, None, "", "")] == 1
    assert delivered[("state", None, None, None, "topic", "indicators")] == 2
    assert delivered[("state", None, None, None, "format", "virtual")] == 1
    assert people[("county", r2, outagamie, None, "", "")] == 35
    assert people[("state", None, None, None, "sector", "education")] == 12  # not the Q4 40
    assert people[("region", r2, None, None, "sector", "hospitality")] == 2
    assert hours[("state", None, None, None, "", "")] == 8.25
    assert reached[("state", None, None, None, "", "")] == 4  # Outagamie, Brown, Dane, Winnebago
    assert reached[("region", r2, None, None, "", "")] == 3  # Winnebago by hub 5 too
    assert reached[("county", r2, places.counties["Calumet"][0], None, "", "")] == 0  # planned
    assert reached[("county", r2, places.counties["Door"][0], None, "", "")] == 0  # cancelled


def test_the_quarter_under_way_counts_up_to_the_run(logged):
    state = ("state", None, None, None, "", "")

    assert computed("trainings_delivered", Q2)[state] == 2  # 1 April and 20 April
    assert computed("people_trained", Q2)[state] == 11
    early = metric("trainings_delivered").compute(Period.of(Q2, NOW - datetime.timedelta(days=1)))
    assert {r[:6]: r.value for r in early}[state] == 1


def referral(personas, county: str, received: datetime.datetime):
    county = County.objects.select_related("region").get(name=county)
    with time_machine.travel(received, tick=False):
        return case_services.referral_create(
            logged_by=personas["hub2.specialist"],
            region=county.region,
            youth_data={
                "legal_first_name": "Metric",
                "legal_last_name": "Testcase",
                "estimated_age": 15,
                "county": county,
            },
            referral_data={
                "received_at": received,
                "source": ReferralSource.SCHOOL,
                "narrative": "Synthetic.",
            },
        )


def test_the_rollup_publishes_training_figures_whole_while_case_figures_stay_suppressed(
    logged, personas
):
    for day in (5, 6):  # two referrals in Brown: a small count
        referral(personas, "Brown", datetime.datetime(2026, 2, day, 10, tzinfo=CT))

    with time_machine.travel(NOW, tick=False):
        run = rollup_quarter(quarter=Q1)
    assert run.status == RollupStatus.SUCCEEDED

    brown = County.objects.get(name="Brown")
    tables = published(["2026Q1"], Q(county=brown, dimension=""))
    cells = {
        key: table.index[("county", brown.region_id, brown.pk, None, "", "")]
        for key, table in tables.items()
    }
    trainings = cells[("2026Q1", "trainings_delivered")]
    assert (trainings.value, trainings.suppressed) == (2, False)
    people = cells[("2026Q1", "people_trained")]
    assert (people.value, people.suppressed) == (22, False)
    assert cells[("2026Q1", "counties_reached")].value == 1
    assert cells[("2026Q1", "training_hours")].value == 2.5
    # The same small number of referrals is hidden.
    referrals = cells[("2026Q1", "referrals_received")]
    assert referrals.suppressed
    assert referrals.value is None
    # Every training figure of the quarter is published as computed, small ones too.
    everything = published(["2026Q1"], Q(metric__in=TRAINING_METRICS))
    for key in TRAINING_METRICS:
        rows = everything[("2026Q1", key)].rows
        assert not any(row.suppressed for row in rows), key
        assert {
            (r.scope, r.region_id, r.county_id, r.tribe_id, r.dimension, r.category): r.value
            for r in rows
        } == expected(key, Q1)


def test_attendance_recorded_after_the_quarter_was_rolled_up_reaches_its_figures(
    personas, make_training, django_capture_on_commit_callbacks
):
    """The normal flow, late: a March training's attendance recorded in April, after Q1's
    figures were made. Q1 is asked for again (once) and its figures count it."""
    from training.models import TrainingChange
    from training.services import training_update

    brown = County.objects.get(name="Brown")
    with time_machine.travel(datetime.datetime(2026, 3, 20, 9, 0, tzinfo=CT), tick=False):
        planned = make_training(counties=("Brown",), date=D(2026, 3, 25))
    with time_machine.travel(NOW, tick=False):
        rollup_quarter(quarter=Q1)

        def trainings_in_brown() -> float:
            table = published(["2026Q1"], Q(county=brown, dimension=""))
            key = ("county", brown.region_id, brown.pk, None, "", "")
            return table[("2026Q1", "trainings_delivered")].index[key].value

        assert trainings_in_brown() == 0
        # In-process, the requested run runs on commit; with a broker, a worker would run
        # it (here, the test does: nothing is sent to the broker).
        eager = settings.CELERY_TASK_ALWAYS_EAGER
        with django_capture_on_commit_callbacks(execute=eager):
            training_update(
                actor=personas["hub2.specialist"],
                training_id=planned.pk,
                changes={"attendance": {"hospitality": 9}},
            )
        late = RollupRun.objects.get(quarter="2026Q1", trigger=RollupTrigger.LATE_RECORD)
        if not eager:
            rollup_execute(run_id=late.pk)

        assert trainings_in_brown() == 1
    late.refresh_from_db()
    assert (late.status, late.requested_by) == (
        RollupStatus.SUCCEEDED,
        personas["hub2.specialist"],
    )
    assert TrainingChange.objects.filter(training=planned).count() == 2


def test_a_change_to_a_quarter_not_rolled_up_asks_for_nothing(personas, make_training):
    with time_machine.travel(NOW, tick=False):
        make_training(counties=("Brown",), date=D(2026, 2, 2), attendance={"education": 4})

    assert not RollupRun.objects.exists()
