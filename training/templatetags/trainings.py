from django import template

from training.models import hours_text

register = template.Library()


@register.filter
def hours(value) -> str:
    """A length in hours as people write it: 2, 1.5, 0.75 (never 1.50)."""
    return hours_text(value)
