"""The signed-in user's notifications (deadline alerts), and opening one at its step."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cases.selectors import (
    NOTIFICATION_FILTERS,
    notification_counts,
    notification_to_open,
    notifications_of,
    unread_notifications_of,
)
from cases.steps import humanize_delta, step_state
from hubnet.http import client_ip

PAGE_SIZE = 50
ONE_MINUTE = datetime.timedelta(minutes=1)


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's own notifications about cases they can see, grouped by case, one page at
    a time. The notices name cases by number only: no youth's name, so no access-log row."""
    show = request.GET.get("show", "all")
    if show not in NOTIFICATION_FILTERS:
        show = "all"
    now = timezone.now()
    page = Paginator(notifications_of(request.user, show=show, now=now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for notice in page:
        notice.step_state = step_state(notice.alert.step, now)
        late_by = notice.step_state.late_by
        notice.late_by = humanize_delta(late_by) if late_by and late_by >= ONE_MINUTE else ""
    counts = notification_counts(request.user, now)
    return render(
        request,
        "cases/notifications.html",
        {
            "page": page,
            "show": show,
            "filters": [(key, label, counts[key]) for key, label in NOTIFICATION_FILTERS.items()],
            "unread": counts["unread"],
        },
    )


@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the user's notifications read and go to the step it is about: a link, so
    it opens in a new tab too. The case page itself goes through the door and logs the look."""
    notice = notification_to_open(request.user, notification_id, ip_address=client_ip(request))
    if notice.read_at is None:
        unread_notifications_of(request.user).filter(pk=notice.pk).update(read_at=timezone.now())
    detail = reverse("cases:detail", args=[notice.case_id])
    return redirect(f"{detail}#step-{notice.alert.step.definition.key}")


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    marked = unread_notifications_of(request.user).update(read_at=timezone.now())
    if marked:
        messages.success(
            request, f"{marked} notification{'' if marked == 1 else 's'} marked as read."
        )
    return redirect("cases:notifications")
