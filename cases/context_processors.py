from . import policy


def navigation(request):
    """The menu, built from the policy's answers: templates show it and decide nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"menu": policy.menu_for(user)}
