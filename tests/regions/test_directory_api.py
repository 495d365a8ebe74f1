"""The resource directory for scripts: GET /api/v1/providers/ with the directory's
filters, and GET /api/v1/providers/{id}/. Read by everyone signed in (a token, or a
session with its second factor verified); read-only."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from regions.models import Agency, County, Provider, Region, ServiceType, Tribe
from regions.services import ProviderInput, provider_create
from tests.conftest import authenticator_of

pytestmark = pytest.mark.django_db

LIST = reverse("provider-list")
EVERYONE = [
    "state.admin",
    "hub2.specialist",
    "hub5.specialist",
    "outagamie.worker",
    "menominee.worker",
    "dane.worker",
    "accounts.admin",
    "outsider",
]
FIELDS = {
    "id",
    "name",
    "kind",
    "region",
    "agency",
    "service_types",
    "counties",
    "tribes",
    "min_age",
    "max_age",
    "languages",
    "trafficking_specialised",
    "trauma_informed",
    "culturally_specific",
    "capacity_notes",
    "phone",
    "email",
    "address",
    "hours",
    "how_to_refer",
    "active",
}


def detail(provider) -> str:
    return reverse("provider-detail", args=[provider.pk])


@pytest.fixture
def api_for(personas):
    def login(username):
        client = APIClient()
        client.force_authenticate(personas[username])
        return client

    return login


@pytest.fixture
def add(personas):
    def make(name, *, region=2, services=("shelter",), counties=("Outagamie",), tribes=(), **f):
        return provider_create(
            actor=personas[f"hub{region}.specialist"],
            region=Region.objects.get(number=region),
            data=ProviderInput(
                name=name,
                kind=f.pop("kind", "shelter"),
                service_types=list(ServiceType.objects.filter(key__in=services)),
                counties=list(County.objects.filter(name__in=counties)),
                tribes=list(Tribe.objects.filter(name__in=tribes)),
                **f,
            ),
        )

    return make


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["results"]]


class TestReading:
    @pytest.mark.parametrize("username", EVERYONE)
    def test_everyone_signed_in_reads_every_regions_directory(self, api_for, add, username):
        agency = Agency.objects.get(name="Brown County Human Services")
        provider = add(
            "Harbor Counselling",
            kind="behavioral_health",
            services=("mental_health", "family_support"),
            counties=("Brown", "Outagamie"),
            tribes=("Oneida Nation",),
            agency=agency,
            min_age=12,
            max_age=17,
            languages="English; Hmong",
            trauma_informed=True,
            capacity_notes="Waiting list 3 weeks",
            phone="(920) 555-0142",
            email="intake@example.org",
            address="100 Main Street",
            hours="Mon-Fri 8-4:30",
            how_to_refer="Call intake.",
        )
        add("Madison Legal Aid", region=5, kind="legal", counties=("Dane",))
        client = api_for(username)

        assert names(client.get(LIST)) == ["Harbor Counselling", "Madison Legal Aid"]
        body = client.get(detail(provider)).json()
        assert set(body) == FIELDS
        assert body == {
            "id": provider.pk,
            "name": "Harbor Counselling",
            "kind": "behavioral_health",
            "region": 2,
            "agency": agency.pk,
            "service_types": ["mental_health", "family_support"],
            "counties": ["55009", "55087"],
            "tribes": [Tribe.objects.get(name="Oneida Nation").pk],
            "min_age": 12,
            "max_age": 17,
            "languages": ["English", "Hmong"],
            "trafficking_specialised": False,
            "trauma_informed": True,
            "culturally_specific": False,
            "capacity_notes": "Waiting list 3 weeks",
            "phone": "(920) 555-0142",
            "email": "intake@example.org",
            "address": "100 Main Street",
            "hours": "Mon-Fri 8-4:30",
            "how_to_refer": "Call intake.",
            "active": True,
        }

    def test_an_outside_organisation_has_no_agency_and_open_ages(self, api_for, add):
        provider = add("Fox Valley Youth Shelter")
        body = api_for("dane.worker").get(detail(provider)).json()
        assert body["agency"] is None
        assert (body["min_age"], body["max_age"]) == (None, None)
        assert body["languages"] == []
        assert body["tribes"] == []

    def test_nobody_signed_in_is_refused(self, add):
        provider = add("Fox Valley Youth Shelter")
        client = APIClient()
        assert client.get(LIST).status_code in (401, 403)
        assert client.get(detail(provider)).status_code in (401, 403)

    def test_a_token_reads_it(self, personas, add):
        add("Fox Valley Youth Shelter")
        authenticator_of(personas["outagamie.worker"])  # tokens go to accounts with one
        out = StringIO()
        call_command("issue_token", "outagamie.worker", stdout=out, stderr=StringIO())
        token = out.getvalue().strip()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert names(client.get(LIST)) == ["Fox Valley Youth Shelter"]
        assert APIClient().get(LIST, HTTP_AUTHORIZATION="Token hubnet_nonsense").status_code == 401

    def test_a_session_without_its_second_factor_is_refused(self, personas, add):
        from django.test import Client

        add("Fox Valley Youth Shelter")
        client = Client()
        client.force_login(personas["outagamie.worker"])  # password only
        assert client.get(LIST).status_code in (401, 403)

    def test_read_only(self, api_for, add):
        provider = add("Fox Valley Youth Shelter")
        client = api_for("hub2.specialist")
        assert client.post(LIST, {"name": "New"}, format="json").status_code == 405
        assert client.patch(detail(provider), {"name": "X"}, format="json").status_code == 405
        assert client.delete(detail(provider)).status_code == 405
        assert Provider.objects.get().name == "Fox Valley Youth Shelter"

    def test_an_unknown_id_is_404_and_an_inactive_one_is_read(self, api_for, add):
        closed = add("Closed Shelter", active=False)
        client = api_for("outagamie.worker")
        assert client.get(reverse("provider-detail", args=[98765])).status_code == 404
        assert client.get(reverse("provider-detail", args=[9_999_999_999])).status_code == 404
        assert client.get(detail(closed)).json()["active"] is False
        assert names(client.get(LIST)) == []


class TestFilters:
    @pytest.fixture
    def directory(self, add):
        add(
            "Harbor Counselling",
            kind="behavioral_health",
            services=("mental_health",),
            counties=("Outagamie", "Brown"),
            min_age=12,
            max_age=17,
            languages="English; Hmong",
            trauma_informed=True,
        )
        add(
            "Oneida Family Services",
            kind="community",
            services=("family_support",),
            counties=("Brown",),
            tribes=("Oneida Nation",),
            culturally_specific=True,
        )
        add(
            "Lakeshore Recovery",
            services=("substance_use", "mental_health"),
            counties=("Door",),
            min_age=16,
            trafficking_specialised=True,
        )
        add("Madison Legal Aid", region=5, kind="legal", counties=("Dane",), max_age=20)
        add("Closed Clinic", services=("mental_health",), active=False)

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            (
                {},
                [
                    "Harbor Counselling",
                    "Lakeshore Recovery",
                    "Madison Legal Aid",
                    "Oneida Family Services",
                ],
            ),
            ({"region": 5}, ["Madison Legal Aid"]),
            ({"service_type": "mental_health"}, ["Harbor Counselling", "Lakeshore Recovery"]),
            ({"county": "55009"}, ["Harbor Counselling", "Oneida Family Services"]),
            ({"age": 15}, ["Harbor Counselling", "Madison Legal Aid", "Oneida Family Services"]),
            ({"age": 21}, ["Lakeshore Recovery", "Oneida Family Services"]),
            ({"language": "HMONG"}, ["Harbor Counselling"]),
            ({"trafficking_specialised": "true"}, ["Lakeshore Recovery"]),
            ({"trauma_informed": "true"}, ["Harbor Counselling"]),
            ({"culturally_specific": "true"}, ["Oneida Family Services"]),
            ({"q": "legal"}, ["Madison Legal Aid"]),
            (
                {"include_inactive": "true", "service_type": "mental_health"},
                ["Closed Clinic", "Harbor Counselling", "Lakeshore Recovery"],
            ),
        ],
    )
    def test_the_directory_filters(self, api_for, directory, params, expected):
        assert names(api_for("outagamie.worker").get(LIST, params)) == expected

    def test_the_tribe_filter(self, api_for, directory):
        oneida = Tribe.objects.get(name="Oneida Nation")
        assert names(api_for("menominee.worker").get(LIST, {"tribe": oneida.pk})) == [
            "Oneida Family Services"
        ]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"age": "fifteen"}, "age"),
            ({"age": "31"}, "age"),
            ({"age": "-1"}, "age"),
            ({"county": "99999"}, "county"),
            ({"service_type": "spa"}, "service_type"),
            ({"tribe": "98765"}, "tribe"),
            ({"tribe": "x"}, "tribe"),
            ({"region": "9"}, "region"),
        ],
    )
    def test_a_bad_filter_is_a_400_naming_it(self, api_for, directory, params, field):
        response = api_for("outagamie.worker").get(LIST, params)
        assert response.status_code == 400
        assert field in response.json()

    def test_a_constant_number_of_queries(self, api_for, add):
        client = api_for("hub5.specialist")

        def more(count, start):
            for n in range(start, start + count):
                add(
                    f"Provider {n:02}",
                    services=("shelter", "mental_health", "transportation")[: 1 + n % 3],
                    counties=("Brown", "Outagamie", "Door")[: 1 + n % 3],
                    tribes=("Oneida Nation",) if n % 2 else (),
                )

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(LIST, {"limit": 200})
            assert response.status_code == 200
            return len(captured)

        more(2, 0)
        few = queries()
        more(28, 2)
        assert queries() == few
