"""Separation of duties and the People pages: who may give access to case records."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from knox.models import AuthToken

from regions.models import AccessChange, AccessChangeKind, Agency, Hub, Membership, Role
from regions.services import GrantRefused, membership_grant, membership_revoke
from tests.conftest import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def outagamie():
    return Agency.objects.get(county__name="Outagamie")


@pytest.fixture
def dane():
    return Agency.objects.get(county__name="Dane")


class TestSeparationOfDuties:
    def test_a_state_admin_never_holds_a_case_role(self, personas, outagamie):
        with pytest.raises(ValidationError, match="separation of duties"):
            membership_grant(
                user=personas["state.admin"], role=Role.AGENCY_STAFF, agency=outagamie
            )

        assert not fresh(personas["state.admin"]).has_perm("regions.view_agency_cases", outagamie)

    def test_a_case_worker_is_never_made_a_state_admin(self, personas):
        with pytest.raises(ValidationError, match="never does"):
            membership_grant(user=personas["outagamie.worker"], role=Role.STATE_ADMIN)

    def test_the_model_itself_refuses_the_mix(self, personas, outagamie):
        membership = Membership(
            user=personas["state.admin"], role=Role.AGENCY_STAFF, agency=outagamie
        )

        with pytest.raises(ValidationError):
            membership.full_clean()

    def test_a_state_admin_may_work_cases_once_the_admin_role_has_ended(self, personas, outagamie):
        user = UserFactory()
        admin_role = membership_grant(user=user, role=Role.STATE_ADMIN)
        membership_revoke(membership=admin_role)

        membership_grant(user=user, role=Role.AGENCY_STAFF, agency=outagamie)

        assert fresh(user).has_perm("regions.view_agency_cases", outagamie)


class TestWhoMayGrant:
    def test_nobody_grants_their_own_account_and_the_attempt_is_recorded(self, personas):
        me = personas["accounts.admin"]
        hub2 = Hub.objects.get(region__number=2)

        with pytest.raises(GrantRefused, match="own account"):
            membership_grant(
                user=me, role=Role.HUB_SPECIALIST, hub=hub2, granted_by=me, reason="curious"
            )

        assert not Membership.objects.filter(user=me).exists()
        refused = AccessChange.objects.get(subject=me, kind=AccessChangeKind.REFUSED)
        assert refused.actor == me
        assert refused.region == hub2.region

    def test_the_region_hub_specialist_grants_its_agencies(self, personas, outagamie):
        newcomer = UserFactory()

        membership_grant(
            user=newcomer,
            role=Role.AGENCY_STAFF,
            agency=outagamie,
            granted_by=personas["hub2.specialist"],
            reason="New caseworker",
        )

        change = AccessChange.objects.get(subject=newcomer, kind=AccessChangeKind.GRANTED)
        assert (change.actor, change.role, change.agency, change.region_id, change.reason) == (
            personas["hub2.specialist"],
            Role.AGENCY_STAFF,
            outagamie,
            outagamie.region_id,
            "New caseworker",
        )

    def test_another_region_hub_specialist_is_refused(self, personas, dane):
        with pytest.raises(GrantRefused, match="region's hub specialists"):
            membership_grant(
                user=UserFactory(),
                role=Role.AGENCY_STAFF,
                agency=dane,
                granted_by=personas["hub2.specialist"],
                reason="x",
            )

    @pytest.mark.parametrize("granter", ["outagamie.worker", "state.admin", "outsider"])
    def test_nobody_else_grants_case_roles(self, personas, outagamie, granter):
        with pytest.raises(GrantRefused):
            membership_grant(
                user=UserFactory(),
                role=Role.AGENCY_STAFF,
                agency=outagamie,
                granted_by=personas[granter],
                reason="x",
            )

    def test_only_an_account_administrator_gives_the_state_admin_role(self, personas):
        with pytest.raises(GrantRefused, match="account administrator"):
            membership_grant(
                user=UserFactory(),
                role=Role.STATE_ADMIN,
                granted_by=personas["hub2.specialist"],
                reason="x",
            )
        membership_grant(
            user=UserFactory(),
            role=Role.STATE_ADMIN,
            granted_by=personas["accounts.admin"],
            reason="New DCF analyst",
        )

    def test_a_person_says_why(self, personas, outagamie):
        with pytest.raises(ValidationError, match="why"):
            membership_grant(
                user=UserFactory(),
                role=Role.AGENCY_STAFF,
                agency=outagamie,
                granted_by=personas["hub2.specialist"],
                reason="  ",
            )

    def test_ending_follows_the_same_rules(self, personas):
        dane_membership = Membership.objects.get(user=personas["dane.worker"])

        with pytest.raises(GrantRefused):
            membership_revoke(
                membership=dane_membership, revoked_by=personas["hub2.specialist"], reason="x"
            )

        assert Membership.objects.get(pk=dane_membership.pk).revoked_at is None


class TestPeoplePages:
    def test_hub_specialist_sees_the_region_people_only(self, client_for, personas):
        client = client_for(personas["hub2.specialist"])

        page = client.get(reverse("people:list"))

        assert "Olivia Appleton" in page.text  # outagamie.worker
        assert "Dana Madison" not in page.text  # dane.worker, region 5
        dane = personas["dane.worker"]
        assert client.get(reverse("people:detail", args=[dane.pk])).status_code == 404

    def test_granting_on_the_page_records_it_for_the_region_hub(self, client_for, personas):
        worker = personas["brown.worker"]
        outagamie = Agency.objects.get(county__name="Outagamie")
        client = client_for(personas["hub2.specialist"])

        response = client.post(
            reverse("people:grant", args=[worker.pk]),
            {"access": f"agency_staff:agency:{outagamie.pk}", "reason": "Covers Outagamie"},
        )

        assert response.status_code == 302
        assert fresh(worker).has_perm("regions.view_agency_cases", outagamie)
        changes = client.get(reverse("people:changes")).text
        assert "Covers Outagamie" in changes
        home = client.get(reverse("home")).text
        assert re.search(r"<strong>\d+</strong> new (person|people) with access", home)

    def test_a_refused_grant_shows_why_next_to_the_form(self, client_for, personas):
        client = client_for(personas["hub2.specialist"])
        dane = Agency.objects.get(county__name="Dane")
        worker = personas["brown.worker"]

        response = client.post(
            reverse("people:grant", args=[worker.pk]),
            {"access": f"agency_staff:agency:{dane.pk}", "reason": "x"},
        )

        assert response.status_code == 400
        assert "Select a valid choice" in response.text  # region 5 is not offered
        assert not Membership.objects.filter(user=worker, agency=dane).exists()

    def test_a_deactivated_account_is_given_no_role(self, client, client_for, personas):
        worker = personas["outagamie.worker"]
        outagamie = Agency.objects.get(county__name="Outagamie")
        client_for(personas["accounts.admin"]).post(
            reverse("people:deactivate", args=[worker.pk]), {"reason": "Left"}
        )

        response = client_for(personas["hub2.specialist"]).post(
            reverse("people:grant", args=[worker.pk]),
            {"access": f"agency_supervisor:agency:{outagamie.pk}", "reason": "Back?"},
        )

        assert response.status_code == 400
        assert "deactivated" in response.text
        assert not Membership.objects.active().filter(user=worker).exists()

    def test_hub5_does_not_see_region2_changes(self, client_for, personas):
        membership_grant(
            user=UserFactory(),
            role=Role.AGENCY_STAFF,
            agency=Agency.objects.get(county__name="Outagamie"),
            granted_by=personas["hub2.specialist"],
            reason="Region two only",
        )

        page = client_for(personas["hub5.specialist"]).get(reverse("people:changes"))

        assert "Region two only" not in page.text


class TestInvitation:
    def invite(self, client, agency, email="new.worker@example.org"):
        return client.post(
            reverse("people:invite"),
            {
                "first_name": "Nia",
                "last_name": "Newcomer",
                "email": email,
                "access": f"agency_staff:agency:{agency.pk}",
                "reason": "New caseworker",
            },
        )

    def test_invite_set_password_sign_in_and_the_link_works_once(
        self, client, client_for, personas, outagamie, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = self.invite(client_for(personas["hub2.specialist"]), outagamie)

        assert response.status_code == 302
        user = get_user_model().objects.get(username="new.worker@example.org")
        assert not user.has_usable_password()
        assert [m.to for m in mail.outbox] == [["new.worker@example.org"]]
        link = re.search(r"http://testserver(/invitation/\S+/)", mail.outbox[0].body).group(1)
        client.logout()

        assert client.get(link).status_code == 200
        response = client.post(
            link,
            {"password1": "river-lantern-quietly-47", "password2": "river-lantern-quietly-47"},
        )

        assert response.status_code == 302
        response = sign_in(client, "new.worker@example.org", "river-lantern-quietly-47")
        assert response.status_code == 302
        assert fresh(user).has_perm("regions.view_agency_cases", outagamie)
        client.logout()
        assert "does not work" in client.get(link).text  # once only
        kinds = set(AccessChange.objects.filter(subject=user).values_list("kind", flat=True))
        assert kinds == {"invited", "granted", "invite_accepted"}

    def test_a_short_or_common_password_is_refused(self, client, personas, outagamie):
        from regions.services import user_invite
        from regions.views import _invite_path

        user = user_invite(
            invited_by=personas["accounts.admin"],
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role=Role.AGENCY_STAFF,
            agency=outagamie,
            reason="r",
            accept_url=lambda u: "",
        )
        link = _invite_path(user)

        response = client.post(link, {"password1": "password1234", "password2": "password1234"})

        assert response.status_code == 400
        assert "too common" in response.text
        assert not fresh(user).has_usable_password()

    def test_a_hub_specialist_cannot_invite_into_another_region(self, client_for, personas, dane):
        response = self.invite(client_for(personas["hub2.specialist"]), dane)

        assert response.status_code == 400
        assert not get_user_model().objects.filter(username="new.worker@example.org").exists()

    def test_an_existing_address_is_refused(self, client_for, personas, outagamie):
        response = self.invite(
            client_for(personas["accounts.admin"]), outagamie, email="outagamie.worker@example.org"
        )

        assert response.status_code == 400
        assert "exists already" in response.text


class TestDeactivation:
    def test_deactivating_ends_sessions_tokens_and_memberships_at_once(
        self, client, personas, outagamie
    ):
        from django.test import Client

        worker = personas["outagamie.worker"]
        worker_browser = Client()
        worker_browser.force_login(worker)
        AuthToken.objects.create(user=worker)
        client.force_login(personas["accounts.admin"])

        response = client.post(
            reverse("people:deactivate", args=[worker.pk]), {"reason": "Left the county"}
        )

        assert response.status_code == 302
        assert worker_browser.get(reverse("home")).status_code == 302  # to the login page
        assert not AuthToken.objects.filter(user=worker).exists()
        assert not Membership.objects.active().filter(user=worker).exists()
        assert not fresh(worker).is_active
        assert AccessChange.objects.filter(
            subject=worker, kind=AccessChangeKind.DEACTIVATED, reason="Left the county"
        ).exists()

    def test_a_hub_specialist_cannot_deactivate(self, client_for, personas):
        worker = personas["outagamie.worker"]

        response = client_for(personas["hub2.specialist"]).post(
            reverse("people:deactivate", args=[worker.pk]), {"reason": "x"}
        )

        assert response.status_code == 400
        assert fresh(worker).is_active

    def test_nobody_deactivates_themselves(self, client_for, personas):
        me = personas["accounts.admin"]

        client_for(me).post(reverse("people:deactivate", args=[me.pk]), {"reason": "x"})

        assert fresh(me).is_active
