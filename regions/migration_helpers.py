"""What data migrations share. Historical models only (passed in as `apps`)."""


def hub_specialists_grant(apps, codename: str, name: str) -> None:
    """Give the hub specialists already in place a new permission on their hub's region,
    as regions.services.ROLE_GRANTS does with every new membership. (On a new database
    there are none yet; the permission row itself is made here, since post_migrate, which
    creates permissions, runs after the migrations.)"""
    Membership = apps.get_model("regions", "Membership")
    holders = Membership.objects.filter(revoked_at__isnull=True, role="hub_specialist")
    if not holders.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Grant = apps.get_model("regions", "RegionUserObjectPermission")
    content_type, _ = ContentType.objects.get_or_create(app_label="regions", model="region")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    for user_id, region_id in holders.values_list("user_id", "hub__region_id"):
        Grant.objects.get_or_create(
            user_id=user_id, permission=permission, content_object_id=region_id
        )
