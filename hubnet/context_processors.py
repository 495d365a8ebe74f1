import time

from django.conf import settings
from django.urls import reverse

from cases.selectors import unread_notifications_of
from hubnet.mfa import is_verified
from hubnet.sessions import session_ends
from regions.models import CASE_ROLES, Role
from regions.selectors import memberships_held, primary_membership
from regions.services import may_administer_accounts


def hubnet(request):
    """What the base layout needs on every page: mode, role, organisation and navigation."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated and is_verified(user)
    if not signed_in:  # no password yet, or the second factor not yet verified
        return {
            "product_name": settings.SITE_NAME,
            "development_mode": settings.DEBUG,
            "signed_in": False,
            "mfa_demo_exempt": settings.DEBUG and settings.MFA_DEMO_PERSONAS_EXEMPT,
        }
    membership = primary_membership(user)
    works_cases = membership is not None and membership.role in CASE_ROLES
    # Only notifications about cases the user can still see: one query, whatever the count.
    unread = unread_notifications_of(user).count() if works_cases else 0
    return {
        "product_name": settings.SITE_NAME,
        "development_mode": settings.DEBUG,
        "membership": membership,
        # The resource directory: for everyone in the network, after their own links.
        "nav_links": _nav_links(membership)
        + ([("Directory", reverse("directory:list"))] if membership else [])
        + _people_link(user),
        "unread_notifications": unread,
        "case_search": works_cases,  # the header's search box: through the door, like the list
        "signed_in": True,
        "session": _session_timing(request),
    }


def _session_timing(request) -> dict | None:
    """Seconds left before the session ends, for the page's warning (static/js/session.js)."""
    ends = session_ends(request)
    if ends is None:
        return None
    now = time.time()
    return {
        "idle_left": max(0, int(ends["idle"] - now)),
        "absolute_left": max(0, int(ends["absolute"] - now)),
        "idle_timeout": settings.SESSION_IDLE_TIMEOUT,
        "warning": settings.SESSION_IDLE_WARNING,
    }


def _people_link(user) -> list[tuple[str, str]]:
    # Hub specialists give case roles in their regions (what `granting_regions` asks, read
    # here from the memberships the header already has).
    gives_roles = any(m.role == Role.HUB_SPECIALIST for m in memberships_held(user))
    if not (gives_roles or may_administer_accounts(user)):
        return []
    return [("People", reverse("people:list"))]


def _nav_links(membership) -> list[tuple[str, str]]:
    if membership is None:
        return []
    if membership.role == Role.HUB_SPECIALIST:
        return [
            ("Hub queue", reverse("cases:hub-queue")),
            ("Region cases", reverse("cases:list")),
            ("New referral", reverse("cases:referral-new")),
            ("Notifications", reverse("cases:notifications")),
            ("Dashboard", reverse("dashboards:region", args=[membership.hub.region.number])),
            ("Resource gaps", reverse("cases:gaps-region", args=[membership.hub.region.number])),
            ("Trainings", reverse("training:list")),
        ]
    if membership.role in (Role.AGENCY_STAFF, Role.AGENCY_SUPERVISOR):
        return [
            ("Caseload", reverse("cases:list")),
            ("Notifications", reverse("cases:notifications")),
            ("Dashboard", reverse("dashboards:region", args=[membership.agency.region.number])),
            ("Trainings", reverse("training:list")),
        ]
    return [
        ("Rollup runs", reverse("dashboards:runs")),
        ("Resource gaps", reverse("cases:gaps-state")),
        ("Trainings", reverse("training:list")),
    ]
