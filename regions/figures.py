"""The one door to the quarterly figures: suppressed before anything leaves the server.

Only this module reads `Figure`. It suppresses a whole (quarter, metric) table at once,
so the same cells are hidden whoever asks and whatever they filter, then hands out
`Published` rows: a suppressed cell has no value. Pages, the figures API and exports
all read through `published` and `figures_visible_to`.

Suppression (regions.suppression): a count from 1 to threshold - 1 is hidden, a rate or
median resting on fewer than threshold cases is hidden, and complementary cells are
hidden in every additive group (the categories of a dimension and their total, the
counties of a region and the region, the regions and the state) so that no hidden value
can be recovered by subtraction.
"""

import collections
import datetime
import threading
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from guardian.shortcuts import get_objects_for_user

from regions.metrics import metric as metric_named
from regions.models import DisclosureControl, Figure, Region, RollupQuarter, ScopeKind
from regions.suppression import is_rate_suppressed, suppress_counts


class Published(NamedTuple):
    quarter: str
    scope: str
    region_id: int | None
    county_id: int | None
    tribe_id: int | None
    metric: str
    dimension: str
    category: str
    value: float | None  # None: suppressed, or nothing to measure (a median of no cases)
    suppressed: bool
    computed_at: datetime.datetime
    # Hidden because it is itself small (a count below the threshold, or a rate resting
    # on too few cases), not as a complement: pages may say "fewer than 5" of these only.
    small: bool = False


def suppression_threshold() -> int:
    row = DisclosureControl.objects.order_by("pk").values_list("threshold", flat=True).first()
    return row or settings.SUPPRESSION_THRESHOLD


class Table(NamedTuple):
    """One (quarter, metric) table, suppressed, indexed by
    (scope, region, county, tribe, dimension, category)."""

    rows: list[Published]
    index: dict[tuple, Published]


# Suppressed tables kept in this process, keyed by run and threshold, so a recompute or
# a new threshold is never served stale. Process-local (no pickling on every request);
# every process fills its own.
_tables: collections.OrderedDict[str, Table] = collections.OrderedDict()
_tables_lock = threading.Lock()
TABLES_KEPT = 256


def published(
    quarters: Iterable[str], metric_keys: Iterable[str], *, threshold: int | None = None
) -> dict[tuple[str, str], Table]:
    """Suppressed figures per (quarter, metric), for quarters that have been rolled up.
    One query for the quarters' current runs; the tables come from memory, or from one
    query for everything missing."""
    threshold = threshold or suppression_threshold()
    quarters, metric_keys = list(quarters), list(metric_keys)
    runs = RollupQuarter.objects.filter(
        quarter__in=quarters, current_run__isnull=False
    ).values_list("quarter", "current_run_id", "current_run__finished_at")
    keys = {
        (quarter, key): f"{run}:{finished.timestamp()}:{key}:{threshold}"
        for quarter, run, finished in runs
        for key in metric_keys
    }
    with _tables_lock:
        result = {pair: _tables[key] for pair, key in keys.items() if key in _tables}
    missing = [pair for pair in keys if pair not in result]
    if missing:
        raw: dict[tuple[str, str], list] = defaultdict(list)
        rows = Figure.objects.filter(
            quarter__in={q for q, _ in missing}, metric__in={m for _, m in missing}
        ).values_list(
            "quarter",
            "scope",
            "region_id",
            "county_id",
            "tribe_id",
            "metric",
            "dimension",
            "category",
            "value",
            "denominator",
            "run__finished_at",
        )
        for row in rows:
            raw[(row[0], row[5])].append(row)
        fresh = {}
        for pair in missing:
            suppressed = _suppress(pair[1], raw.get(pair, []), threshold)
            fresh[pair] = Table(suppressed, {_key(r): r for r in suppressed})
        with _tables_lock:
            for pair, table in fresh.items():
                _tables[keys[pair]] = table
            while len(_tables) > TABLES_KEPT:
                _tables.popitem(last=False)
        result.update(fresh)
    return result


def _key(row: Published) -> tuple:
    return (row.scope, row.region_id, row.county_id, row.tribe_id, row.dimension, row.category)


def _suppress(metric_key: str, rows: list, threshold: int) -> list[Published]:
    definition = metric_named(metric_key)
    additive = definition.additive if definition else True
    if additive:
        counts = {row[1:5] + row[6:8]: int(row[8] or 0) for row in rows}
        hidden = suppress_counts(counts, _groups(counts), threshold)
        published_rows = []
        for row in rows:
            suppressed = row[1:5] + row[6:8] in hidden
            value = None if suppressed or row[8] is None else int(row[8])
            small = suppressed and 0 < (row[8] or 0) < threshold
            published_rows.append(Published(*row[:8], value, suppressed, row[10], small))
        return published_rows
    return [
        Published(*row[:8], None if hidden else row[8], hidden, row[10], hidden)
        for row in rows
        for hidden in [is_rate_suppressed(row[9], threshold)]
    ]


def _groups(counts: dict[tuple, int]) -> list[tuple[tuple, list[tuple]]]:
    """The additive groups of one metric's table. Keys are
    (scope, region, county, tribe, dimension, category)."""
    by_dimension: dict[tuple, list[tuple]] = defaultdict(list)
    counties_of: dict[tuple, list[tuple]] = defaultdict(list)
    regions_of: dict[tuple, list[tuple]] = defaultdict(list)
    for key in counts:
        scope, region, county, tribe, dimension, category = key
        if dimension:
            by_dimension[(scope, region, county, tribe, dimension)].append(key)
        if scope == ScopeKind.COUNTY:
            counties_of[(region, dimension, category)].append(key)
        elif scope == ScopeKind.REGION:
            regions_of[(dimension, category)].append(key)
    groups = [
        ((scope, region, county, tribe, "", ""), parts)
        for (scope, region, county, tribe, _), parts in by_dimension.items()
    ]
    groups += [
        ((ScopeKind.REGION, region, None, None, dimension, category), parts)
        for (region, dimension, category), parts in counties_of.items()
    ]
    groups += [
        ((ScopeKind.STATE, None, None, None, dimension, category), parts)
        for (dimension, category), parts in regions_of.items()
    ]
    return groups


# --- Who sees which figures -----------------------------------------------------------


def sees_statewide(user: AbstractBaseUser) -> bool:
    return user.is_active and user.has_perm("regions.view_statewide_dashboard")


def dashboard_regions(user: AbstractBaseUser) -> list[Region]:
    """The regions whose dashboards `user` may open: all of them for the state task force,
    their own for hub specialists and agency staff, none for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return []
    if sees_statewide(user):
        return list(Region.objects.all())
    return list(
        get_objects_for_user(
            user, "regions.view_region_dashboard", klass=Region, accept_global_perms=False
        ).order_by("number")
    )


def may_view_region(user: AbstractBaseUser, region: Region) -> bool:
    return sees_statewide(user) or (
        user.is_active and user.has_perm("regions.view_region_dashboard", region)
    )


def viewable_region_ids(user: AbstractBaseUser) -> set[int] | None:
    """None: every region (the state task force); else the ids of the user's own regions
    (empty for someone with no dashboard)."""
    return None if sees_statewide(user) else {r.pk for r in dashboard_regions(user)}


def visible_filter(region_ids: set[int] | None):
    """A predicate on Published rows: statewide rows and the rows of `region_ids` (None:
    every region, for the state task force)."""

    def visible(row: Published) -> bool:
        if region_ids is None or row.scope == ScopeKind.STATE:
            return True
        return row.region_id in region_ids

    return visible


def figures_visible_to(
    user: AbstractBaseUser,
    *,
    quarters: Iterable[str],
    metric_keys: Iterable[str],
) -> list[Published]:
    """Every suppressed figure of these quarters and metrics that `user` may see."""
    region_ids = viewable_region_ids(user)
    if region_ids is not None and not region_ids:
        return []
    visible = visible_filter(region_ids)
    return [
        row
        for table in published(quarters, metric_keys).values()
        for row in table.rows
        if visible(row)
    ]


def rolled_up_quarters() -> list[str]:
    """Quarters with figures standing, newest first."""
    return list(
        RollupQuarter.objects.filter(current_run__isnull=False)
        .order_by("-quarter")
        .values_list("quarter", flat=True)
    )
