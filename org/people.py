"""The people directory's rules (人员库): who a person is for an account, and who may be named where.

Everyone with a `Membership` has a `Person` linked to the account, kept in step when the membership is saved
(`sync_from_membership`, connected in org/signals.py), so code that has a user can always name the person.
"""

from django.db import transaction

from .models import Membership, Person


def _display_name(user) -> str:
    return (f"{user.last_name}{user.first_name}".strip() or user.get_username())[:32]


@transaction.atomic
def sync_from_membership(membership: Membership) -> Person:
    """Create or update the account's directory row from its membership (name, post, division, unit, phone)."""
    user = membership.user
    person = Person.objects.select_for_update().filter(user=user).first() or Person(user=user)
    person.name = _display_name(user)
    person.post = membership.title or membership.get_role_display()
    person.division_id = membership.division_id
    person.unit_id = membership.unit_id
    if membership.phone:
        person.phone = membership.phone
    person.active = user.is_active
    person.save()
    return person


def person_for(user) -> Person:
    """The directory row of an account (created from its membership when missing)."""
    try:
        return user.person
    except Person.DoesNotExist:
        return sync_from_membership(user.membership)
