"""What a new password does beyond itself.

Django tells every configured password validator when a user's password changes
(`password_changed`, after `set_password` and `save`), whichever way it changed: the
change page, a reset link, an invitation, the admin or `manage.py changepassword`. The
hook below ends the user's API tokens then. Their other browser sessions end by
themselves: Django signs each session with a hash of the password.
"""

from knox.models import AuthToken


class PasswordChangeEndsApiTokens:
    """Not a rule on what a password may be: it accepts every password."""

    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            AuthToken.objects.filter(user=user).delete()

    def get_help_text(self) -> str:
        return "A new password signs you out everywhere else and ends your API tokens."
