"""Writes to the organisation data. Every membership and account change goes through here.

Guardian object permissions are derived data: they are recomputed from the
user's active memberships after each grant or revoke, in the same transaction,
so two memberships giving the same permission never step on each other and a
revoke never leaves a stray permission behind.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken

from regions.models import (
    AccessChange,
    AccessChangeKind,
    Agency,
    AgencyUserObjectPermission,
    County,
    Hub,
    Membership,
    Provenance,
    Provider,
    ProviderKind,
    Region,
    RegionUserObjectPermission,
    Role,
    ServiceType,
    Tribe,
)


@dataclass(frozen=True)
class RoleGrant:
    target: str | None  # "agency", "region" or None for a global permission
    codenames: tuple[str, ...]
    # Granted on the region the membership belongs to (its hub's, or its agency's).
    region_codenames: tuple[str, ...] = ()


ROLE_GRANTS: dict[str, RoleGrant] = {
    Role.HUB_SPECIALIST: RoleGrant(
        "region",
        (
            "view_region_cases",
            "work_region_cases",
            "view_region_dashboard",
            "manage_region_trainings",
            "manage_region_directory",
        ),
    ),
    Role.AGENCY_STAFF: RoleGrant(
        "agency", ("view_agency_cases", "work_agency_cases"), ("view_region_dashboard",)
    ),
    Role.AGENCY_SUPERVISOR: RoleGrant(
        "agency",
        ("view_agency_cases", "work_agency_cases", "supervise_agency"),
        ("view_region_dashboard",),
    ),
    Role.STATE_ADMIN: RoleGrant(None, ("view_statewide_dashboard", "recompute_figures")),
}
MANAGED_CODENAMES = {
    codename
    for grant in ROLE_GRANTS.values()
    for codename in (*grant.codenames, *grant.region_codenames)
}


class GrantRefused(PermissionDenied):
    """The acting user may not give (or end) this membership."""


def may_administer_accounts(user: AbstractBaseUser | None) -> bool:
    """Account administrators invite people, grant any role and deactivate accounts."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_perm("regions.administer_accounts")
    )


def granting_regions(user: AbstractBaseUser | None) -> set[int]:
    """Ids of the regions in which `user` may give case roles: those they are hub specialist of."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    return set(
        Membership.objects.active()
        .filter(user=user, role=Role.HUB_SPECIALIST)
        .values_list("hub__region_id", flat=True)
    )


def membership_grant_check(
    *,
    actor: AbstractBaseUser | None,
    user: AbstractBaseUser,
    role: str,
    agency: Agency | None = None,
    hub: Hub | None = None,
) -> None:
    """Raise GrantRefused unless `actor` may give `user` this membership (or end it).

    - Nobody grants or changes a membership of their own account.
    - The state admin role: account administrators only.
    - A case role: an account administrator, or a hub specialist of the region whose
      cases the role opens.
    `actor` None is a command run on the server (reference data, demo personas).
    """
    if actor is None:
        return
    if actor.pk == user.pk:
        raise GrantRefused("Nobody grants or changes a membership of their own account.")
    if may_administer_accounts(actor):
        return
    if role == Role.STATE_ADMIN:
        raise GrantRefused("Only an account administrator gives the state task force admin role.")
    region_id = agency.region_id if agency is not None else hub.region_id if hub else None
    if region_id is None or region_id not in granting_regions(actor):
        raise GrantRefused(
            "Only that region's hub specialists or an account administrator give access to "
            "the region's cases."
        )


def membership_grant(
    *,
    user: AbstractBaseUser,
    role: str,
    agency: Agency | None = None,
    hub: Hub | None = None,
    granted_by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Membership:
    """Make `user` a member with `role` and give them the role's object permissions.

    The one way to give access to case records, whatever the screen. `granted_by`
    must be allowed to (membership_grant_check) and say why; None is a server
    command. Raises GrantRefused (recorded as a refused change) or ValidationError
    (role/target mismatch, a state admin with a case role, a duplicate active
    membership); nothing else is written then.
    """
    reason = reason.strip()
    if granted_by is not None and not reason:
        raise ValidationError({"reason": "Say why this access is given."})
    try:
        membership_grant_check(actor=granted_by, user=user, role=role, agency=agency, hub=hub)
    except GrantRefused as refused:
        _access_change_record(
            kind=AccessChangeKind.REFUSED,
            actor=granted_by,
            subject=user,
            membership=Membership(user=user, role=role, agency=agency, hub=hub),
            reason=f"{refused} (asked: {reason})" if reason else str(refused),
        )
        raise
    with transaction.atomic():
        _lock_user(user, granted_by)
        # Again under the lock: the account may have been deactivated, or the granter's
        # own hub role ended, since the check above.
        user.refresh_from_db(fields=["is_active"])
        if granted_by is not None and not user.is_active:  # server commands may (seed_demo)
            raise ValidationError("This account is deactivated; it cannot be given a role.")
        membership_grant_check(actor=granted_by, user=user, role=role, agency=agency, hub=hub)
        membership = Membership(
            user=user,
            role=role,
            agency=agency,
            hub=hub,
            granted_by=granted_by,
            grant_reason=reason,
        )
        membership.full_clean()
        membership.save()
        _permissions_sync(user)
        _access_change_record(
            kind=AccessChangeKind.GRANTED,
            actor=granted_by,
            subject=user,
            membership=membership,
            reason=reason,
        )
    return membership


def membership_revoke(
    *, membership: Membership, revoked_by: AbstractBaseUser | None = None, reason: str = ""
) -> Membership:
    """End a membership (the row stays as the record) and withdraw what only it granted.

    The same people who may give a membership may end it, never their own.
    """
    reason = reason.strip()
    if revoked_by is not None and not reason:
        raise ValidationError({"reason": "Say why this access ends."})
    membership_grant_check(
        actor=revoked_by,
        user=membership.user,
        role=membership.role,
        agency=membership.agency,
        hub=membership.hub,
    )
    with transaction.atomic():
        _lock_user(membership.user, revoked_by)
        membership_grant_check(
            actor=revoked_by,
            user=membership.user,
            role=membership.role,
            agency=membership.agency,
            hub=membership.hub,
        )
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.revoked_at is not None:
            raise ValidationError("This membership was already ended.")
        _membership_end(membership, revoked_by, reason)
    return membership


def _membership_end(membership: Membership, revoked_by, reason: str) -> None:
    membership.revoked_at = timezone.now()
    membership.revoked_by = revoked_by
    membership.revoke_reason = reason
    membership.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    _permissions_sync(membership.user)
    _access_change_record(
        kind=AccessChangeKind.REVOKED,
        actor=revoked_by,
        subject=membership.user,
        membership=membership,
        reason=reason,
    )


def _access_change_record(*, kind: str, actor, subject, membership=None, reason="") -> None:
    fields = {}
    if membership is not None:
        fields = {
            "role": membership.role,
            "agency": membership.agency,
            "hub": membership.hub,
            "region_id": membership.region_id,
            "membership": membership if membership.pk else None,
        }
    AccessChange.objects.create(
        kind=kind, actor=actor, subject=subject, reason=reason[:300], **fields
    )


def user_invite(
    *,
    invited_by: AbstractBaseUser,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    agency: Agency | None = None,
    hub: Hub | None = None,
    reason: str,
    accept_url: Callable[[AbstractBaseUser], str],
) -> AbstractBaseUser:
    """Create an account for `email` with its first membership and email a one-time link to
    set a password. Only someone who may grant that membership may invite; nothing is
    written when it is refused or invalid.
    """
    user_model = get_user_model()
    email = user_model.objects.normalize_email(email.strip()).lower()
    if not email:
        raise ValidationError({"email": "Give the person's work email address."})
    if user_model.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise ValidationError({"email": "An account with this email address exists already."})
    probe = user_model(username=email, email=email)
    membership_grant_check(actor=invited_by, user=probe, role=role, agency=agency, hub=hub)
    with transaction.atomic():
        user = user_model(
            username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip()
        )
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        _access_change_record(
            kind=AccessChangeKind.INVITED, actor=invited_by, subject=user, reason=reason.strip()
        )
        membership_grant(
            user=user, role=role, agency=agency, hub=hub, granted_by=invited_by, reason=reason
        )
        link = accept_url(user)
        transaction.on_commit(lambda: _invite_email_send(user, link))
    return user


def _invite_email_send(user, link: str) -> None:
    send_mail(
        subject="You are invited to HubNet",
        message=(
            "An account was made for you in HubNet, the case-coordination system of "
            "Wisconsin's anti-human-trafficking hubs.\n\n"
            f"Set your password here (the link works once and expires):\n{link}\n\n"
            "If you did not expect this, ignore this email and tell your hub."
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def invite_accept(*, user: AbstractBaseUser, password: str) -> AbstractBaseUser:
    """The invited person sets their password (the link's token was checked by the caller)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _access_change_record(kind=AccessChangeKind.INVITE_ACCEPTED, actor=user, subject=user)
    return user


def user_deactivate(*, user: AbstractBaseUser, actor: AbstractBaseUser, reason: str) -> None:
    """Close an account at once: no sign-in, its sessions and API tokens gone, every
    membership ended (account administrators only, never their own account)."""
    if not may_administer_accounts(actor):
        raise GrantRefused("Only an account administrator deactivates accounts.")
    if actor.pk == user.pk:
        raise GrantRefused("Nobody deactivates their own account.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the account is deactivated."})
    with transaction.atomic():
        _lock_user(user, actor)
        for membership in Membership.objects.active().filter(user=user).select_for_update():
            _membership_end(membership, actor, f"Account deactivated: {reason}")
        user.is_active = False
        user.save(update_fields=["is_active"])
        AuthToken.objects.filter(user=user).delete()
        _sessions_end(user)
        _access_change_record(
            kind=AccessChangeKind.DEACTIVATED, actor=actor, subject=user, reason=reason
        )


def mfa_reset(*, user: AbstractBaseUser, actor: AbstractBaseUser, reason: str) -> None:
    """ "Lost my device": remove every second factor of `user` (app, passkeys, backup codes)
    and sign them out everywhere, so they enrol anew at their next sign-in. Account
    administrators only, never their own account; recorded with the reason."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    if not may_administer_accounts(actor):
        raise GrantRefused("Only an account administrator resets a second factor.")
    if actor.pk == user.pk:
        raise GrantRefused("Nobody resets their own second factor; ask another administrator.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why (for example, how the person asked)."})
    with transaction.atomic():
        for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
            model.objects.filter(user=user).delete()
        AuthToken.objects.filter(user=user).delete()
        _sessions_end(user)
        _access_change_record(
            kind=AccessChangeKind.MFA_RESET, actor=actor, subject=user, reason=reason
        )


def lockout_record(*, user: AbstractBaseUser, ip_address: str | None, within) -> None:
    """Too many failed sign-ins locked `user` out (hubnet.lockout). Recorded once per
    lock: django-axes tells of every further try while locked, which is not news."""
    latest = (
        AccessChange.objects.filter(
            subject=user,
            kind__in=[AccessChangeKind.LOCKED_OUT, AccessChangeKind.UNLOCKED],
            at__gte=timezone.now() - within,
        )
        .order_by("-at", "-pk")
        .values_list("kind", flat=True)
        .first()
    )
    if latest == AccessChangeKind.LOCKED_OUT:
        return
    _access_change_record(
        kind=AccessChangeKind.LOCKED_OUT,
        actor=None,
        subject=user,
        reason=f"From address {ip_address or 'unknown'}",
    )


def lockout_clear(*, user: AbstractBaseUser, actor: AbstractBaseUser, reason: str) -> int:
    """Lift a sign-in lockout before it ends by itself (account administrators)."""
    from axes.utils import reset

    if not may_administer_accounts(actor):
        raise GrantRefused("Only an account administrator lifts a sign-in lock.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the lock is lifted early."})
    with transaction.atomic():
        cleared = reset(username=user.get_username())
        _access_change_record(
            kind=AccessChangeKind.UNLOCKED, actor=actor, subject=user, reason=reason
        )
    return cleared


def _sessions_end(user: AbstractBaseUser) -> None:
    """Delete the user's unexpired sessions (database sessions carry no user column)."""
    stale = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now())
        if session.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(pk__in=stale).delete()


def _lock_user(user: AbstractBaseUser, *others: AbstractBaseUser | None) -> None:
    """Serialise membership changes of `user` and, when given, of the people acting (whose
    own right to grant is re-checked under the lock), in id order so two changes never
    deadlock. A no-op on SQLite, which serialises writers anyway."""
    ids = sorted({u.pk for u in (user, *others) if u is not None and u.pk is not None})
    list(get_user_model().objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _permissions_sync(user: AbstractBaseUser) -> None:
    """Make the user's managed permissions exactly what their active memberships grant."""
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(
            content_type__app_label="regions", codename__in=MANAGED_CODENAMES
        )
    }
    wanted_agency: set[tuple[int, str]] = set()
    wanted_region: set[tuple[int, str]] = set()
    wanted_global: set[str] = set()
    for membership in (
        Membership.objects.active().filter(user=user).select_related("hub", "agency")
    ):
        grant = ROLE_GRANTS[membership.role]
        for codename in grant.region_codenames:
            wanted_region.add((membership.region_id, codename))
        for codename in grant.codenames:
            if grant.target == "agency":
                wanted_agency.add((membership.agency_id, codename))
            elif grant.target == "region":
                wanted_region.add((membership.hub.region_id, codename))
            else:
                wanted_global.add(codename)

    _object_permissions_sync(AgencyUserObjectPermission, user, wanted_agency, permissions)
    _object_permissions_sync(RegionUserObjectPermission, user, wanted_region, permissions)

    current_global = set(
        user.user_permissions.filter(
            content_type__app_label="regions", codename__in=MANAGED_CODENAMES
        ).values_list("codename", flat=True)
    )
    user.user_permissions.add(*(permissions[c] for c in wanted_global - current_global))
    user.user_permissions.remove(*(permissions[c] for c in current_global - wanted_global))
    # Django and guardian cache permissions on the user object.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_guardian_perms_cache"):
        user.__dict__.pop(cache, None)


def _object_permissions_sync(model, user, wanted: set[tuple[int, str]], permissions) -> None:
    rows = model.objects.filter(user=user, permission__codename__in=MANAGED_CODENAMES)
    current = {
        (object_id, codename): pk
        for pk, object_id, codename in rows.values_list(
            "pk", "content_object_id", "permission__codename"
        )
    }
    stale = [pk for key, pk in current.items() if key not in wanted]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    model.objects.bulk_create(
        model(user=user, permission=permissions[codename], content_object_id=object_id)
        for object_id, codename in wanted - current.keys()
    )


def hub_host_assign(*, hub: Hub, host_agency: Agency | None, provisional: bool) -> Hub:
    """Record which agency hosts a hub (an administrator's decision, not code)."""
    if host_agency is not None and host_agency.region_id != hub.region_id:
        raise ValidationError({"host_agency": "The host agency must be in the hub's region."})
    hub.host_agency = host_agency
    hub.provisional = provisional
    hub.save(update_fields=["host_agency", "provisional"])
    return hub


def county_region_assign(*, county: County, region: Region) -> bool:
    """Put a county (and the agencies serving it) in `region`, as decided by the task force.

    Returns whether the county changed region. The county's provenance becomes
    "set by the task force" either way.
    """
    with transaction.atomic():
        locked = County.objects.select_for_update().get(pk=county.pk)
        moved = locked.region_id != region.pk
        if moved:
            Agency.objects.filter(county=locked).update(region=region)
        if moved or locked.region_assignment != Provenance.TASK_FORCE:
            locked.region = region
            locked.region_assignment = Provenance.TASK_FORCE
            locked.save(update_fields=["region", "region_assignment"])
    county.region, county.region_assignment = region, Provenance.TASK_FORCE
    return moved


# ------------------------------------------------------------------- resource directory


@dataclass
class ProviderInput:
    """A directory entry as a person gives it (a form, the API or a spreadsheet row)."""

    name: str = ""
    kind: str = ""
    agency: Agency | None = None
    service_types: Sequence[ServiceType] = ()
    counties: Sequence[County] = ()
    tribes: Sequence[Tribe] = ()
    min_age: int | None = None
    max_age: int | None = None
    languages: str = ""
    trafficking_specialised: bool = False
    trauma_informed: bool = False
    culturally_specific: bool = False
    capacity_notes: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    hours: str = ""
    how_to_refer: str = ""
    active: bool = True


PROVIDER_TEXT_LIMITS = {
    "name": 200,
    "capacity_notes": 500,
    "phone": 40,
    "address": 300,
    "hours": 200,
    "how_to_refer": 500,
    "languages": 200,
}


def languages_normalise(text: str) -> str:
    """ "spanish, Hmong;english" -> "Spanish; Hmong; English" (order kept, repeats gone)."""
    parts = [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]
    seen: dict[str, str] = {}
    for part in parts:
        seen.setdefault(part.casefold(), part[:1].upper() + part[1:])
    return "; ".join(seen.values())


def provider_check(data: ProviderInput, *, region: Region, provider_id: int | None = None) -> None:
    """Raise ValidationError naming each wrong field (the same rules for every screen);
    cleans `data` in place (trimmed text, languages normalised)."""
    errors: dict[str, str] = {}
    for field, limit in PROVIDER_TEXT_LIMITS.items():
        value = (getattr(data, field) or "").strip()
        setattr(data, field, value)
        if len(value) > limit:
            errors[field] = f"Keep it to {limit} characters."
    data.email = (data.email or "").strip().lower()
    data.languages = languages_normalise(data.languages)
    if not data.name:
        errors["name"] = "Give the provider's name."
    elif (
        Provider.objects.filter(region=region, name__iexact=data.name)
        .exclude(pk=provider_id)
        .exists()
    ):
        errors["name"] = f"{region}'s directory already lists a provider of this name."
    if data.kind not in ProviderKind.values:
        errors["kind"] = "Choose what kind of provider it is."
    if not data.service_types:
        errors["service_types"] = "Choose at least one service it offers."
    if not data.counties:
        errors["counties"] = "Choose at least one county it serves."
    for field in ("min_age", "max_age"):
        value = getattr(data, field)
        if value is not None and not 0 <= value <= 30:
            errors[field] = "Give an age from 0 to 30, or leave it empty."
    if (
        data.min_age is not None
        and data.max_age is not None
        and "min_age" not in errors
        and "max_age" not in errors
        and data.min_age > data.max_age
    ):
        errors["max_age"] = "The oldest age served is below the youngest."
    if data.email:
        try:
            EmailValidator()(data.email)
        except ValidationError:
            errors["email"] = "Give a working email address, like intake@example.org."
    if errors:
        raise ValidationError(errors)


def _require_directory_keeper(actor: AbstractBaseUser, region: Region) -> None:
    from regions.selectors import may_manage_directory

    if not may_manage_directory(actor, region):
        raise PermissionDenied(f"Only the hub specialists of {region} keep its directory.")


def _provider_write(provider: Provider, data: ProviderInput) -> None:
    for field in (
        "name",
        "kind",
        "agency",
        "min_age",
        "max_age",
        "languages",
        "trafficking_specialised",
        "trauma_informed",
        "culturally_specific",
        "capacity_notes",
        "phone",
        "email",
        "address",
        "hours",
        "how_to_refer",
        "active",
    ):
        setattr(provider, field, getattr(data, field))
    provider.updated_at = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: the name taken between check and save
            provider.save()
    except IntegrityError as clash:
        if "one_provider_name_per_region" not in str(clash):
            raise
        raise ValidationError(
            {"name": f"{provider.region}'s directory already lists a provider of this name."}
        ) from None
    provider.service_types.set(data.service_types)
    provider.counties.set(data.counties)
    provider.tribes.set(data.tribes)


def provider_create(*, actor: AbstractBaseUser, region: Region, data: ProviderInput) -> Provider:
    """Add a provider to `region`'s directory (its hub specialists only)."""
    _require_directory_keeper(actor, region)
    provider_check(data, region=region)
    with transaction.atomic():
        provider = Provider(region=region)
        _provider_write(provider, data)
    return provider


def provider_update(*, actor: AbstractBaseUser, provider_id: int, data: ProviderInput) -> Provider:
    """Change a directory entry (its region's hub specialists only); `active` False keeps
    it for the needs that name it but leaves it out of searches and referrals."""
    with transaction.atomic():
        provider = (
            Provider.objects.select_for_update().select_related("region").get(pk=provider_id)
        )
        _require_directory_keeper(actor, provider.region)
        provider_check(data, region=provider.region, provider_id=provider.pk)
        _provider_write(provider, data)
    return provider


class ProviderImportRefused(ValidationError):
    """Rows that are wrong, as [(row number, field, message)]; nothing was imported."""

    def __init__(self, row_errors: list[tuple[int, str, str]]):
        self.row_errors = row_errors
        super().__init__([f"Row {n}, {field}: {message}" for n, field, message in row_errors])


def providers_import(
    *, actor: AbstractBaseUser, region: Region, rows: Sequence[tuple[int, ProviderInput]]
) -> list[Provider]:
    """Add a batch of providers (numbered spreadsheet rows) to `region`'s directory: all
    of them in one transaction, or none (ProviderImportRefused with every row's errors,
    names repeated within the file included)."""
    _require_directory_keeper(actor, region)
    row_errors: list[tuple[int, str, str]] = []
    first_row_of: dict[str, int] = {}
    for number, data in rows:
        try:
            provider_check(data, region=region)
        except ValidationError as invalid:
            for field, messages in invalid.message_dict.items():
                row_errors.extend((number, field, message) for message in messages)
        key = data.name.casefold()
        if key and key in first_row_of:
            row_errors.append((number, "name", f"The same name as row {first_row_of[key]}."))
        first_row_of.setdefault(key, number)
    if row_errors:
        raise ProviderImportRefused(row_errors)
    with transaction.atomic():
        created = []
        for number, data in rows:
            try:
                created.append(provider_create(actor=actor, region=region, data=data))
            except ValidationError as invalid:  # a name added meanwhile, by someone else
                raise ProviderImportRefused(
                    [
                        (number, field, message)
                        for field, messages in invalid.message_dict.items()
                        for message in messages
                    ]
                ) from None
        return created
