"""What every training page shares: who may use them."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from training.selectors import home_region_of, in_network, training_regions_managed_by


def network_member_required(view):
    """Training pages are for anyone with a place in the network (hub specialists, agency
    staff, the state task force); trainings are not confidential, but not public."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not in_network(request.user):
            raise PermissionDenied("Training records are for the hubs, agencies and task force.")
        return view(request, *args, **kwargs)

    return wrapper


def training_manager_required(view):
    """Logging, changing and importing trainings: hub specialists, for their regions."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not training_regions_managed_by(request.user):
            raise PermissionDenied("Only hub specialists log and change trainings.")
        return view(request, *args, **kwargs)

    return wrapper


def training_nav(request, current: str) -> dict:
    """What templates/training/_nav.html needs: which tab is current ("list",
    "coverage", "new", "import"), whether the user may log trainings, and the region
    whose coverage the tab opens (their own, else region 1)."""
    managed = training_regions_managed_by(request.user)
    home = home_region_of(request.user)
    number = managed[0].number if managed else home.number if home else 1
    return {"current": current, "can_manage": bool(managed), "coverage_region": number}
