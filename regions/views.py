"""People pages: who has access to case records, and the one screen to change it.

For account administrators (every account) and hub specialists (their region's
people). Every change goes through regions.services, which decides who may give
what; these views only parse, call and render.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hubnet.forms import errors_to_forms
from hubnet.lockout import is_locked_out
from hubnet.mfa import is_enrolled, mfa_not_required
from regions import services
from regions.forms import (
    ChoosePasswordForm,
    DeactivateForm,
    EndForm,
    GrantForm,
    InviteForm,
    MfaResetForm,
    UnlockForm,
)
from regions.models import Membership
from regions.selectors import (
    access_changes_visible_to,
    grantable_access,
    memberships_in_view,
    people_visible_to,
)

PAGE_SIZE = 50


class InviteTokenGenerator(PasswordResetTokenGenerator):
    """One-time: the token is bound to the password hash, which setting one changes."""

    key_salt = "hubnet.regions.invite"


invite_tokens = InviteTokenGenerator()


def _people_manager(request) -> None:
    if not (
        services.may_administer_accounts(request.user) or services.granting_regions(request.user)
    ):
        raise PermissionDenied("Only hub specialists and account administrators manage people.")


def _account_administrator(request) -> None:
    if not services.may_administer_accounts(request.user):
        raise PermissionDenied("Only account administrators reset second factors and locks.")


def _person(request, user_id):
    person = people_visible_to(request.user).filter(pk=user_id).first()
    if person is None:
        raise Http404("Not found.")
    return person


@require_GET
def people_list(request: HttpRequest) -> HttpResponse:
    _people_manager(request)
    query = request.GET.get("q", "").strip()
    people = people_visible_to(request.user)
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    memberships: dict[int, list[Membership]] = {}
    for membership in memberships_in_view(request.user).filter(
        user__in=[p.pk for p in page], revoked_at__isnull=True
    ):
        memberships.setdefault(membership.user_id, []).append(membership)
    rows = [(person, memberships.get(person.pk, [])) for person in page]
    changes = access_changes_visible_to(request.user)[:10]
    return render(
        request,
        "people/list.html",
        {"page": page, "rows": rows, "query": query, "changes": changes},
    )


@require_GET
def access_change_list(request: HttpRequest) -> HttpResponse:
    _people_manager(request)
    page = Paginator(access_changes_visible_to(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "people/changes.html", {"page": page})


@require_GET
def person_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    _people_manager(request)
    return _render_person(request, _person(request, user_id))


def _render_person(request, person, *, forms=None, status=200) -> HttpResponse:
    context = {
        "person": person,
        "memberships": memberships_in_view(request.user, person),
        "grant_form": GrantForm(grantable=grantable_access(request.user)),
        "end_form": EndForm(),
        "deactivate_form": DeactivateForm(),
        "mfa_reset_form": MfaResetForm(),
        "unlock_form": UnlockForm(),
        "may_deactivate": services.may_administer_accounts(request.user)
        and person.pk != request.user.pk
        and person.is_active,
        "is_account_admin": services.may_administer_accounts(request.user),
        "mfa_enrolled": is_enrolled(person),
        "locked_out": is_locked_out(person.get_username()),
        "is_self": person.pk == request.user.pk,
        "changes": access_changes_visible_to(request.user).filter(subject=person)[:50],
        **(forms or {}),
    }
    return render(request, "people/detail.html", context, status=status)


@require_POST
def person_grant(request: HttpRequest, user_id: int) -> HttpResponse:
    _people_manager(request)
    person = _person(request, user_id)
    form = GrantForm(request.POST, grantable=grantable_access(request.user))
    if form.is_valid():
        access = form.cleaned_data["access"]
        try:
            services.membership_grant(
                user=person, granted_by=request.user, reason=form.cleaned_data["reason"], **access
            )
        except (ValidationError, PermissionDenied) as exc:
            errors_to_forms(exc, form)
        else:
            messages.success(request, f"Access given to {person.get_full_name() or person}.")
            return redirect("people:detail", user_id=person.pk)
    return _render_person(request, person, forms={"grant_form": form}, status=400)


@require_POST
def membership_end(request: HttpRequest, membership_id: int) -> HttpResponse:
    _people_manager(request)
    membership = memberships_in_view(request.user).filter(pk=membership_id).first()
    if membership is None:
        raise Http404("Not found.")
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.membership_revoke(
                membership=membership, revoked_by=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as exc:
            errors_to_forms(exc, form)
        else:
            messages.success(request, f"Membership ended: {membership.organisation_label}.")
            return redirect("people:detail", user_id=membership.user_id)
    return _render_person(
        request,
        membership.user,
        forms={"end_form": form, "failed_membership": membership.pk},
        status=400,
    )


def _person_action(request, user_id, *, guard, form_class, form_name, run, success):
    """A POST about one account with a reason: who may (`guard`), the form, one service
    (`run(person, actor, reason)`), then the person's page with a message, or the page
    again with the form's errors."""
    guard(request)
    person = _person(request, user_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            run(user=person, actor=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            errors_to_forms(exc, form)
        else:
            messages.success(request, success.format(name=person.get_full_name() or person))
            return redirect("people:detail", user_id=person.pk)
    return _render_person(request, person, forms={form_name: form}, status=400)


@require_POST
def person_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _person_action(
        request,
        user_id,
        guard=_people_manager,
        form_class=DeactivateForm,
        form_name="deactivate_form",
        run=services.user_deactivate,
        success=(
            "{name} is deactivated: signed out everywhere, API tokens deleted, memberships ended."
        ),
    )


@require_POST
def person_mfa_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    return _person_action(
        request,
        user_id,
        guard=_account_administrator,
        form_class=MfaResetForm,
        form_name="mfa_reset_form",
        run=services.mfa_reset,
        success=(
            "{name}'s second factor is reset: they are signed out and set up a new one "
            "when they next sign in."
        ),
    )


@require_POST
def person_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    return _person_action(
        request,
        user_id,
        guard=_account_administrator,
        form_class=UnlockForm,
        form_name="unlock_form",
        run=services.lockout_clear,
        success="{name} can sign in again.",
    )


@require_http_methods(["GET", "POST"])
def person_invite(request: HttpRequest) -> HttpResponse:
    _people_manager(request)
    form = InviteForm(request.POST or None, grantable=grantable_access(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.user_invite(
                invited_by=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                reason=data["reason"],
                accept_url=lambda user: request.build_absolute_uri(_invite_path(user)),
                **data["access"],
            )
        except (ValidationError, PermissionDenied) as exc:
            errors_to_forms(exc, form)
        else:
            messages.success(request, f"Invitation sent to {person.email}.")
            return redirect("people:detail", user_id=person.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "people/invite.html", {"form": form}, status=status)


def _invite_path(user) -> str:
    return reverse(
        "people:invite-accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invite_tokens.make_token(user),
        },
    )


@login_not_required
@mfa_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invited person chooses a password; the link works once and expires."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        pk = None
    user = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None or user.has_usable_password() or not invite_tokens.check_token(user, token):
        return render(request, "people/invite_invalid.html")
    form = ChoosePasswordForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.invite_accept(user=user, password=form.cleaned_data["password1"])
        messages.success(
            request,
            "Your password is set. Sign in, then set up your second factor: an "
            "authenticator app on your phone, or a passkey.",
        )
        return redirect("login")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "people/invite_accept.html", {"form": form, "person": user}, status=status
    )
