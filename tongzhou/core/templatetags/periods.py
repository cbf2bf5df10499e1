from django import template

from tongzhou.core.periods import label

register = template.Library()


@register.filter
def period_label(period_id: str) -> str:
    """A period id (202605, 2026Q2, 2026S1, 2026) in the bureau's words."""
    return label(period_id)
