"""THE answer to "may this user …?" (STYLE.md: one module, like healthchecks' access helpers).

Views, forms, services and the menu ask these functions; templates receive their booleans and `menu_for(user)`
and never compare roles. Jurisdiction (which cases a user sees at all) is `selectors.cases_visible_to`; these
functions assume the case was loaded through it. Role facts (which roles exist, which sit at a village or a town)
live in `org.models`; the lifecycle table in `rules.transitions`.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from org.models import CASE_WRITER_ROLES, NO_CASE_ACCESS_ROLES, TOWN_ROLES, VILLAGE_ROLES, Role
from org.selectors import membership_of

from .models import FINISHED_STATUSES, Duty, Status, SupervisionStatus, Tier, WarningStatus
from .rules import transitions
from .rules.transitions import HOLDER_TOWN, HOLDER_VILLAGE

WARNING_ACTIONS = frozenset({"reassess_warning", "close_warning"})


def _role(user):
    m = membership_of(user)
    return m.role if m is not None else None


# --- cases ---------------------------------------------------------------------------------------------------------


def sees_case_content(user) -> bool:
    """Administrators and auditors (and accounts without a post) never see case content (DESIGN.md §2)."""
    role = _role(user)
    return role is not None and role not in NO_CASE_ACCESS_ROLES


def can_view_dashboard(user) -> bool:
    """统计: whoever reads cases sees the figures of the cases they may read (stats/, DESIGN.md §8)."""
    return sees_case_content(user)


def can_export_statistics(user) -> bool:
    """统计汇总表 (stats.views.export): whoever sees the dashboard exports its figures (counts only, no case content)."""
    return can_view_dashboard(user)


def can_report_statistics(user) -> bool:
    """月报/季报 (stats.views.report_docx / report_xlsx): whoever sees the dashboard (figures and anonymised typical
    cases of the cases they may read; no party's name, ID number or phone)."""
    return can_view_dashboard(user)


def barred_from_case_content(user) -> bool:
    """Administrators and auditors: a case page or list answers 403 for them (others without a post see none)."""
    return _role(user) in NO_CASE_ACCESS_ROLES


def is_administrator(user) -> bool:
    """The 系统管理员 works in the Django admin and sees no case content."""
    return _role(user) == Role.ADMIN


def can_register(user) -> bool:
    """Register a dispute (and import 排查 results): village and town writers."""
    return _role(user) in CASE_WRITER_ROLES


def can_edit_case(user, dispute) -> bool:
    """Edit a case's basic record: only a writer of the tier that holds it, while it is not finished."""
    if _role(user) not in CASE_WRITER_ROLES or dispute.status in FINISHED_STATUSES:
        return False
    return bool(transitions.position_of(user, dispute) & {HOLDER_VILLAGE, HOLDER_TOWN})


def works_on_case(user, dispute) -> bool:
    """Who handles the case: case-writer roles, the county centre, and staff of the unit currently holding it.
    Supervisors, discipline and units that only see the case through a 四定 read it masked."""
    m = membership_of(user)
    if m is None:
        return False
    if m.role in CASE_WRITER_ROLES or m.role == Role.COUNTY_CENTRE:
        return True
    return m.role == Role.UNIT_STAFF and m.unit_id is not None and m.unit_id == dispute.holder_unit_id


def can_reveal_pii(user, dispute) -> bool:
    """See a party's full ID number, phone and address (logged, rate-limited: services.pii): who works on the case,
    and the 督导组 on a case of an open 抽查回访 sample (to phone the parties back, `reveals_for_spot_check`)."""
    return works_on_case(user, dispute) or reveals_for_spot_check(user, dispute)


def can_print_receipt(user, dispute) -> bool:
    """Print (and reprint) the citizen's receipt with the case's 查询码, or replace the code (docs/citizen.md): who
    works on the case and so meets the parties. Read-only roles never see the code: it opens the public page."""
    return works_on_case(user, dispute)


def reveals_for_spot_check(user, dispute) -> bool:
    """The 督导组's narrow reveal (issue 11 #3): the case is in a sample still being phoned back (回访中). The sample
    is a meetings record; it is reached through the case's reverse relation, so cases never imports meetings."""
    return _role(user) == Role.SUPERVISOR and dispute.spot_checks.filter(sample__status="open").exists()


def can_attach(user, dispute) -> bool:
    """Upload a photo or scan: the writers of the case's villages and towns, the holding unit, and the county centre
    where it holds the case (it reads every case of the county but writes only where it has a position)."""
    if dispute.status in FINISHED_STATUSES or not works_on_case(user, dispute):
        return False
    if _role(user) == Role.COUNTY_CENTRE:
        return dispute.tier == Tier.COUNTY
    return True


def assignee_q(user) -> Q:
    """Assignments (四定) naming `user`'s directory row as 包案领导, 责任人 or a 三包 duty holder (no duplicate rows)."""
    duty = Duty.objects.filter(assignment=OuterRef("pk"), person__user=user)
    return Q(lead_leader__user=user) | Q(responsible_person__user=user) | Q(Exists(duty))


def assignee_user_ids(assignment) -> set:
    """The accounts of a 四定's people (包案领导, 责任人, 三包 holders); people without an account have none. Loads the
    duties unless prefetched (`selectors.case_workflow_records` prefetches them)."""
    people = [assignment.lead_leader, assignment.responsible_person, *(d.person for d in assignment.duties.all())]
    return {p.user_id for p in people if p.user_id}


def permitted_actions(user, dispute, *, records=None, referral=transitions.UNLOADED) -> list[str]:
    """The workflow actions open to the user on this case now, in table order: the table's, plus 三包 for the
    active 四定's lead leader and responsible person (whom `record_duty` admits although they may not hold the
    case).

    `records` (from `selectors.case_workflow_records`) and `referral` save queries when the caller has them."""
    extension = transitions.UNLOADED
    if records is not None:
        extension = next((e for e in records["extensions"] if e.status == "pending"), None) if dispute.is_open else None
        if referral is transitions.UNLOADED and dispute.status == Status.REFERRED:
            referral = next((r for r in records["referrals"] if r.kind == "refer" and r.status == "pending"), None)
        elif referral is transitions.UNLOADED:
            referral = None
    names = set(transitions.allowed_actions(user, dispute, referral=referral, extension=extension))
    if "duty" not in names and dispute.status == Status.IN_PROGRESS and user.is_authenticated:
        if records is not None:
            assignee = any(a.active and user.pk in assignee_user_ids(a) for a in records["assignments"])
        else:
            assignee = dispute.assignments.filter(assignee_q(user), active=True).exists()
        if assignee:
            names.add("duty")
    return [name for name in transitions.USER_ACTIONS if name in names]


def offered_actions(user, dispute, *, records=None) -> list[str]:
    """The buttons of the case page: the permitted actions that apply to the case's records now — warning actions
    while a warning is open, a unit's 签收/退回 while its transfer waits, 办理反馈 once signed, 审核 while a
    feedback waits, 申请延期 once per deadline. (The services refuse the others with a message.)"""
    if records is None:
        from .selectors import case_workflow_records

        records = case_workflow_records(dispute)
    names = set(permitted_actions(user, dispute, records=records))
    if not any(w.status == WarningStatus.OPEN for w in records["warnings"]):
        names -= WARNING_ACTIONS
    m = membership_of(user)
    mine = [r for r in records["referrals"] if r.kind == "transfer" and not r.ended_at
            and m is not None and r.to_unit_id == m.unit_id]
    if not any(r.status == "pending" for r in mine):
        names -= {"accept_transfer", "return_transfer"}
    if not any(r.status == "accepted" and r.mode != "assist" and not r.awaiting_review for r in mine):
        names.discard("file_feedback")
    if not any(r.kind == "transfer" and r.awaiting_review for r in records["referrals"]):
        names.discard("review_feedback")
    asked = {e.old_deadline for e in records["extensions"]}
    if dispute.deadline is None or dispute.deadline in asked:
        names.discard("request_extension")
    return [name for name in transitions.USER_ACTIONS if name in names]


def can_act(user, dispute, action: str) -> bool:
    return action in permitted_actions(user, dispute)


def has_transfer_inbox(user) -> bool:
    """A responsible unit's staff sign for the transfers to their unit (新移交)."""
    m = membership_of(user)
    return m is not None and m.role == Role.UNIT_STAFF and m.unit_id is not None


def inbox_tier(user) -> str | None:
    """The tier whose 待签收 the user works: a town's roles their town's, the county centre the county's."""
    role = _role(user)
    if role in TOWN_ROLES:
        return Tier.TOWN
    if role == Role.COUNTY_CENTRE:
        return Tier.COUNTY
    return None


def can_lookup_pii(user) -> bool:
    """Find cases by a typed ID number or phone (按身份证号/电话查找, services.pii.lookup_pii): the roles that
    `works_on_case` can admit — case writers, the county centre, unit staff of a unit. 纪委, 督导组 and the three
    duty roles may not: a hit would confirm a number they may only see masked (issue 8, defect 1)."""
    m = membership_of(user)
    if m is None:
        return False
    if m.role in CASE_WRITER_ROLES or m.role == Role.COUNTY_CENTRE:
        return True
    return m.role == Role.UNIT_STAFF and m.unit_id is not None


def lookup_scope(user) -> Q:
    """Among the cases `user` sees, those a search by a typed number may hit (the ledger's 按电话查找): where
    `works_on_case` holds — every visible case for the case writers and the county centre, for unit staff the cases
    their unit holds (a 四定-only case is read masked: a hit there would confirm a number). Nothing for the roles
    `can_lookup_pii` refuses. `tests/cases/test_phone_search.py` checks it against `works_on_case` case by case."""
    m = membership_of(user)
    if m is None:
        return Q(pk__in=[])
    if m.role in CASE_WRITER_ROLES or m.role == Role.COUNTY_CENTRE:
        return Q()
    if m.role == Role.UNIT_STAFF and m.unit_id is not None:
        return Q(holder_unit_id=m.unit_id)
    return Q(pk__in=[])


def can_export_cases(user) -> bool:
    """Export the ledger as Excel (导出Excel, cases.views.export): whoever reads the ledger with case content — the
    rows are the ledger's own (cases_visible_to), ID numbers and phones masked. Administrators, auditors and the
    安全管理员 see no cases (DESIGN.md §2); accounts without a post have no ledger."""
    return sees_case_content(user)


def can_see_casebook(user) -> bool:
    """典型案例汇编 (page and .docx): whoever reads cases, each seeing the typical cases of the cases they may read."""
    return sees_case_content(user)


def can_mark_typical(user, dispute) -> bool:
    """List a case as 典型案例 (or withdraw it): the case writers of the town over the case's village (town leaders
    and staff) and the county centre. Village users, units, 纪委 and 督导组 may not (services.casebook)."""
    m = membership_of(user)
    if m is None:
        return False
    if m.role == Role.COUNTY_CENTRE:
        return True
    return m.role in TOWN_ROLES and m.division_id == dispute.village.parent_id


def offers_typical(user, dispute) -> bool:
    """The case page's 典型案例 button: a user who may list the case, once it is resolved or closed with a success
    (the service refuses the others with a message)."""
    return dispute.status in (Status.RESOLVED, Status.CLOSED) and dispute.outcome in ("success", "partial") and \
        can_mark_typical(user, dispute)


def can_view_attachments(user, dispute) -> bool:
    """Open or download a case's attachments (often ID-card scans): exactly who may reveal the parties' full
    information; others see only how many there are (issue 8, defect 8). The 督导组's spot-check reveal (a phone to
    call back) does not open scans."""
    return works_on_case(user, dispute)


def may_receive_warnings(user) -> bool:
    """Warnings are delivered to the town leaders (党政联席会议) and to the county centre."""
    return _role(user) in (Role.TOWN_LEADER, Role.COUNTY_CENTRE)


def warning_recipient_roles(warning) -> frozenset:
    """Who in the recipient division answers a warning: the town's leaders (党政联席会议) or the county centre."""
    return frozenset({Role.COUNTY_CENTRE if warning.recipient_tier == Tier.COUNTY else Role.TOWN_LEADER})


def receives_warning(user, warning) -> bool:
    """The recipient of a warning signs for and answers it (`warning_recipient_roles` of its division)."""
    m = membership_of(user)
    if m is None or not warning.recipient_division_id or m.division_id != warning.recipient_division_id:
        return False
    return m.role in warning_recipient_roles(warning)


# --- the mediation file (人民调解卷宗, cases.services.mediation) ------------------------------------------------------

# Which statuses each mediation record may be written in: mediators and sessions while the case is being mediated,
# the agreement until the case is resolved with it, performance and 司法确认 after the resolution (also after 结案).
MEDIATION_STEPS = {
    "mediators": frozenset({Status.LOGGED, Status.IN_PROGRESS, Status.RESOLVED}),
    "change": frozenset({Status.LOGGED, Status.IN_PROGRESS}),
    "session": frozenset({Status.IN_PROGRESS}),
    "agreement": frozenset({Status.IN_PROGRESS, Status.RESOLVED}),
    "performance": frozenset({Status.RESOLVED, Status.CLOSED}),
    "confirmation": frozenset({Status.RESOLVED, Status.CLOSED}),
}


def mediates(user, dispute) -> bool:
    """Who keeps a case's mediation file: whoever holds the case (the village, town or county holding it, or the
    unit — a specialised 调委会 — it was transferred to). Others who see the case read the file."""
    return bool(transitions.position_of(user, dispute) & transitions.HOLDERS)


def can_mediate(user, dispute, step: str) -> bool:
    """Write `step` (a key of MEDIATION_STEPS) of the case's mediation file now."""
    return dispute.status in MEDIATION_STEPS[step] and mediates(user, dispute)


def mediation_refusal(dispute, step: str) -> str:
    if dispute.status not in MEDIATION_STEPS[step]:
        return f"案件当前状态为“{dispute.get_status_display()}”，不能记录此项调解材料。"
    return "只有当前承办该案件的村、镇街、县协调中心或承办单位可以记录调解材料。"


def mediation_steps_for(user, dispute) -> dict[str, bool]:
    """The mediation page's buttons: {step: allowed}, one position lookup."""
    allowed = mediates(user, dispute)
    return {step: allowed and dispute.status in statuses for step, statuses in MEDIATION_STEPS.items()}


# --- supervision ---------------------------------------------------------------------------------------------------


def can_see_supervisions(user) -> bool:
    return _role(user) == Role.DISCIPLINE


def can_close_supervision(user, supervision) -> bool:
    """Only the commission that runs a supervision closes it (the service refuses one that is not open)."""
    m = membership_of(user)
    return m is not None and m.role == Role.DISCIPLINE and supervision.division_id == m.division_id


def offers_close_supervision(user, supervision) -> bool:
    """The 办结 button: the commission's own supervision, still open."""
    return supervision.status == SupervisionStatus.OPEN and can_close_supervision(user, supervision)


def can_work_supervision(user, supervision) -> bool:
    """催办, 督办通知书, 回复, 约谈 / 通报 / 问责 (services.supervision): the commission that runs the supervision, as
    for closing it. The 责任人's 回复 is recorded by that 纪委 on the person's behalf (who replied, when, what):
    the 四定 people need not have an account, and those who do do not see the supervision page. Another 纪委 that
    sees the case (a town's over a county supervision of its village) reads the page without writing."""
    return can_close_supervision(user, supervision)


def offers_supervision_reminder(user, supervision) -> bool:
    """The 催办 and 督办通知书 forms: the running commission, while the supervision is open."""
    return supervision.status == SupervisionStatus.OPEN and can_work_supervision(user, supervision)


# --- meetings (the meetings app asks here; the meeting is passed in, never imported) --------------------------------

# Which roles convene (and write) the meeting of each tier, in their own division.
MEETING_ROLES = {
    Tier.VILLAGE: VILLAGE_ROLES,
    Tier.TOWN: TOWN_ROLES,
    Tier.COUNTY: frozenset({Role.COUNTY_CENTRE}),
}
_CONVENES = {role: tier for tier, roles in MEETING_ROLES.items() for role in roles}


def convening(user):
    """(tier, division) of the weekly meeting this user convenes, or None for roles that do not convene one."""
    m = membership_of(user)
    if m is None or m.role not in _CONVENES:
        return None
    return _CONVENES[m.role], m.division


def can_write_meeting(user, meeting) -> bool:
    m = membership_of(user)
    return m is not None and m.division_id == meeting.division_id and m.role in MEETING_ROLES.get(meeting.tier, ())


def meetings_by_case_only(user) -> bool:
    """Responsible units (责任单位) see a meeting only through the cases they hold or are assigned: the meetings that
    discussed one of them, and in those only their own cases' items (issue 8, defect 7)."""
    return _role(user) == Role.UNIT_STAFF


def sees_whole_meeting(user, meeting) -> bool:
    """The meeting's place, summary, attendance and every visible item — everyone who may open the meeting except a
    unit (county centre, 纪委, 督导组 supervise meetings; village and town users see their own subtree's)."""
    return sees_case_content(user) and not meetings_by_case_only(user)


# --- 督导组 (issue 11 #3: visits, 督导意见, 抽查回访; the records are meetings.oversight) ------------------------------


def can_oversee(user) -> bool:
    """Plan and record visits, give 督导意见, draw spot-check samples and record the phone-backs: the 督导组."""
    return _role(user) == Role.SUPERVISOR


def answers_for_case(user, dispute) -> bool:
    """Who answers a 督导意见 on a case: the convening roles of the tier holding it, in the holding division (the
    case's own meeting's writers), finished or not."""
    m = membership_of(user)
    return (m is not None and m.division_id == dispute.holder_division_id
            and m.role in MEETING_ROLES.get(dispute.tier, ()))


def can_answer_opinion(user, opinion) -> bool:
    """A 督导意见 on a meeting is answered by the meeting's own writers (`can_write_meeting`); one on a case alone by
    `answers_for_case`."""
    if opinion.meeting_id:
        return can_write_meeting(user, opinion.meeting)
    return answers_for_case(user, opinion.dispute)


def sees_opinions(user) -> bool:
    """The 督导意见 list: the 督导组 (theirs) and whoever convenes a meeting (those addressed to them)."""
    return can_oversee(user) or convening(user) is not None


def can_view_ranking(user) -> bool:
    """互学互比 (stats.ranking): who reads every town's cases — the 督导组 and the county centre."""
    return _role(user) in (Role.SUPERVISOR, Role.COUNTY_CENTRE)


# --- the menu ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    badge: str = ""  # which count the menu shows beside it ("todo": unread 待办)


def menu_for(user) -> list[MenuItem]:
    """The navigation a user gets, from the same answers the views give (a link never leads to a 403)."""
    if not getattr(user, "is_authenticated", False):
        return []
    role = _role(user)
    items = []
    if sees_case_content(user):
        items += [MenuItem("待办", reverse("notify:inbox"), badge="todo"), MenuItem("纠纷台账", reverse("cases:list")),
                  MenuItem("平安周例会", reverse("meetings:list")), MenuItem("我的包案", reverse("cases:mine"))]
        if inbox_tier(user):
            items.append(MenuItem("待签收", reverse("cases:inbox")))
        elif has_transfer_inbox(user):
            items.append(MenuItem("新移交", reverse("cases:inbox")))
        items.append(MenuItem("预警", reverse("warnings:list")))
        if may_receive_warnings(user):
            items.append(MenuItem("收到的预警", reverse("warnings:inbox")))
        if can_see_supervisions(user):
            items.append(MenuItem("督办", reverse("supervision:list")))
        items.append(MenuItem("例会情况", reverse("meetings:compliance")))
        if can_see_casebook(user):
            items.append(MenuItem("典型案例", reverse("cases:casebook")))
        if can_view_dashboard(user):
            items.append(MenuItem("统计", reverse("stats:dashboard")))
        if can_oversee(user):
            items.append(MenuItem("督导工作", reverse("meetings:oversight")))
        elif sees_opinions(user):
            items.append(MenuItem("督导意见", reverse("meetings:opinions")))
        if can_view_ranking(user):
            items.append(MenuItem("互学互比", reverse("stats:ranking")))
    if role == Role.AUDITOR:
        items.append(MenuItem("审计日志", reverse("audit:list")))
    if role == Role.SECURITY_ADMIN:  # lockouts, 2FA, grant approval (三员: not the administrator's)
        items.append(MenuItem("账号安全", reverse("account:security")))
    if role == Role.ADMIN and user.is_staff:
        items.append(MenuItem("系统管理", reverse("admin:index")))
    if role == Role.ADMIN:  # accounts.views_onboarding (the 人员库 and its accounts from one Excel sheet)
        items.append(MenuItem("批量导入人员", reverse("account:onboarding")))
    return items
