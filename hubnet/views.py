import datetime

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.selectors import cases_visible_to, hub_queue_counts, overdue_step_counts
from regions import dashboard_views
from regions.models import AccessChangeKind, Agency, Role
from regions.selectors import access_changes_visible_to, primary_membership
from regions.services import may_administer_accounts

NEW_ACCESS_WINDOW = datetime.timedelta(days=30)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own home page; a user with no membership is told so."""
    membership = primary_membership(request.user)
    if membership is None:
        if may_administer_accounts(request.user):
            changes = access_changes_visible_to(request.user)
            return render(request, "home/account_admin.html", {"changes": changes[:10]})
        return render(request, "home/no_membership.html")
    if membership.role == Role.STATE_ADMIN:
        return dashboard_views.overview(request)
    if membership.role == Role.HUB_SPECIALIST:
        region = membership.hub.region
        agencies = Agency.objects.filter(region=region).select_related("county", "tribe")
        return render(
            request,
            "home/hub_specialist.html",
            {
                "region": region,
                "hub": membership.hub,
                "counties": region.counties.all(),
                "tribes": region.tribes.all(),
                "resource_agencies": agencies.filter(is_resource_agency=True),
                "agency_count": agencies.count(),
                "queue": hub_queue_counts(request.user),
                "overdue": overdue_step_counts(request.user, timezone.now()),
                "new_access": access_changes_visible_to(request.user)
                .filter(kind=AccessChangeKind.GRANTED, at__gte=timezone.now() - NEW_ACCESS_WINDOW)
                .count(),
            },
        )
    caseload = cases_visible_to(request.user).filter(agency=membership.agency)
    counts = dict(
        caseload.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return render(request, "home/agency.html", {"agency": membership.agency, "counts": counts})


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the proxy's and the orchestrator's health checks: can this process reach the
    database and (when one is configured) the Celery broker? 200 or 503, naming which
    part is down and nothing else."""
    parts = {"database": _database_up(), "broker": _broker_up()}
    down = [name for name, up in parts.items() if up is False]
    body = {"status": "unavailable" if down else "ok", "down": down}
    return JsonResponse(body, status=503 if down else 200)


def _database_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True


def _broker_up() -> bool | None:
    """None when tasks run in-process (no broker to reach)."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False
