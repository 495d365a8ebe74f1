"""What every training page shares: who may use them."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from training.selectors import in_network, training_regions_managed_by


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
