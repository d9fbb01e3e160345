from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """A rate from stats.figures: "87.5%", or "—" when it has no denominator."""
    return "—" if value is None else f"{value}%"
