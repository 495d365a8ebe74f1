"""Migrations regions 0007 and 0009: hub specialists already in place may manage their
region's trainings, and keep its resource directory, as a membership granted from now on
gives them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.regions.test_migration_tokens import back_to_the_latest_afterwards  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("before", "after", "codename"),
    [
        (
            "0006_api_tokens_need_a_second_factor",
            "0007_manage_region_trainings",
            "manage_region_trainings",
        ),
        ("0008_late_record_trigger", "0009_resource_directory", "manage_region_directory"),
    ],
)
def test_hub_specialists_in_place_get_the_new_permission(
    personas,
    back_to_the_latest_afterwards,  # noqa: F811
    before,
    after,
    codename,
):
    BEFORE, AFTER = [("regions", before)], [("regions", after)]
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    apps.get_model("regions", "RegionUserObjectPermission").objects.filter(
        permission__codename=codename
    ).delete()
    apps.get_model("auth", "Permission").objects.filter(codename=codename).delete()

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    apps = executor.loader.project_state(AFTER).apps
    granted = apps.get_model("regions", "RegionUserObjectPermission").objects.filter(
        permission__codename=codename
    )
    assert sorted(granted.values_list("user__username", "content_object__number")) == [
        ("hub2.specialist", 2),
        ("hub5.specialist", 5),
    ]
