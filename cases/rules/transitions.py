"""The case lifecycle (DESIGN.md §4) as one table: which action is allowed from which statuses, to whom.

A user's *position* towards a case (holder village/town/county, holder unit, receiver of a pending referral, the
system's sweep) decides who may act; `cases.policy` asks this table, the services check it, and the case page
shows exactly the actions it allows now.
"""

from dataclasses import dataclass

from org.models import SYSTEM_USERNAME, TOWN_ROLES, VILLAGE_ROLES, Role
from org.selectors import membership_of

from ..models import OPEN_STATUSES, ExtensionStatus, ReferralKind, ReferralStatus, Status, Tier

# Positions an actor can hold towards a case (see `position_of`).
HOLDER_VILLAGE = "village"  # a village user of the village currently holding the case
HOLDER_TOWN = "town"  # a town user of the town currently holding the case
HOLDER_COUNTY = "county"  # the county centre, case held at the county
HOLDER_UNIT = "unit"  # staff of the unit the case was transferred to
RECEIVER = "receiver"  # a user of the division a pending referral is addressed to
SYSTEM = "system"  # the deadline sweep
APPROVER = "approver"  # a user of the tier a pending extension request is addressed to

HOLDERS = frozenset({HOLDER_VILLAGE, HOLDER_TOWN, HOLDER_COUNTY, HOLDER_UNIT})
OPEN = frozenset(OPEN_STATUSES)

# Who holds each position, for explaining a refusal.
POSITION_NAMES = {
    HOLDER_VILLAGE: "承办的村",
    HOLDER_TOWN: "承办的镇街",
    HOLDER_COUNTY: "县社会治理协调中心",
    HOLDER_UNIT: "承办单位",
    RECEIVER: "提请所报送的上级",
    APPROVER: "延期申请的审批方",
}


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset  # statuses the case may be in
    positions: frozenset  # positions the actor must hold
    target: str | None  # new status (None: unchanged)


# THE table. Services check it; the case page asks it which buttons to show.
TRANSITIONS = {
    "start": Transition("开始调处", frozenset({Status.LOGGED}), HOLDERS, Status.IN_PROGRESS),
    "assign": Transition("落实四定", frozenset({Status.LOGGED, Status.IN_PROGRESS}),
                         frozenset({HOLDER_TOWN, HOLDER_COUNTY}), Status.IN_PROGRESS),
    "duty": Transition("三包记录", frozenset({Status.IN_PROGRESS}), HOLDERS, None),
    "refer": Transition("提请上级", frozenset({Status.LOGGED, Status.IN_PROGRESS}),
                        frozenset({HOLDER_VILLAGE, HOLDER_TOWN}), Status.REFERRED),
    "accept": Transition("签收", frozenset({Status.REFERRED}), frozenset({RECEIVER}), Status.IN_PROGRESS),
    "return": Transition("退回", frozenset({Status.REFERRED}), frozenset({RECEIVER}), Status.IN_PROGRESS),
    "transfer": Transition("移交责任单位", frozenset({Status.LOGGED, Status.IN_PROGRESS}),
                           frozenset({HOLDER_TOWN, HOLDER_COUNTY}), Status.IN_PROGRESS),
    "warn": Transition("发出预警", OPEN, frozenset({HOLDER_TOWN, HOLDER_COUNTY, RECEIVER}), None),
    "reassess_warning": Transition("重新评估预警", OPEN | {Status.RESOLVED}, frozenset({HOLDER_TOWN, HOLDER_COUNTY}),
                                   None),
    "close_warning": Transition("解除预警", OPEN | {Status.RESOLVED, Status.CLOSED, Status.REJECTED},
                                frozenset({HOLDER_TOWN, HOLDER_COUNTY}), None),
    # A unit does not resolve on its own: it files 办理反馈 and the transferring tier's 审核 resolves the case.
    "resolve": Transition("化解", frozenset({Status.IN_PROGRESS}), HOLDERS - {HOLDER_UNIT}, Status.RESOLVED),
    # 回访 fall due 7, 30 and 90 days after a resolution (cases.services.mediation), so also after 结案.
    "visit": Transition("回访", frozenset({Status.RESOLVED, Status.CLOSED}), HOLDERS, None),
    "close": Transition("结案", frozenset({Status.RESOLVED}), HOLDERS - {HOLDER_UNIT}, Status.CLOSED),
    "reject": Transition("不予受理", frozenset({Status.LOGGED}), frozenset({HOLDER_VILLAGE, HOLDER_TOWN}),
                         Status.REJECTED),
    "reopen": Transition("纠纷反复，重新办理", frozenset({Status.RESOLVED, Status.CLOSED}),
                         frozenset({HOLDER_VILLAGE, HOLDER_TOWN, HOLDER_COUNTY}), Status.IN_PROGRESS),
    # The unit's side of a transfer: sign for it or send it back; file 办理反馈, which the transferring tier reviews.
    "accept_transfer": Transition("签收移交", frozenset({Status.IN_PROGRESS}), frozenset({HOLDER_UNIT}), None),
    "return_transfer": Transition("退回移交", frozenset({Status.IN_PROGRESS}), frozenset({HOLDER_UNIT}), None),
    "file_feedback": Transition("办理反馈", frozenset({Status.IN_PROGRESS}), frozenset({HOLDER_UNIT}), None),
    "review_feedback": Transition("审核办理反馈", frozenset({Status.IN_PROGRESS}),
                                  frozenset({HOLDER_TOWN, HOLDER_COUNTY}), None),
    "request_extension": Transition("申请延期", frozenset({Status.LOGGED, Status.IN_PROGRESS}), HOLDERS, None),
    "decide_extension": Transition("审批延期", frozenset(OPEN_STATUSES), frozenset({APPROVER}), None),
    # 督办逾期: the sweep raises a case whose supervision lapsed to the county (cases.services.supervision).
    "escalate": Transition("督办逾期提级到县", OPEN, frozenset({SYSTEM}), Status.IN_PROGRESS),
}

# Actions a person may take on the case page (the sweep's are not offered there).
USER_ACTIONS = tuple(name for name, t in TRANSITIONS.items() if SYSTEM not in t.positions)


def pending_referral(dispute):
    """The referral of this case waiting for 签收, or None (one query; none when the case is not referred)."""
    if dispute.status != Status.REFERRED:
        return None
    return dispute.referrals.filter(status=ReferralStatus.PENDING, kind=ReferralKind.REFER).first()


def position_of(user, dispute, *, referral=None, extension=None) -> set[str]:
    """What the user is towards the case right now (may be several, e.g. holder and receiver). `referral` is the
    pending referral, `extension` the pending extension request, when there is one."""
    if getattr(user, "username", None) == SYSTEM_USERNAME:
        return {SYSTEM}
    m = membership_of(user)
    if m is None:
        return set()
    positions = set()
    # The tier that holds a case keeps its position after transferring it to a unit: it follows up and closes.
    held_here = dispute.holder_division_id == m.division_id
    if m.role in VILLAGE_ROLES and dispute.tier == Tier.VILLAGE and held_here:
        positions.add(HOLDER_VILLAGE)
    if m.role in TOWN_ROLES and dispute.tier == Tier.TOWN and held_here:
        positions.add(HOLDER_TOWN)
    if m.role == Role.COUNTY_CENTRE and dispute.tier == Tier.COUNTY:
        positions.add(HOLDER_COUNTY)
    if m.role == Role.UNIT_STAFF and dispute.holder_unit_id and dispute.holder_unit_id == m.unit_id:
        positions.add(HOLDER_UNIT)
    if referral is not None and referral.to_division_id == m.division_id and (
        (referral.to_tier == Tier.TOWN and m.role in TOWN_ROLES)
        or (referral.to_tier == Tier.COUNTY and m.role == Role.COUNTY_CENTRE)
    ):
        positions.add(RECEIVER)
    if extension is not None and extension.approver_division_id == m.division_id and (
        (extension.approver_tier == Tier.TOWN and m.role in TOWN_ROLES)
        or (extension.approver_tier == Tier.COUNTY and m.role == Role.COUNTY_CENTRE)
    ):
        positions.add(APPROVER)
    return positions


UNLOADED = object()  # "not loaded by the caller": allowed_actions loads it itself


def pending_extension(dispute):
    """The extension request of this case waiting for a decision, or None (one query)."""
    if dispute.status not in OPEN_STATUSES:
        return None
    return dispute.extensions.filter(status=ExtensionStatus.PENDING).first()


def allowed_actions(user, dispute, *, referral=UNLOADED, extension=UNLOADED) -> list[str]:
    """Actions the table allows this user on this case now, in table order. Pass the pending `referral` and
    `extension` (or None) when the caller has them already (the agenda prefetches them), to save the queries."""
    if referral is UNLOADED:
        referral = pending_referral(dispute)
    if extension is UNLOADED:
        extension = pending_extension(dispute)
    positions = position_of(user, dispute, referral=referral, extension=extension)
    return [name for name in USER_ACTIONS
            if dispute.status in TRANSITIONS[name].sources and positions & TRANSITIONS[name].positions]


def refusal_message(dispute, action) -> str:
    """Why `action` is not open to the user now (same wording as the services' refusals)."""
    t = TRANSITIONS[action]
    if dispute.status not in t.sources:
        return f"案件当前状态为“{dispute.get_status_display()}”，不能{t.label}。"
    who = "、".join(POSITION_NAMES[p] for p in POSITION_NAMES if p in t.positions)
    return f"您不是该案件当前的承办方，不能{t.label}（只能由{who}办理）。"
