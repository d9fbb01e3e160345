"""Keeps each account's directory row (人员库) in step with its membership (org.people)."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Membership, Person
from .people import display_name, sync_from_membership


@receiver(post_save, sender=Membership, dispatch_uid="org.people.sync")
def _membership_saved(sender, instance, raw, **kwargs):
    if not raw:
        sync_from_membership(instance)


ACCOUNT_FIELDS = {"first_name", "last_name", "username", "is_active"}


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="org.people.rename")
def _account_saved(sender, instance, raw, created, update_fields=None, **kwargs):
    """An account renamed or switched off: its directory row says so too. A save of other fields (a login writes
    last_login) leaves the row alone."""
    if raw or created or (update_fields is not None and not set(update_fields) & ACCOUNT_FIELDS):
        return
    Person.objects.filter(user=instance).exclude(name=display_name(instance), active=instance.is_active).update(
        name=display_name(instance), active=instance.is_active)
