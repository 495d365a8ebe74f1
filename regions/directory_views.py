"""The regional resource directory's pages: the search (with its CSV and XLSX export), one
provider, adding and editing an entry, and the CSV import (template, upload, preview,
confirm).

Everyone signed in searches and reads the directory (it holds no youth data); a
region's hub specialists keep its entries, through regions.services only.
"""

import secrets
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET, require_http_methods

from hubnet.csv_import import RowError, import_text
from hubnet.forms import QuickSelect
from hubnet.sorting import SortableColumns
from regions import directory_imports as imports
from regions.directory_filters import ProviderFilter
from regions.directory_forms import ImportForm, ProviderForm
from regions.models import County, Membership, ProviderKind, Region, Role
from regions.selectors import (
    directory_regions_managed_by,
    get_provider_for_user,
    may_manage_directory,
    providers_visible_to,
)
from regions.services import (
    ProviderImportRefused,
    provider_create,
    provider_update,
    providers_import,
)

PAGE_SIZE = 20
EXPORT_LIMIT = 5000
COUNTIES_SHOWN = 6  # on a result; the rest as "and N more"
FLAGS = [
    ("trafficking_specialised", "Trafficking-specialised"),
    ("trauma_informed", "Trauma-informed"),
    ("culturally_specific", "Culturally specific"),
]
KIND_LABEL = Case(
    *(When(kind=value, then=Value(label)) for value, label in ProviderKind.choices),
    default=Value(""),
)
SORTING = SortableColumns(
    [
        ("name", "Name", (Lower("name"),), False),
        ("region", "Region", ("region__number", Lower("name")), False),
        ("kind", "Kind", (KIND_LABEL, Lower("name")), False),
    ],
    default="name",
)
# What the page calls each filter, to name the one that is wrong.
FILTER_LABELS = {
    "q": "Name",
    "service_type": "Service",
    "county": "County served",
    "tribe": "Tribe served",
    "age": "Youth's age",
    "language": "Language",
    "region": "Region",
    "include_inactive": "Include inactive",
}


def home_region_of(user) -> Region | None:
    """The region whose directory a person opens first: the one they keep, else the one
    their hub or agency is in; None (all regions) for the state task force and people
    without a membership."""
    managed = directory_regions_managed_by(user)
    if managed:
        return managed[0]
    membership = (
        Membership.objects.active()
        .filter(
            user=user, role__in=[Role.HUB_SPECIALIST, Role.AGENCY_STAFF, Role.AGENCY_SUPERVISOR]
        )
        .select_related("hub__region", "agency__region")
        .order_by("pk")
        .first()
    )
    if membership is None:
        return None
    return membership.hub.region if membership.hub_id else membership.agency.region


def directory_keeper_required(view):
    """Adding and importing entries: hub specialists, for the regions they keep."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not directory_regions_managed_by(request.user):
            raise PermissionDenied("Only hub specialists keep a region's directory.")
        return view(request, *args, **kwargs)

    return wrapper


def _nav(request, current: str) -> dict:
    """What templates/directory/_nav.html needs: the current tab ("list", "new",
    "import", "detail") and whether the user keeps a directory."""
    return {"current": current, "can_manage": bool(directory_regions_managed_by(request.user))}


# ------------------------------------------------------------------------ search, export


def _county_choices(home: Region | None) -> list:
    """The county filter's choices: the viewer's region's counties first."""
    counties = list(County.objects.order_by("name").values_list("fips", "name", "region_id"))
    if home is None:
        return [("", "Any county"), *((fips, name) for fips, name, _ in counties)]
    own = [(fips, name) for fips, name, region in counties if region == home.pk]
    other = [(fips, name) for fips, name, region in counties if region != home.pk]
    return [("", "Any county"), ("Your region", own), ("Other counties", other)]


def _filtered(request: HttpRequest, visible):
    """The filter (the viewer's home region unless they chose "All regions"; inactive
    entries left out unless asked for) and its providers in the chosen order."""
    data = request.GET.copy()
    home = home_region_of(request.user)
    # A county or tribe chosen finds every provider serving it, whichever region's
    # directory lists it; otherwise the search starts in the viewer's region.
    place_chosen = data.get("county") or data.get("tribe")
    if "region" not in data and home is not None and not place_chosen:
        data["region"] = str(home.number)
    provider_filter = ProviderFilter(data, queryset=visible, request=request)
    form = provider_filter.form
    form.fields["county"].widget = QuickSelect(choices=_county_choices(home))
    providers = provider_filter.qs if provider_filter.is_valid() else visible.none()
    return provider_filter, providers.order_by(*SORTING.ordering(SORTING.sort_of(request)))


def _filter_errors(provider_filter) -> list[dict]:
    """Each filter that is wrong, by the name the page gives it, with what is wrong."""
    return [
        {
            "label": FILTER_LABELS.get(name, name.replace("_", " ").capitalize()),
            "message": " ".join(m),
        }
        for name, m in provider_filter.errors.items()
    ]


def ages_served(provider) -> str:
    low, high = provider.min_age, provider.max_age
    if low is None and high is None:
        return "All ages"
    if low is None:
        return f"Up to {high}"
    if high is None:
        return f"{low} and older"
    return f"Age {low}" if low == high else f"{low}\u2013{high}"


def _totals(providers) -> dict:
    """Over every provider the filters find, not one page: one query."""
    plain = providers.order_by().prefetch_related(None).select_related(None)
    return plain.aggregate(
        providers=Count("pk"),
        **{flag: Count("pk", filter=Q(**{flag: True})) for flag, _ in FLAGS},
        inactive=Count("pk", filter=Q(active=False)),
    )


@require_GET
def directory_list(request: HttpRequest) -> HttpResponse:
    provider_filter, providers = _filtered(request, providers_visible_to(request.user))
    page = Paginator(providers, PAGE_SIZE).get_page(request.GET.get("page"))
    results = list(page.object_list)
    for provider in results:
        counties = list(provider.counties.all())
        provider.ages_label = ages_served(provider)
        provider.counties_shown = counties[:COUNTIES_SHOWN]
        provider.counties_more = max(0, len(counties) - COUNTIES_SHOWN)
    query = request.GET.copy()
    query.pop("page", None)
    valid = provider_filter.is_valid()
    region = provider_filter.form.cleaned_data.get("region") if valid else None
    flags = [
        {"name": name, "label": label, "checked": provider_filter.data.get(name) in ("true", "1")}
        for name, label in FLAGS
    ]
    errors = _filter_errors(provider_filter)
    return render(
        request,
        "directory/list.html",
        {
            "nav": _nav(request, "list"),
            "filter": provider_filter,
            "flags": flags,
            "include_inactive": provider_filter.data.get("include_inactive") in ("true", "1"),
            "page": page,
            "results": results,
            "sorts": SORTING.headers(SORTING.sort_of(request), query),
            "query": query.urlencode(),
            "filter_errors": errors,
            "totals": _totals(providers),
            "region": region,
            "filtered": any(
                value for key, value in request.GET.items() if key not in ("sort", "page")
            ),
        },
        status=400 if errors else 200,
    )


@require_GET
def directory_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The search as it is filtered and sorted, every provider (up to EXPORT_LIMIT), as
    CSV or XLSX."""
    provider_filter, providers = _filtered(request, providers_visible_to(request.user))
    refused = {"nav": _nav(request, "list"), "back": "?" + request.GET.urlencode()}
    if not provider_filter.is_valid():
        refused["filter_errors"] = _filter_errors(provider_filter)
        return render(request, "directory/export_refused.html", refused, status=400)
    rows = list(providers[: EXPORT_LIMIT + 1])
    if len(rows) > EXPORT_LIMIT:
        refused.update(limit=EXPORT_LIMIT, count=providers.count())
        return render(request, "directory/export_refused.html", refused, status=400)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    if file_format == "xlsx":
        filters = ", ".join(
            f"{key}={value}"
            for key, value in provider_filter.data.items()
            if value and key not in ("sort", "page")
        )
        title = f"HubNet resource directory exported {stamp} by {request.user.get_username()}"
        body = imports.providers_xlsx(rows, title=title, filters=filters)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = imports.providers_csv(rows)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="providers-{stamp}.{file_format}"'
    return response


# ---------------------------------------------------------------------- one provider


@require_GET
def provider_detail(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = get_provider_for_user(request.user, provider_id)
    return render(
        request,
        "directory/detail.html",
        {
            "nav": _nav(request, "detail"),
            "provider": provider,
            "ages": ages_served(provider),
            "languages": [part for part in provider.languages.split("; ") if part],
            "flags": [(name, label) for name, label in FLAGS if getattr(provider, name)],
            "may_manage": may_manage_directory(request.user, provider.region),
        },
    )


@require_http_methods(["GET", "POST"])
@directory_keeper_required
def provider_new(request: HttpRequest) -> HttpResponse:
    regions = directory_regions_managed_by(request.user)
    if request.method == "POST":
        form = ProviderForm(request.POST, regions=regions)
        if form.check():
            try:
                provider = provider_create(
                    actor=request.user, region=form.chosen_region, data=form.provider_input()
                )
            except ValidationError as invalid:
                form.add_service_errors(invalid)
            else:
                messages.success(request, f"{provider.name} added to the directory.")
                return redirect("directory:detail", provider.pk)
    else:
        form = ProviderForm(regions=regions)
    return render(
        request,
        "directory/form.html",
        {"nav": _nav(request, "new"), "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def provider_edit(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = get_provider_for_user(request.user, provider_id, write=True)
    if request.method == "POST":
        form = ProviderForm(request.POST, provider=provider)
        if form.check():
            try:
                provider_update(
                    actor=request.user, provider_id=provider.pk, data=form.provider_input()
                )
            except ValidationError as invalid:
                form.add_service_errors(invalid)
            else:
                messages.success(request, "Saved.")
                return redirect("directory:detail", provider.pk)
    else:
        form = ProviderForm(provider=provider, initial=ProviderForm.initial_of(provider))
    return render(
        request,
        "directory/form.html",
        {"nav": _nav(request, "detail"), "form": form, "provider": provider},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------------------- import
#
# The upload is read and every row checked; a file with any error is shown with all of
# them and nothing is imported. A good file is shown as the providers it will add and
# kept in the session under a random token; confirming imports what was kept (read and
# checked again), never what the browser sends, and uses the token up, so a second click
# imports nothing.

PENDING = "directory_import"  # session: the previewed file, waiting for confirmation
USED = "directory_import_used"  # session: tokens already confirmed (the last few)


@require_GET
@directory_keeper_required
def import_template(request: HttpRequest) -> HttpResponse:
    """The CSV template, with example rows for `?region=` (a region the specialist keeps;
    their first when not given)."""
    regions = directory_regions_managed_by(request.user)
    asked = request.GET.get("region")
    if asked is None:
        region = regions[0]
    else:
        number = int(asked) if asked.isdigit() else None
        if number is None or not Region.objects.filter(number=number).exists():
            return HttpResponseBadRequest("No such region.", content_type="text/plain")
        region = next((r for r in regions if r.number == number), None)
        if region is None:
            raise PermissionDenied("Only the region's hub specialists keep its directory.")
    response = HttpResponse(imports.template_csv(region), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="hubnet-directory-template-region-{region.number}.csv"'
    )
    return response


@require_http_methods(["GET", "POST"])
@directory_keeper_required
def directory_import(request: HttpRequest) -> HttpResponse:
    regions = directory_regions_managed_by(request.user)
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, regions)
    form = ImportForm(request.POST or None, request.FILES or None, regions=regions)
    if not form.is_valid():
        context = {
            "form": form,
            "regions": regions,
            "columns": imports.COLUMNS,
            "nav": _nav(request, "import"),
        }
        return render(
            request, "directory/import.html", context, status=400 if form.errors else 200
        )
    region = next(r for r in regions if r.number == form.cleaned_data["region"])
    upload = form.cleaned_data["file"]
    text, errors = import_text(upload.read())
    parsed = (
        imports.ParsedImport(errors=errors) if errors else imports.import_rows(text, region=region)
    )
    if parsed.errors:
        return _preview(request, parsed, region=region, file_name=upload.name, regions=regions)
    token = secrets.token_urlsafe(24)
    request.session[PENDING] = {
        "token": token,
        "region": region.number,
        "text": text,
        "name": upload.name,
    }
    return _preview(
        request, parsed, region=region, file_name=upload.name, regions=regions, token=token
    )


def _confirm(request: HttpRequest, regions: list[Region]) -> HttpResponse:
    """Import the file kept at preview, once."""
    token = request.POST.get("token", "")
    pending = request.session.get(PENDING)
    if not pending or not constant_time_compare(pending["token"], token):
        return _not_pending(request, token)
    region = next((r for r in regions if r.number == pending["region"]), None)
    if region is None:
        raise PermissionDenied("Only the region's hub specialists keep its directory.")
    # The session is saved at the end of a request; two clicks at once could both find
    # the file still pending. The cache says atomically which of them came first.
    if not cache.add(f"directory-import:{token}", True, timeout=24 * 60 * 60):
        return _not_pending(request, token, submitted=True)
    del request.session[PENDING]
    request.session[USED] = [*request.session.get(USED, [])[-4:], token]
    request.session.save()

    # Read and checked again: someone may have added one of these names since.
    parsed = imports.import_rows(pending["text"], region=region)
    if not parsed.errors:
        try:
            providers = providers_import(actor=request.user, region=region, rows=parsed.rows)
        except ProviderImportRefused as refused:
            parsed.errors = [RowError(*error) for error in refused.row_errors]
    if parsed.errors:
        return _preview(request, parsed, region=region, file_name=pending["name"], regions=regions)
    count = len(providers)
    messages.success(request, f"Added {count} provider{pluralize(count)} to {region}'s directory.")
    return redirect(f"{reverse('directory:list')}?region={region.number}")


def _not_pending(request: HttpRequest, token: str, *, submitted=False) -> HttpResponse:
    if submitted or token in request.session.get(USED, []):
        messages.info(
            request, "That import was already submitted; nothing was imported a second time."
        )
        return redirect("directory:list")
    messages.error(
        request,
        "That preview is no longer open (another file was uploaded since, or you were "
        "signed out). Nothing was imported; upload the file again.",
    )
    return redirect("directory:import")


def _preview(
    request: HttpRequest,
    parsed: imports.ParsedImport,
    *,
    region: Region,
    file_name: str,
    regions: list[Region],
    token: str = "",
) -> HttpResponse:
    """The errors of a file (and a form for the corrected one), or what it will add and
    the button importing it."""
    providers = [
        {
            "row": number,
            "name": data.name,
            "kind": ProviderKind(data.kind).label,
            "services": [service.label for service in data.service_types],
            "counties": sorted(county.name for county in data.counties),
            "ages": ages_served(data),
            "languages": data.languages,
            "active": data.active,
        }
        for number, data in parsed.rows
    ]
    context = {
        "nav": _nav(request, "import"),
        "region": region,
        "file_name": file_name,
        "errors": sorted(parsed.errors, key=lambda error: error.row or 0),
        "rows_read": parsed.rows_read,
        "rows_with_errors": parsed.rows_with_errors,
        "providers": providers,
        "token": token,
        "form": ImportForm(regions=regions, initial={"region": region.number}),
    }
    return render(
        request,
        "directory/import_preview.html",
        context,
        status=400 if parsed.errors else 200,
    )
