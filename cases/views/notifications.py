"""The signed-in user's notifications."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cases.selectors import (
    notifications_of,
)


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own notifications (deadline alerts)."""
    notices = list(notifications_of(request.user)[:200])
    return render(request, "cases/notifications.html", {"notices": notices})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, "All notifications marked as read.")
    return redirect("cases:notifications")
