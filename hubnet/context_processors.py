from django.conf import settings
from django.urls import reverse

from regions.models import Role
from regions.selectors import primary_membership
from regions.services import granting_regions, may_administer_accounts


def hubnet(request):
    """What the base layout needs on every page: mode, role, organisation and navigation."""
    user = getattr(request, "user", None)
    membership = primary_membership(user) if user is not None else None
    unread = 0
    if membership is not None and membership.role != Role.STATE_ADMIN:
        unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "product_name": settings.SITE_NAME,
        "development_mode": settings.DEBUG,
        "membership": membership,
        "nav_links": _nav_links(membership) + _people_link(user),
        "unread_notifications": unread,
    }


def _people_link(user) -> list[tuple[str, str]]:
    if user is None or not (may_administer_accounts(user) or granting_regions(user)):
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
        ]
    if membership.role in (Role.AGENCY_STAFF, Role.AGENCY_SUPERVISOR):
        return [
            ("Caseload", reverse("cases:list")),
            ("Notifications", reverse("cases:notifications")),
            ("Dashboard", reverse("dashboards:region", args=[membership.agency.region.number])),
        ]
    return [("Rollup runs", reverse("dashboards:runs"))]
