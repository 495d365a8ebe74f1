"""The textbook baseline: django-guardian per-object permissions.

HubNet puts permissions on agencies and regions and finds a user's cases from them
(`cases_visible_to`). The textbook alternative grants `view_case` on every case to every
user who may see it: one `UserObjectPermission` row per case per user (or per group).
Here a stand-in user gets exactly the caseload of a real one, as user rows and as group
rows, and the same three questions are timed both ways: a page of 50, the count, and the
ordered list of every id. Also counted: the permission rows the baseline would need for
every staff member at this scale.
"""

import statistics
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.shortcuts import get_objects_for_user

from cases.models import Case
from cases.selectors import cases_visible_to
from regions.models import AgencyUserObjectPermission, Membership, RegionUserObjectPermission

STAND_IN = "bench.guardian"
STAND_IN_GROUP = "bench.guardian.group"
JOINED = ("youth__county", "youth__tribe", "referral", "region", "county", "agency")


def _grant_caseload(of: AbstractBaseUser) -> tuple[AbstractBaseUser, AbstractBaseUser]:
    """Stand-ins holding `of`'s caseload as per-object rows: one by user rows, one by a
    group's. Made afresh each run (the caseload may have grown)."""
    users = get_user_model()
    permission = Permission.objects.get(codename="view_case", content_type__app_label="cases")
    content_type = ContentType.objects.get_for_model(Case)
    ids = [str(pk) for pk in cases_visible_to(of).values_list("pk", flat=True)]
    with transaction.atomic():
        by_user, _ = users.objects.get_or_create(username=STAND_IN)
        by_group, _ = users.objects.get_or_create(username=f"{STAND_IN}.member")
        group, _ = Group.objects.get_or_create(name=STAND_IN_GROUP)
        by_group.groups.set([group])
        UserObjectPermission.objects.filter(user=by_user).delete()
        GroupObjectPermission.objects.filter(group=group).delete()
        UserObjectPermission.objects.bulk_create(
            (
                UserObjectPermission(
                    user=by_user, permission=permission, content_type=content_type, object_pk=pk
                )
                for pk in ids
            ),
            batch_size=5000,
        )
        GroupObjectPermission.objects.bulk_create(
            (
                GroupObjectPermission(
                    group=group, permission=permission, content_type=content_type, object_pk=pk
                )
                for pk in ids
            ),
            batch_size=5000,
        )
    return by_user, by_group


def _median_ms(call: Callable[[], object], runs: int) -> float:
    call()  # warm
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def _questions(queryset) -> dict[str, Callable[[], object]]:
    ordered = queryset.order_by("-opened_at", "-id")
    return {
        "page of 50": lambda: list(ordered.select_related(*JOINED)[:50]),
        "count": lambda: ordered.count(),
        "every id, ordered": lambda: list(ordered.values_list("pk", flat=True)),
    }


def permission_rows_needed() -> int:
    """The baseline's `view_case` rows for every active staff member now: one per case
    each may see."""
    users = get_user_model().objects.filter(
        pk__in=Membership.objects.active().values("user_id"), is_active=True
    )
    return sum(cases_visible_to(user).order_by().count() for user in users)


def compare(of: AbstractBaseUser, runs: int = 15) -> dict:
    """HubNet's door against guardian's, for `of`'s caseload: median ms per question, and
    the baseline's rows."""
    by_user, by_group = _grant_caseload(of)
    perm = "cases.view_case"
    ways = {
        "hubnet": cases_visible_to(of),
        "guardian_user": get_objects_for_user(
            by_user, perm, klass=Case, accept_global_perms=False, with_superuser=False
        ),
        "guardian_group": get_objects_for_user(
            by_group, perm, klass=Case, accept_global_perms=False, with_superuser=False
        ),
    }
    caseload = ways["hubnet"].count()
    results = {}
    for name, queryset in ways.items():
        found = queryset.count()
        if found != caseload:
            raise AssertionError(f"{name} sees {found} cases, not {caseload}")
        results[name] = {
            question: round(_median_ms(call, runs), 2)
            for question, call in _questions(queryset).items()
        }
    return {
        "user": of.get_username(),
        "caseload": caseload,
        "median_ms": results,
        "ratio_guardian_user_to_hubnet": {
            question: round(results["guardian_user"][question] / results["hubnet"][question], 2)
            for question in results["hubnet"]
        },
        "ratio_guardian_group_to_hubnet": {
            question: round(results["guardian_group"][question] / results["hubnet"][question], 2)
            for question in results["hubnet"]
        },
        "baseline_rows_for_this_user": caseload,
        "baseline_rows_for_all_staff": permission_rows_needed(),
        # HubNet's rows: a user's permissions on their agencies and regions.
        "hubnet_permission_rows": AgencyUserObjectPermission.objects.count()
        + RegionUserObjectPermission.objects.count(),
    }
