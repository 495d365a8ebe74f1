import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regions.models import Agency
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

LIST_ENDPOINTS = ["region-list", "county-list", "tribe-list", "agency-list"]


@pytest.mark.parametrize("name", [*LIST_ENDPOINTS, "api-schema", "api-docs"])
def test_anonymous_requests_are_refused(client, name):
    response = client.get(reverse(name))
    assert response.status_code in (401, 403)


@pytest.mark.parametrize("name", LIST_ENDPOINTS)
@pytest.mark.parametrize(
    "username", ["hub2.specialist", "outagamie.worker", "state.admin", "outsider"]
)
def test_any_signed_in_user_reads_reference_data(client_for, personas, name, username):
    response = client_for(personas[username]).get(reverse(name))
    assert response.status_code == 200
    assert response.json()["count"] > 0


def test_counties_list_carries_fips_and_region(client_for, personas):
    response = client_for(personas["outsider"]).get(reverse("county-list"), {"limit": 100})
    data = response.json()
    assert data["count"] == 72
    outagamie = next(c for c in data["results"] if c["name"] == "Outagamie")
    assert outagamie == {
        "fips": "55087",
        "name": "Outagamie",
        "region": 2,
        "region_assignment": "inferred",
    }


def test_filter_by_region(client_for, personas):
    client = client_for(personas["outsider"])

    counties = client.get(reverse("county-list"), {"region": 2}).json()
    tribes = client.get(reverse("tribe-list"), {"region": 2}).json()
    agencies = client.get(reverse("agency-list"), {"region": 2, "limit": 500}).json()

    assert counties["count"] == 17
    assert {c["region"] for c in counties["results"]} == {2}
    assert tribes["count"] == 3
    assert agencies["count"] == 20  # 17 county and 3 tribal agencies
    assert {a["region"] for a in agencies["results"]} == {2}


def test_filter_agencies_by_resource_designation(client_for, personas):
    response = client_for(personas["outsider"]).get(
        reverse("agency-list"), {"is_resource_agency": "true", "region": 2}
    )
    names = {a["name"] for a in response.json()["results"]}
    assert "Outagamie County Human Services" in names  # designated for the demo
    assert all(a["is_resource_agency"] for a in response.json()["results"])


def test_a_bad_filter_value_is_a_structured_400(client_for, personas):
    response = client_for(personas["outsider"]).get(reverse("county-list"), {"region": "north"})
    assert response.status_code == 400
    assert "region" in response.json()


def test_region_detail_by_number_shows_the_hub_host(client_for, personas):
    response = client_for(personas["outsider"]).get(reverse("region-detail", args=[2]))
    assert response.json() == {
        "number": 2,
        "name": "Northeast",
        "hub_host": "Outagamie County Human Services",
        "hub_provisional": False,
    }


def test_reference_data_is_read_only(client_for, personas):
    response = client_for(personas["state.admin"]).post(
        reverse("county-list"), {"name": "Atlantis", "fips": "55999"}
    )
    assert response.status_code == 405


def test_agency_list_query_count_does_not_grow_with_rows(client_for, personas):
    client = client_for(personas["outsider"])

    def queries_for_agency_list():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("agency-list"), {"limit": 500}).status_code == 200
        return len(ctx.captured_queries)

    before = queries_for_agency_list()
    for _ in range(30):
        AgencyFactory.in_county("Dane")
    after = queries_for_agency_list()

    assert Agency.objects.count() >= 113
    assert after == before, "agency list queries grew with the number of agencies"


def test_schema_and_docs_for_signed_in_users(client_for, personas):
    client = client_for(personas["outsider"])

    schema = client.get(reverse("api-schema"))
    docs = client.get(reverse("api-docs"))

    assert schema.status_code == 200
    assert b"/api/v1/counties/" in schema.content
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()  # assets are served locally (sidecar)
