from django.core.exceptions import PermissionDenied, ValidationError


def errors_to_forms(exc: ValidationError | PermissionDenied, *forms) -> None:
    """Show a service's refusal on the page: each field error next to its field in whichever
    form has it, anything else (and a PermissionDenied) at the top of the last form."""
    if isinstance(exc, PermissionDenied):
        forms[-1].add_error(None, str(exc))
        return
    if not hasattr(exc, "error_dict"):
        forms[-1].add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        target = next((f for f in forms if field in f.fields), None)
        (target or forms[-1]).add_error(field if target else None, errors)
