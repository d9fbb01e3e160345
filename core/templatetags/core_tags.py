"""Display helpers every template may load (`{% load core_tags %}`): clocks and masks.

Display only: what a user may see is decided in the views (cases.policy), never here."""

from django import template

from core import clocks, validators

register = template.Library()


@register.inclusion_tag("_clock.html")
def clock(deadline, label=""):
    """A deadline's clock as a coloured badge: {% clock case.deadline %}."""
    return {"clock": clocks.clock_for(deadline), "label": label}


@register.filter
def mask_id(value):
    return validators.mask_id_number(value or "")


@register.filter
def mask_phone(value):
    return validators.mask_phone(value or "")


@register.filter
def mask_address(value):
    return validators.mask_address(value or "")


@register.filter
def id_birth_date(value):
    """出生日期 as a full (revealed) ID number states it, or None: show it only where the full number is shown."""
    facts = validators.id_number_facts(value)
    return facts.birth_date if facts else None
