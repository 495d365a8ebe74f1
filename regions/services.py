"""Writes to the organisation data. Every membership change goes through here.

Guardian object permissions are derived data: they are recomputed from the
user's active memberships after each grant or revoke, in the same transaction,
so two memberships giving the same permission never step on each other and a
revoke never leaves a stray permission behind.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from regions.models import (
    Agency,
    AgencyUserObjectPermission,
    County,
    Hub,
    Membership,
    Provenance,
    Region,
    RegionUserObjectPermission,
    Role,
)


@dataclass(frozen=True)
class RoleGrant:
    target: str | None  # "agency", "region" or None for a global permission
    codenames: tuple[str, ...]


ROLE_GRANTS: dict[str, RoleGrant] = {
    Role.HUB_SPECIALIST: RoleGrant("region", ("view_region_cases", "work_region_cases")),
    Role.AGENCY_STAFF: RoleGrant("agency", ("view_agency_cases", "work_agency_cases")),
    Role.AGENCY_SUPERVISOR: RoleGrant(
        "agency", ("view_agency_cases", "work_agency_cases", "supervise_agency")
    ),
    Role.STATE_ADMIN: RoleGrant(None, ("view_statewide_dashboard",)),
}
MANAGED_CODENAMES = {codename for grant in ROLE_GRANTS.values() for codename in grant.codenames}


def membership_grant(
    *,
    user: AbstractBaseUser,
    role: str,
    agency: Agency | None = None,
    hub: Hub | None = None,
    granted_by: AbstractBaseUser | None = None,
) -> Membership:
    """Make `user` a member with `role` and give them the role's object permissions.

    Raises ValidationError for a role/target mismatch or a duplicate active
    membership; nothing is written then.
    """
    with transaction.atomic():
        _lock_user(user)
        membership = Membership(
            user=user, role=role, agency=agency, hub=hub, granted_by=granted_by
        )
        membership.full_clean()
        membership.save()
        _permissions_sync(user)
    return membership


def membership_revoke(
    *, membership: Membership, revoked_by: AbstractBaseUser | None = None
) -> Membership:
    """End a membership (the row stays as the record) and withdraw what only it granted."""
    with transaction.atomic():
        _lock_user(membership.user)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.revoked_at is not None:
            raise ValidationError("This membership was already revoked.")
        membership.revoked_at = timezone.now()
        membership.revoked_by = revoked_by
        membership.save(update_fields=["revoked_at", "revoked_by"])
        _permissions_sync(membership.user)
    return membership


def _lock_user(user: AbstractBaseUser) -> None:
    # Serialises concurrent membership changes of one user (no-op on SQLite,
    # which serialises writers anyway).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def _permissions_sync(user: AbstractBaseUser) -> None:
    """Make the user's managed permissions exactly what their active memberships grant."""
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="regions", codename__in=MANAGED_CODENAMES
        )
    }
    wanted_agency: set[tuple[int, str]] = set()
    wanted_region: set[tuple[int, str]] = set()
    wanted_global: set[str] = set()
    for membership in Membership.objects.active().filter(user=user).select_related("hub"):
        grant = ROLE_GRANTS[membership.role]
        for codename in grant.codenames:
            if grant.target == "agency":
                wanted_agency.add((membership.agency_id, codename))
            elif grant.target == "region":
                wanted_region.add((membership.hub.region_id, codename))
            else:
                wanted_global.add(codename)

    _object_permissions_sync(AgencyUserObjectPermission, user, wanted_agency, permissions)
    _object_permissions_sync(RegionUserObjectPermission, user, wanted_region, permissions)

    current_global = set(
        user.user_permissions.filter(
            content_type__app_label="regions", codename__in=MANAGED_CODENAMES
        ).values_list("codename", flat=True)
    )
    user.user_permissions.add(*(permissions[c] for c in wanted_global - current_global))
    user.user_permissions.remove(*(permissions[c] for c in current_global - wanted_global))
    # Django and guardian cache permissions on the user object.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_guardian_perms_cache"):
        user.__dict__.pop(cache, None)


def _object_permissions_sync(model, user, wanted: set[tuple[int, str]], permissions) -> None:
    rows = model.objects.filter(user=user, permission__codename__in=MANAGED_CODENAMES)
    current = {
        (object_id, codename): pk
        for pk, object_id, codename in rows.values_list(
            "pk", "content_object_id", "permission__codename"
        )
    }
    stale = [pk for key, pk in current.items() if key not in wanted]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    model.objects.bulk_create(
        model(user=user, permission=permissions[codename], content_object_id=object_id)
        for object_id, codename in wanted - current.keys()
    )


def hub_host_assign(*, hub: Hub, host_agency: Agency | None, provisional: bool) -> Hub:
    """Record which agency hosts a hub (an administrator's decision, not code)."""
    if host_agency is not None and host_agency.region_id != hub.region_id:
        raise ValidationError({"host_agency": "The host agency must be in the hub's region."})
    hub.host_agency = host_agency
    hub.provisional = provisional
    hub.save(update_fields=["host_agency", "provisional"])
    return hub


def county_region_assign(*, county: County, region: Region) -> bool:
    """Put a county (and the agencies serving it) in `region`, as decided by the task force.

    Returns whether the county changed region. The county's provenance becomes
    "set by the task force" either way.
    """
    with transaction.atomic():
        locked = County.objects.select_for_update().get(pk=county.pk)
        moved = locked.region_id != region.pk
        if moved:
            Agency.objects.filter(county=locked).update(region=region)
        if moved or locked.region_assignment != Provenance.TASK_FORCE:
            locked.region = region
            locked.region_assignment = Provenance.TASK_FORCE
            locked.save(update_fields=["region", "region_assignment"])
    county.region, county.region_assignment = region, Provenance.TASK_FORCE
    return moved
