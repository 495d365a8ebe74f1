"""Small-cell suppression for de-identified quarterly figures.

Pure Python, no Django: the caller builds the table of counts and the additive
groups it publishes, and hides the keys returned here.

The rules:

* Primary: a count from 1 to ``threshold - 1`` is never shown; zero is shown.
* Complementary: in every additive group (a total and its parts), either no cell
  is hidden, or at least two are and their true values add up to at least the
  threshold, or every nonzero cell of the group is hidden. A hidden value therefore can
  not be recovered by subtracting the visible cells of one group from its total.
  Cells belong to several groups, so the rule is applied until nothing changes.
  (It checks one group's equation at a time: combining the equations of several
  groups can still narrow a hidden value, and nothing here audits for that.)
* Rates, shares and medians are hidden when their denominator is below the
  threshold (see ``is_rate_suppressed``).

Groups are not assumed to add up exactly (a case's region and its county's
region can differ), so the rule looks only at which cells are hidden and at
their values, never at the difference between a total and its parts.
"""

import heapq
from collections.abc import Hashable, Iterable, Mapping, Sequence
from itertools import repeat
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

SUPPRESSION_THRESHOLD = 5


def suppress_counts(
    counts: Mapping[K, int],
    groups: Iterable[tuple[K, Sequence[K]]],
    threshold: int = SUPPRESSION_THRESHOLD,
) -> frozenset[K]:
    """The keys to hide: primary cells plus complements, to a fixpoint.

    ``counts`` maps each published cell to its true, non-negative count.
    ``groups`` are ``(total_key, part_keys)``; keys missing from ``counts`` are
    skipped, and the total and the parts are treated alike as the cells of the
    group.

    Complements are chosen deterministically: the result does not depend on
    the order of ``counts``, ``groups`` or the parts. All small counts are
    hidden first, so every visible nonzero cell is at least the threshold and
    one complement protects a group: its smallest visible nonzero cell (the
    total included), ties broken by ``repr`` of the key. Zeros are never hidden:
    hiding one adds nothing to the hidden sum, and hiding zeros in one group
    would cascade through every group sharing them until a sparse table is all
    hidden. A group whose nonzero cells are all hidden (say a total of 2 and its
    one category of 2) is protected as it stands: no exact value can be worked
    out from it. Groups are protected in a fixed order (by their cells' reprs),
    which decides which complements are shared between groups.

    Raises ``ValueError`` for a threshold below 2, a negative count, or two keys
    with the same ``repr`` (their order would be ambiguous).
    """
    _check_threshold(threshold)
    return _Suppression(counts, groups, threshold).run()


def is_rate_suppressed(denominator: int | None, threshold: int = SUPPRESSION_THRESHOLD) -> bool:
    """Whether a rate, share or median over ``denominator`` cases must be hidden.

    A denominator of 0 (or None) means there is no value at all ("no cases"):
    nothing to hide, so False. From 1 to ``threshold - 1``: True.

    Only the denominator is looked at: a share whose numerator is a hidden
    count must be hidden as well, since share times denominator gives it back.
    """
    _check_threshold(threshold)
    if denominator is None or denominator == 0:
        return False
    if denominator < 0:
        raise ValueError(f"a denominator can not be negative, got {denominator}")
    return denominator < threshold


def _check_threshold(threshold: int) -> None:
    # A threshold of 1 would hide nothing; 0 or less makes no sense.
    if threshold < 2:
        raise ValueError(f"the suppression threshold must be at least 2, got {threshold}")


class _Suppression(Generic[K]):
    """One run of ``suppress_counts``, on cells numbered in the order of their ``repr``.

    Each group keeps a running count and sum of its hidden cells. A group is
    queued when hiding a cell leaves it unprotected, and queued at most once:
    hiding more cells never unprotects a group, so once protected it stays so.
    The queue is ordered by the group's sorted cell numbers, which makes the
    result independent of input order (two groups with the same numbers have
    the same cells and so the same outcome). The work is about the total size
    of the groups, times a logarithm.
    """

    def __init__(
        self, counts: Mapping[K, int], groups: Iterable[tuple[K, Sequence[K]]], threshold: int
    ) -> None:
        self.threshold = threshold
        self.keys = _keys_in_repr_order(counts)
        self.values = [counts[key] for key in self.keys]
        for key, value in zip(self.keys, self.values, strict=True):
            if value < 0:
                raise ValueError(f"a count can not be negative: {key!r} = {value}")

        number = {key: position for position, key in enumerate(self.keys)}.get
        self.members: list[tuple[int, ...]] = []
        self.groups_of: list[list[int]] = [[] for _ in self.keys]
        members, groups_of = self.members, self.groups_of  # this loop is the hot one
        for total, parts in groups:
            cells = set(map(number, parts, repeat(-1)))
            cells.add(number(total, -1))
            cells.discard(-1)  # keys missing from counts
            if not cells:
                continue
            for cell in cells:
                groups_of[cell].append(len(members))
            members.append(tuple(sorted(cells)))

        values = self.values
        self.nonzero = [sum(1 for cell in cells if values[cell] > 0) for cells in members]
        self.hidden = bytearray(len(self.keys))
        self.hidden_count = [0] * len(self.members)
        self.hidden_sum = [0] * len(self.members)
        self.queued = [False] * len(self.members)
        self.queue: list[tuple[tuple[int, ...], int]] = []

    def run(self) -> frozenset[K]:
        threshold = self.threshold
        for cell, value in enumerate(self.values):
            if 0 < value < threshold:
                self.hide(cell)
        while self.queue:
            _, group = heapq.heappop(self.queue)
            if not self.is_protected(group):
                self.protect(group)
        return frozenset(key for key, hidden in zip(self.keys, self.hidden, strict=True) if hidden)

    def is_protected(self, group: int) -> bool:
        count = self.hidden_count[group]
        return (
            count == 0
            or count == self.nonzero[group]
            or (count >= 2 and self.hidden_sum[group] >= self.threshold)
        )

    def hide(self, cell: int) -> None:
        self.hidden[cell] = True
        value = self.values[cell]
        hidden_count, hidden_sum, queued = self.hidden_count, self.hidden_sum, self.queued
        for group in self.groups_of[cell]:
            hidden_count[group] += 1
            hidden_sum[group] += value
            if not queued[group] and not self.is_protected(group):
                queued[group] = True
                heapq.heappush(self.queue, (self.members[group], group))

    def protect(self, group: int) -> None:
        """Hide complements in ``group`` until it is protected (see ``suppress_counts``)."""
        values = self.values
        nonzero = [
            cell for cell in self.members[group] if not self.hidden[cell] and values[cell] > 0
        ]
        # Every small count is hidden already, so this cell is at least the threshold: it
        # alone makes two hidden cells reaching the threshold. Cell numbers follow repr,
        # so ties go by repr of the key. (An unprotected group always has one: once all
        # its nonzero cells are hidden it is protected.)
        self.hide(min(nonzero, key=lambda cell: (values[cell], cell)))


def _keys_in_repr_order(counts: Mapping[K, int]) -> list[K]:
    """The keys sorted by ``repr``: a tie-break that does not depend on how the
    mapping happens to be ordered, and works for keys that do not compare."""
    keys = list(counts)
    spellings = [repr(key) for key in keys]
    if len(set(spellings)) != len(spellings):
        raise ValueError("two cells have the same repr; their order would be ambiguous")
    return [keys[position] for position in sorted(range(len(keys)), key=spellings.__getitem__)]
