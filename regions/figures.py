"""The one door to the quarterly figures: suppressed before anything leaves the server.

Only this module reads `Figure`. Suppression is decided once, when a quarter's figures
are written (`publish`, called by the rollup), over each metric's whole table, so the
same cells are hidden whoever asks and whatever they filter; a new threshold publishes
the figures again (`republish`, a task, and before any read that finds them stale).
Readers get `Published` rows: a suppressed cell has no value. Pages, the figures API
and exports all read through `published` and `figures_visible_to`, never the raw value.

Suppression (regions.suppression): a count from 1 to threshold - 1 is hidden, a rate or
median resting on fewer than threshold cases is hidden, and complementary cells are
hidden in every additive group (the categories of a dimension and their total, the
counties of a region and the region, the regions and the state) so that no hidden value
can be recovered by subtraction. A metric that is part of another (`Metric.part_of`:
needs met of needs identified) is suppressed with it as one table, the whole, its parts
and what is left over forming one more group: otherwise one published figure less
another could give a small count away.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
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


# --- Publishing: suppression decided once, when figures are written -------------------

PUBLISHED_FIELDS = ["shown", "suppressed", "small", "threshold"]
# Which figure a row is: the first eight columns of the raw and the published rows alike.
IDENTITY = [
    "quarter",
    "scope",
    "region_id",
    "county_id",
    "tribe_id",
    "metric",
    "dimension",
    "category",
]


def publish(figures: list[Figure], threshold: int) -> None:
    """Decide what each of a quarter's raw figures will show, in place: suppression of
    each metric's whole table at once (so the same cells are hidden whoever asks and
    whatever they filter), and of metrics that are parts of another (`Metric.part_of`)
    together with it. The rollup calls this before writing; `republish` after the
    threshold changes."""
    by_metric: dict[str, list[Figure]] = defaultdict(list)
    for figure in figures:
        by_metric[figure.metric].append(figure)
    for family in _families(list(by_metric)):
        raw = {
            key: [
                (*(getattr(f, name) for name in IDENTITY), f.value, f.denominator, None)
                for f in by_metric[key]
            ]
            for key in family
        }
        results = _suppress(raw, threshold)
        for key in family:
            for figure, result in zip(by_metric[key], results[key], strict=True):
                figure.shown = result.value
                figure.suppressed = result.suppressed
                figure.small = result.small
                figure.threshold = threshold


def _families(keys: list[str]) -> list[list[str]]:
    """The metrics suppressed as one table: each with the metrics that are its parts
    (and theirs), the others alone. In the order given."""
    root: dict[str, str] = {}

    def root_of(key: str) -> str:
        seen = []
        while key not in seen:
            seen.append(key)
            definition = metric_named(key)
            parent = definition.part_of if definition else ""
            if parent not in keys:
                break
            key = parent
        return key

    for key in keys:
        root[key] = root_of(key)
    families: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        families[root[key]].append(key)
    return list(families.values())


def republish(quarters: Iterable[str] | None = None, *, threshold: int | None = None) -> int:
    """Publish again the quarters (default: all) whose figures were published at another
    threshold than today's. Returns how many quarters were published again."""
    threshold = threshold or suppression_threshold()
    stale = Figure.objects.exclude(threshold=threshold)
    if quarters is not None:
        stale = stale.filter(quarter__in=list(quarters))
    done = 0
    for quarter in sorted(set(stale.values_list("quarter", flat=True))):
        with transaction.atomic():
            # The quarter's row first, as a rollup replacing it does: the two take turns.
            RollupQuarter.objects.select_for_update().filter(quarter=quarter).first()
            figures = list(
                Figure.objects.filter(quarter=quarter).only(*IDENTITY, "value", "denominator")
            )
            publish(figures, threshold)
            Figure.objects.bulk_update(figures, PUBLISHED_FIELDS, batch_size=1000)
        done += 1
    return done


def republish_request() -> None:
    """Publish every quarter again once the transaction commits (a threshold changed).
    Readers never wait for it: a read that finds stale figures publishes them first."""
    from regions import tasks

    transaction.on_commit(tasks.figures_republish.delay)


# --- Reading --------------------------------------------------------------------------


def published(
    quarters: Iterable[str], where: Q, *, threshold: int | None = None
) -> dict[tuple[str, str], Table]:
    """The suppressed figures of these quarters (those rolled up) that match `where`,
    per (quarter, metric). Two queries: the quarters' current runs, then the rows.
    Figures published at another threshold than today's are published again first."""
    threshold = threshold or suppression_threshold()
    computed_at = dict(
        RollupQuarter.objects.filter(
            quarter__in=sorted({q for q in quarters if q}), current_run__isnull=False
        ).values_list("quarter", "current_run__finished_at")
    )
    if not computed_at:
        return {}
    # A quarter's figures and its current run are written in one transaction: every row
    # here belongs to a quarter in `computed_at`.
    query = Figure.objects.filter(where)
    columns = [*IDENTITY, *PUBLISHED_FIELDS]
    rows = list(query.values_list(*columns))
    stale = {row[0] for row in rows if row[11] != threshold}
    if stale:
        republish(stale, threshold=threshold)
        rows = list(query.values_list(*columns))
    found: dict[tuple[str, str], list[Published]] = defaultdict(list)
    for row in rows:
        if row[0] not in computed_at:
            continue  # a quarter not asked for, matched by a loose `where`
        value, suppressed, small = row[8:11]
        found[(row[0], row[5])].append(
            Published(*row[:8], value, suppressed, computed_at[row[0]], small)
        )
    return {pair: Table(table, {_key(r): r for r in table}) for pair, table in found.items()}


def _key(row: Published) -> tuple:
    return (row.scope, row.region_id, row.county_id, row.tribe_id, row.dimension, row.category)


def _suppress(tables: dict[str, list], threshold: int) -> dict[str, list[Published]]:
    """The published rows of a family of metrics (`_families`), table by table."""
    if len(tables) == 1:
        [(key, rows)] = tables.items()
        definition = metric_named(key)
        if definition is not None and not definition.disclosure_control:
            return {key: [Published(*row[:8], row[8], False, row[10], False) for row in rows]}
        if definition is not None and not definition.additive:
            return {
                key: [
                    Published(*row[:8], None if hidden else row[8], hidden, row[10], hidden)
                    for row in rows
                    for hidden in [is_rate_suppressed(row[9], threshold)]
                ]
            }
    for key in tables:
        definition = metric_named(key)
        if definition is not None and not (definition.additive and definition.disclosure_control):
            raise ValueError(f"{key} is part of another metric: it must be a count, suppressed.")
    counts: dict[tuple, int] = {}
    groups: list[tuple[tuple, list[tuple]]] = []
    for key, rows in tables.items():
        own = {row[1:5] + row[6:8]: int(row[8] or 0) for row in rows}
        counts.update({(key, *cell): n for cell, n in own.items()})
        groups += [
            ((key, *total), [(key, *part) for part in parts]) for total, parts in _groups(own)
        ]
    groups += _part_groups(tables, counts)
    hidden = suppress_counts(counts, groups, threshold)
    published_rows: dict[str, list[Published]] = {}
    for key, rows in tables.items():
        published_rows[key] = []
        for row in rows:
            suppressed = (key, *row[1:5], *row[6:8]) in hidden
            value = None if suppressed or row[8] is None else int(row[8])
            small = suppressed and 0 < (row[8] or 0) < threshold
            published_rows[key].append(Published(*row[:8], value, suppressed, row[10], small))
    return published_rows


def _part_groups(tables: dict[str, list], counts: dict[tuple, int]) -> list:
    """For each cell of a metric that has parts: the group of that cell, the same cell of
    each part, and what is left over (never published, but a count like the others: a
    small remainder is hidden, and so needs a complement, like any small cell). Without
    it, a total less its published parts would give away a small remainder."""
    parts_of: dict[str, list[str]] = defaultdict(list)
    for key in tables:
        definition = metric_named(key)
        if definition is not None and definition.part_of in tables:
            parts_of[definition.part_of].append(key)
    groups = []
    for whole, parts in parts_of.items():
        for cell_key, n in list(counts.items()):
            if cell_key[0] != whole:
                continue
            cell = cell_key[1:]
            cells = [(part, *cell) for part in parts if (part, *cell) in counts]
            if not cells:
                continue
            rest = (f"{whole} less its parts", *cell)
            counts[rest] = max(0, n - sum(counts[c] for c in cells))
            groups.append((cell_key, [*cells, rest]))
    return groups


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


def visible_where(region_ids: set[int] | None) -> Q | None:
    """The figures of `region_ids` and Wisconsin's (None: every region, for the state
    task force), as a filter for `published`."""
    if region_ids is None:
        return None
    return Q(scope=ScopeKind.STATE) | Q(region_id__in=sorted(region_ids))


def figures_visible_to(
    user: AbstractBaseUser,
    *,
    quarters: Iterable[str],
    metric_keys: Iterable[str],
    where: Q | None = None,
) -> list[Published]:
    """Every suppressed figure of these quarters and metrics that `user` may see,
    narrowed by `where` (a filter on places, dimension or scope)."""
    region_ids = viewable_region_ids(user)
    if region_ids is not None and not region_ids:
        return []
    quarters = sorted(set(quarters))
    selected = Q(quarter__in=quarters, metric__in=list(metric_keys))
    for narrower in (visible_where(region_ids), where):
        if narrower is not None:
            selected &= narrower
    tables = published(quarters, selected)
    return [row for table in tables.values() for row in table.rows]


def rolled_up_quarters() -> list[str]:
    """Quarters with figures standing, newest first."""
    return list(
        RollupQuarter.objects.filter(current_run__isnull=False)
        .order_by("-quarter")
        .values_list("quarter", flat=True)
    )
