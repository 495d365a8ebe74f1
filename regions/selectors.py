"""Reads about organisations that depend on who is asking."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from hubnet.request_memo import memoised
from regions.models import (
    AccessChange,
    Agency,
    Hub,
    Membership,
    MembershipQuerySet,
    Provider,
    Region,
    Role,
)
from regions.services import may_administer_accounts


def memberships_of(user: AbstractBaseUser) -> MembershipQuerySet:
    """The user's active memberships, organisations joined in, most specific first."""
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("agency__county", "agency__tribe", "agency__region", "hub__region")
        .order_by("role", "pk")
    )


def memberships_held(user: AbstractBaseUser) -> tuple[Membership, ...]:
    """`memberships_of(user)`, read once a GET request (the header, the view's role check and
    the view itself each ask): see hubnet.request_memo."""
    if not user.is_authenticated:
        return ()
    return memoised(("memberships", user.pk), lambda: tuple(memberships_of(user)))


ROLE_ORDER = [Role.STATE_ADMIN, Role.HUB_SPECIALIST, Role.AGENCY_SUPERVISOR, Role.AGENCY_STAFF]


def primary_membership(user: AbstractBaseUser) -> Membership | None:
    """The membership that decides the user's home page and header (widest role first)."""
    memberships = sorted(memberships_held(user), key=lambda m: ROLE_ORDER.index(m.role))
    return memberships[0] if memberships else None


# ----------------------------------------------------------------------------- people


def _granting_region_ids(user: AbstractBaseUser):
    return (
        Membership.objects.active()
        .filter(user=user, role=Role.HUB_SPECIALIST)
        .values("hub__region_id")
    )


def people_visible_to(user: AbstractBaseUser):
    """Accounts `user` may see on the People pages: every account for an account
    administrator; for a hub specialist, everyone who holds or held a membership in
    the region (its hub or its agencies). Nobody else sees people."""
    users = get_user_model().objects.order_by("last_name", "first_name", "username")
    if may_administer_accounts(user):
        return users
    regions = _granting_region_ids(user)
    in_region = Membership.objects.filter(
        Q(hub__region_id__in=regions) | Q(agency__region_id__in=regions), user=OuterRef("pk")
    )
    return users.filter(Exists(in_region))


def access_changes_visible_to(user: AbstractBaseUser) -> QuerySet[AccessChange]:
    """Who gave or took whose access, newest first: all of it for an account administrator,
    the changes touching their region's cases for a hub specialist."""
    changes = AccessChange.objects.select_related(
        "actor", "subject", "agency", "hub__region", "region"
    ).order_by("-at", "-id")
    if may_administer_accounts(user):
        return changes
    return changes.filter(region_id__in=_granting_region_ids(user))


def memberships_in_view(user: AbstractBaseUser, subject=None) -> MembershipQuerySet:
    """Memberships (active and ended; of `subject`, or anyone's) that `user` may see: all
    of them for an account administrator, those in the hub specialist's regions otherwise."""
    memberships = Membership.objects.select_related(
        "user", "agency__region", "hub__region", "granted_by", "revoked_by"
    ).order_by("revoked_at", "-granted_at")
    if subject is not None:
        memberships = memberships.filter(user=subject)
    if may_administer_accounts(user):
        return memberships
    regions = _granting_region_ids(user)
    return memberships.filter(Q(hub__region_id__in=regions) | Q(agency__region_id__in=regions))


def grantable_access(user: AbstractBaseUser) -> list[tuple[str, list[tuple[str, str]]]]:
    """What `user` may give, as grouped (value, label) choices for one select:
    `hub_specialist:hub:<id>`, `agency_staff:agency:<id>`, `state_admin`..."""
    if may_administer_accounts(user):
        regions = Region.objects.all()
    else:
        regions = Region.objects.filter(pk__in=_granting_region_ids(user))
    hubs = {h.region_id: h for h in Hub.objects.filter(region__in=regions)}
    agencies = Agency.objects.filter(region__in=regions).order_by("region__number", "name")
    groups: dict[int, list[tuple[str, str]]] = {}
    for region in regions:
        hub = hubs.get(region.pk)
        if hub:
            groups.setdefault(region.pk, []).append(
                (f"{Role.HUB_SPECIALIST}:hub:{hub.pk}", f"Hub specialist, {hub}")
            )
    for agency in agencies:
        for role in (Role.AGENCY_STAFF, Role.AGENCY_SUPERVISOR):
            groups.setdefault(agency.region_id, []).append(
                (f"{role}:agency:{agency.pk}", f"{Role(role).label}, {agency.name}")
            )
    choices = [(str(region), groups.get(region.pk, [])) for region in regions]
    if may_administer_accounts(user):
        choices.append(("Statewide", [(Role.STATE_ADMIN.value, Role.STATE_ADMIN.label)]))
    return choices


# ------------------------------------------------------------------- resource directory

MANAGE_DIRECTORY = "regions.manage_region_directory"


def providers_visible_to(user: AbstractBaseUser) -> QuerySet[Provider]:
    """The resource directory (it holds no youth data): every region's providers for
    anyone signed in and active, none otherwise; what a list shows joined in."""
    providers = Provider.objects.select_related("region", "agency").prefetch_related(
        "service_types", "counties", "tribes"
    )
    if user is None or not user.is_authenticated or not user.is_active:
        return providers.none()
    return providers


def directory_regions_managed_by(user: AbstractBaseUser) -> list[Region]:
    """The regions whose directory `user` keeps: their hubs' (the region permission
    `manage_region_directory`, granted with a hub membership; never by being superuser)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return list(
        get_objects_for_user(
            user, MANAGE_DIRECTORY, klass=Region, accept_global_perms=False, with_superuser=False
        ).order_by("number")
    )


def may_manage_directory(user: AbstractBaseUser, region: Region) -> bool:
    return any(r.pk == region.pk for r in directory_regions_managed_by(user))


def get_provider_for_user(user: AbstractBaseUser, provider_id: int, *, write: bool = False):
    """The one door to a directory entry: not visible -> 404; `write` and not one of its
    region's hub specialists -> 403."""
    provider = providers_visible_to(user).filter(pk=provider_id).first()
    if provider is None:
        raise Http404("No such provider.")
    if write and not may_manage_directory(user, provider.region):
        raise PermissionDenied(
            f"Only the hub specialists of {provider.region} keep its directory."
        )
    return provider
