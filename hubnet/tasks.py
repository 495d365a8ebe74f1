"""Background work of the hubnet app."""

from celery import shared_task
from django.core.mail import send_mail


@shared_task(name="hubnet.email_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_send(subject: str, body: str, to: str) -> None:
    """Send one plain-text email, off the request: how long the mail server takes must not
    tell the person asking whether the address has an account (password reset)."""
    send_mail(subject, body, from_email=None, recipient_list=[to])
