"""Writing the case access log: once per request, with the request's outcome.

Every look at a case is recorded here: one case opened (`record`, from cases.selectors)
and every list, queue, search or match that shows youth's names (`record_many`, one row
per case shown: the page shown, not the whole query). During a request the rows wait
until the response is known and are then written in one bulk insert, so that

- a request answered 403 is logged as refused, even when the case was fetched before
  the refusal was decided (a hub-only action, the access log, asked for by agency
  staff): a row is written once, with its outcome, and never updated afterwards; and
- a list that shows a hundred youth writes a hundred rows in one query.

Outside a request (a Celery task, a command) rows are written at once.

The rows are never changed or deleted afterwards; the database refuses it (cases.audit).
"""

import contextvars
from collections.abc import Iterable

from django.utils import timezone

from cases.models import CaseAccess

_pending: contextvars.ContextVar[list[CaseAccess] | None] = contextvars.ContextVar(
    "case_access_pending", default=None
)


def record(*, case_id, user, channel: str, granted: bool, ip_address: str | None) -> None:
    """One look at one case (cases.selectors), granted or refused."""
    record_many([case_id], user=user, channel=channel, granted=granted, ip_address=ip_address)


def record_many(
    cases: Iterable, *, user, channel: str, ip_address: str | None, granted: bool = True
) -> None:
    """One row for each case shown to `user` (cases or their ids; each case once), in the
    request's one insert. For lists: pass exactly the rows rendered."""
    at = timezone.now()
    rows = [
        CaseAccess(
            case_id=case_id,
            user=user,
            channel=channel,
            granted=granted,
            ip_address=ip_address,
            at=at,
        )
        for case_id in dict.fromkeys(getattr(case, "pk", case) for case in cases)
    ]
    if not rows:
        return
    pending = _pending.get()
    if pending is None:
        CaseAccess.objects.bulk_create(rows)
    else:
        pending.extend(rows)


class AccessLogMiddleware:
    """Holds the request's access-log rows and writes them with its outcome."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _pending.set([])
        refused = False
        try:
            response = self.get_response(request)
            refused = response.status_code == 403
        finally:
            rows = _pending.get() or []
            _pending.reset(token)
            if refused:
                for row in rows:
                    row.granted = False
            if rows:
                CaseAccess.objects.bulk_create(rows)
        return response
