from django.conf import settings
from django.urls import reverse

from regions.models import Role
from regions.selectors import primary_membership


def hubnet(request):
    """What the base layout needs on every page: mode, role, organisation and navigation."""
    membership = primary_membership(request.user) if hasattr(request, "user") else None
    return {
        "product_name": settings.SITE_NAME,
        "development_mode": settings.DEBUG,
        "membership": membership,
        "nav_links": _nav_links(membership),
    }


def _nav_links(membership) -> list[tuple[str, str]]:
    if membership is None:
        return []
    if membership.role == Role.HUB_SPECIALIST:
        return [
            ("Hub queue", reverse("cases:hub-queue")),
            ("Region cases", reverse("cases:list")),
            ("New referral", reverse("cases:referral-new")),
        ]
    if membership.role in (Role.AGENCY_STAFF, Role.AGENCY_SUPERVISOR):
        return [("Caseload", reverse("cases:list"))]
    return []
