"""What every case page shares: who may use them, the door, and the list log."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from cases import access_log
from cases.models import AccessChannel
from cases.selectors import (
    get_case_for_user,
    log_denied_access,
    work_regions_of,
)
from hubnet.http import client_ip
from regions.models import CASE_ROLES, Role
from regions.selectors import memberships_held


def case_worker_required(view):
    """Case pages are for hub specialists and agency staff only.

    Anyone else (a state administrator, a user without membership) gets a
    friendly page saying why, and an attempt on a case is logged as denied.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        roles = {m.role for m in memberships_held(request.user)}
        if not roles.intersection(CASE_ROLES):
            if "case_id" in kwargs:
                log_denied_access(
                    request.user,
                    kwargs["case_id"],
                    channel=AccessChannel.PAGE,
                    ip_address=client_ip(request),
                )
            template = (
                "cases/state_admin_no_cases.html"
                if Role.STATE_ADMIN in roles
                else "cases/no_case_access.html"
            )
            return render(request, template, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def hub_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not work_regions_of(request.user):
            raise PermissionDenied("Only hub specialists log referrals and see the hub queue.")
        return view(request, *args, **kwargs)

    return wrapper


def door(request, case_id, *, write=False, channel=AccessChannel.PAGE):
    return get_case_for_user(
        request.user, case_id, write=write, channel=channel, ip_address=client_ip(request)
    )


def log_shown(request, cases, channel: str) -> None:
    """Log that these cases (or ids) were shown with the youth's name: exactly the rows the
    response renders, in the request's one insert."""
    access_log.record_many(
        cases, user=request.user, channel=channel, ip_address=client_ip(request)
    )
