"""One's own account: the password, and the API tokens one holds (list, revoke).

Pages for people, and the same for scripts under /api/v1/auth/: a script can list its
user's tokens and revoke one, or the one it is using (`DELETE /api/v1/auth/token/`).
Nobody sees or revokes another person's tokens here (an account administrator who
deactivates an account ends them all: regions.services.user_deactivate).
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from knox.models import AuthToken
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView


def tokens_of(user) -> list[AuthToken]:
    """The user's tokens still in force, newest first."""
    return list(
        AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
    )


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "account/account.html", {"tokens": tokens_of(request.user)})


@require_POST
def token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    deleted, _ = AuthToken.objects.filter(user=request.user, token_key=token_key).delete()
    if not deleted:
        raise Http404("No such token of yours.")
    messages.success(request, f"The API token starting {token_key} is revoked.")
    return redirect("account")


class PasswordChange(auth_views.PasswordChangeView):
    """Django's password change: the current session stays signed in; the others end
    (sessions are signed with the password's hash) and so do the API tokens
    (hubnet.passwords)."""

    template_name = "account/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            "Your password is changed. You are signed out everywhere else and your API "
            "tokens have ended.",
        )
        return response


class TokenSerializer(serializers.Serializer):
    token_key = serializers.CharField(help_text="The token's first characters (not secret).")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    current = serializers.BooleanField(help_text="The token this request was made with.")


def _rows(request) -> list[dict]:
    current = request.auth.pk if isinstance(request.auth, AuthToken) else None
    return [
        {
            "token_key": t.token_key,
            "created": t.created,
            "expiry": t.expiry,
            "current": t.pk == current,
        }
        for t in tokens_of(request.user)
    ]


class TokenList(APIView):
    """Your API tokens still in force."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TokenSerializer

    def get(self, request):
        return Response(TokenSerializer(_rows(request), many=True).data)


class TokenDetail(APIView):
    """Revoke one of your API tokens by its first characters."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TokenSerializer

    def delete(self, request, token_key: str):
        deleted, _ = AuthToken.objects.filter(user=request.user, token_key=token_key).delete()
        if not deleted:
            return Response({"detail": "No such token of yours."}, status=404)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CurrentToken(APIView):
    """The token this request is made with: DELETE revokes it (sign the script out)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TokenSerializer

    def delete(self, request):
        if not isinstance(request.auth, AuthToken):
            return Response({"detail": "This request was not made with an API token."}, status=400)
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
