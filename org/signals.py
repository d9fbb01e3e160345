"""Keeps each account's directory row (人员库) in step with its membership (org.people)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Membership
from .people import sync_from_membership


@receiver(post_save, sender=Membership, dispatch_uid="org.people.sync")
def _membership_saved(sender, instance, raw, **kwargs):
    if not raw:
        sync_from_membership(instance)
