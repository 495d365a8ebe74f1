"""hubnet.sorting: the sort a request asks for, its order_by, and the headings' links and
aria-sort (the caseload and the trainings list use it; their pages are tested in
tests/cases/test_caseload.py and tests/training/test_pages.py)."""

import pytest
from django.db.models import F
from django.http import QueryDict
from django.test import RequestFactory

from hubnet.sorting import SortableColumns

COLUMNS = SortableColumns(
    [
        ("date", "Date", ("date", "start_time"), True),
        ("title", "Title", ("title",), False),
        ("topics", "Topics", None, False),
        ("people", "People", ("total",), True),
    ],
    default="-date",
    numeric={"people"},
)


def sort_asked(query: str) -> str:
    return COLUMNS.sort_of(RequestFactory().get("/", QueryDict(query)))


def test_the_sort_asked_for_or_the_default():
    assert sort_asked("sort=title") == "title"
    assert sort_asked("sort=-people") == "-people"
    assert sort_asked("") == "-date"
    assert sort_asked("sort=topics") == "-date"  # a column that does not sort
    assert sort_asked("sort='; drop") == "-date"


def test_ordering_puts_blanks_last_and_breaks_ties():
    assert COLUMNS.ordering("title") == [F("title").asc(nulls_last=True), "id"]
    assert COLUMNS.ordering("-date") == [
        F("date").desc(nulls_last=True),
        F("start_time").desc(nulls_last=True),
        "-id",
    ]
    assert COLUMNS.ordering("nonsense") == COLUMNS.ordering("-date")


def test_headers_link_each_sortable_column_and_mark_the_current_one():
    query = QueryDict("q=hotel&page=3")
    date, title, topics, people = COLUMNS.headers("-date", query)
    # The current sort: the link reverses it, and aria-sort says which way it is.
    assert date["aria_sort"] == "descending"
    assert date["url"] == "?q=hotel&sort=date"
    # The others: their first direction, back to the first page, no aria-sort.
    assert (title["url"], title["aria_sort"]) == ("?q=hotel&sort=title", "")
    assert people["url"] == "?q=hotel&sort=-people"
    assert people["numeric"]
    assert not title["numeric"]
    assert (topics["url"], topics["aria_sort"]) == ("", "")
    assert query["page"] == "3"  # the request's own query is left as it was


def test_a_default_that_does_not_sort_is_a_mistake_found_at_once():
    with pytest.raises(ValueError, match="not a sortable column"):
        SortableColumns([("topics", "Topics", None, False)], default="topics")
