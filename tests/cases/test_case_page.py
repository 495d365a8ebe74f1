"""The case page says what matters first: a youth not safe right now is flagged on the
case, the queue and the caseload until a later check says otherwise; the next step the
viewer records is named at the top; the worker control shows who has the case."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import CaseEvent, ClosureReason, EventKind, ScreeningOutcome, Status
from regions.models import Agency

pytestmark = pytest.mark.django_db

FLAG = "Not safe right now"


def record_safety(client, case, *, safe: str, action="complete"):
    return client.post(
        reverse(f"cases:step-{action}", args=[case.pk, "immediate_safety"]),
        {"immediate_safety-safe_now": safe, "immediate_safety-actions": "Checked in person"},
    )


class TestNotSafeRightNow:
    def test_a_no_flags_the_case_the_queue_and_the_caseload_until_corrected(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.RECEIVED)
        hub = client_for(personas["hub2.specialist"])
        detail = reverse("cases:detail", args=[case.pk])
        assert FLAG not in hub.get(detail).text

        assert record_safety(hub, case, safe="no").status_code == 302

        case.refresh_from_db()
        assert case.unsafe_since is not None
        assert FLAG in hub.get(detail).text
        queue = hub.get(reverse("cases:hub-queue")).text
        new = queue[queue.index('id="new"') :]
        row = new[new.index(case.number) : new.index("</tr>", new.index(case.number))]
        assert FLAG in row
        assert FLAG in hub.get(reverse("cases:list")).text
        # The timeline says what was recorded.
        event = case.events.filter(kind=EventKind.STEP_COMPLETED).latest("at")
        assert "safe right now: No" in event.reason

        record_safety(hub, case, safe="yes", action="correct")
        case.refresh_from_db()
        assert case.unsafe_since is None
        assert FLAG not in hub.get(detail).text
        assert CaseEvent.objects.filter(case=case, kind=EventKind.STEP_CORRECTED).exists()

    def test_a_closed_case_flags_nothing_and_reopening_shows_the_flag_again(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.RECEIVED)
        hub_user = personas["hub2.specialist"]
        hub = client_for(hub_user)
        record_safety(hub, case, safe="no")
        services.case_close(case_id=case.pk, actor=hub_user, reason=ClosureReason.DUPLICATE)

        closed = hub.get(reverse("cases:list"), {"status": "closed"}).text
        assert case.number in closed
        assert FLAG not in closed
        assert FLAG not in hub.get(reverse("cases:detail", args=[case.pk])).text
        export = hub.get(reverse("cases:export-csv"), {"status": "closed"})
        assert ",no," in export.content.decode("utf-8-sig").splitlines()[1]

        services.case_reopen(case_id=case.pk, actor=hub_user, reason="New information")
        assert FLAG in hub.get(reverse("cases:detail", args=[case.pk])).text

    def test_a_yes_raises_nothing(self, client_for, personas, make_case):
        case = make_case(status=Status.RECEIVED)
        hub = client_for(personas["hub2.specialist"])
        record_safety(hub, case, safe="yes")
        case.refresh_from_db()
        assert case.unsafe_since is None
        assert FLAG not in hub.get(reverse("cases:detail", args=[case.pk])).text

    def test_the_agency_sees_the_flag_on_its_caseload(self, client_for, personas, make_case):
        case = make_case(status=Status.RECEIVED)
        record_safety(client_for(personas["hub2.specialist"]), case, safe="no")
        hub = personas["hub2.specialist"]
        services.case_screen(case_id=case.pk, actor=hub, outcome=ScreeningOutcome.SUSPECTED)
        services.case_route(
            case_id=case.pk,
            actor=hub,
            agency=Agency.objects.get(name="Outagamie County Human Services"),
        )
        text = client_for(personas["outagamie.worker"]).get(reverse("cases:list")).text
        row = text[text.index(case.number) : text.index("</tr>", text.index(case.number))]
        assert FLAG in row


class TestTopOfThePage:
    def test_the_next_step_the_viewer_records_is_named_first(
        self, client_for, personas, make_case
    ):
        case = make_case(status=Status.ROUTED)
        text = client_for(personas["outagamie.worker"]).get(
            reverse("cases:detail", args=[case.pk])
        )
        text = text.content.decode()
        assert 'id="next-step-title">Your next step' in text
        # The next actions come before the case details in the page (first on a phone).
        assert text.index("Accept referral") < text.index('id="youth-title"')
        assert text.index("Your next step") < text.index('id="youth-title"')

    def test_a_closed_case_has_no_next_step(self, client_for, personas, make_case):
        case = make_case(status=Status.CLOSED)
        text = client_for(personas["hub2.specialist"]).get(reverse("cases:detail", args=[case.pk]))
        assert "Your next step" not in text.content.decode()

    def test_the_worker_control_shows_who_has_the_case(self, client_for, personas, make_case):
        case = make_case(status=Status.ACTIVE)
        worker = personas["outagamie.worker"]
        text = client_for(worker).get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert f"Assigned to <strong>{worker.get_full_name()}</strong>" in text
        assert f'<option value="{worker.pk}" selected>' in text
        assert ">Reassign</button>" in text
