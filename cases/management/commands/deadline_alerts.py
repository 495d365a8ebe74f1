from django.core.management.base import BaseCommand

from cases.services import step_deadline_alerts_send


class Command(BaseCommand):
    help = (
        "Notify owners of protocol steps due within 4 hours or overdue, once per step and "
        "threshold. Celery beat runs this every 15 minutes; use the command where no beat "
        "runs (make run) or from cron."
    )

    def handle(self, *args, **options):
        sent = step_deadline_alerts_send()
        self.stdout.write(f"{sent} notifications sent.")
