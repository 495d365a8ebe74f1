"""The training metrics the quarterly rollup computes (keys are part of the API).

Only delivered trainings count, by the day they took place (Wisconsin dates). Places:
a region's figures are its hub's trainings, each once; a county's (or tribe's) are the
trainings that reached it, whichever hub gave them. A training that reached two counties
counts in both, so county figures do not add up to their region's. Attendees are counted
in each county a training reached.

These figures are about trainings and the professionals trained, never about youth or
cases: they are published as they are, without small-cell suppression
(`disclosure_control=False`).
"""

from collections import defaultdict

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from regions.metrics import (
    Dimension,
    FigureRow,
    Geography,
    Metric,
    Period,
    Unit,
    place_key,
    register,
)
from regions.models import ScopeKind
from regions.quarters import local_zone
from training.models import Sector, Topic, Training, TrainingFormat, TrainingStatus

TOPIC = Dimension("topic", "Topic", Topic.choices)
FORMAT = Dimension("format", "Format", TrainingFormat.choices)
SECTOR = Dimension("sector", "Sector", Sector.choices)

# Where a training's rows are grouped for each kind of place (None: all of them).
_SCOPES = [
    (ScopeKind.STATE, None),
    (ScopeKind.REGION, "region_id"),
    (ScopeKind.COUNTY, "counties"),
    (ScopeKind.TRIBE, "tribes"),
]


def delivered_in(period: Period) -> QuerySet[Training]:
    """The trainings delivered in the period (its quarter, up to the period's end)."""
    trainings = Training.objects.filter(
        status=TrainingStatus.DELIVERED,
        date__gte=period.quarter.start.date(),  # local midnight: its date is Wisconsin's
        date__lt=period.quarter.end.date(),
    )
    if period.end < period.quarter.end:
        today = timezone.localtime(period.end, local_zone()).date()
        trainings = trainings.filter(date__lte=today)
    return trainings.order_by()


def _figures(
    period: Period, *, total, dimensions: tuple[tuple[Dimension, str, object], ...] = ()
) -> list[FigureRow]:
    """`total` (an aggregate over trainings) per place, and per category of each
    dimension ((dimension, the field giving the category, the aggregate)); every place
    and declared category gets a row, zero included. One GROUP BY per place kind and
    dimension."""
    geography = Geography.load()
    trainings = delivered_in(period)
    found: dict[tuple, float] = {}
    wanted = [(None, None, total), *dimensions]
    for scope, field in _SCOPES:
        for dimension, category_field, measure in wanted:
            fields = [f for f in (field, category_field) if f]
            if fields:
                rows = trainings.values(*fields).annotate(_v=measure).values_list(*fields, "_v")
            else:
                rows = [(trainings.aggregate(_v=measure)["_v"],)]
            for row in rows:
                group = row[0] if field else None
                category = row[-2] if category_field else ""
                if field and group is None:
                    continue  # a training that reached no tribe
                key = (*place_key(scope, group, geography), dimension.key if dimension else "")
                found[(*key, category)] = float(row[-1] or 0)
    figures = []
    for place in geography.places():
        figures.append(FigureRow(*place, "", "", found.get((*place, "", ""), 0)))
        for dimension, _, _ in dimensions:
            for category, _ in dimension.category_choices():
                value = found.get((*place, dimension.key, category), 0)
                figures.append(FigureRow(*place, dimension.key, category, value))
    return figures


def trainings_delivered(period: Period) -> list[FigureRow]:
    each = Count("pk", distinct=True)
    return _figures(
        period,
        total=each,
        dimensions=((TOPIC, "topic_rows__topic", each), (FORMAT, "format", each)),
    )


def people_trained(period: Period) -> list[FigureRow]:
    return _figures(
        period,
        total=Sum("total_attendees"),
        dimensions=((SECTOR, "attendance__sector", Sum("attendance__count")),),
    )


def training_hours(period: Period) -> list[FigureRow]:
    return _figures(period, total=Sum("duration_hours"))


def counties_reached(period: Period) -> list[FigureRow]:
    """How many counties at least one delivered training reached: statewide, of each
    region's counties, and for a county (or tribe) 1 when reached, else 0."""
    geography = Geography.load()
    trainings = delivered_in(period)
    counties = set(trainings.filter(counties__isnull=False).values_list("counties", flat=True))
    tribes = set(trainings.filter(tribes__isnull=False).values_list("tribes", flat=True))
    per_region: dict[int, int] = defaultdict(int)
    for county_id in counties:
        per_region[geography.county_region.get(county_id)] += 1
    figures = []
    for scope, region_id, county_id, tribe_id in geography.places():
        if scope == ScopeKind.STATE:
            value = len(counties)
        elif scope == ScopeKind.REGION:
            value = per_region.get(region_id, 0)
        elif scope == ScopeKind.COUNTY:
            value = int(county_id in counties)
        else:
            value = int(tribe_id in tribes)
        figures.append(FigureRow(scope, region_id, county_id, tribe_id, "", "", value))
    return figures


for _metric in [
    Metric(
        "trainings_delivered",
        "Trainings delivered",
        Unit.COUNT,
        "Trainings delivered in the quarter: for a region, its hub's; for a county or a "
        "tribe, those that reached it. A training on two topics counts under each.",
        trainings_delivered,
        dimensions=(TOPIC, FORMAT),
        noun="trainings",
        disclosure_control=False,
    ),
    Metric(
        "people_trained",
        "People trained",
        Unit.COUNT,
        "Attendees of the trainings delivered in the quarter, by sector (counted, never "
        "named; a county counts the attendees of every training that reached it).",
        people_trained,
        dimensions=(SECTOR,),
        noun="people",
        disclosure_control=False,
    ),
    Metric(
        "training_hours",
        "Training hours",
        Unit.HOURS,
        "Hours of training delivered in the quarter (each training's length, once).",
        training_hours,
        disclosure_control=False,
    ),
    Metric(
        "counties_reached",
        "Counties reached by training",
        Unit.COUNT,
        "Counties at least one training delivered in the quarter reached (for a county "
        "or a tribe: 1 when reached, 0 when not).",
        counties_reached,
        noun="counties",
        disclosure_control=False,
    ),
]:
    register(_metric)
