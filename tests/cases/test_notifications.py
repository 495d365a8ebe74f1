"""The notifications page, opening a notification, and the unread count in the header.

Notifications are made the way the scheduled job makes them (`step_deadline_alerts_send`),
on cases made through the services, with a controlled clock."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import AccessChannel, CaseAccess, Notification, Status
from regions.models import Membership
from regions.services import membership_revoke

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)


def hours(n):
    return datetime.timedelta(hours=n)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alerted_case(clock, make_case):
    """alerted_case(...) -> a case made now (its referral received 2 hours ago) and alerted
    10 minutes later: the hub's intake step overdue and its immediate-safety step due soon.
    Each call is 10 minutes later than the last."""

    def make(**kwargs):
        case = make_case(**{"status": Status.RECEIVED, **kwargs})
        clock.shift(datetime.timedelta(minutes=10))
        services.step_deadline_alerts_send()
        return case

    return make


def notice(user, case, step_key) -> Notification:
    return Notification.objects.get(user=user, case=case, alert__step__definition__key=step_key)


def page_of(client, **params):
    response = client.get(reverse("cases:notifications"), params)
    assert response.status_code == 200
    return response.text


def case_headings(html: str) -> list[str]:
    return re.findall(r"<h2 id=\"notices-[^\"]+\"><a [^>]+>Case ([^<]+)</a>", html)


def notice_links(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip()
        for text in re.findall(r'href="/notifications/\d+/">(.+?)</a>', html, re.DOTALL)
    ]


def header_count(html: str) -> int:
    found = re.search(r'<span class="nav-count">(\d+)<span class="visually-hidden"> unread', html)
    return int(found.group(1)) if found else 0


class TestThePage:
    def test_grouped_by_case_the_latest_alerted_case_first(
        self, clock, alerted_case, client_for, personas
    ):
        first = alerted_case(first="Ada")
        second = alerted_case(first="Bea")  # alerted 10 minutes later

        html = page_of(client_for(personas["hub2.specialist"]))

        assert case_headings(html) == [second.number, first.number]
        # newest first within a case: both alerted in one run, so by id, latest made first
        assert (
            notice_links(html)
            == [
                "Unread: Immediate safety assessed is due within 4 hours",
                "Unread: Intake reviewed is overdue",
            ]
            * 2
        )
        assert "Showing 1 to 4 of 4." in html
        assert "Ada" not in html  # case numbers only: no youth's name
        assert "Testcase" not in html

    def test_times_read_like_the_rest_of_the_app(self, alerted_case, client_for, personas):
        from django.template.defaultfilters import date, time
        from django.utils import timezone

        case = alerted_case()
        alert = notice(personas["hub2.specialist"], case, "intake").alert

        html = page_of(client_for(personas["hub2.specialist"]))

        due = timezone.localtime(alert.due_at)
        assert f'Due <time datetime="{due.isoformat()}">{date(due)}, {time(due)}</time>' in html

    def test_filters_follow_the_step_now_not_the_alert(
        self, clock, alerted_case, client_for, personas
    ):
        hub = personas["hub2.specialist"]
        done = alerted_case(first="Ada")
        waiting = alerted_case(first="Bea")
        services.case_step_complete(
            case_id=done.pk, actor=hub, step_key="intake", data={"reviewed_at": "2026-03-02T09:05"}
        )
        client = client_for(hub)
        client.get(
            reverse("cases:notification-open", args=[notice(hub, done, "immediate_safety").pk])
        )

        overdue = page_of(client, show="overdue")
        due_soon = page_of(client, show="due_soon")
        unread = page_of(client, show="unread")

        assert case_headings(overdue) == [waiting.number]  # the done one's intake is not overdue
        assert notice_links(overdue) == ["Unread: Intake reviewed is overdue"]
        assert case_headings(due_soon) == [waiting.number, done.number]
        assert len(notice_links(unread)) == 3  # the opened one is read
        assert 'aria-current="true">Overdue <span class="count">1</span>' in overdue
        assert '>Due soon <span class="count">2</span>' in overdue
        assert '>Unread <span class="count">3</span>' in overdue
        assert "Now: done" in page_of(client)  # still listed, saying the step is done
        assert '>All <span class="count">4</span>' in overdue

    def test_an_empty_filter_says_so(self, client_for, personas, alerted_case):
        alerted_case()
        client = client_for(personas["hub2.specialist"])
        client.post(reverse("cases:notifications-read"))

        html = page_of(client, show="unread")

        assert "None of your notifications is unread." in html
        assert notice_links(html) == []

    def test_only_ones_own(self, alerted_case, client_for, personas):
        alerted_case()

        assert len(notice_links(page_of(client_for(personas["hub2.specialist"])))) == 2
        assert notice_links(page_of(client_for(personas["hub5.specialist"]))) == []
        assert notice_links(page_of(client_for(personas["state.admin"]))) == []

    def test_paged_with_the_true_total(self, alerted_case, client_for, personas):
        hub = personas["hub2.specialist"]
        case = alerted_case()
        alert = notice(hub, case, "intake").alert
        Notification.objects.bulk_create(
            Notification(user=hub, case=case, alert=alert, message="again") for _ in range(58)
        )
        client = client_for(hub)

        first = page_of(client)
        second = page_of(client, page=2)

        assert len(notice_links(first)) == 50
        assert "Showing 1 to 50 of 60." in first
        assert 'href="?show=all&amp;page=2" rel="next"' in first
        assert len(notice_links(second)) == 10
        assert "Showing 51 to 60 of 60." in second

    def test_queries_do_not_grow_with_the_notifications(
        self, clock, alerted_case, client_for, personas
    ):
        hub = personas["hub2.specialist"]

        def queries():
            client = client_for(hub)  # again: the clock moved past the idle timeout
            with CaptureQueriesContext(connection) as ctx:
                page_of(client)
            return [q["sql"] for q in ctx.captured_queries]

        alerted_case()
        few = queries()
        for _ in range(4):
            alerted_case()
        many = queries()

        assert Notification.objects.filter(user=hub).count() == 10
        assert len(many) == len(few), "\n".join(many)


class TestOpeningOne:
    def test_it_marks_it_read_and_lands_on_its_step(self, alerted_case, client_for, personas):
        hub = personas["hub2.specialist"]
        case = alerted_case()
        intake = notice(hub, case, "intake")
        client = client_for(hub)
        assert header_count(page_of(client)) == 2

        response = client.get(reverse("cases:notification-open", args=[intake.pk]))

        assert response.status_code == 302
        assert response["Location"] == reverse("cases:detail", args=[case.pk]) + "#step-intake"
        intake.refresh_from_db()
        assert intake.read_at is not None
        landed = client.get(response["Location"])
        assert landed.status_code == 200
        assert 'id="step-intake"' in landed.text
        assert header_count(landed.text) == 1

    def test_opening_it_again_keeps_the_first_reading(
        self, clock, alerted_case, client_for, personas
    ):
        hub = personas["hub2.specialist"]
        intake = notice(hub, alerted_case(), "intake")
        client = client_for(hub)
        client.get(reverse("cases:notification-open", args=[intake.pk]))
        intake.refresh_from_db()
        first_read = intake.read_at

        clock.shift(hours(1))
        client.get(reverse("cases:notification-open", args=[intake.pk]))

        intake.refresh_from_db()
        assert intake.read_at == first_read

    @pytest.mark.parametrize("username", ["hub5.specialist", "outagamie.worker", "state.admin"])
    def test_someone_elses_is_not_found_and_stays_unread(
        self, alerted_case, client_for, personas, username
    ):
        intake = notice(personas["hub2.specialist"], alerted_case(), "intake")

        response = client_for(personas[username]).get(
            reverse("cases:notification-open", args=[intake.pk])
        )

        assert response.status_code == 404
        intake.refresh_from_db()
        assert intake.read_at is None

    def test_mark_all_as_read(self, alerted_case, client_for, personas):
        hub = personas["hub2.specialist"]
        alerted_case()
        alerted_case()
        client = client_for(hub)

        response = client.post(reverse("cases:notifications-read"), follow=True)

        assert "4 notifications marked as read." in response.text
        assert header_count(response.text) == 0
        assert "Mark all as read" not in response.text
        assert not Notification.objects.filter(user=hub, read_at__isnull=True).exists()


class TestACaseOneNoLongerSees:
    """A notification about a case routed away, or after the membership ended, disappears
    from the list and the count, and opening it reveals nothing."""

    @pytest.fixture
    def declined(self, clock, make_case, personas):
        """A case routed to Outagamie, alerted to its worker (law-enforcement notification due
        soon), then declined by that worker: back with the hub, out of the agency's sight."""
        case = make_case(county="Outagamie", status=Status.ROUTED)
        clock.shift(hours(7))
        services.step_deadline_alerts_send()
        worker = personas["outagamie.worker"]
        stale = notice(worker, case, "le_notification")
        services.case_decline(case_id=case.pk, actor=worker, reason="Not ours.")
        return case, stale

    def test_it_leaves_the_list_and_the_count(self, declined, client_for, personas, make_case):
        case, stale = declined
        client = client_for(personas["outagamie.worker"])

        html = page_of(client)

        assert case.number not in html
        assert notice_links(html) == []
        assert header_count(html) == 0
        assert '>All <span class="count">0</span>' in html
        assert Notification.objects.filter(pk=stale.pk, read_at__isnull=True).exists()

    def test_opening_it_is_not_found_and_logged_like_the_door(
        self, declined, client_for, personas
    ):
        case, stale = declined
        worker = personas["outagamie.worker"]

        response = client_for(worker).get(reverse("cases:notification-open", args=[stale.pk]))

        assert response.status_code == 404
        assert case.number not in response.text
        assert CaseAccess.objects.filter(
            case=case, user=worker, granted=False, channel=AccessChannel.PAGE
        ).exists()
        stale.refresh_from_db()
        assert stale.read_at is None

    def test_mark_all_as_read_leaves_it_alone(self, declined, client_for, personas):
        _, stale = declined

        client_for(personas["outagamie.worker"]).post(reverse("cases:notifications-read"))

        stale.refresh_from_db()
        assert stale.read_at is None

    def test_after_the_membership_ended(self, alerted_case, client_for, personas):
        hub = personas["hub2.specialist"]
        case = alerted_case()
        intake = notice(hub, case, "intake")
        membership_revoke(membership=Membership.objects.active().get(user=hub))
        client = client_for(hub)

        html = page_of(client)
        response = client.get(reverse("cases:notification-open", args=[intake.pk]))

        assert notice_links(html) == []
        assert case.number not in html
        assert response.status_code == 404


class TestTheHeader:
    def test_the_count_is_one_query_whatever_the_number(self, alerted_case, client_for, personas):
        def home_queries():
            client = client_for(personas["hub2.specialist"])  # the clock moved on
            with CaptureQueriesContext(connection) as ctx:
                html = client.get(reverse("home")).text
            return header_count(html), len(ctx.captured_queries)

        alerted_case()
        few_count, few = home_queries()
        for _ in range(3):
            alerted_case()
        many_count, many = home_queries()

        assert (few_count, many_count) == (2, 8)
        assert few == many

    def test_the_count_counts_only_unread(self, alerted_case, client_for, personas):
        hub = personas["hub2.specialist"]
        case = alerted_case()
        client = client_for(hub)
        client.get(reverse("cases:notification-open", args=[notice(hub, case, "intake").pk]))

        assert header_count(client.get(reverse("home")).text) == 1
