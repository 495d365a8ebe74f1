import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from regions.models import Agency, County, Hub, Membership, Provenance, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, personas):
    """Logged in as state.admin: staff, reference-data administrator, not a superuser."""
    client.force_login(personas["state.admin"])
    return client


def test_state_admin_sees_the_reference_data(admin_client):
    response = admin_client.get(reverse("admin:regions_county_changelist"))
    assert response.status_code == 200
    assert "72 counties" in response.text
    assert "Provisional (placeholder)" in response.text  # provenance visible

    response = admin_client.get(reverse("admin:regions_hub_changelist"))
    assert "7 hubs" in response.text


def test_granting_a_membership_in_the_admin_grants_the_permissions(admin_client, personas):
    outsider = personas["outsider"]
    brown = Agency.objects.get(county__name="Brown")

    response = admin_client.post(
        reverse("admin:regions_membership_add"),
        {"user": outsider.pk, "role": Role.AGENCY_STAFF, "agency": brown.pk, "hub": ""},
    )

    assert response.status_code == 302, response.text
    membership = Membership.objects.get(user=outsider)
    assert membership.granted_by == personas["state.admin"]
    assert (
        get_user_model().objects.get(pk=outsider.pk).has_perm("regions.view_agency_cases", brown)
    )


def test_a_mismatched_membership_is_refused_next_to_the_field(admin_client, personas):
    response = admin_client.post(
        reverse("admin:regions_membership_add"),
        {"user": personas["outsider"].pk, "role": Role.HUB_SPECIALIST, "hub": "", "agency": ""},
    )

    assert response.status_code == 200
    assert "A hub specialist belongs to a hub." in response.text
    assert not Membership.objects.filter(user=personas["outsider"]).exists()


def test_revoke_action_withdraws_permissions(admin_client, personas):
    worker = personas["brown.worker"]
    membership = Membership.objects.get(user=worker)

    admin_client.post(
        reverse("admin:regions_membership_changelist"),
        {"action": "revoke", "_selected_action": [membership.pk]},
    )

    membership.refresh_from_db()
    assert membership.revoked_at is not None
    assert membership.revoked_by == personas["state.admin"]
    assert (
        not get_user_model()
        .objects.get(pk=worker.pk)
        .has_perm("regions.view_agency_cases", membership.agency)
    )


def test_memberships_cannot_be_deleted(admin_client, personas):
    membership = Membership.objects.get(user=personas["brown.worker"])
    response = admin_client.get(reverse("admin:regions_membership_delete", args=[membership.pk]))
    assert response.status_code == 403


def test_designating_resource_agencies(admin_client):
    agencies = Agency.objects.filter(county__name__in=["Calumet", "Door"])

    admin_client.post(
        reverse("admin:regions_agency_changelist"),
        {
            "action": "designate_resource_agency",
            "_selected_action": list(agencies.values_list("pk", flat=True)),
        },
    )

    assert set(
        Agency.objects.filter(is_resource_agency=True, county__isnull=False).values_list(
            "county__name", flat=True
        )
    ) >= {"Calumet", "Door"}


def test_moving_a_county_in_the_admin_moves_its_agency(admin_client):
    adams = County.objects.get(name="Adams")
    region4 = adams.region.__class__.objects.get(number=4)

    response = admin_client.post(
        reverse("admin:regions_county_change", args=[adams.pk]),
        {"name": "Adams", "fips": "55001", "region": region4.pk},
    )

    assert response.status_code == 302, response.text
    adams.refresh_from_db()
    assert adams.region == region4
    assert adams.region_assignment == Provenance.TASK_FORCE
    assert Agency.objects.get(county=adams).region == region4


def test_a_hub_host_must_be_in_the_hub_region(admin_client):
    hub = Hub.objects.get(region__number=5)
    outagamie = Agency.objects.get(county__name="Outagamie")  # region 2

    response = admin_client.post(
        reverse("admin:regions_hub_change", args=[hub.pk]),
        {"host_agency": outagamie.pk, "provisional": "on"},
    )

    assert response.status_code == 200
    assert "The host agency must be in the hub&#x27;s region." in response.text
    hub.refresh_from_db()
    assert hub.host_agency is None


def test_assigning_a_hub_host(admin_client):
    hub = Hub.objects.get(region__number=5)
    dane = Agency.objects.get(county__name="Dane")

    response = admin_client.post(
        reverse("admin:regions_hub_change", args=[hub.pk]), {"host_agency": dane.pk}
    )

    assert response.status_code == 302
    hub.refresh_from_db()
    assert hub.host_agency == dane
    assert hub.provisional is False


@pytest.mark.parametrize("username", ["hub2.specialist", "outagamie.worker", "outsider"])
def test_non_staff_cannot_use_the_admin(client, personas, username):
    client.force_login(personas[username])
    response = client.get(reverse("admin:regions_membership_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_case_data_is_never_in_the_admin():
    """The admin would bypass the one door and the access log."""
    from django.contrib import admin

    from cases import models

    for model in (
        models.Youth,
        models.Referral,
        models.Case,
        models.Consent,
        models.CaseEvent,
        models.CaseNote,
        models.CaseAccess,
        models.CaseGrant,
    ):
        assert not admin.site.is_registered(model), model.__name__


def test_state_admin_edits_the_indicator_list(admin_client):
    from cases.models import Indicator

    indicator = Indicator.objects.get(key="truancy")
    response = admin_client.get(reverse("admin:cases_indicator_changelist"))
    assert "Frequent or unexplained absence from school" in response.text

    admin_client.post(
        reverse("admin:cases_indicator_change", args=[indicator.pk]),
        {
            "key": "truancy",
            "category": "school",
            "label": "Chronic absence from school",
            "exploitation": "both",
            "order": indicator.order,
        },
    )

    indicator.refresh_from_db()
    assert indicator.label == "Chronic absence from school"
    assert indicator.active is False  # unticked in the form: retired, not deleted
