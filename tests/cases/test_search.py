"""Searching cases: accents and case ignored, names, reporter and case number, only
through the door, every result logged; and the search box in the header."""

import re

import pytest
from django.db import connection
from django.db.models import Max
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import AccessChannel, CaseAccess, Status
from cases.selectors import case_search_condition, cases_visible_to

pytestmark = pytest.mark.django_db


def numbers_found(client, query) -> set[str]:
    """The case numbers the caseload page lists for `query` (the header's search box sends
    the same request)."""
    response = client.get(reverse("cases:list"), {"q": query})
    assert response.status_code == 200
    rows = re.search(r"<tbody>(.*?)</tbody>", response.text, re.DOTALL)  # not the search box
    return set(re.findall(r"R\d-\d{4}-\d{4,}", rows.group(1) if rows else ""))


def api_numbers_found(user, query) -> set[str]:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(reverse("case-list"), {"q": query})
    assert response.status_code == 200
    return {case["case_number"] for case in response.json()["results"]}


def with_reporter(case, name):
    case.referral.reporter_name = name
    case.referral.save(update_fields=["reporter_name"])
    return case


class TestWhatItFinds:
    def test_accents_and_case_are_ignored_both_ways(self, client_for, personas, make_case):
        accented = make_case(first="Emma", last="Díaz")
        plain = make_case(first="Noah", last="Diaz")
        make_case(first="Emma", last="Dixon")
        client = client_for(personas["hub2.specialist"])

        assert numbers_found(client, "diaz") == {accented.number, plain.number}
        assert numbers_found(client, "DÍAZ") == {accented.number, plain.number}
        assert numbers_found(client, "emma díaz") == {accented.number}
        assert numbers_found(client, "Noah Díaz") == {plain.number}

    def test_accents_in_the_first_and_preferred_names(self, client_for, personas, make_case):
        case = make_case(first="Zoë", last="Ångström", preferred_name="Chloé")
        client = client_for(personas["hub2.specialist"])

        assert numbers_found(client, "zoe angstrom") == {case.number}
        assert numbers_found(client, "CHLOE") == {case.number}

    def test_the_reporters_name(self, client_for, personas, make_case):
        reported = with_reporter(make_case(first="Ava", last="Lindgren"), "Renée Okafor")
        make_case(first="Ava", last="Brooks")
        client = client_for(personas["hub2.specialist"])

        assert numbers_found(client, "renee okafor") == {reported.number}
        assert numbers_found(client, "OKAFOR") == {reported.number}

    def test_every_word_must_match_somewhere(self, client_for, personas, make_case):
        case = with_reporter(make_case(first="Ava", last="Lindgren"), "Renée Okafor")
        make_case(first="Ava", last="Brooks")
        client = client_for(personas["hub2.specialist"])

        assert numbers_found(client, "Ava Okafor") == {case.number}  # youth and reporter
        assert numbers_found(client, "Ava Nobody") == set()

    def test_the_case_number_in_any_case(self, client_for, personas, make_case):
        case = make_case()
        make_case()
        client = client_for(personas["hub2.specialist"])

        assert numbers_found(client, case.number.lower()) == {case.number}
        assert numbers_found(client, f"  {case.number}  ") == {case.number}

    def test_the_api_searches_alike(self, personas, make_case):
        accented = with_reporter(make_case(first="Emma", last="Díaz"), "Renée Okafor")
        make_case(first="Emma", last="Dixon")
        hub = personas["hub2.specialist"]

        assert api_numbers_found(hub, "diaz") == {accented.number}
        assert api_numbers_found(hub, "renee") == {accented.number}
        assert api_numbers_found(hub, accented.number.lower()) == {accented.number}


class TestThroughTheDoor:
    @pytest.fixture
    def elsewhere(self, make_case):
        """A Dane County case (region 5): hub 2 and the region 2 agencies never see it."""
        return with_reporter(
            make_case(county="Dane", first="Lucía", last="Díaz", status=Status.ROUTED),
            "Renée Okafor",
        )

    @pytest.mark.parametrize("username", ["hub2.specialist", "outagamie.worker", "brown.worker"])
    def test_a_case_one_cannot_see_is_never_found(self, client_for, personas, elsewhere, username):
        user = personas[username]
        client = client_for(user)

        for query in ("diaz", "Lucía", "okafor", elsewhere.number, elsewhere.number.lower()):
            assert numbers_found(client, query) == set(), query
            assert api_numbers_found(user, query) == set(), query

    def test_those_who_see_it_find_it(self, client_for, personas, elsewhere):
        assert numbers_found(client_for(personas["hub5.specialist"]), "lucia diaz") == {
            elsewhere.number
        }
        assert api_numbers_found(personas["dane.worker"], "RENEE") == {elsewhere.number}

    def test_results_are_logged_as_search(self, client_for, personas, make_case):
        found = [make_case(last="Díaz"), make_case(last="Diaz")]
        make_case(last="Dixon")
        hub = personas["hub2.specialist"]
        since = CaseAccess.objects.aggregate(last=Max("pk"))["last"] or 0

        numbers_found(client_for(hub), "díaz")
        api_numbers_found(hub, "diaz")

        looks = CaseAccess.objects.filter(pk__gt=since)
        assert {(look.case_id, look.channel, look.user_id, look.granted) for look in looks} == {
            (case.pk, channel, hub.pk, True)
            for case in found
            for channel in (AccessChannel.SEARCH, AccessChannel.API_SEARCH)
        }


class TestTheHeaderSearchBox:
    @pytest.mark.parametrize(
        "username", ["hub2.specialist", "outagamie.worker", "menominee.worker", "dane.worker"]
    )
    def test_case_workers_have_it_on_every_page(self, client_for, personas, username):
        client = client_for(personas[username])

        for url in (reverse("home"), reverse("cases:notifications"), reverse("account")):
            html = client.get(url).text
            form = re.search(r'<form class="site-search"[^>]*>(.*?)</form>', html, re.DOTALL)
            assert form, url
            assert f'action="{reverse("cases:list")}"' in form.group(0)
            assert 'method="get"' in form.group(0)
            assert '<label class="visually-hidden" for="site-search-q">Search cases</label>' in (
                form.group(1)
            )
            assert 'id="site-search-q" name="q"' in form.group(1)

    @pytest.mark.parametrize("username", ["state.admin", "accounts.admin", "outsider"])
    def test_others_do_not(self, client_for, personas, username):
        html = client_for(personas[username]).get(reverse("home")).text
        assert 'class="site-search"' not in html

    def test_it_lands_on_the_caseload_with_the_results(self, client_for, personas, make_case):
        case = make_case(first="Mateo", last="Peña")
        make_case(first="Mateo", last="Smith")
        client = client_for(personas["outagamie.worker"])

        assert numbers_found(client, "pena") == {case.number}


class TestTheMenu:
    def test_api_leaves_the_main_menu_for_the_footer(self, client_for, personas):
        html = client_for(personas["hub2.specialist"]).get(reverse("home")).text

        menu = re.search(r'<nav aria-label="Main".*?</nav>', html, re.DOTALL).group(0)
        footer = re.search(r"<footer.*?</footer>", html, re.DOTALL).group(0)
        assert reverse("api-docs") not in menu
        assert ">API<" not in menu
        assert f'<a href="{reverse("api-docs")}">API documentation</a>' in footer

    def test_the_footer_link_waits_for_sign_in(self, client):
        html = client.get(reverse("login")).text
        assert "API documentation" not in html


def test_a_name_that_grows_when_folded_is_saved_and_found(client_for, personas, make_case):
    """Folding can lengthen text ("ß" is "ss"): the folded columns have no length limit, so
    a long name saves on PostgreSQL too, and is found either way."""
    case = make_case(first="Straß" * 16, last="Groß" * 20)
    text = client_for(personas["hub2.specialist"]).get(reverse("cases:list"), {"q": "grossgross"})
    assert case.number in text.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram indexes")
def test_a_word_is_looked_up_by_trigram_index_on_postgresql(personas, make_case):
    make_case(first="Quinn", last="Privacy")
    hub = personas["hub2.specialist"]
    found = cases_visible_to(hub).filter(case_search_condition("privac"))

    with connection.cursor() as cursor:
        # As at scale, whatever the size: no reading whole tables or whole indexes (a
        # bitmap scan needs an index condition, so a LIKE '%...%' can only use its trigram).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        plan = found.explain()

    assert found.count() == 1
    assert "youth_name_folded_trgm" in plan
    assert "referral_reporter_folded_trgm" in plan
    # Each branch finds its cases by index too (an OR of the three read every case).
    assert "case_number_trgm" in plan
    assert "cases_case_youth_id" in plan
    assert "cases_case_referral_id_key" in plan
