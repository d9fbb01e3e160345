"""Helpers shared by the meeting tests, and a URLconf that mounts the meetings app at /meetings/.

Test modules use `pytestmark = pytest.mark.urls("tests.meetings")`: the project's URLs plus `meetings/` (only added
here when jiaxiang/urls.py does not include it yet, so the same tests run before and after the wiring).
"""

import datetime
import itertools

from django.urls import include, path
from django.utils import timezone

from cases.models import (
    Dispute,
    EscalationRule,
    Party,
    Referral,
    ReferralKind,
    ReferralStatus,
    Status,
    Tier,
)
from jiaxiang.urls import urlpatterns as project_urlpatterns
from meetings import services
from org.models import Division

urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "meetings" for p in urlpatterns):
    urlpatterns.append(path("meetings/", include("meetings.urls")))

NOW = timezone.now
DAY = datetime.timedelta(days=1)


def open_meeting(user, **fields):
    data = {"held_on": timezone.localdate(), "place": "会议室", "form": "room", **fields}
    return services.open_meeting(actor=user, **data)[0]


def minutes_people(meeting):
    """(记录人, 审核人) for closing: a 综治办 member added to the attendance records, the convener checks."""
    from meetings.models import Attendance, AttendeeKind

    checker = Attendance.objects.filter(meeting=meeting, kind=AttendeeKind.MEMBER).order_by("id").first()
    recorder = Attendance.objects.create(meeting=meeting, kind=AttendeeKind.MEMBER, name="李记录",
                                         role_title="综治办干事")
    return recorder, checker


def close(actor, meeting, **kwargs):
    """services.close_meeting with a 记录人 and a 审核人."""
    recorder, checker = minutes_people(meeting)
    return services.close_meeting(actor=actor, meeting=meeting, recorder_id=recorder.pk, checker_id=checker.pk,
                                  **kwargs)


def close_data(meeting):
    """The POST of the meeting page's close form: 记录人, 审核人 and the confirmation ticked."""
    recorder, checker = minutes_people(meeting)
    return {"recorder": recorder.pk, "checker": checker.pk, "confirm": "on"}


def no_rules():
    """Switch the seeded escalation rules off so a test sees only the flags it sets up."""
    EscalationRule.objects.update(active=False)


def rule(**fields):
    data = {"name": "测试规则", "action": "raise_warning", "warning_trigger": "intensify", "within_workdays": 1,
            **fields}
    return EscalationRule.objects.create(**data)


def set_fields(case, **fields):
    Dispute.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def pending_referral(case, *, by, to_code, from_code=None, from_tier=Tier.VILLAGE, to_tier=Tier.TOWN):
    """Put `case` in 已提请 with a pending referral to `to_code` (cheaper than the service for bulk fixtures)."""
    set_fields(case, status=Status.REFERRED)
    return Referral.objects.create(
        dispute=case, kind=ReferralKind.REFER, from_tier=from_tier,
        from_division_id=from_code or case.holder_division_id,
        to_tier=to_tier, to_division_id=to_code, reason="村级调解未果", status=ReferralStatus.PENDING, created_by=by,
    )


_batch = itertools.count(1)


def clone_cases(template, n, **fields):
    """n copies of `template` (with one party each) in two bulk queries; `fields` override the copies' columns."""
    rows = []
    batch = next(_batch)
    for i in range(n):
        clone = Dispute.objects.get(pk=template.pk)
        clone.pk = None
        clone.number = f"{template.number}-{batch}-{i}"
        for k, v in fields.items():
            setattr(clone, k, v)
        rows.append(clone)
    created = Dispute.objects.bulk_create(rows)
    Party.objects.bulk_create([Party(dispute=d, role="applicant", name=f"当事人{d.pk}", sex="M") for d in created])
    return created


def division(code):
    return Division.objects.get(code=code)
