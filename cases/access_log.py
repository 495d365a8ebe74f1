"""Writing the case access log: once per request, with the request's outcome.

Every look at a case (cases.selectors) is recorded here. During a request the rows wait
until the response is known and are then written in one bulk insert, so that

- a request answered 403 is logged as refused, even when the case was fetched before
  the refusal was decided (a hub-only action, the access log, asked for by agency
  staff): a row is written once, with its outcome, and never updated afterwards; and
- a list that shows a hundred youth writes a hundred rows in one query.

Outside a request (a Celery task, a command) a row is written at once.
"""

import contextvars

from django.utils import timezone

from cases.models import CaseAccess

_pending: contextvars.ContextVar[list[CaseAccess] | None] = contextvars.ContextVar(
    "case_access_pending", default=None
)


def record(*, case_id, user, channel: str, granted: bool, ip_address: str | None) -> None:
    row = CaseAccess(
        case_id=case_id,
        user=user,
        channel=channel,
        granted=granted,
        ip_address=ip_address,
        at=timezone.now(),
    )
    pending = _pending.get()
    if pending is None:
        row.save()
    else:
        pending.append(row)


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
