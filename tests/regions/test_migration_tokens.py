"""Migration regions 0006: API tokens of accounts without a second factor end."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("regions", "0005_access_change_security_kinds"),
    ("knox", "0009_extend_authtoken_field"),
    ("otp_totp", "0003_add_timestamps"),
]
AFTER = [("regions", "0006_api_tokens_need_a_second_factor")]


@pytest.fixture
def back_to_the_latest_afterwards():
    """Whatever happens, the database ends at the latest migrations (the tests after this
    one need every table)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_tokens_of_accounts_without_a_second_factor_end(personas, back_to_the_latest_afterwards):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("auth", "User")
    AuthToken = apps.get_model("knox", "AuthToken")
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    enrolled = User.objects.get(username="outagamie.worker")
    bare = User.objects.get(username="brown.worker")
    TOTPDevice.objects.create(user=enrolled, name="phone", confirmed=True, key="00" * 20)
    for user, key in ((enrolled, "aaaaaaaa"), (bare, "bbbbbbbb")):
        AuthToken.objects.create(user=user, digest=key * 16, token_key=key, expiry=None)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    apps = executor.loader.project_state(AFTER).apps
    left = apps.get_model("knox", "AuthToken").objects.values_list("user__username", flat=True)
    assert list(left) == ["outagamie.worker"]
