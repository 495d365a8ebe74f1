"""Demo personas for `make run`, the browser tests and trying HubNet out. Synthetic people only."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from regions.models import Agency, AgencyKind, Hub, Membership, Role
from regions.services import membership_grant

REFERENCE_ADMIN_GROUP = "Reference data administrators"
# What a state administrator manages in the Django admin: reference data. Memberships
# are only viewed: giving access to case records is an account administrator's or the
# region's hub specialists' decision (separation of duties, regions.services).
REFERENCE_ADMIN_PERMISSIONS = [
    "regions.view_region",
    "regions.view_county",
    "regions.change_county",
    "regions.view_tribe",
    "regions.change_tribe",
    "regions.view_hub",
    "regions.change_hub",
    "regions.view_agency",
    "regions.add_agency",
    "regions.change_agency",
    "regions.view_membership",
    "regions.view_disclosurecontrol",
    "regions.add_disclosurecontrol",
    "regions.change_disclosurecontrol",
    "regions.view_rolluprun",
    "auth.view_user",
    "cases.view_indicator",
    "cases.add_indicator",
    "cases.change_indicator",
    *(
        f"protocols.{action}_{model}"
        for model in ("protocolversion", "stepdefinition", "stepfield")
        for action in ("view", "add", "change", "delete")
    ),
]

ACCOUNT_ADMIN_GROUP = "Account administrators"
# The people who run HubNet's accounts: invite, give and end memberships, deactivate.
# No case role and no change_user (which would let them edit their own groups).
ACCOUNT_ADMIN_PERMISSIONS = [
    "regions.administer_accounts",
    "regions.view_membership",
    "regions.add_membership",
    "regions.view_accesschange",
    "auth.view_user",
]


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    role: str | None  # None: no membership (an account administrator)
    hub: int | None = None  # region number
    county: str | None = None  # county served by the agency
    tribe: str | None = None  # tribe served by the agency
    staff: bool = False
    group: str | None = None


PERSONAS = [
    Persona(
        "state.admin",
        "Sam",
        "Statewide",
        Role.STATE_ADMIN,
        staff=True,
        group=REFERENCE_ADMIN_GROUP,
    ),
    Persona("hub2.specialist", "Harper", "Northeast", Role.HUB_SPECIALIST, hub=2),
    Persona("outagamie.worker", "Olivia", "Appleton", Role.AGENCY_STAFF, county="Outagamie"),
    Persona("brown.worker", "Ben", "Greenbay", Role.AGENCY_STAFF, county="Brown"),
    Persona(
        "menominee.worker",
        "Mika",
        "Keshena",
        Role.AGENCY_STAFF,
        tribe="Menominee Indian Tribe of Wisconsin",
    ),
    Persona("hub5.specialist", "Devon", "Southcentral", Role.HUB_SPECIALIST, hub=5),
    Persona("dane.worker", "Dana", "Madison", Role.AGENCY_STAFF, county="Dane"),
    Persona("accounts.admin", "Alex", "Accounts", None, staff=True, group=ACCOUNT_ADMIN_GROUP),
]
DEMO_RESOURCE_AGENCY_COUNTIES = ["Outagamie", "Brown", "Dane"]
DEMO_RESOURCE_AGENCY_TRIBES = ["Menominee Indian Tribe of Wisconsin"]


def reference_admin_group_ensure() -> Group:
    return _group_ensure(REFERENCE_ADMIN_GROUP, REFERENCE_ADMIN_PERMISSIONS)


def account_admin_group_ensure() -> Group:
    return _group_ensure(ACCOUNT_ADMIN_GROUP, ACCOUNT_ADMIN_PERMISSIONS)


def _group_ensure(name: str, permissions: list[str]) -> Group:
    group, _ = Group.objects.get_or_create(name=name)
    wanted = []
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(wanted)
    return group


@transaction.atomic
def personas_ensure(*, password: str) -> list[str]:
    """Create (or reset) the demo personas and their memberships; returns the usernames."""
    user_model = get_user_model()
    groups = {
        REFERENCE_ADMIN_GROUP: reference_admin_group_ensure(),
        ACCOUNT_ADMIN_GROUP: account_admin_group_ensure(),
    }
    Agency.objects.filter(
        kind=AgencyKind.COUNTY_HUMAN_SERVICES, county__name__in=DEMO_RESOURCE_AGENCY_COUNTIES
    ).update(is_resource_agency=True)
    Agency.objects.filter(
        kind=AgencyKind.TRIBAL_SOCIAL_SERVICES, tribe__name__in=DEMO_RESOURCE_AGENCY_TRIBES
    ).update(is_resource_agency=True)

    for persona in PERSONAS:
        user, _ = user_model.objects.get_or_create(username=persona.username)
        user.first_name, user.last_name = persona.first_name, persona.last_name
        user.email = f"{persona.username}@example.org"
        user.is_staff = persona.staff
        user.is_active = True  # resetting a persona reopens it
        user.set_password(password)
        user.save()
        if persona.group:
            user.groups.add(groups[persona.group])
        if persona.role is None:
            continue

        target: dict = {}
        if persona.hub is not None:
            target["hub"] = Hub.objects.get(region__number=persona.hub)
        elif persona.county is not None:
            target["agency"] = Agency.objects.get(
                kind=AgencyKind.COUNTY_HUMAN_SERVICES, county__name=persona.county
            )
        elif persona.tribe is not None:
            target["agency"] = Agency.objects.get(
                kind=AgencyKind.TRIBAL_SOCIAL_SERVICES, tribe__name=persona.tribe
            )
        if not Membership.objects.active().filter(user=user, role=persona.role, **target).exists():
            membership_grant(user=user, role=persona.role, **target)
    return [persona.username for persona in PERSONAS]
