"""The metric registry: how a quarterly figure is declared, and the set-based helpers
that compute one.

Each app registers its own metrics in its `metrics.py` (cases: referrals, cases and
timeliness); `regions` never imports another app's models, it asks the registry. A
metric's `compute` receives the period and returns `FigureRow`s for every scope: the
state, each region, each county (the county recorded on the case) and each tribe (the
youth's tribal affiliation; tribes overlap counties and are not added into them).

The helpers below group in the database (one GROUP BY by place and every dimension at
once, another by tribe; never a Python loop over records) and add the grouped rows up:
a case belongs to one region and one county, so region and state figures are sums of
the (region, county) groups.
"""

import dataclasses
import datetime
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from django.db.models import Count, F, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber
from django.utils.module_loading import autodiscover_modules

from regions.models import County, Provider, Region, ScopeKind, ServiceType, Tribe
from regions.quarters import Quarter


class Unit:
    COUNT = "count"
    PERCENT = "percent"
    HOURS = "hours"
    DAYS = "days"


@dataclasses.dataclass(frozen=True)
class Period:
    """What one rollup counts: moments with start <= t < end. For the quarter under way,
    `end` is the moment the run started (quarter to date)."""

    quarter: Quarter
    start: datetime.datetime
    end: datetime.datetime

    @classmethod
    def of(cls, quarter: Quarter, now: datetime.datetime) -> "Period":
        return cls(quarter, quarter.start, min(quarter.end, now))


@dataclasses.dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    # (value, label) pairs; a callable when the categories are data (protocol step keys).
    categories: Sequence[tuple[str, str]] | Callable[[], Sequence[tuple[str, str]]] = ()

    def category_choices(self) -> list[tuple[str, str]]:
        return list(self.categories() if callable(self.categories) else self.categories)


class FigureRow(NamedTuple):
    scope: str
    region_id: int | None
    county_id: int | None
    tribe_id: int | None
    dimension: str
    category: str
    value: float | None
    denominator: int | None = None


@dataclasses.dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    description: str
    compute: Callable[[Period], Iterable[FigureRow]]
    dimensions: tuple[Dimension, ...] = ()
    # Additive metrics (counts) sum over categories and places; rates and medians don't.
    additive: bool = True
    # What the thing counted is called, for sentences ("12 referrals").
    noun: str = ""
    # Small-cell suppression (regions.figures). Off only for figures that are about no
    # youth and no case (trainings delivered, professionals trained).
    disclosure_control: bool = True
    # The key of the metric this one is a part of, cell by cell (needs met are some of
    # the needs identified). Suppressed with it as one table (regions.figures): otherwise
    # the difference of two published cells could give away a small count.
    part_of: str = ""

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)


_registry: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.key in _registry and _registry[metric.key] is not metric:
        raise ValueError(f"Metric {metric.key} is registered twice.")
    _registry[metric.key] = metric
    return metric


@functools.cache
def _discover() -> None:
    autodiscover_modules("metrics")


def metrics() -> list[Metric]:
    """Every registered metric, in the order the apps registered them."""
    _discover()
    return list(_registry.values())


def metric(key: str) -> Metric | None:
    _discover()
    return _registry.get(key)


# --- The places a figure can be about ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Geography:
    """The reference data the helpers fill zeros for (a county with no referrals shows 0,
    not a gap). Read once per run."""

    regions: tuple[int, ...]
    county_region: dict[int, int]
    tribe_region: dict[int, int]

    @classmethod
    def load(cls) -> "Geography":
        return cls(
            regions=tuple(Region.objects.values_list("pk", flat=True)),
            county_region=dict(County.objects.values_list("pk", "region_id")),
            tribe_region=dict(Tribe.objects.values_list("pk", "primary_region_id")),
        )

    def places(self) -> Iterable[tuple[str, int | None, int | None, int | None]]:
        yield (ScopeKind.STATE, None, None, None)
        for region_id in self.regions:
            yield (ScopeKind.REGION, region_id, None, None)
        for county_id, region_id in self.county_region.items():
            yield (ScopeKind.COUNTY, region_id, county_id, None)
        for tribe_id, region_id in self.tribe_region.items():
            yield (ScopeKind.TRIBE, region_id, None, tribe_id)


@dataclasses.dataclass(frozen=True)
class Places:
    """Where, in a queryset's rows, the case's region, county and tribe are found."""

    region: str
    county: str
    tribe: str


def _spread(
    geography: Geography,
    grouped: Iterable[tuple[int, int, str, Sequence[int]]],
    tribal: Iterable[tuple[int, str, Sequence[int]]],
) -> dict[tuple, list[int]]:
    """Add (region, county, category) group sums up to counties, regions and the state;
    tribe groups stand on their own. Values are vectors (a count, or numerator and
    denominator)."""
    totals: dict[tuple, list[int]] = {}

    def add(key: tuple, values: Sequence[int]) -> None:
        current = totals.setdefault(key, [0] * len(values))
        for i, v in enumerate(values):
            current[i] += v or 0

    for region_id, county_id, category, values in grouped:
        add((ScopeKind.STATE, None, None, None, category), values)
        add((ScopeKind.REGION, region_id, None, None, category), values)
        county_region = geography.county_region.get(county_id)
        add((ScopeKind.COUNTY, county_region, county_id, None, category), values)
    for tribe_id, category, values in tribal:
        add(
            (ScopeKind.TRIBE, geography.tribe_region.get(tribe_id), None, tribe_id, category),
            values,
        )
    return totals


def _grouped(
    queryset: QuerySet, places: Places, dimensions: dict[str, object], measures: dict
) -> dict[str, tuple[list, list]]:
    """Two GROUP BY queries, by (region, county, every dimension's category) and by
    (tribe, every dimension's category), then summed per dimension here: for each
    dimension key ("" for the total), the (region, county, category) and (tribe,
    category) groups with their measures. Exact because a row falls in one group and the
    measures are counts."""
    names = list(measures)
    columns = {f"_d{i}": expression for i, expression in enumerate(dimensions.values())}
    base = queryset.order_by()
    rows = (
        base.values(_r=F(places.region), _c=F(places.county), **columns)
        .annotate(**measures)
        .values_list("_r", "_c", *columns, *names)
    )
    tribe_rows = (
        base.filter(**{f"{places.tribe}__isnull": False})
        .values(_t=F(places.tribe), **columns)
        .annotate(**measures)
        .values_list("_t", *columns, *names)
    )
    width = len(columns)
    keys = ["", *dimensions]
    grouped: dict[str, dict[tuple, list[int]]] = {key: {} for key in keys}
    tribal: dict[str, dict[tuple, list[int]]] = {key: {} for key in keys}

    def add(into: dict[tuple, list[int]], key: tuple, values) -> None:
        current = into.setdefault(key, [0] * len(values))
        for i, v in enumerate(values):
            current[i] += v or 0

    for region_id, county_id, *rest in rows:
        categories, values = rest[:width], rest[width:]
        add(grouped[""], (region_id, county_id, ""), values)
        for key, category in zip(dimensions, categories, strict=True):
            add(grouped[key], (region_id, county_id, category or ""), values)
    for tribe_id, *rest in tribe_rows:
        categories, values = rest[:width], rest[width:]
        add(tribal[""], (tribe_id, ""), values)
        for key, category in zip(dimensions, categories, strict=True):
            add(tribal[key], (tribe_id, category or ""), values)
    return {
        key: (
            [(*group, values) for group, values in grouped[key].items()],
            [(*group, values) for group, values in tribal[key].items()],
        )
        for key in keys
    }


def _category_keys(dimension: Dimension | None, seen: Iterable[str]) -> list[str]:
    if dimension is None:
        return [""]
    declared = [value for value, _ in dimension.category_choices()]
    return declared + sorted(set(seen) - set(declared))


def count_rows(
    queryset: QuerySet,
    *,
    places: Places,
    dimensions: dict[str, object] | None = None,
    distinct: str = "pk",
    metric_dimensions: Sequence[Dimension] = (),
) -> list[FigureRow]:
    """Counts of `queryset` rows (distinct `distinct`, which must be one value per row:
    the groups are added up) per place, in total and per category of each dimension
    (dimension key -> the expression giving the category).
    Every place gets a row for the total and for each declared category, zero included."""
    geography = Geography.load()
    by_key = {d.key: d for d in metric_dimensions}
    rows: list[FigureRow] = []
    measures = {"_n": Count(distinct, distinct=True)}
    for dimension_key, (grouped, tribal) in _grouped(
        queryset, places, dimensions or {}, measures
    ).items():
        totals = _spread(geography, grouped, tribal)
        dimension = by_key.get(dimension_key) if dimension_key else None
        categories = _category_keys(dimension, (key[4] for key in totals))
        for scope, region_id, county_id, tribe_id in geography.places():
            for category in categories:
                value = totals.get((scope, region_id, county_id, tribe_id, category), [0])[0]
                rows.append(
                    FigureRow(
                        scope, region_id, county_id, tribe_id, dimension_key, category, value
                    )
                )
    return rows


def share_rows(
    queryset: QuerySet,
    *,
    places: Places,
    numerator: Q,
    dimensions: dict[str, object] | None = None,
) -> list[FigureRow]:
    """Percentages: rows meeting `numerator` of all rows, per place and category. The
    denominator is kept so that small ones can be suppressed. Places with no rows get a
    total row with no value."""
    geography = Geography.load()
    rows: list[FigureRow] = []
    measures = {"_num": Count("pk", filter=numerator), "_den": Count("pk")}
    for dimension_key, (grouped, tribal) in _grouped(
        queryset, places, dimensions or {}, measures
    ).items():
        totals = _spread(geography, grouped, tribal)
        for scope, region_id, county_id, tribe_id, category in sorted(totals, key=_sort_key):
            num, den = totals[(scope, region_id, county_id, tribe_id, category)]
            value = round(100 * num / den, 1) if den else None
            rows.append(
                FigureRow(
                    scope, region_id, county_id, tribe_id, dimension_key, category, value, den
                )
            )
        if not dimension_key:
            rows.extend(
                FigureRow(*place, "", "", None, 0)
                for place in geography.places()
                if (*place, "") not in totals
            )
    return rows


def median_rows(
    queryset: QuerySet, *, places: Places, value, convert: Callable[[object], float]
) -> list[FigureRow]:
    """The median of `value` per place, found by the database with window functions (row
    number and count per partition; the middle one or two rows come back, one or two per
    place), converted by `convert` (e.g. a duration to hours)."""
    geography = Geography.load()
    partitions = [
        (ScopeKind.STATE, None),
        (ScopeKind.REGION, places.region),
        (ScopeKind.COUNTY, places.county),
        (ScopeKind.TRIBE, places.tribe),
    ]
    found: dict[tuple, tuple[float, int]] = {}
    for scope, field in partitions:
        base = queryset.order_by().annotate(_v=value, _g=F(field) if field else Value(0))
        if field:
            base = base.filter(**{f"{field}__isnull": False})
        middle = (
            base.annotate(
                _rn=Window(RowNumber(), partition_by=[F("_g")], order_by=[F("_v"), F("pk")]),
                _n=Window(Count("pk"), partition_by=[F("_g")]),
            )
            .filter(_rn__gte=(F("_n") + 1) / 2, _rn__lte=(F("_n") + 2) / 2)
            .values_list("_g", "_v", "_n")
        )
        values: dict[int, list] = defaultdict(list)
        sizes: dict[int, int] = {}
        for group, raw, size in middle:
            values[group].append(convert(raw))
            sizes[group] = size
        for group, middles in values.items():
            key = place_key(scope, group, geography)
            found[key] = (round(sum(middles) / len(middles), 1), sizes[group])
    return [
        FigureRow(*place, "", "", *found.get(place, (None, 0))) for place in geography.places()
    ]


def place_key(scope: str, group: int | None, geography: Geography) -> tuple:
    """(scope, region, county, tribe) of a group found by a GROUP BY on the place's field
    (a region, county or tribe id; None for the state)."""
    if scope == ScopeKind.STATE:
        return (scope, None, None, None)
    if scope == ScopeKind.REGION:
        return (scope, group, None, None)
    if scope == ScopeKind.COUNTY:
        return (scope, geography.county_region.get(group), group, None)
    return (scope, geography.tribe_region.get(group), None, group)


def _sort_key(key: tuple) -> tuple:
    return tuple("" if part is None else str(part) for part in key)


# --- The resource directory: active providers -------------------------------------------


def service_type_choices() -> list[tuple[str, str]]:
    """(key, label) of every service type, inactive ones too (old needs still name them)."""
    return list(ServiceType.objects.order_by("order", "label").values_list("key", "label"))


SERVICE_TYPE = Dimension("service_type", "Service type", service_type_choices)

# Where a provider is counted, for each kind of place (None: everywhere, once).
PROVIDER_PLACES = {
    ScopeKind.STATE: None,
    ScopeKind.REGION: "counties__region",
    ScopeKind.COUNTY: "counties",
    ScopeKind.TRIBE: "tribes",
}


def active_provider_counts(by: str | None) -> dict[tuple[int | None, str], int]:
    """Active providers in the directory, each counted once per group: {(group, service
    type key): n} and {(group, ""): n} for any service, where a group is a value of `by`
    (a Provider field path from PROVIDER_PLACES; None for one group, None, of them all).
    A provider serving two counties counts in each, and once in a region serving both.
    Two GROUP BY queries, whatever the size of the directory."""
    providers = Provider.objects.filter(active=True).order_by()
    fields = [by] if by else []
    found: dict[tuple[int | None, str], int] = {}
    per_type = (
        providers.values(*fields, "service_types__key")
        .annotate(_n=Count("pk", distinct=True))
        .values_list(*fields, "service_types__key", "_n")
    )
    for *group, key, n in per_type:
        if key is not None and (not by or group[0] is not None):
            found[(group[0] if by else None, key)] = n
    if by:
        totals = providers.values(by).annotate(_n=Count("pk", distinct=True)).values_list(by, "_n")
        found.update({(group, ""): n for group, n in totals if group is not None})
    else:
        found[(None, "")] = providers.count()
    return found


def providers_active(period: Period) -> list[FigureRow]:
    """Active providers serving each place, in all and per service type, as the directory
    stands when the figures are computed (the directory keeps no history): a county's
    are those whose counties include it, a tribe's those whose tribes include it, a
    region's those serving at least one of its counties (whichever region's directory
    lists them), Wisconsin's every active provider. Every place and service type gets a
    row, zero included: a zero is the gap."""
    geography = Geography.load()
    counts = {scope: active_provider_counts(by) for scope, by in PROVIDER_PLACES.items()}
    categories = [key for key, _ in SERVICE_TYPE.category_choices()]
    rows: list[FigureRow] = []
    for place in geography.places():
        scope, region_id, county_id, tribe_id = place
        group = {
            ScopeKind.STATE: None,
            ScopeKind.REGION: region_id,
            ScopeKind.COUNTY: county_id,
            ScopeKind.TRIBE: tribe_id,
        }[scope]
        found = counts[scope]
        rows.append(FigureRow(*place, "", "", found.get((group, ""), 0)))
        rows.extend(
            FigureRow(*place, SERVICE_TYPE.key, key, found.get((group, key), 0))
            for key in categories
        )
    return rows


register(
    Metric(
        "providers_active",
        "Active providers",
        Unit.COUNT,
        "Active providers in the resource directory serving the place, as the directory "
        "stood when the figures were computed: a county's are those listing it among the "
        "counties they serve, a region's those serving any of its counties, Wisconsin's "
        "every active provider. A provider serving two counties counts in each, and under "
        "each service type it offers. No youth data: published without suppression.",
        providers_active,
        dimensions=(SERVICE_TYPE,),
        additive=False,
        noun="providers",
        disclosure_control=False,
    )
)
