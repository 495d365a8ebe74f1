"""Where a region's trainings have been: for each of its counties (then each of its
tribes), the delivered trainings that reached it and the people trained in them, quarter
by quarter; when a training last reached it, and when one is next planned there.

Delivered trainings only (planned and cancelled ones never), by the day they took place,
whichever region's hub gave them. A county's or tribe's row counts as its figures in
training/metrics.py do. The region's row does not: it counts the trainings, any hub's,
that reached at least one of the region's counties, each once, where the quarterly
metric's region figure counts the region's own hub's trainings wherever they went. A
training that reached two counties counts in each, so the county rows add up to more
than the region's row.

A fixed number of GROUP BY queries, whatever the number of trainings or counties.
"""

import dataclasses
import datetime
from collections.abc import Sequence

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from regions.models import County, Region, Tribe
from regions.quarters import Quarter
from training.models import Training, TrainingStatus

COUNTY_REACHED = Training.counties.through
TRIBE_REACHED = Training.tribes.through
_DELIVERED = TrainingStatus.DELIVERED


@dataclasses.dataclass(frozen=True)
class QuarterCount:
    quarter: Quarter
    trainings: int = 0
    people: int = 0


@dataclasses.dataclass(frozen=True)
class CoverageRow:
    """One county or tribe of the region."""

    place: County | Tribe
    quarters: list[QuarterCount]
    latest: datetime.date | None  # the last delivered training that reached it, ever
    next_planned: datetime.date | None  # the next planned one, from today on

    @property
    def is_county(self) -> bool:
        return isinstance(self.place, County)

    @property
    def trainings(self) -> int:
        return sum(cell.trainings for cell in self.quarters)

    @property
    def people(self) -> int:
        return sum(cell.people for cell in self.quarters)

    @property
    def reached(self) -> bool:
        return self.trainings > 0

    @property
    def list_filter(self) -> str:
        """The training list's filter for this place (a query string, without '?'): every
        region's trainings (the list would otherwise show the viewer's region's only)."""
        if self.is_county:
            return f"region=&county={self.place.fips}"
        return f"region=&tribe={self.place.pk}"


@dataclasses.dataclass(frozen=True)
class Coverage:
    region: Region
    quarters: list[Quarter]
    counties: list[CoverageRow]  # the gaps first, then by name
    tribes: list[CoverageRow]  # likewise
    # Trainings (any hub's) that reached any of its counties, each once: not the
    # quarterly metric's region figure, which counts its own hub's trainings.
    region_total: list[QuarterCount]

    @property
    def unreached_counties(self) -> list[CoverageRow]:
        return [row for row in self.counties if not row.reached]

    @property
    def unreached_tribes(self) -> list[CoverageRow]:
        return [row for row in self.tribes if not row.reached]

    @property
    def counties_reached(self) -> int:
        return len(self.counties) - len(self.unreached_counties)

    @property
    def tribes_reached(self) -> int:
        return len(self.tribes) - len(self.unreached_tribes)

    @property
    def trainings(self) -> int:
        return sum(cell.trainings for cell in self.region_total)

    @property
    def people(self) -> int:
        return sum(cell.people for cell in self.region_total)


def coverage_of(
    region: Region, quarters: Sequence[Quarter], *, today: datetime.date | None = None
) -> Coverage:
    """The coverage of `region`'s counties and tribes over `quarters` (Wisconsin dates,
    each from its first day to the next quarter's, exclusive). Not about any person:
    callers decide who may see it (anyone in the network). Seven queries."""
    today = today or timezone.localdate()
    quarters = list(quarters)
    counties = list(County.objects.filter(region=region).order_by("name"))
    tribes = list(Tribe.objects.filter(primary_region=region).order_by("name"))
    county_rows = _rows(
        counties,
        COUNTY_REACHED.objects.filter(county__region=region),
        "county_id",
        quarters,
        today,
    )
    tribe_rows = _rows(
        tribes,
        TRIBE_REACHED.objects.filter(tribe__primary_region=region),
        "tribe_id",
        quarters,
        today,
    )
    reached_region = Exists(
        COUNTY_REACHED.objects.filter(training=OuterRef("pk"), county__region=region)
    )
    region_rows = (
        Training.objects.filter(reached_region, _in_quarters(quarters, ""), status=_DELIVERED)
        .annotate(_quarter=_quarter_index(quarters, ""))
        .values("_quarter")
        .annotate(trainings=Count("pk"), people=Sum("total_attendees"))
        .order_by()
    )
    found = {row["_quarter"]: row for row in region_rows}
    return Coverage(
        region=region,
        quarters=quarters,
        counties=county_rows,
        tribes=tribe_rows,
        region_total=_cells(quarters, found),
    )


def _in_quarters(quarters: Sequence[Quarter], prefix: str) -> Q:
    where = Q()
    for quarter in quarters:
        where |= Q(
            **{
                f"{prefix}date__gte": quarter.start.date(),
                f"{prefix}date__lt": quarter.end.date(),
            }
        )
    return where


def _quarter_index(quarters: Sequence[Quarter], prefix: str) -> Case:
    """Which of `quarters` (its index) a training's date falls in."""
    return Case(
        *(
            When(
                **{
                    f"{prefix}date__gte": quarter.start.date(),
                    f"{prefix}date__lt": quarter.end.date(),
                },
                then=Value(index),
            )
            for index, quarter in enumerate(quarters)
        ),
        output_field=IntegerField(),
    )


def _cells(quarters: Sequence[Quarter], found: dict[int, dict]) -> list[QuarterCount]:
    return [
        QuarterCount(
            quarter,
            found.get(index, {}).get("trainings") or 0,
            found.get(index, {}).get("people") or 0,
        )
        for index, quarter in enumerate(quarters)
    ]


def _rows(places, reached, place_field, quarters, today) -> list[CoverageRow]:
    """One row per place, from two GROUP BY queries over the places' reached-rows (one
    row per training and place): per place and quarter, and per place over all time."""
    per_quarter = (
        reached.filter(_in_quarters(quarters, "training__"), training__status=_DELIVERED)
        .annotate(_quarter=_quarter_index(quarters, "training__"))
        .values(place_field, "_quarter")
        .annotate(trainings=Count("training_id"), people=Sum("training__total_attendees"))
        .order_by()
    )
    counts: dict[int, dict[int, dict]] = {}
    for row in per_quarter:
        counts.setdefault(row[place_field], {})[row["_quarter"]] = row
    dates = (
        reached.filter(training__status__in=[_DELIVERED, TrainingStatus.PLANNED])
        .values(place_field)
        .annotate(
            latest=Max("training__date", filter=Q(training__status=_DELIVERED)),
            next_planned=Min(
                "training__date",
                filter=Q(training__status=TrainingStatus.PLANNED, training__date__gte=today),
            ),
        )
        .order_by()
    )
    when = {row[place_field]: row for row in dates}
    rows = [
        CoverageRow(
            place=place,
            quarters=_cells(quarters, counts.get(place.pk, {})),
            latest=when.get(place.pk, {}).get("latest"),
            next_planned=when.get(place.pk, {}).get("next_planned"),
        )
        for place in places
    ]
    # The gaps first (the places the hub should reach next), each part by name.
    return sorted(rows, key=lambda row: row.reached)
