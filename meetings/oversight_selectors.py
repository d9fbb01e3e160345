"""Reads of the 督导组's records (issue 11 #3). Non-supervisors get 403 on the 督导组's own pages; an opinion outside
the user's reach is 404."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404

from cases import policy
from cases.selectors import cases_visible_to
from org.selectors import membership_of

from .oversight import OversightOpinion, OversightVisit, SpotCheckItem, SpotCheckSample


def require_oversee(user):
    if not policy.can_oversee(user):
        raise PermissionDenied("只有督导组可以进入督导工作。")


def visits(user):
    require_oversee(user)
    return (OversightVisit.objects.select_related("division__parent", "meeting", "created_by")
            .prefetch_related("members"))


def samples(user):
    require_oversee(user)
    return (SpotCheckSample.objects.select_related("town", "drawn_by")
            .annotate(done=Count("items", filter=Q(items__called_at__isnull=False)), drawn=Count("items")))


def get_visit(user, pk) -> OversightVisit:
    visit = visits(user).filter(pk=pk).first()
    if visit is None:
        raise Http404("未找到该督导安排。")
    return visit


def get_sample(user, pk) -> SpotCheckSample:
    sample = samples(user).filter(pk=pk).first()
    if sample is None:
        raise Http404("未找到该抽查样本。")
    return sample


def sample_items(sample):
    return list(SpotCheckItem.objects.filter(sample=sample).select_related("dispute__village", "called_by")
                .prefetch_related("dispute__parties").order_by("position"))


def get_item(sample, item_id) -> SpotCheckItem:
    item = SpotCheckItem.objects.filter(sample=sample, pk=item_id).select_related("dispute").first()
    if item is None:
        raise Http404("未找到该抽查案件。")
    return item


def opinions_for(user):
    """The 督导组: every opinion; a convener: the opinions addressed to their meetings or the cases their tier holds.
    Others: 403."""
    qs = OversightOpinion.objects.select_related("meeting__division", "dispute", "by", "answered_by")
    if policy.can_oversee(user):
        return qs
    position = policy.convening(user)
    if position is None:
        raise PermissionDenied("您的角色不答复督导意见。")
    tier, division = position
    m = membership_of(user)
    return qs.filter(Q(meeting__division_id=m.division_id, meeting__tier=tier)
                     | Q(meeting__isnull=True, dispute__holder_division_id=division.code, dispute__tier=tier)
                     ).filter(Q(dispute__isnull=True) | Q(dispute__in=cases_visible_to(user)))


def get_opinion(user, pk) -> OversightOpinion:
    if not policy.sees_opinions(user):
        raise PermissionDenied("您的角色不答复督导意见。")
    opinion = opinions_for(user).filter(pk=pk).first()
    if opinion is None:
        raise Http404("未找到该督导意见。")
    return opinion


def meeting_opinions(meeting_pk) -> list[dict]:
    """The minutes' section 督导意见及答复 (live: an answer given after closing shows too)."""
    rows = (OversightOpinion.objects.filter(meeting_id=meeting_pk)
            .select_related("dispute", "by", "answered_by").order_by("at", "id"))
    return [{
        "number": o.dispute.number if o.dispute_id else "",
        "text": o.text, "by": _name(o.by), "at": o.at,
        "answer": o.answer, "answered_by": _name(o.answered_by) if o.answered_by_id else "",
        "answered_at": o.answered_at,
    } for o in rows]


def _name(user):
    return user.get_full_name() or user.username
