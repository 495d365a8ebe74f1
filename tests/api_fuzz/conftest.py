"""The API fuzz run (schemathesis): `make fuzz`, and .ci/run. Not part of `make test`.

Its tests carry the `fuzz` marker and are deselected unless the marker expression names
it (`pytest -m fuzz`): they seed demo cases into the session's database, and a case's
timeline cannot be deleted afterwards.
"""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fuzz: schemathesis against /api/schema/ as every persona (make fuzz)"
    )


def pytest_collection_modifyitems(config, items):
    if "fuzz" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if item.get_closest_marker("fuzz") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
