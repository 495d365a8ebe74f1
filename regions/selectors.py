"""Reads about organisations that depend on who is asking."""

from django.contrib.auth.models import AbstractBaseUser

from regions.models import Membership, MembershipQuerySet, Role


def memberships_of(user: AbstractBaseUser) -> MembershipQuerySet:
    """The user's active memberships, organisations joined in, most specific first."""
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("agency__county", "agency__tribe", "agency__region", "hub__region")
        .order_by("role", "pk")
    )


ROLE_ORDER = [Role.STATE_ADMIN, Role.HUB_SPECIALIST, Role.AGENCY_SUPERVISOR, Role.AGENCY_STAFF]


def primary_membership(user: AbstractBaseUser) -> Membership | None:
    """The membership that decides the user's home page and header (widest role first)."""
    if not user.is_authenticated:
        return None
    memberships = list(memberships_of(user))
    memberships.sort(key=lambda m: ROLE_ORDER.index(m.role))
    return memberships[0] if memberships else None
