import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from hubnet.env import env_str
from regions.demo import personas_ensure


class Command(BaseCommand):
    help = (
        "Create the demo personas (synthetic people) with the password in "
        "HUBNET_DEMO_PASSWORD, or a generated one that is printed. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a server holding real records.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a shared password and refuses to run with "
                "DEBUG off. Use --force only on a throw-away database."
            )
        password = env_str("HUBNET_DEMO_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        usernames = personas_ensure(password=password)
        self.stdout.write(self.style.SUCCESS(f"Demo personas ready: {', '.join(usernames)}"))
        if generated:
            self.stdout.write(
                f"Password for all of them (generated; set HUBNET_DEMO_PASSWORD to choose): "
                f"{password}"
            )
        else:
            self.stdout.write("Password: the value of HUBNET_DEMO_PASSWORD.")
