import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from regions.models import (
    AccessChange,
    AccessChangeKind,
    Agency,
    County,
    Hub,
    Membership,
    Provenance,
    Region,
    Role,
)

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


@pytest.fixture
def accounts_client(client, personas):
    """Logged in as accounts.admin: staff, account administrator, no case role."""
    client.force_login(personas["accounts.admin"])
    return client


def test_an_account_administrator_grants_a_membership_in_the_admin(accounts_client, personas):
    outsider = personas["outsider"]
    brown = Agency.objects.get(county__name="Brown")

    response = accounts_client.post(
        reverse("admin:regions_membership_add"),
        {
            "user": outsider.pk,
            "role": Role.AGENCY_STAFF,
            "agency": brown.pk,
            "hub": "",
            "reason": "New hire at Brown County",
        },
    )

    assert response.status_code == 302, response.text
    membership = Membership.objects.get(user=outsider)
    assert membership.granted_by == personas["accounts.admin"]
    assert membership.grant_reason == "New hire at Brown County"
    assert (
        get_user_model().objects.get(pk=outsider.pk).has_perm("regions.view_agency_cases", brown)
    )
    change = AccessChange.objects.get(subject=outsider, kind=AccessChangeKind.GRANTED)
    assert change.actor == personas["accounts.admin"]
    assert change.region == brown.region


def test_a_mismatched_membership_is_refused_next_to_the_field(accounts_client, personas):
    response = accounts_client.post(
        reverse("admin:regions_membership_add"),
        {
            "user": personas["outsider"].pk,
            "role": Role.HUB_SPECIALIST,
            "hub": "",
            "agency": "",
            "reason": "x",
        },
    )

    assert response.status_code == 200
    assert "A hub specialist belongs to a hub." in response.text
    assert not Membership.objects.filter(user=personas["outsider"]).exists()


def test_the_state_admin_cannot_give_itself_a_case_role_in_the_admin(admin_client, personas):
    """The finding: state.admin added itself a hub specialist membership in /admin/."""
    me = personas["state.admin"]
    hub2 = Hub.objects.get(region__number=2)

    response = admin_client.post(
        reverse("admin:regions_membership_add"),
        {"user": me.pk, "role": Role.HUB_SPECIALIST, "hub": hub2.pk, "agency": "", "reason": "x"},
    )

    assert response.status_code == 403  # the reference-data group no longer adds memberships
    assert not Membership.objects.filter(user=me, role=Role.HUB_SPECIALIST).exists()
    assert (
        not get_user_model()
        .objects.get(pk=me.pk)
        .has_perm("regions.view_region_cases", hub2.region)
    )


def test_an_account_administrator_cannot_grant_its_own_account(accounts_client, personas):
    me = personas["accounts.admin"]
    hub2 = Hub.objects.get(region__number=2)

    response = accounts_client.post(
        reverse("admin:regions_membership_add"),
        {"user": me.pk, "role": Role.HUB_SPECIALIST, "hub": hub2.pk, "agency": "", "reason": "x"},
    )

    assert response.status_code == 200
    assert "Nobody grants or changes a membership of their own account." in response.text
    assert not Membership.objects.filter(user=me).exists()


def test_the_state_admin_cannot_be_given_a_case_role_in_the_admin(accounts_client, personas):
    state_admin = personas["state.admin"]
    brown = Agency.objects.get(county__name="Brown")

    response = accounts_client.post(
        reverse("admin:regions_membership_add"),
        {
            "user": state_admin.pk,
            "role": Role.AGENCY_STAFF,
            "agency": brown.pk,
            "hub": "",
            "reason": "x",
        },
    )

    assert response.status_code == 200
    assert "separation of duties" in response.text
    assert not Membership.objects.filter(user=state_admin, role=Role.AGENCY_STAFF).exists()


@pytest.mark.parametrize(
    ("path", "lookup"),
    [
        ("admin:regions_agency_changelist", "cases__gt"),
        ("admin:regions_agency_changelist", "cases__youth__legal_last_name__startswith"),
        ("admin:regions_region_changelist", "agencies__cases__gt"),
        ("admin:protocols_protocolversion_changelist", "cases__gt"),
    ],
)
def test_admin_lookups_never_reach_into_case_records(admin_client, path, lookup):
    """/admin/regions/agency/?cases__gt=<uuid> narrowed the list by case ids."""
    response = admin_client.get(reverse(path), {lookup: "00000000-0000-0000-0000-000000000000"})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "lookup", ["assigned_cases", "assigned_cases__gt", "notifications__isnull"]
)
def test_the_user_admin_cannot_probe_cases_either(admin_client, routed_case, lookup):
    """Django's own User admin let a one-step lookup reach a worker's assigned cases."""
    value = "False" if lookup.endswith("isnull") else str(routed_case.pk)

    response = admin_client.get(reverse("admin:auth_user_changelist"), {lookup: value})

    assert response.status_code == 400


def test_every_admin_page_carries_the_guard():
    from django.contrib import admin

    from hubnet.admin import HubNetModelAdmin

    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, HubNetModelAdmin)
    ]
    assert unguarded == []


def test_admin_lookups_on_reference_data_still_work(admin_client):
    response = admin_client.get(
        reverse("admin:regions_agency_changelist"),
        {"region__id__exact": Region.objects.get(number=2).pk},
    )

    assert response.status_code == 200


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
