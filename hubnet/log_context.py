"""What every log line says about where it came from, and nothing about whom it is about.

- `RequestContextMiddleware` gives each request an id (the proxy's `X-Request-ID` when it
  is a plain token, else a new one; sent back in the response) and notes the signed-in
  user's id and, on a case's pages and API, the case's id.
- `ContextFilter` adds `request_id`, `user_id` and `case_id` to every record logged while
  the request runs (Celery tasks and commands log without them).
- `JsonFormatter` writes one JSON object a line (production: LOG_FORMAT=json, the default
  with DEBUG off). An exception is its type and where it was raised, never its message:
  messages can quote what someone typed (a name in a refused field, a database error's
  DETAIL with a row's values).

Nothing here reads a youth's record. The request's path is not logged with its query
string (a search for a name would put the name in the log); gunicorn's access log is
set up the same way (docker-compose.yml).
"""

import contextvars
import datetime
import json
import logging
import re
import traceback
import uuid

from django.core.signals import request_finished

_request_id = contextvars.ContextVar("request_id", default=None)
_user_id = contextvars.ContextVar("user_id", default=None)
_case_id = contextvars.ContextVar("case_id", default=None)
TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CASE_ROUTES = {"cases", "case", "case-detail"}  # URL names' prefixes of a case's pages


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if TOKEN.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        # Set for the request and kept until it has finished: Django logs a 4xx or 5xx
        # answer after the middleware returned it (`request_finished` clears them).
        _request_id.set(request_id)
        _user_id.set(None)
        _case_id.set(None)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            _user_id.set(user.pk)
        case_id = view_kwargs.get("case_id")
        match = request.resolver_match
        if case_id is None and match is not None and _is_case_route(match):
            case_id = view_kwargs.get("pk")
        if case_id is not None:
            _case_id.set(str(case_id))


def clear(**kwargs) -> None:
    """When a request has finished: what follows in this thread is no request's."""
    _request_id.set(None)
    _user_id.set(None)
    _case_id.set(None)


request_finished.connect(clear, dispatch_uid="hubnet.log_context.clear")


def _is_case_route(match) -> bool:
    name = match.url_name or ""
    return match.app_name == "cases" or name.startswith("case-") or name.startswith("case_")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        record.user_id = _user_id.get()
        record.case_id = _case_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
            "case_id": getattr(record, "case_id", None),
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, trace = record.exc_info
            entry["exception"] = {
                "type": f"{kind.__module__}.{kind.__qualname__}",
                "at": [
                    f"{frame.filename}:{frame.lineno} in {frame.name}"
                    for frame in traceback.extract_tb(trace)[-8:]
                ],
            }
        return json.dumps(entry, default=str)
