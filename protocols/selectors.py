from protocols.models import ProtocolVersion, VersionStatus
from regions.models import Region


def protocol_for_region(region: Region) -> ProtocolVersion | None:
    """The version new cases in `region` start on: the region's published version,
    else the statewide one."""
    published = ProtocolVersion.objects.filter(status=VersionStatus.PUBLISHED)
    return published.filter(region=region).first() or published.filter(region__isnull=True).first()


def protocol_versions():
    """All versions with their steps and fields, for reading (the API, the admin)."""
    return ProtocolVersion.objects.select_related("region").prefetch_related("steps__fields")
