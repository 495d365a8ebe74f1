"""Migration regions 0007: hub specialists already in place may manage their region's
trainings, as a membership granted from now on gives them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.regions.test_migration_tokens import back_to_the_latest_afterwards  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("regions", "0006_api_tokens_need_a_second_factor")]
AFTER = [("regions", "0007_manage_region_trainings")]


def test_hub_specialists_in_place_get_the_training_permission(
    personas,
    back_to_the_latest_afterwards,  # noqa: F811
):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    apps.get_model("regions", "RegionUserObjectPermission").objects.filter(
        permission__codename="manage_region_trainings"
    ).delete()
    apps.get_model("auth", "Permission").objects.filter(
        codename="manage_region_trainings"
    ).delete()

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    apps = executor.loader.project_state(AFTER).apps
    granted = apps.get_model("regions", "RegionUserObjectPermission").objects.filter(
        permission__codename="manage_region_trainings"
    )
    assert sorted(granted.values_list("user__username", "content_object__number")) == [
        ("hub2.specialist", 2),
        ("hub5.specialist", 5),
    ]
