"""The default Wisconsin Response Protocol ships as data (protocols/data/)."""

import json
from pathlib import Path

from protocols.models import ProtocolVersion
from protocols.services import protocol_version_load

DEFAULT_PROTOCOL = Path(__file__).resolve().parent / "data" / "wisconsin_default.json"


def default_protocol_load() -> int:
    """Load and publish the statewide default protocol unless a statewide version exists.

    Never touches an existing version: later changes are new versions made by
    administrators. Returns how many versions were created (0 or 1).
    """
    if ProtocolVersion.objects.filter(region__isnull=True).exists():
        return 0
    protocol_version_load(json.loads(DEFAULT_PROTOCOL.read_text(encoding="utf-8")))
    return 1
