"""Sortable list columns: which sort a request asks for, the order_by it means, and the
column headings that link to each sort with their aria-sort (the caseload, the trainings
list)."""

from collections.abc import Iterable, Sequence

from django.db.models import F
from django.http import HttpRequest, QueryDict


class SortableColumns:
    """A list's columns, each (key, heading, what it orders by ascending (field names or
    expressions; None when the column does not sort), descending first?).

    A sort is a column's key, "-" in front for descending ("-date"). `default` is the sort
    when none (or an unknown one) is asked for; `tiebreak` is the field that orders rows
    the column leaves equal; `numeric` are the keys of the columns holding numbers."""

    def __init__(
        self,
        columns: Sequence[tuple[str, str, Sequence | None, bool]],
        *,
        default: str,
        tiebreak: str = "id",
        numeric: Iterable[str] = (),
    ):
        self.columns = list(columns)
        self.sortable = {key: fields for key, _, fields, _ in self.columns if fields}
        if default.lstrip("-") not in self.sortable:
            raise ValueError(f"The default sort {default!r} is not a sortable column.")
        self.default = default
        self.tiebreak = tiebreak
        self.numeric = frozenset(numeric)

    def sort_of(self, request: HttpRequest) -> str:
        """The sort the request asks for (`?sort=`), the default when it names no sortable
        column."""
        sort = request.GET.get("sort", self.default)
        return sort if sort.lstrip("-") in self.sortable else self.default

    def ordering(self, sort: str) -> list:
        """`sort` as order_by arguments, blanks last either way, the tiebreak field
        breaking ties; an unknown sort is the default one."""
        if sort.lstrip("-") not in self.sortable:
            sort = self.default
        descending = sort.startswith("-")
        order = []
        for field in self.sortable[sort.lstrip("-")]:
            expression = F(field) if isinstance(field, str) else field
            order.append(
                expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
            )
        return [*order, f"-{self.tiebreak}" if descending else self.tiebreak]

    def headers(self, sort: str, query: QueryDict) -> list[dict]:
        """Each column heading (key, heading, numeric); a sortable one with the link that
        sorts by it (`query` with its sort, back to the first page; the other way round
        when it is the current sort) and its aria-sort. A column that does not sort has
        no link ("")."""
        descending = sort.startswith("-")
        headers = []
        for key, heading, fields, descending_first in self.columns:
            header = {
                "key": key,
                "heading": heading,
                "numeric": key in self.numeric,
                "url": "",
                "aria_sort": "",
            }
            if fields:
                if sort.lstrip("-") == key:
                    target = key if descending else f"-{key}"
                    header["aria_sort"] = "descending" if descending else "ascending"
                else:
                    target = f"-{key}" if descending_first else key
                params = query.copy()
                params["sort"] = target
                params.pop("page", None)
                header["url"] = "?" + params.urlencode()
            headers.append(header)
        return headers
