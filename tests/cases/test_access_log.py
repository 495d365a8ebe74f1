"""The access log tells the truth about each look: a refused request is logged refused,
and a request's rows are written once, together, after its outcome is known."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases import access_log, services
from cases.models import (
    AccessChannel,
    Case,
    CaseAccess,
    CaseEvent,
    LegalBasis,
    ReferralSource,
    ScreeningOutcome,
    Status,
)
from cases.selectors import get_case_for_user
from cases.views import access as access_views
from cases.views import lists as list_views
from regions.models import Agency, County

pytestmark = pytest.mark.django_db


def _looks(case, user):
    return list(CaseAccess.objects.filter(case=case, user=user).values_list("channel", "granted"))


def test_a_page_view_is_logged_granted(client_for, personas, routed_case):
    worker = personas["outagamie.worker"]
    client_for(worker).get(reverse("cases:detail", args=[routed_case.pk]))
    assert _looks(routed_case, worker) == [(AccessChannel.PAGE, True)]


def test_agency_staff_asking_for_a_hub_action_are_logged_refused(
    client_for, personas, routed_case
):
    worker = personas["outagamie.worker"]
    response = client_for(worker).get(reverse("cases:route", args=[routed_case.pk]))

    assert response.status_code == 403
    assert _looks(routed_case, worker) == [(AccessChannel.ACTION, False)]


def test_opening_the_access_log_without_the_right_is_logged_refused(
    client_for, personas, routed_case
):
    worker = personas["outagamie.worker"]  # agency staff, not a supervisor
    response = client_for(worker).get(reverse("cases:access-log", args=[routed_case.pk]))

    assert response.status_code == 403
    assert (AccessChannel.PAGE, True) not in _looks(routed_case, worker)
    assert _looks(routed_case, worker)


def test_a_refused_api_action_is_logged_refused(client_for, personas, routed_case):
    worker = personas["outagamie.worker"]
    response = client_for(worker).post(
        f"/api/v1/cases/{routed_case.pk}/screen/", {"outcome": "at_risk"}, format="json"
    )

    assert response.status_code == 403
    assert _looks(routed_case, worker) == [(AccessChannel.API, False)]


def test_a_requests_rows_are_written_in_one_insert(client_for, personas, routed_case):
    worker = personas["outagamie.worker"]
    client = client_for(worker)
    client.get(reverse("cases:detail", args=[routed_case.pk]))  # warm the session

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("cases:detail", args=[routed_case.pk]))
    inserts = [q for q in queries if 'INSERT INTO "cases_caseaccess"' in q["sql"]]
    assert len(inserts) == 1


def test_outside_a_request_a_look_is_written_at_once(personas, routed_case):
    worker = personas["outagamie.worker"]
    get_case_for_user(worker, routed_case.pk, channel=AccessChannel.API)
    assert _looks(routed_case, worker) == [(AccessChannel.API, True)]


def test_a_youth_update_does_not_tell_another_agency_who_made_it(client_for, personas):
    """Brown works one case of the youth, Outagamie another; Outagamie records the youth
    missing. Brown's timeline says the youth was updated, naming nobody."""
    hub, outagamie, brown = (
        personas["hub2.specialist"],
        personas["outagamie.worker"],
        personas["brown.worker"],
    )
    county = County.objects.get(name="Outagamie")
    youth_data = {
        "legal_first_name": "Rowan",
        "legal_last_name": "Twocase",
        "date_of_birth": datetime.date(2011, 3, 14),
        "county": county,
    }
    cases = []
    for agency_name in ("Outagamie County Human Services", "Brown County Human Services"):
        case = services.referral_create(
            logged_by=hub,
            youth=cases[0].youth if cases else None,
            youth_data=youth_data,
            referral_data={
                "received_at": timezone.now() - datetime.timedelta(hours=2),
                "source": ReferralSource.SCHOOL,
                "narrative": "Synthetic test referral.",
            },
        )
        services.case_screen(case_id=case.pk, actor=hub, outcome=ScreeningOutcome.SUSPECTED)
        agency = Agency.objects.get(name=agency_name)
        services.case_route(
            case_id=case.pk,
            actor=hub,
            agency=agency,
            legal_basis=LegalBasis.MANDATED_CPS_REPORT,
        )
        worker = outagamie if agency_name.startswith("Outagamie") else brown
        services.case_accept(case_id=case.pk, actor=worker)
        cases.append(Case.objects.get(pk=case.pk))
    theirs, other = cases

    services.youth_update(case_id=theirs.pk, actor=outagamie, missing_from_care=True)

    mine = CaseEvent.objects.get(case=theirs, kind="youth_updated")
    elsewhere = CaseEvent.objects.get(case=other, kind="youth_updated")
    assert (mine.from_another_case, elsewhere.from_another_case) == (False, True)
    assert elsewhere.actor == outagamie  # the audit keeps who did it
    page = client_for(brown).get(reverse("cases:detail", args=[other.pk])).text
    page = page[page.index('<ol class="timeline">') :]
    page = page[: page.index("</ol>")]
    assert "Updated from another case of this youth" in page
    for revealing in ("outagamie.worker", outagamie.get_full_name(), "Outagamie County Human"):
        assert revealing not in page
    answer = client_for(brown).get(f"/api/v1/cases/{other.pk}/")
    (update,) = [e for e in answer.json()["timeline"] if e["kind"] == "youth_updated"]
    assert update["actor"] is None
    assert "outagamie.worker" not in answer.text


# ----------------------------------------------------------------------------- names shown
# A list, queue, search or match that shows youth's names writes one row per case shown
# (the rows rendered, not the whole query), in the request's one insert.

CASE_LINK = re.compile(r'href="/cases/([0-9a-f-]{36})/"')


def _looks_since(since: int):
    return CaseAccess.objects.filter(pk__gt=since)


def _last_look() -> int:
    return CaseAccess.objects.aggregate(last=Max("pk"))["last"] or 0


def _shown(looks) -> set[tuple[str, str, bool]]:
    return {(str(look.case_id), look.channel, look.granted) for look in looks}


def test_a_case_list_logs_exactly_the_cases_it_shows_in_one_insert(
    client_for, personas, make_case
):
    hub = personas["hub2.specialist"]
    client = client_for(hub)
    client.get(reverse("cases:list"))  # warm the session

    def show():
        since = _last_look()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("cases:list"))
        assert response.status_code == 200
        looks = _looks_since(since)
        assert {look.user_id for look in looks} == {hub.pk}
        return queries, set(CASE_LINK.findall(response.text)), _shown(looks)

    for _ in range(5):
        make_case(status=Status.RECEIVED)
    at_5, shown, looks = show()
    assert len(shown) == 5
    assert looks == {(case_id, AccessChannel.LIST, True) for case_id in shown}

    for _ in range(25):
        make_case(status=Status.RECEIVED)
    at_30, shown, looks = show()
    assert len(shown) == list_views.PAGE_SIZE < 30  # the page shown, not the whole caseload
    assert looks == {(case_id, AccessChannel.LIST, True) for case_id in shown}
    inserts = [q for q in at_30 if 'INSERT INTO "cases_caseaccess"' in q["sql"]]
    assert len(inserts) == 1
    assert len(at_30) == len(at_5), "the list's queries grew with the rows it logs:\n" + "\n".join(
        q["sql"] for q in at_30
    )


def test_a_search_logs_its_results_as_search(client_for, personas, make_case):
    found = [make_case(status=Status.RECEIVED, last="Ashgrove") for _ in range(2)]
    make_case(status=Status.RECEIVED, last="Birchwood")
    since = _last_look()

    response = client_for(personas["hub2.specialist"]).get(
        reverse("cases:list"), {"q": "Ashgrove"}
    )

    assert response.status_code == 200
    assert _shown(_looks_since(since)) == {
        (str(case.pk), AccessChannel.SEARCH, True) for case in found
    }


def test_the_hub_queue_logs_the_cases_it_lists(client_for, personas, make_case):
    waiting = [make_case(status=Status.RECEIVED), make_case(status=Status.DECLINED)]
    make_case(status=Status.ACTIVE)  # with its agency: not in the hub's queue
    since = _last_look()

    response = client_for(personas["hub2.specialist"]).get(reverse("cases:hub-queue"))

    assert response.status_code == 200
    assert _shown(_looks_since(since)) == {
        (str(case.pk), AccessChannel.LIST, True) for case in waiting
    }


def test_a_possible_match_is_logged_on_the_case_it_names(client_for, personas, make_case):
    case = make_case(county="Brown", first="Lane", last="Zyskowski")
    make_case(county="Brown", first="Other", last="Person")
    client = client_for(personas["hub2.specialist"])
    since = _last_look()

    client.get(reverse("cases:youth-matches"), {"youth-legal_last_name": "Zy"})
    assert _shown(_looks_since(since)) == {(str(case.pk), AccessChannel.MATCH, True)}

    # Linked, the youth's record is shown again beside a form sent back with errors.
    since = _last_look()
    response = client.post(
        reverse("cases:referral-new"), {"referral-existing_youth": str(case.youth_id)}
    )
    assert response.status_code == 400
    assert "Lane Zyskowski" in response.text
    assert _shown(_looks_since(since)) == {(str(case.pk), AccessChannel.MATCH, True)}


def test_the_cases_api_logs_the_page_it_sends(personas, make_case):
    cases = [make_case(county="Brown", last="Ashgrove") for _ in range(2)]
    make_case(county="Brown", last="Birchwood")
    api = APIClient()
    api.force_authenticate(personas["hub2.specialist"])

    since = _last_look()
    with CaptureQueriesContext(connection) as queries:
        page = api.get(reverse("case-list"), {"limit": 2}).json()["results"]
    assert _shown(_looks_since(since)) == {
        (case["id"], AccessChannel.API_LIST, True) for case in page
    }
    assert len([q for q in queries if 'INSERT INTO "cases_caseaccess"' in q["sql"]]) == 1

    since = _last_look()
    api.get(reverse("case-list"), {"q": "Ashgrove"})
    assert _shown(_looks_since(since)) == {
        (str(case.pk), AccessChannel.API_SEARCH, True) for case in cases
    }


def test_lists_refused_or_empty_log_nothing(client_for, personas, make_case):
    """Nobody was shown a name: no row, and certainly none saying `granted`."""
    make_case(status=Status.RECEIVED)
    since = _last_look()

    admin = client_for(personas["state.admin"])
    assert admin.get(reverse("cases:list")).status_code == 403
    worker = client_for(personas["outagamie.worker"])
    assert worker.get(reverse("cases:hub-queue")).status_code == 403
    api = APIClient()
    api.force_authenticate(personas["outsider"])
    assert api.get(reverse("case-list")).json()["results"] == []

    assert not _looks_since(since).exists()


def test_the_access_log_pages_through_every_entry_and_names_each_channel(
    client_for, personas, routed_case, monkeypatch
):
    """Who has seen this youth's name: every person, and every entry page by page."""
    hub, brown = personas["hub2.specialist"], personas["brown.worker"]
    for channel in (AccessChannel.LIST, AccessChannel.SEARCH, AccessChannel.MATCH):
        access_log.record_many([routed_case], user=hub, channel=channel, ip_address=None)
    access_log.record_many(
        [routed_case.pk], user=brown, channel=AccessChannel.API_LIST, ip_address=None
    )
    access_log.record(
        case_id=routed_case.pk, user=brown, channel="page", granted=False, ip_address=None
    )
    monkeypatch.setattr(access_views, "ACCESS_LOG_PAGE_SIZE", 2)
    client = client_for(hub)

    url, entries, first = reverse("cases:access-log", args=[routed_case.pk]), [], None
    for _ in range(5):
        response = client.get(url)
        assert response.status_code == 200
        first = first or response.text
        body = response.text[response.text.index('id="entries"') :]
        entries += re.findall(r"<td>([^<]+)</td>\s*<td>(?:Allowed|<strong)", body)
        more = re.search(r'href="(\?after=[^"#]+)#entries" rel="next"', body)
        if not more:
            break
        url = reverse("cases:access-log", args=[routed_case.pk]) + html.unescape(more[1])

    assert entries == [
        AccessChannel.PAGE.label,  # brown, refused
        AccessChannel.API_LIST.label,
        AccessChannel.MATCH.label,
        AccessChannel.SEARCH.label,
        AccessChannel.LIST.label,
    ]
    people = first[: first.index('id="entries"')]
    assert "(brown.worker)" in people
    assert "(hub2.specialist)" in people
