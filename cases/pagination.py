"""Keyset ("seek") pagination for case lists and the access log: stable under inserts, fast
at any depth."""

import datetime
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

SORTS: dict[str, tuple[str, ...]] = {
    "newest": ("-opened_at", "-id"),
    "oldest": ("opened_at", "id"),
    "number": ("number",),
    "updated": ("-updated_at", "-id"),
}
SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "number": "Case number",
    "updated": "Recently updated",
}


@dataclass
class KeysetPage:
    items: list
    next_cursor: str | None
    is_first: bool


_SALT = "hubnet.cases.keyset"


def _encode(values) -> str:
    def plain(v):
        return v.isoformat() if isinstance(v, datetime.datetime) else str(v)

    # Signed, so a hand-made cursor is refused rather than fed to the database.
    return signing.dumps([plain(v) for v in values], salt=_SALT, compress=True)


def _decode(cursor: str, model, fields: tuple[str, ...]):
    try:
        values = signing.loads(cursor, salt=_SALT)
        if not isinstance(values, list) or len(values) != len(fields):
            return None
        return [
            model._meta.get_field(field.lstrip("-")).to_python(value)
            for field, value in zip(fields, values, strict=True)
        ]
    except (signing.BadSignature, ValidationError, ValueError, TypeError, AttributeError):
        return None


def keyset_page(
    queryset: QuerySet,
    *,
    sort: str = "newest",
    order: tuple[str, ...] | None = None,
    after: str | None,
    size: int,
) -> KeysetPage:
    """One page of `queryset` in `sort` order (a case list's, see SORTS) or in `order`
    (fields, ending with a unique one), starting after the row `after` encodes.

    An unreadable or forged cursor starts from the first page rather than failing.
    """
    fields = order or SORTS.get(sort, SORTS["newest"])
    queryset = queryset.order_by(*fields)
    values = _decode(after, queryset.model, fields) if after else None
    if values is not None:
        condition = Q()
        equal = Q()
        for field, value in zip(fields, values, strict=True):
            name = field.lstrip("-")
            op = "lt" if field.startswith("-") else "gt"
            condition |= equal & Q(**{f"{name}__{op}": value})
            equal &= Q(**{name: value})
        queryset = queryset.filter(condition)
    rows = list(queryset[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode([getattr(last, f.lstrip("-")) for f in fields])
    return KeysetPage(items=rows, next_cursor=next_cursor, is_first=values is None)
