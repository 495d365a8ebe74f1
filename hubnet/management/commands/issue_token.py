from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken

from hubnet.mfa import demo_exempt, is_enrolled


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME and print it once. Only a hash is stored; the "
        "token expires (default 90 days). Use as `Authorization: Token <token>`."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="Days until it expires.")

    def handle(self, *args, username: str, days: int | None = None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"{username} is inactive; an inactive user cannot use a token.")
        if not (is_enrolled(user) or demo_exempt(user)):
            raise CommandError(
                f"{username} has no second factor yet. A token is issued only to an account "
                "that signs in with one: let them sign in and set it up first."
            )
        if days is not None and not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        kwargs = {} if days is None else {"expiry": timedelta(days=days)}
        instance, token = AuthToken.objects.create(user=user, **kwargs)
        self.stderr.write(
            f"Token for {username}, expires {instance.expiry:%Y-%m-%d %H:%M %Z}. "
            "It is shown only now:"
        )
        self.stdout.write(token)
