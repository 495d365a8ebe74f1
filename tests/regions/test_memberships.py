import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from guardian.models import UserObjectPermission

from regions.models import (
    Agency,
    AgencyUserObjectPermission,
    Hub,
    Membership,
    Region,
    RegionUserObjectPermission,
    Role,
)
from regions.services import membership_grant, membership_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user re-read, so no permission cache from before the change answers."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def outagamie():
    return Agency.objects.get(county__name="Outagamie")


@pytest.fixture
def brown():
    return Agency.objects.get(county__name="Brown")


@pytest.fixture
def hub2():
    return Hub.objects.select_related("region").get(region__number=2)


class TestGrant:
    def test_agency_staff_get_permissions_on_their_agency_only(self, outagamie, brown):
        user = UserFactory()

        membership_grant(user=user, role=Role.AGENCY_STAFF, agency=outagamie)

        user = fresh(user)
        assert user.has_perm("regions.view_agency_cases", outagamie)
        assert user.has_perm("regions.work_agency_cases", outagamie)
        assert not user.has_perm("regions.supervise_agency", outagamie)
        assert not user.has_perm("regions.view_agency_cases", brown)
        assert not user.has_perm("regions.view_agency_cases")  # never global

    def test_supervisor_may_also_see_who_looked(self, outagamie):
        user = UserFactory()

        membership_grant(user=user, role=Role.AGENCY_SUPERVISOR, agency=outagamie)

        assert fresh(user).has_perm("regions.supervise_agency", outagamie)

    def test_hub_specialist_gets_permissions_on_the_hub_region(self, hub2):
        user = UserFactory()

        membership_grant(user=user, role=Role.HUB_SPECIALIST, hub=hub2)

        user = fresh(user)
        assert user.has_perm("regions.view_region_cases", hub2.region)
        assert user.has_perm("regions.work_region_cases", hub2.region)
        assert not user.has_perm("regions.view_region_cases", Region.objects.get(number=5))

    def test_state_admin_gets_the_dashboard_permission_and_no_case_permission(self, hub2):
        user = UserFactory()

        membership_grant(user=user, role=Role.STATE_ADMIN)

        user = fresh(user)
        assert user.has_perm("regions.view_statewide_dashboard")
        assert not user.has_perm("regions.view_region_cases", hub2.region)
        assert not AgencyUserObjectPermission.objects.filter(user=user).exists()
        assert not RegionUserObjectPermission.objects.filter(user=user).exists()

    def test_permissions_use_the_direct_foreign_key_tables(self, outagamie, hub2):
        user = UserFactory()

        membership_grant(user=user, role=Role.AGENCY_STAFF, agency=outagamie)
        membership_grant(user=user, role=Role.HUB_SPECIALIST, hub=hub2)

        assert AgencyUserObjectPermission.objects.filter(user=user).count() == 2
        # Cases and casework in the region, its trainings and directory, and the region's
        # dashboard (both roles give it).
        assert set(
            RegionUserObjectPermission.objects.filter(user=user).values_list(
                "permission__codename", flat=True
            )
        ) == {
            "view_region_cases",
            "work_region_cases",
            "manage_region_trainings",
            "manage_region_directory",
            "view_region_dashboard",
        }
        assert RegionUserObjectPermission.objects.filter(user=user).count() == 5
        assert not UserObjectPermission.objects.filter(user=user).exists()

    @pytest.mark.parametrize(
        ("role", "target"),
        [
            (Role.AGENCY_STAFF, {}),
            (Role.AGENCY_STAFF, {"hub": "hub2"}),
            (Role.HUB_SPECIALIST, {"agency": "outagamie"}),
            (Role.STATE_ADMIN, {"agency": "outagamie"}),
        ],
    )
    def test_role_and_target_must_match(self, request, role, target):
        user = UserFactory()
        target = {key: request.getfixturevalue(name) for key, name in target.items()}

        with pytest.raises(ValidationError):
            membership_grant(user=user, role=role, **target)

        assert not Membership.objects.filter(user=user).exists()
        assert not AgencyUserObjectPermission.objects.filter(user=user).exists()

    def test_the_same_active_membership_cannot_be_granted_twice(self, outagamie):
        user = UserFactory()
        membership_grant(user=user, role=Role.AGENCY_STAFF, agency=outagamie)

        with pytest.raises(ValidationError):
            membership_grant(user=user, role=Role.AGENCY_STAFF, agency=outagamie)

        assert Membership.objects.filter(user=user).count() == 1


class TestRevoke:
    def test_revoking_takes_the_permissions_away_and_keeps_the_record(self, personas, outagamie):
        granter = get_user_model().objects.get(username="hub2.specialist")
        user = UserFactory()
        membership = membership_grant(
            user=user,
            role=Role.AGENCY_STAFF,
            agency=outagamie,
            granted_by=granter,
            reason="New hire",
        )

        membership_revoke(membership=membership, revoked_by=granter, reason="Left the agency")

        user = fresh(user)
        assert not user.has_perm("regions.view_agency_cases", outagamie)
        assert not AgencyUserObjectPermission.objects.filter(user=user).exists()
        record = Membership.objects.get(pk=membership.pk)
        assert record.revoked_at is not None
        assert record.revoked_by == granter
        assert record.granted_by == granter

    def test_revoking_one_membership_keeps_what_another_still_grants(self, outagamie):
        user = UserFactory()
        staff = membership_grant(user=user, role=Role.AGENCY_STAFF, agency=outagamie)
        membership_grant(user=user, role=Role.AGENCY_SUPERVISOR, agency=outagamie)

        membership_revoke(membership=staff)

        user = fresh(user)
        assert user.has_perm("regions.view_agency_cases", outagamie)
        assert user.has_perm("regions.supervise_agency", outagamie)

    def test_revoking_supervision_leaves_staff_permissions(self, outagamie):
        user = UserFactory()
        membership_grant(user=user, role=Role.AGENCY_STAFF, agency=outagamie)
        supervisor = membership_grant(user=user, role=Role.AGENCY_SUPERVISOR, agency=outagamie)

        membership_revoke(membership=supervisor)

        user = fresh(user)
        assert user.has_perm("regions.work_agency_cases", outagamie)
        assert not user.has_perm("regions.supervise_agency", outagamie)

    def test_revoking_a_state_admin_removes_the_global_permission(self):
        user = UserFactory()
        membership = membership_grant(user=user, role=Role.STATE_ADMIN)

        membership_revoke(membership=membership)

        assert not fresh(user).has_perm("regions.view_statewide_dashboard")

    def test_a_revoked_membership_can_be_granted_again(self, hub2):
        user = UserFactory()
        membership_revoke(
            membership=membership_grant(user=user, role=Role.HUB_SPECIALIST, hub=hub2)
        )

        membership_grant(user=user, role=Role.HUB_SPECIALIST, hub=hub2)

        assert fresh(user).has_perm("regions.view_region_cases", hub2.region)
        assert Membership.objects.filter(user=user).count() == 2

    def test_revoking_twice_is_refused(self, hub2):
        membership = membership_grant(user=UserFactory(), role=Role.HUB_SPECIALIST, hub=hub2)
        membership_revoke(membership=membership)

        with pytest.raises(ValidationError, match="already ended"):
            membership_revoke(membership=membership)

    def test_other_users_permissions_are_untouched(self, outagamie):
        alice, bob = UserFactory(), UserFactory()
        membership_grant(user=alice, role=Role.AGENCY_STAFF, agency=outagamie)
        bobs = membership_grant(user=bob, role=Role.AGENCY_STAFF, agency=outagamie)

        membership_revoke(membership=bobs)

        assert fresh(alice).has_perm("regions.view_agency_cases", outagamie)
