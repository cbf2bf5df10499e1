from django import template

from tongzhou.core.money import yuan as to_yuan

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """1250 → 12.50: amounts are kept in fen and shown in yuan."""
    return "" if fen is None else to_yuan(int(fen))
