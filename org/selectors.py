"""Reads about the acting user: their membership and the divisions they may see."""

from .jurisdiction import subtree_q
from .models import Division, Level, Membership


def membership_of(user) -> Membership | None:
    """The user's membership (cached on the user object for the request), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_membership_cache", False)
    if cached is False:
        cached = Membership.objects.select_related("division", "unit").filter(user=user).first()
        user._membership_cache = cached
    return cached


def villages_within(division: Division):
    """Villages inside `division` (itself if it is a village), by code range."""
    return Division.objects.filter(subtree_q("code", division), level=Level.VILLAGE)


def divisions_within(division: Division):
    """Township and village divisions inside `division`, for filter drop-downs."""
    return Division.objects.filter(subtree_q("code", division), level__in=[Level.TOWNSHIP, Level.VILLAGE])
