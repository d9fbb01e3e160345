from django.utils.functional import SimpleLazyObject

from . import queue


def todo_badge(request):
    """The unread count on the 待办 menu item: one indexed query, run only when a page shows that item."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"todo_unread": SimpleLazyObject(lambda: queue.unread_count(user))}
