from django.conf import settings

from regions.selectors import primary_membership


def hubnet(request):
    """What the base layout needs on every page: mode, and the user's role and organisation."""
    membership = primary_membership(request.user) if hasattr(request, "user") else None
    return {
        "product_name": settings.SITE_NAME,
        "development_mode": settings.DEBUG,
        "membership": membership,
    }
