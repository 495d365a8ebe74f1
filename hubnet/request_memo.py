"""What a GET request looks up about its user's rights, looked up once for the request.

A page asks "which regions, agencies and granted cases may this user see?" several times
(the header's unread count, the list, the step summaries), and "what are this user's
memberships?" (the header, the view's role check, the view): each answer is one to three
small queries. A GET or HEAD request changes no one's rights, so `RequestMemoMiddleware` keeps
the answers for that request only; the next request asks the database again, so a
membership ended or a grant revoked counts from the next page on, as it always has.
Any other method (POST, PATCH, ...) and anything outside a request (services, Celery
tasks, commands, tests calling selectors) memoises nothing.
"""

import contextvars
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_memo", default=None)
SAFE_METHODS = {"GET", "HEAD"}


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            return self.get_response(request)
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)


def in_request() -> bool:
    """Whether answers are being kept (inside a GET or HEAD request)."""
    return _memo.get() is not None


def memoised(key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, once per `key` within a GET or HEAD request; every time elsewhere.
    `key` names the question and whom it is about (e.g. ("visible", user.pk))."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]
