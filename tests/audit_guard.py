"""Emptying the test database past the audit's append-only triggers.

After a transactional test (and the browser tests' live server) Django empties the
database with `flush`: DELETE FROM every table on SQLite, TRUNCATE on PostgreSQL. The
access log and the timeline refuse both (cases.audit), as they must everywhere else, so
here, and only here, `flush` runs inside `audit_rewrite_allowed()`.
"""

import pytest
from django.core.management.commands import flush

from cases.audit import audit_rewrite_allowed


@pytest.fixture(scope="session", autouse=True)
def flush_may_empty_the_audit():
    original = flush.Command.handle

    def handle(self, *args, **options):
        with audit_rewrite_allowed():
            return original(self, *args, **options)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush.Command, "handle", handle)
        yield
