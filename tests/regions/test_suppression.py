"""Small-cell suppression: worked examples, then properties over random tables.

The random tables have the shape of the quarterly figures: a state total,
regions, their counties, and one dimension (say, referral source) split into
categories, with every total published next to its parts.
"""

import random
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regions.suppression import SUPPRESSION_THRESHOLD, is_rate_suppressed, suppress_counts

Key = tuple[str | int, ...]
Group = tuple[Key, Sequence[Key]]

ALL = "all"  # the category of a total over the dimension


# Worked examples (threshold 5 unless said otherwise)


def test_two_small_parts_hide_each_other_and_the_total_stays():
    counts = {"total": 7, "a": 3, "b": 4}

    assert suppress_counts(counts, [("total", ["a", "b"])]) == {"a", "b"}


def test_the_smallest_nonzero_cell_complements_never_the_zero():
    counts = {"total": 12, "a": 3, "b": 9, "c": 0}

    assert suppress_counts(counts, [("total", ["a", "b", "c"])]) == {"a", "b"}


def test_a_small_total_and_its_only_part_hide_each_other():
    counts = {"total": 3, "a": 3, "b": 0}

    assert suppress_counts(counts, [("total", ["a", "b"])]) == {"total", "a"}


def test_a_group_below_the_threshold_hides_its_nonzero_cells_and_never_a_zero():
    # 2 = 2 + 0 + 0: both 2s are hidden; the reader learns they are equal, not their value.
    # Hiding the zeros would add nothing and would spread through every group they are in.
    counts = {"total": 2, "a": 2, "b": 0, "c": 0}

    assert suppress_counts(counts, [("total", ["a", "b", "c"])]) == {"total", "a"}


def test_the_total_is_the_complement_when_it_is_the_smallest_visible_cell():
    # A total need not be the sum of its parts (a case's region and its
    # county's region can differ).
    counts = {"total": 6, "a": 1, "b": 9}

    assert suppress_counts(counts, [("total", ["a", "b"])]) == {"a", "total"}


def test_equal_candidates_are_chosen_by_repr():
    counts = {"total": 30, "a": 1, "c": 8, "b": 8, "d": 13}

    assert suppress_counts(counts, [("total", ["a", "c", "b", "d"])]) == {"a", "b"}


def test_a_zero_is_never_hidden():
    # "a" is a complement in the first group; in the second it is the only nonzero
    # cell (the second group has no total): nothing can be worked out there, and no
    # zero joins it.
    counts = {"x": 11, "a": 9, "c": 2, "z": 0, "y": 0}
    groups = [("x", ["a", "c"]), ("not published", ["a", "z", "y"])]

    assert suppress_counts(counts, groups) == {"c", "a"}


def test_complements_cascade_through_a_two_way_table():
    # Rows are counties, columns are categories, with row and column totals.
    #            school  police  total
    # county 1      2      10      12
    # county 2      8      10      18
    # total        10      20      30
    counts = {
        (1, "school"): 2,
        (1, "police"): 10,
        (1, ALL): 12,
        (2, "school"): 8,
        (2, "police"): 10,
        (2, ALL): 18,
        (ALL, "school"): 10,
        (ALL, "police"): 20,
        (ALL, ALL): 30,
    }
    groups = [
        ((1, ALL), [(1, "school"), (1, "police")]),
        ((2, ALL), [(2, "school"), (2, "police")]),
        ((ALL, ALL), [(ALL, "school"), (ALL, "police")]),
        ((ALL, "school"), [(1, "school"), (2, "school")]),
        ((ALL, "police"), [(1, "police"), (2, "police")]),
        ((ALL, ALL), [(1, ALL), (2, ALL)]),
    ]

    hidden = suppress_counts(counts, groups)

    assert hidden == {(1, "school"), (2, "school"), (1, "police"), (2, "police")}
    _assert_every_group_protected(counts, groups, hidden, SUPPRESSION_THRESHOLD)


def test_keys_missing_from_the_counts_are_skipped():
    counts = {"a": 3, "b": 6}

    assert suppress_counts(counts, [("not published", ["a", "b", "also missing"])]) == {"a", "b"}
    assert suppress_counts(counts, [("nothing", ["published"])]) == {"a"}


def test_a_total_that_is_not_the_sum_of_its_parts_is_still_protected():
    # A case's region can differ from its county's region.
    counts = {"region": 4, "a": 2, "b": 20}

    assert suppress_counts(counts, [("region", ["a", "b"])]) == {"region", "a"}


def test_threshold_two_hides_only_ones():
    counts = {"total": 5, "a": 1, "b": 4, "c": 0}

    assert suppress_counts(counts, [("total", ["a", "b", "c"])], 2) == {"a", "b"}


def test_nothing_to_hide():
    assert suppress_counts({}, []) == frozenset()
    assert suppress_counts({"total": 5, "a": 0, "b": 5}, [("total", ["a", "b"])]) == frozenset()


@pytest.mark.parametrize("threshold", [-1, 0, 1])
def test_a_threshold_below_two_is_refused(threshold):
    with pytest.raises(ValueError, match="at least 2"):
        suppress_counts({"a": 1}, [], threshold)
    with pytest.raises(ValueError, match="at least 2"):
        is_rate_suppressed(1, threshold)


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError, match="negative"):
        suppress_counts({"a": -1}, [])


def test_keys_with_the_same_repr_are_refused():
    class Cell:
        def __repr__(self):
            return "Cell"

    with pytest.raises(ValueError, match="same repr"):
        suppress_counts({Cell(): 1, Cell(): 2}, [])


# Rates, shares and medians


@pytest.mark.parametrize(
    ("denominator", "suppressed"),
    [(None, False), (0, False), (1, True), (4, True), (5, False), (120, False)],
)
def test_a_rate_is_hidden_when_its_denominator_is_small(denominator, suppressed):
    assert is_rate_suppressed(denominator, 5) is suppressed


@given(threshold=st.integers(2, 11), denominator=st.integers(0, 40))
def test_a_rate_is_hidden_exactly_for_denominators_from_one_to_below_the_threshold(
    threshold, denominator
):
    assert is_rate_suppressed(denominator, threshold) is (0 < denominator < threshold)


def test_a_negative_denominator_is_refused():
    with pytest.raises(ValueError, match="negative"):
        is_rate_suppressed(-1, 5)


# Random tables


@st.composite
def tables(draw, *, additive=True):
    """(counts, groups, threshold) for a state of 1-7 regions of 1-6 counties,
    with 1-6 categories; county counts from 0 to 30, mostly small.

    Unless ``additive``, some counts are off by a few, so that totals need not
    add up (a case counted in a region other than its county's), and some cells
    are not published.
    """
    threshold = draw(st.integers(3, 11))
    small_mostly = st.one_of(st.integers(0, 4), st.integers(0, 12), st.integers(0, 30))
    categories = [f"source-{n}" for n in range(draw(st.integers(1, 6)))]
    counties_per_region = draw(st.lists(st.integers(1, 6), min_size=1, max_size=7))

    counts: dict[Key, int] = {}
    groups: list[Group] = []

    def publish_sum(total: Key, parts: list[Key]) -> None:
        counts[total] = sum(counts[part] for part in parts)
        groups.append((total, parts))

    regions = range(len(counties_per_region))
    for region, county_count in zip(regions, counties_per_region, strict=True):
        counties = range(county_count)
        for county in counties:
            for category in categories:
                counts["county", region, county, category] = draw(small_mostly)
            parts = [("county", region, county, category) for category in categories]
            publish_sum(("county", region, county, ALL), parts)
        for category in [*categories, ALL]:
            publish_sum(
                ("region", region, category),
                [("county", region, county, category) for county in counties],
            )
        groups.append(
            (("region", region, ALL), [("region", region, category) for category in categories])
        )
    for category in [*categories, ALL]:
        publish_sum(("state", category), [("region", region, category) for region in regions])
    groups.append((("state", ALL), [("state", category) for category in categories]))

    if not additive:
        keys = sorted(counts, key=repr)
        for key in draw(st.lists(st.sampled_from(keys), max_size=8)):
            counts[key] = max(0, counts[key] + draw(st.integers(-3, 3)))
        for key in draw(st.lists(st.sampled_from(keys), max_size=4)):
            counts.pop(key, None)
    return counts, groups, threshold


@given(tables())
def test_every_small_count_is_hidden_and_no_zero_is(table):
    counts, groups, threshold = table

    hidden = suppress_counts(counts, groups, threshold)

    assert hidden <= counts.keys()
    for key, value in counts.items():
        if 0 < value < threshold:
            assert key in hidden
    assert all(counts[key] > 0 for key in hidden), "a zero was hidden"


@given(tables())
def test_nothing_is_hidden_without_a_small_count(table):
    counts, groups, threshold = table
    large = {key: value if value == 0 else value + threshold for key, value in counts.items()}

    assert suppress_counts(large, groups, threshold) == frozenset()


@given(tables())
def test_every_group_hides_none_or_two_cells_that_reach_the_threshold(table):
    counts, groups, threshold = table

    hidden = suppress_counts(counts, groups, threshold)

    _assert_every_group_protected(counts, groups, hidden, threshold)
    for cells in _cells_of(counts, groups):
        assert len(cells & hidden) != 1


@given(tables(additive=False))
def test_groups_that_do_not_add_up_or_lack_cells_are_protected_too(table):
    counts, groups, threshold = table

    hidden = suppress_counts(counts, groups, threshold)

    assert hidden <= counts.keys()
    for key, value in counts.items():
        if 0 < value < threshold:
            assert key in hidden
    _assert_every_group_protected(counts, groups, hidden, threshold)


@given(tables(additive=False), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_the_order_of_the_input(table, rnd):
    counts, groups, threshold = table
    shuffled_counts = _shuffled(rnd, counts.items())
    shuffled_groups = [(total, _shuffled(rnd, parts)) for total, parts in _shuffled(rnd, groups)]

    assert suppress_counts(dict(shuffled_counts), shuffled_groups, threshold) == suppress_counts(
        counts, groups, threshold
    )


@given(tables())
def test_no_hidden_cell_is_recovered_from_its_group_equation(table):
    """For each group (total = sum of parts, exactly, in these tables) and each
    hidden cell in it, another non-negative filling of the group's hidden cells
    agrees with every visible cell and the equation, and changes that cell.

    This is one equation at a time. Combining the equations of several groups
    can narrow or even pin a hidden value (the classic audit problem of
    statistical disclosure control); the rule does not promise otherwise.
    """
    counts, groups, threshold = table

    hidden = suppress_counts(counts, groups, threshold)

    for total, parts in groups:
        assert _is_filling(total, parts, counts)
        cells = [total, *parts]
        for cell in (cell for cell in cells if cell in hidden):
            others = [other for other in cells if other in hidden and other != cell]
            assert any(
                _is_filling(total, parts, _traded(counts, total, cell, other, step))
                for other in others
                for step in (1, -1)
            ), f"{cell} = {counts[cell]} follows from {total} = sum of {parts}"


def _traded(counts, total, cell, other, step):
    """Move ``step`` into ``cell`` and keep the equation: from the other part, or
    into the total along with it."""
    changed = dict(counts)
    changed[cell] += step
    changed[other] += step if total in (cell, other) else -step
    return changed


def _is_filling(total, parts, values):
    """Non-negative values for the group that satisfy its equation."""
    return values[total] == sum(values[part] for part in parts) and all(
        values[key] >= 0 for key in [total, *parts]
    )


def _cells_of(counts, groups):
    return [{key for key in [total, *parts] if key in counts} for total, parts in groups]


def _assert_every_group_protected(counts, groups, hidden, threshold):
    for cells in _cells_of(counts, groups):
        hidden_cells = cells & hidden
        hidden_sum = sum(counts[key] for key in hidden_cells)
        nonzero = {key for key in cells if counts[key] > 0}
        assert (
            not hidden_cells
            or hidden_cells == nonzero
            or (len(hidden_cells) >= 2 and hidden_sum >= threshold)
        ), f"group {sorted(cells, key=repr)} hides {sorted(hidden_cells, key=repr)}"


def _shuffled(rnd: random.Random, items):
    items = list(items)
    rnd.shuffle(items)
    return items
