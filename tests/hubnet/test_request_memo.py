"""hubnet.request_memo: a GET asks the database for its user's rights once; the next
request asks again, and nothing else memoises."""

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Status
from cases.selectors import cases_visible_to
from hubnet.request_memo import RequestMemoMiddleware, memoised
from regions.models import Membership
from regions.services import membership_revoke

pytestmark = pytest.mark.django_db


def rights_lookups(captured) -> int:
    return sum("'view_region_cases'" in q["sql"] for q in captured.captured_queries)


def test_a_page_looks_up_the_rights_once(client_for, personas, make_case):
    make_case(status=Status.ACCEPTED)
    client = client_for(personas["hub2.specialist"])
    client.get(reverse("cases:list"))

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("cases:list"))

    assert response.status_code == 200
    # The header's unread count and the list both ask which cases are visible.
    assert rights_lookups(captured) == 1


def test_rights_ended_count_from_the_next_request(client_for, personas, make_case):
    case = make_case(status=Status.ACCEPTED)
    worker = personas["outagamie.worker"]
    client = client_for(worker)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200

    membership = Membership.objects.active().get(user=worker)
    membership_revoke(membership=membership, revoked_by=personas["hub2.specialist"], reason="Left")

    assert client.get(reverse("cases:detail", args=[case.pk])).status_code in (403, 404)
    assert not cases_visible_to(worker).filter(pk=case.pk).exists()


@pytest.mark.parametrize(("method", "kept"), [("get", True), ("head", True), ("post", False)])
def test_only_a_get_or_head_request_memoises(method, kept):
    calls = []

    def view(request):
        for _ in range(3):
            memoised(("question", 1), lambda: calls.append(1))
        return HttpResponse()

    RequestMemoMiddleware(view)(getattr(RequestFactory(), method)("/"))

    assert len(calls) == (1 if kept else 3)


def test_outside_a_request_nothing_is_memoised():
    calls = []
    for _ in range(2):
        memoised(("question", 1), lambda: calls.append(1))
    assert len(calls) == 2


def test_the_memo_ends_with_the_request():
    calls = []

    def view(request):
        memoised(("question", 1), lambda: calls.append(1))
        return HttpResponse()

    middleware = RequestMemoMiddleware(view)
    middleware(RequestFactory().get("/"))
    middleware(RequestFactory().get("/"))

    assert len(calls) == 2
