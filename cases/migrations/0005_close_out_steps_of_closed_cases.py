"""Steps still to do on cases closed before closing resolved them: not applicable, closed
with the case, as `case_close` now leaves them (and `case_reopen` revives them).

No timeline rows: an event needs an actor and a time, and this is a correction of derived
step state, not something a person did. Naming the person who closed the case, at the
migration's time or backdated to the closure, would put on the audit trail a change
nobody made; the step's `closed_with_case` flag records what happened to it.
"""

from django.db import migrations


def close_out(apps, schema_editor):
    CaseStep = apps.get_model("cases", "CaseStep")
    CaseStep.objects.filter(case__status="closed", status="pending").update(
        status="not_applicable", closed_with_case=True
    )


def revive(apps, schema_editor):
    CaseStep = apps.get_model("cases", "CaseStep")
    CaseStep.objects.filter(case__status="closed", closed_with_case=True).update(
        status="pending", closed_with_case=False
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_casestep_closed_with_case"),
    ]

    operations = [migrations.RunPython(close_out, revive)]
