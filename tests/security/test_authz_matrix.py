"""The authorization matrix (DESIGN.md §7, STYLE.md §2, docs/authz-matrix.md): every named URL of the URLconf × every
role of the cast × every kind of object, GET and POST, against a table of expected outcomes written by hand.

Outcome classes (what a cell of EXPECTED says):

    OK    access granted: any answer but 403/404/405/5xx and a redirect to the login page (200, 302, 400, 413, 429…)
    403   visible, but this role may not do this (read-only role, wrong role)
    404   outside the jurisdiction: the object's existence is not revealed
    405   method not allowed (GET on a POST-only write, POST on a GET-only page)
    L     anonymous: 302 to the login page (with ?next=)

A cell is either one class for GET and POST alike, or "GET/POST" (e.g. "OK/405"). POSTs carry no data: the point is
access, not input. Every request runs inside a savepoint that is rolled back, so no cell sees another cell's writes.

Roles (the fixed cast of tests/conftest.py, plus the 纪委 and the 督导组):

    anon    not signed in
    sec_a   村书记 of village A (刘山村, town X)          sec_b   村书记 of village B (唐庄村, town X)
    town_x  镇街副书记 of town X (嘉祥街道)               town_y  镇街副书记 of town Y (纸坊镇)
    county  县社会治理协调中心                            unit    县涉土纠纷人民调解委员会 staff (county)
    disc    纪委 of town X (role "discipline" at 370829001000)
    super   督导组 (county)                              admin   系统管理员            audit   审计员
    secadm  安全管理员 (三员, issue 8 #3: unlocks, resets and issues 2FA enrolment, approves role grants)

Objects (built once per module by `world`; every case has two parties, an attachment and full ID numbers/phones):

    A   village A's own: a case logged at village A; village A's meeting; the 纪委 supervision of case A (town X)
    B   the sibling village B (same town X): a case logged at village B; village B's meeting
    C   the other town Y: a case logged at village C (town Y); town Y's meeting (closed); a supervision (town Y)
    X   town X's own: a case of village A accepted by town X (town tier); town X's meeting
    R   referred to the county: a case of village B, accepted by town X and referred on, waiting for the county's 签收
    K   held by the county: a case of village A accepted by the county and transferred to 县涉土调委会; the county's
        meeting; the supervision the county 纪委 runs on it
    A×C a cross-object probe: village A's case or meeting with a party / attachment / case of village C
    P   a pending role grant (村网格员 of village A for a new account), requested by the administrator

A, B, C, X are also the cases "not referred to the county" (the county centre gets 404 on them).
"""

import base64
import contextlib
import dataclasses
import datetime
import io
import logging
import types
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.utils import timezone
from PIL import Image

import audit
from cases import services as case_services
from cases.models import CitizenCode, Dispute, EarlyWarning, Supervision, Tier
from cases.services import create_dispute, reveal_party_pii, store_attachment
from core.uploads import inspect_upload
from meetings import services as meeting_services
from meetings.models import Attendance
from org.models import Division, Membership, MembershipRequest, Role, Unit
from tests.conftest import COUNTY, DISPUTE_FIELDS, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_B, VILLAGE_C

# --- the cast --------------------------------------------------------------------------------------------------------

ROLES = ("anon", "sec_a", "sec_b", "town_x", "town_y", "county", "unit", "disc", "super", "admin", "audit", "secadm")
CAST = {  # role -> (Role, division, unit)
    "sec_a": (Role.VILLAGE_SECRETARY, VILLAGE_A, None),
    "sec_b": (Role.VILLAGE_SECRETARY, VILLAGE_B, None),
    "town_x": (Role.TOWN_LEADER, TOWN_X, None),
    "town_y": (Role.TOWN_LEADER, TOWN_Y, None),
    "county": (Role.COUNTY_CENTRE, COUNTY, "嘉祥县社会治理协调中心"),
    "unit": (Role.UNIT_STAFF, COUNTY, "县涉土纠纷人民调解委员会"),
    "disc": (Role.DISCIPLINE, TOWN_X, None),
    "super": (Role.SUPERVISOR, COUNTY, None),
    "admin": (Role.ADMIN, COUNTY, None),
    "audit": (Role.AUDITOR, COUNTY, None),
    "secadm": (Role.SECURITY_ADMIN, COUNTY, None),
}
HELPERS = {"sec_c": (Role.VILLAGE_SECRETARY, VILLAGE_C, None)}  # creates case C; not a matrix role

# --- personal data seeded on every case (test_no_pii_leak scans every page for it) -----------------------------------

ID_APPLICANT = "370829198506150038"  # valid GB 11643 check digit (core.validators.id_check_char)
ID_RESPONDENT = "11010519491231002X"  # valid, check character X
MOBILE = "13812345678"
LANDLINE = "0537-6812345"
ADDRESS = "嘉祥街道刘山村东街88号"
WORLD_KEY = base64.b64encode(b"authz-matrix-test-key-32-bytes!!").decode()


def parties(tag):
    return [
        {"role": "applicant", "name": f"张{tag}", "sex": "M", "id_number": ID_APPLICANT, "phone": MOBILE,
         "address": ADDRESS},
        {"role": "respondent", "name": f"李{tag}", "sex": "F", "id_number": ID_RESPONDENT, "phone": LANDLINE,
         "address": ADDRESS},
    ]


# --- the world -------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class World:
    users: dict
    cases: dict  # kind -> Dispute
    party: dict  # kind -> Party (the applicant)
    attachment: dict  # kind -> Attachment
    meeting: dict  # kind -> Meeting
    attendance: dict  # meeting kind -> Attendance (the convener's row)
    supervision: dict  # kind -> Supervision
    grant: dict = dataclasses.field(default_factory=dict)  # "P" -> MembershipRequest (pending)
    notification: dict = dataclasses.field(default_factory=dict)  # "N" -> the county's 待办 item about case R
    warning: dict = dataclasses.field(default_factory=dict)  # "W" -> town X's red warning on case X, to the county
    oversight: dict = dataclasses.field(default_factory=dict)  # 督导组: "V" visit, "O" opinion, "S" sample, "I" item
    notice: dict = dataclasses.field(default_factory=dict)  # 督办通知书 of supervisions A, C, K (issue 11 #2)


def _png():
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def build_world(attachment_root) -> World:
    """Everything through the services, as users would do it (a few rows — warnings, supervisions — directly)."""
    User = get_user_model()
    users = {}
    for role, (r, division, unit) in {**CAST, **HELPERS}.items():
        user = User.objects.create_user(username=f"m_{role}", password=None, first_name=f"矩阵{role}")
        Membership.objects.create(user=user, role=r, division_id=division,
                                  unit=Unit.objects.get(name=unit) if unit else None)
        users[role] = user
    u = users
    land_unit = Unit.objects.get(name="县涉土纠纷人民调解委员会")

    def new_case(actor, village, tag):
        fields = {**DISPUTE_FIELDS, "title": f"矩阵{tag}号纠纷", "arose_on": timezone.localdate()}
        return create_dispute(actor=actor, village=Division.objects.get(code=village), fields=fields,
                              parties=parties(tag))

    cases = {
        "A": new_case(u["sec_a"], VILLAGE_A, "A"),
        "B": new_case(u["sec_b"], VILLAGE_B, "B"),
        "C": new_case(u["sec_c"], VILLAGE_C, "C"),
        "X": new_case(u["sec_a"], VILLAGE_A, "X"),
        "R": new_case(u["sec_b"], VILLAGE_B, "R"),
        "K": new_case(u["sec_a"], VILLAGE_A, "K"),
    }
    case_services.refer_up(actor=u["sec_a"], dispute=cases["X"], reason="村级调解未果")
    case_services.accept_referral(actor=u["town_x"], dispute=cases["X"])
    case_services.refer_up(actor=u["sec_b"], dispute=cases["R"], reason="村级调解未果")
    case_services.accept_referral(actor=u["town_x"], dispute=cases["R"])
    case_services.refer_up(actor=u["town_x"], dispute=cases["R"], reason="涉及县直部门")
    case_services.refer_up(actor=u["sec_a"], dispute=cases["K"], reason="村级调解未果")
    case_services.accept_referral(actor=u["town_x"], dispute=cases["K"])
    case_services.refer_up(actor=u["town_x"], dispute=cases["K"], reason="涉及土地确权")
    case_services.accept_referral(actor=u["county"], dispute=cases["K"])
    case_services.transfer_to_unit(actor=u["county"], dispute=cases["K"], unit=land_unit, reason="土地确权争议")
    for kind in cases:
        cases[kind] = Dispute.objects.get(pk=cases[kind].pk)
    c = cases
    assert (c["X"].tier, c["X"].holder_division_id, c["X"].status) == (Tier.TOWN, TOWN_X, "in_progress")
    assert (c["R"].tier, c["R"].status) == (Tier.TOWN, "referred")
    assert (c["K"].tier, c["K"].holder_unit_id, c["K"].status) == (Tier.COUNTY, land_unit.pk, "in_progress")

    uploader = {"A": "sec_a", "B": "sec_b", "C": "sec_c", "X": "town_x", "R": "town_x", "K": "county"}
    with override_settings(ATTACHMENT_ROOT=attachment_root):
        attachment = {
            kind: store_attachment(
                actor=u[uploader[kind]], dispute=case, kind="photo",
                clean=inspect_upload(SimpleUploadedFile(f"现场{kind}.png", _png())))
            for kind, case in cases.items()
        }

    now = timezone.now()
    for kind, division, tier, by in (("A", TOWN_X, Tier.TOWN, "town_x"), ("C", TOWN_Y, Tier.TOWN, "town_y"),
                                     ("K", COUNTY, Tier.COUNTY, "county")):
        EarlyWarning.objects.create(dispute=c[kind], level="yellow", triggers=["intensify"], reasons="可能激化",
                               submitted_to="town_joint", reassess_on=timezone.localdate(), tier=tier,
                               division_id=division, raised_by=u[by])
    supervision = {
        kind: Supervision.objects.create(dispute=c[kind], missed_deadline=now - datetime.timedelta(days=1),
                                         due_at=now + datetime.timedelta(days=14), division_id=division)
        for kind, division in (("A", TOWN_X), ("C", TOWN_Y), ("K", COUNTY))
    }
    from cases.models import SupervisionAction

    notice = {
        kind: SupervisionAction.objects.create(
            supervision=supervision[kind], kind="notice", on_date=timezone.localdate(), text="限期化解",
            actor=u["disc"], number=f"矩阵纪督〔2026〕{n}号", notice_division_id=supervision[kind].division_id,
            notice_year=2026, notice_seq=n, reply_by=timezone.localdate() + datetime.timedelta(days=3))
        for n, kind in enumerate(("A", "C", "K"), start=1)
    }

    def open_meeting(role):
        return meeting_services.open_meeting(actor=u[role], held_on=timezone.localdate(), place="会议室",
                                             form="room")[0]

    meeting = {"A": open_meeting("sec_a"), "B": open_meeting("sec_b"), "X": open_meeting("town_x"),
               "Y": open_meeting("town_y"), "K": open_meeting("county")}
    for kind, role in (("A", "sec_a"), ("X", "town_x"), ("K", "county")):
        meeting_services.record_review(actor=u[role], meeting=meeting[kind], dispute=c[kind],
                                       analysis=f"矩阵{kind}：继续跟踪", decision="continue")
    recorder = Attendance.objects.create(meeting=meeting["Y"], kind="member", name="矩阵记录人")
    meeting["Y"] = meeting_services.close_meeting(actor=u["town_y"], meeting=meeting["Y"], recorder_id=recorder.pk,
                                                  checker_id=meeting["Y"].attendance.get(user=u["town_y"]).pk)
    attendance = {kind: Attendance.objects.filter(meeting=m).order_by("id").first() for kind, m in meeting.items()}

    # What a reveal, a download and an export leave behind, so the auditor's pages have rows to show (and to scan).
    first = {k: case.parties.order_by("id").first() for k, case in c.items()}
    for kind, role in (("A", "sec_a"), ("K", "county")):
        reveal_party_pii(actor=u[role], party=first[kind], reason="电话联系当事人安排调解")
    audit.record(None, action="export", obj=meeting["A"], user=u["sec_a"], label="会议纪要",
                 detail="导出会议纪要（Word）")

    grantee = User.objects.create_user(username="m_grantee", password=None, first_name="矩阵待批")
    grant = {"P": MembershipRequest.objects.create(user=grantee, division_id=VILLAGE_A, role=Role.GRID_WORKER,
                                                   requested_by=u["admin"])}

    from notify.models import Notification

    delivered = {"W": case_services.raise_warning(
        actor=u["town_x"], dispute=c["X"], level="red", triggers=["group_petition"], reasons="多户联名，扬言到县上访",
        submitted_to="county", reassess_on=timezone.localdate() + datetime.timedelta(days=3))}
    notification = {"N": Notification.objects.get(recipient=u["county"], dispute=c["R"], kind="referral",
                                                  done_at=None)}
    return World(users=users, cases=cases, party=first, attachment=attachment, meeting=meeting,
                 attendance=attendance, supervision=supervision, grant=grant, notification=notification,
                 warning=delivered, oversight=_oversight(u, c, meeting), notice=notice)


def _oversight(u, c, meeting):
    """督导组 records (issue 11 #3): a visit planned to town X's meeting, an opinion on it, and a finished (已完成)
    sample of town X holding case A — finished, so it opens no reveal and the pii_reveal rows stand."""
    from meetings import oversight_services
    from meetings.oversight import SpotCheckItem, SpotCheckSample

    visit = oversight_services.plan_visit(actor=u["super"], division=Division.objects.get(code=TOWN_X),
                                          planned_on=timezone.localdate(), purpose="列席督导", members=[u["super"]])
    opinion = oversight_services.give_opinion(actor=u["super"], meeting=meeting["X"], text="矩阵督导意见")
    sample = SpotCheckSample.objects.create(town_id=TOWN_X, period_start=timezone.localdate(),
                                            period_end=timezone.localdate(), size=1, seed=1,
                                            candidate_ids=[c["A"].pk], drawn_by=u["super"], status="closed")
    item = SpotCheckItem.objects.create(sample=sample, dispute=c["A"], position=1)
    return {"V": visit, "O": opinion, "S": sample, "I": item}


@contextlib.contextmanager
def world_in_a_rolled_back_transaction(django_db_blocker, tmp_path_factory):
    """The world, built inside a transaction that is rolled back afterwards; each test then runs in a savepoint of
    it (pytest-django's `db`). Shared with test_no_pii_leak, which builds its own copy for its module."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(FIELD_ENCRYPTION_KEY=WORLD_KEY, FIELD_ENCRYPTION_OLD_KEYS=[], FIELD_HASH_KEY="",
                                   PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                built = build_world(attachment_root(tmp_path_factory))
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def attachment_root(tmp_path_factory):
    root = tmp_path_factory.getbasetemp() / "authz-attachments"
    root.mkdir(exist_ok=True)
    return root


@contextlib.contextmanager
def settings_for_the_world(settings, tmp_path_factory):
    """The key the world was encrypted with, its attachment folder, no 2FA, no reveal limit; and the expected
    403/404/405 are not logged as warnings (500s still are)."""
    settings.FIELD_ENCRYPTION_KEY = WORLD_KEY
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    settings.FIELD_HASH_KEY = ""
    settings.ATTACHMENT_ROOT = attachment_root(tmp_path_factory)
    settings.PII_REVEALS_PER_HOUR = 10_000
    settings.CITIZEN_LOOKUPS_PER_WINDOW = settings.CITIZEN_RATINGS_PER_WINDOW = 10_000  # the public page's per-address limit
    settings.REQUIRE_2FA = False
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with world_in_a_rolled_back_transaction(django_db_blocker, tmp_path_factory) as built:
        yield built


@pytest.fixture(autouse=True)
def world_settings(settings, field_encryption_key, security_urls_and_defaults, tmp_path_factory):
    """After the suite's own autouse fixtures (which set a per-test key and attachment folder)."""
    with settings_for_the_world(settings, tmp_path_factory):
        yield


# --- SAMPLES: the kwargs of every named URL, per kind of object ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Ref:
    """A placeholder resolved against the world: Ref("case", "A") -> the number of case A."""

    what: str
    kind: str

    def resolve(self, w: World):
        return {
            "case": lambda: w.cases[self.kind].number,
            "party": lambda: w.party[self.kind].pk,
            "attachment": lambda: w.attachment[self.kind].pk,
            "meeting": lambda: w.meeting[self.kind].pk,
            "attendance": lambda: w.attendance[self.kind].pk,
            "supervision": lambda: w.supervision[self.kind].pk,
            "grant": lambda: w.grant[self.kind].pk,
            "notification": lambda: w.notification[self.kind].pk,
            "warning": lambda: w.warning[self.kind].pk,
            "oversight": lambda: w.oversight[self.kind].pk,
            "notice": lambda: w.notice[self.kind].pk,
            "code": lambda: CitizenCode.objects.get(dispute=w.cases[self.kind]).code,
        }[self.what]()


CASE_KINDS = ("A", "B", "C", "X", "R", "K")
MEETING_KINDS = ("A", "B", "X", "Y", "K")
NONE = {"-": {}}  # a URL without an object
MEETING_CASE = {"A": "A", "B": "B", "X": "X", "Y": "C", "K": "K"}  # the case each meeting's review samples use
ACTION = {"A": "start", "B": "start", "C": "start", "X": "assign", "R": "accept", "K": "resolve"}  # holder's action


def _cases(**extra):
    return {k: {"number": Ref("case", k), **{n: Ref(what, k) for n, what in extra.items()}} for k in CASE_KINDS}


def _meetings(**extra):
    return {k: {"pk": Ref("meeting", k), **{n: Ref(what, k) for n, what in extra.items()}} for k in MEETING_KINDS}


def _meeting_case():
    rows = {k: {"pk": Ref("meeting", k), "number": Ref("case", MEETING_CASE[k])} for k in MEETING_KINDS}
    rows["A×C"] = {"pk": Ref("meeting", "A"), "number": Ref("case", "C")}
    return rows


SAMPLES = {
    "home": NONE,
    "login": NONE,
    "logout": NONE,
    "healthz": NONE,
    "cases:list": NONE,
    "cases:export": NONE,
    "cases:create": NONE,
    "cases:mine": NONE,
    "cases:inbox": NONE,
    "cases:pii_lookup": NONE,
    "cases:phone_search": NONE,
    "cases:import": NONE,
    "cases:import_template": NONE,
    "cases:import_preview": NONE,
    "cases:import_errors": NONE,
    "cases:import_confirm": NONE,
    "cases:import_abandon": NONE,
    "cases:detail": _cases(),
    "cases:edit": _cases(),
    "cases:act": {k: {"number": Ref("case", k), "action": ACTION[k]} for k in CASE_KINDS},
    "cases:pii_reveal": {**_cases(party_id="party"),
                         "A×C": {"number": Ref("case", "A"), "party_id": Ref("party", "C")}},
    "cases:person_history": {**_cases(party_id="party"),
                             "A×C": {"number": Ref("case", "A"), "party_id": Ref("party", "C")}},
    "cases:attachment_upload": _cases(),
    "cases:attachment_file": {**_cases(pk="attachment"),
                              "A×C": {"number": Ref("case", "A"), "pk": Ref("attachment", "C")}},
    "cases:casebook": NONE,
    "cases:casebook_export": NONE,
    "cases:typical_mark": _cases(),
    "cases:typical_withdraw": _cases(),
    "cases:mediation": _cases(),
    "cases:mediation_step": {k: {"number": Ref("case", k), "step": "mediators"} for k in CASE_KINDS},
    "cases:mediation_doc": {k: {"number": Ref("case", k), "doc": "application"} for k in CASE_KINDS},
    "cases:mediation_print": {k: {"number": Ref("case", k), "doc": "application"} for k in CASE_KINDS},
    "meetings:list": NONE,
    "meetings:open": NONE,
    "meetings:compliance": NONE,
    "meetings:detail": _meetings(),
    "meetings:edit": _meetings(),
    "meetings:attendance_add": _meetings(),
    "meetings:attendance_remove": _meetings(attendance_id="attendance"),
    "meetings:review": _meeting_case(),
    "meetings:override": _meeting_case(),
    "meetings:close": _meetings(),
    "meetings:minutes": _meetings(),
    "meetings:minutes_docx": _meetings(),
    "meetings:sign_sheet": _meetings(),
    "meetings:table": _meetings(),
    "meetings:item": _meeting_case(),
    "meetings:attendance_bulk": _meetings(),
    "warnings:list": NONE,
    "warnings:inbox": NONE,
    "warnings:sign": {"W": {"pk": Ref("warning", "W")}},
    "warnings:answer": {"W": {"pk": Ref("warning", "W")}},
    "supervision:list": NONE,
    "supervision:close": {k: {"pk": Ref("supervision", k)} for k in ("A", "C", "K")},
    "supervision:detail": {k: {"pk": Ref("supervision", k)} for k in ("A", "C", "K")},
    "supervision:remind": {k: {"pk": Ref("supervision", k)} for k in ("A", "C", "K")},
    "supervision:notice": {k: {"pk": Ref("supervision", k)} for k in ("A", "C", "K")},
    "supervision:reply": {k: {"pk": Ref("supervision", k)} for k in ("A", "C", "K")},
    "supervision:measure": {k: {"pk": Ref("supervision", k)} for k in ("A", "C", "K")},
    "supervision:notice_docx": {k: {"pk": Ref("notice", k)} for k in ("A", "C", "K")},
    "account:password_change": NONE,
    "account:otp_setup": NONE,
    "account:otp_verify": NONE,
    "account:security": NONE,
    "account:unlock": NONE,
    "account:reset_2fa": NONE,
    "account:issue_code": NONE,
    "account:grant_approve": {"P": {"pk": Ref("grant", "P")}},
    "account:grant_refuse": {"P": {"pk": Ref("grant", "P")}},
    "account:grant_batch_approve": {"P": {"pk": Ref("grant", "P")}},
    "account:onboarding": NONE,
    "account:onboarding_template": NONE,
    "account:onboarding_preview": NONE,
    "account:onboarding_errors": NONE,
    "account:onboarding_confirm": NONE,
    "account:onboarding_abandon": NONE,
    "audit:list": NONE,
    "audit:export": NONE,
    "notify:inbox": NONE,
    "stats:dashboard": NONE,
    "stats:export": NONE,
    "stats:report_docx": NONE,
    "stats:report_xlsx": NONE,
    "stats:ranking": NONE,
    "stats:ranking_xlsx": NONE,
    "meetings:oversight": NONE,
    "meetings:visit_plan": NONE,
    "meetings:visit_record": {"V": {"pk": Ref("oversight", "V")}},
    "meetings:opinions": NONE,
    "meetings:opinion_add": NONE,
    "meetings:opinion_answer": {"O": {"pk": Ref("oversight", "O")}},
    "meetings:sample_draw": NONE,
    "meetings:sample_detail": {"S": {"pk": Ref("oversight", "S")}},
    "meetings:sample_result": {"S": {"pk": Ref("oversight", "S"), "item_id": Ref("oversight", "I")}},
    "meetings:sample_close": {"S": {"pk": Ref("oversight", "S")}},
    "notify:read_all": NONE,
    "notify:open": {"N": {"pk": Ref("notification", "N")}},
    "cases:receipt": _cases(),
    "cases:receipt_code": _cases(),
    "public:start": NONE,
    "public:status": {"A": {"code": Ref("code", "A")}},
    "public:rate": {"A": {"code": Ref("code", "A")}},
}

# --- EXPECTED: written by hand from DESIGN.md §2/§7, docs/pii.md and the workflow table, not computed ------------------
#
# Reading guide: a village user sees their village's cases at every tier; a town user (and the town 纪委) the town's;
# the county centre what is held by or waiting for the county; a unit what it was transferred; the 督导组 everything,
# read-only; administrators, auditors and security administrators (secadm answers as admin does) no case content at
# all. Writes: case-writer roles (村/镇街) of the holding tier edit, writers upload,
# the current holder acts (transitions.TRANSITIONS), the meeting's own tier roles of its own division write the meeting,
# the 纪委 closes supervisions of its own division. Full ID numbers: writers, the county centre, the holding unit.

EXPECTED = """
url                        obj  anon  sec_a   sec_b   town_x  town_y  county  unit    disc    super   admin   audit   secadm
home                       -    L     OK      OK      OK      OK      OK      OK      OK      OK      OK      OK      OK
login                      -    OK    OK      OK      OK      OK      OK      OK      OK      OK      OK      OK      OK
logout                     -    405/OK 405/OK 405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK
# /healthz (docs/deploy.md): no login, no personal data, for the load balancer; GET only
healthz                    -    OK/405 OK/405 OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405
cases:list                 -    L     OK      OK      OK      OK      OK      OK      OK      OK      OK      OK      OK
# 导出Excel (issue 10 #4): the ledger's own rows (masked) for whoever reads case content; GET only
cases:export               -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
cases:create               -    L     OK      OK      OK      OK      403     403     403     403     403     403     403
cases:mine                 -    L     OK      OK      OK      OK      OK      OK      OK      OK      OK      OK      OK
cases:inbox                -    L     403     403     OK      OK      OK      OK      403     403     403     403     403
# 按身份证号/电话查找 (issue 8 #1): the roles that may reveal (writers, the county centre, unit staff); POST without
# data is a 400 (OK); 纪委, 督导组, admin, auditor, 安全管理员 403
cases:pii_lookup           -    L     OK      OK      OK      OK      OK      OK      403     403     403     403     403
# 按电话查找 in the ledger (issue 12 #7): the same roles as 按身份证号/电话查找 (GET shows the form; POST without data 400)
cases:phone_search         -    L     OK      OK      OK      OK      OK      OK      403     403     403     403     403
# Excel import of 排查 results (issue 10 #7): village and town writers, like 登记; without a pending upload the
# preview, errors workbook, confirm and abandon redirect to the upload page (OK)
cases:import               -    L     OK      OK      OK      OK      403     403     403     403     403     403     403
cases:import_template      -    L     OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405 403/405 403/405 403/405 403/405
cases:import_preview       -    L     OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405 403/405 403/405 403/405 403/405
cases:import_errors        -    L     OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405 403/405 403/405 403/405 403/405
cases:import_confirm       -    L     405/OK  405/OK  405/OK  405/OK  405/403 405/403 405/403 405/403 405/403 405/403 405/403
cases:import_abandon       -    L     405/OK  405/OK  405/OK  405/OK  405/403 405/403 405/403 405/403 405/403 405/403 405/403
# the case page: jurisdiction only (read-only roles read it)
cases:detail               A    L     OK      404     OK      404     OK      404     OK      OK      404     404     404
cases:detail               B    L     404     OK      OK      404     OK      404     OK      OK      404     404     404
cases:detail               C    L     404     404     404     OK      OK      404     404     OK      404     404     404
cases:detail               X    L     OK      404     OK      404     OK      404     OK      OK      404     404     404
cases:detail               R    L     404     OK      OK      404     OK      404     OK      OK      404     404     404
cases:detail               K    L     OK      404     OK      404     OK      OK      OK      OK      404     404     404
# editing the basic record: only a case-writer (村/镇街) of the tier holding the case; others who see it 403
cases:edit                 A    L     OK      404     403     404     403     404     403     403     404     404     404
cases:edit                 B    L     404     OK      403     404     403     404     403     403     404     404     404
cases:edit                 C    L     404     404     404     403     403     404     404     403     404     404     404
cases:edit                 X    L     403     404     OK      404     403     404     403     403     404     404     404
cases:edit                 R    L     404     403     OK      404     403     404     403     403     404     404     404
cases:edit                 K    L     403     404     403     404     403     403     403     403     404     404     404
# an action: only the current holder / receiver (A,B,C start; X assign; R accept; K resolve)
cases:act                  A    L     OK      404     403     404     403     404     403     403     404     404     404
cases:act                  B    L     404     OK      403     404     403     404     403     403     404     404     404
cases:act                  C    L     404     404     404     403     403     404     404     403     404     404     404
cases:act                  X    L     403     404     OK      404     403     404     403     403     404     404     404
cases:act                  R    L     404     403     403     404     OK      404     403     403     404     404     404
cases:act                  K    L     403     404     403     404     OK      403     403     403     404     404     404
# full ID number / phone: writers, the county centre, the holding unit; 纪委 and 督导组 read masked (403)
cases:pii_reveal           A    L     OK      404     OK      404     OK      404     403     403     404     404     404
cases:pii_reveal           B    L     404     OK      OK      404     OK      404     403     403     404     404     404
cases:pii_reveal           C    L     404     404     404     OK      OK      404     404     403     404     404     404
cases:pii_reveal           X    L     OK      404     OK      404     OK      404     403     403     404     404     404
cases:pii_reveal           R    L     404     OK      OK      404     OK      404     403     403     404     404     404
cases:pii_reveal           K    L     OK      404     OK      404     OK      OK      403     403     404     404     404
cases:pii_reveal           A×C  L     404     404     404     404     404     404     404     404     404     404     404
# a person's history (issue 12 #7): whoever reads the case reads it (only cases they may see are listed); GET only;
# a party of another case (A×C) is 404
cases:person_history       A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:person_history       B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:person_history       C    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 OK/405  404/405 404/405 404/405
cases:person_history       X    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:person_history       R    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:person_history       K    L     OK/405  404/405 OK/405  404/405 OK/405  OK/405  OK/405  OK/405  404/405 404/405 404/405
cases:person_history       A×C  L     404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405
cases:attachment_upload    A    L     OK      404     OK      404     403     404     403     403     404     404     404
cases:attachment_upload    B    L     404     OK      OK      404     403     404     403     403     404     404     404
cases:attachment_upload    C    L     404     404     404     OK      403     404     404     403     404     404     404
cases:attachment_upload    X    L     OK      404     OK      404     403     404     403     403     404     404     404
cases:attachment_upload    R    L     404     OK      OK      404     403     404     403     403     404     404     404
cases:attachment_upload    K    L     OK      404     OK      404     OK      OK      403     403     404     404     404
# attachments (often ID-card scans) follow the reveal (issue 8 #8): 纪委 and 督导组 see the case but get 403
cases:attachment_file      A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 403/405 403/405 404/405 404/405 404/405
cases:attachment_file      B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 403/405 403/405 404/405 404/405 404/405
cases:attachment_file      C    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 403/405 404/405 404/405 404/405
cases:attachment_file      X    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 403/405 403/405 404/405 404/405 404/405
cases:attachment_file      R    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 403/405 403/405 404/405 404/405 404/405
cases:attachment_file      K    L     OK/405  404/405 OK/405  404/405 OK/405  OK/405  403/405 403/405 404/405 404/405 404/405
cases:attachment_file      A×C  L     404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405
# 典型案例 (issue 10 #8): the casebook and its .docx for whoever reads cases (each sees their own cases' typical
# cases), GET only; listing or withdrawing a case: the town over the case's village and the county centre (the world's
# cases are open: the page shows, a save is refused by the service; POST without data re-shows the form or redirects)
cases:casebook             -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
cases:casebook_export      -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
cases:typical_mark         A    L     403     404     OK      404     OK      404     403     403     404     404     404
cases:typical_mark         B    L     404     403     OK      404     OK      404     403     403     404     404     404
cases:typical_mark         C    L     404     404     404     OK      OK      404     404     403     404     404     404
cases:typical_mark         X    L     403     404     OK      404     OK      404     403     403     404     404     404
cases:typical_mark         R    L     404     403     OK      404     OK      404     403     403     404     404     404
cases:typical_mark         K    L     403     404     OK      404     OK      403     403     403     404     404     404
cases:typical_withdraw     A    L     405/403 405/404 405/OK  405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
cases:typical_withdraw     B    L     405/404 405/403 405/OK  405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
cases:typical_withdraw     C    L     405/404 405/404 405/404 405/OK  405/OK  405/404 405/404 405/403 405/404 405/404 405/404
cases:typical_withdraw     X    L     405/403 405/404 405/OK  405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
cases:typical_withdraw     R    L     405/404 405/403 405/OK  405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
cases:typical_withdraw     K    L     405/403 405/404 405/OK  405/404 405/OK  405/403 405/403 405/403 405/404 405/404 405/404
# 人民调解卷宗 (issue 12): the file and its print views read like the case page (GET only); a step (sampled: 确定调解员)
# is written by whoever holds the case while it is logged / in progress / resolved (R is referred: 403 for all who see
# it); the .docx is masked for every reader, its POST (reveal with a reason, logged) follows cases:pii_reveal
cases:mediation            A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:mediation            B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:mediation            C    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 OK/405  404/405 404/405 404/405
cases:mediation            X    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:mediation            R    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:mediation            K    L     OK/405  404/405 OK/405  404/405 OK/405  OK/405  OK/405  OK/405  404/405 404/405 404/405
cases:mediation_step       A    L     OK      404     403     404     403     404     403     403     404     404     404
cases:mediation_step       B    L     404     OK      403     404     403     404     403     403     404     404     404
cases:mediation_step       C    L     404     404     404     403     403     404     404     403     404     404     404
cases:mediation_step       X    L     403     404     OK      404     403     404     403     403     404     404     404
cases:mediation_step       R    L     404     403     403     404     403     404     403     403     404     404     404
cases:mediation_step       K    L     403     404     403     404     OK      OK      403     403     404     404     404
cases:mediation_doc        A    L     OK      404     OK      404     OK      404     OK/403  OK/403  404     404     404
cases:mediation_doc        B    L     404     OK      OK      404     OK      404     OK/403  OK/403  404     404     404
cases:mediation_doc        C    L     404     404     404     OK      OK      404     404     OK/403  404     404     404
cases:mediation_doc        X    L     OK      404     OK      404     OK      404     OK/403  OK/403  404     404     404
cases:mediation_doc        R    L     404     OK      OK      404     OK      404     OK/403  OK/403  404     404     404
cases:mediation_doc        K    L     OK      404     OK      404     OK      OK      OK/403  OK/403  404     404     404
cases:mediation_print      A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:mediation_print      B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:mediation_print      C    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 OK/405  404/405 404/405 404/405
cases:mediation_print      X    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:mediation_print      R    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
cases:mediation_print      K    L     OK/405  404/405 OK/405  404/405 OK/405  OK/405  OK/405  OK/405  404/405 404/405 404/405
# meetings: visible to users whose division contains the meeting's; written by its own tier's roles of that division.
# A unit opens only the meetings about the cases it holds or is assigned (issue 8 #7): the county's meeting K, which
# reviewed case K, transferred to it; 404 on every other meeting, 403 on K's writes
meetings:list              -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405
meetings:open              -    L     OK      OK      OK      OK      OK      403     403     403     403     403     403
meetings:compliance        -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
meetings:detail            A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:detail            B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:detail            X    L     404/405 404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:detail            Y    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 OK/405  404/405 404/405 404/405
meetings:detail            K    L     404/405 404/405 404/405 404/405 OK/405  OK/405  404/405 OK/405  404/405 404/405 404/405
meetings:minutes           A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:minutes           B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:minutes           X    L     404/405 404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:minutes           Y    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 OK/405  404/405 404/405 404/405
meetings:minutes           K    L     404/405 404/405 404/405 404/405 OK/405  OK/405  404/405 OK/405  404/405 404/405 404/405
meetings:minutes_docx      A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:minutes_docx      B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:minutes_docx      X    L     404/405 404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:minutes_docx      Y    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 OK/405  404/405 404/405 404/405
meetings:minutes_docx      K    L     404/405 404/405 404/405 404/405 OK/405  OK/405  404/405 OK/405  404/405 404/405 404/405
meetings:sign_sheet        A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:sign_sheet        B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:sign_sheet        X    L     404/405 404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:sign_sheet        Y    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 OK/405  404/405 404/405 404/405
meetings:sign_sheet        K    L     404/405 404/405 404/405 404/405 OK/405  OK/405  404/405 OK/405  404/405 404/405 404/405
# 议程表 (投屏, issue 11 #4): read like the meeting page; GET only
meetings:table             A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:table             B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:table             X    L     404/405 404/405 OK/405  404/405 OK/405  404/405 OK/405  OK/405  404/405 404/405 404/405
meetings:table             Y    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 OK/405  404/405 404/405 404/405
meetings:table             K    L     404/405 404/405 404/405 404/405 OK/405  OK/405  404/405 OK/405  404/405 404/405 404/405
# 议题页 (one agenda item, issue 11 #4): GET reads like the meeting page (and needs the case: A×C 404), POST is the
# review, written by the meeting's own writers (read-only roles 403 before the case is looked up)
meetings:item              A    L     OK      404     OK/403  404     OK/403  404     OK/403  OK/403  404     404     404
meetings:item              B    L     404     OK      OK/403  404     OK/403  404     OK/403  OK/403  404     404     404
meetings:item              X    L     404     404     OK      404     OK/403  404     OK/403  OK/403  404     404     404
meetings:item              Y    L     404     404     404     OK      OK/403  404     404     OK/403  404     404     404
meetings:item              K    L     404     404     404     404     OK      OK/403  404     OK/403  404     404     404
meetings:item              A×C  L     404     404     404/403 404     OK/403  404     404/403 OK/403  404     404     404
meetings:edit              A    L     405/OK  405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:edit              B    L     405/404 405/OK  405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:edit              X    L     405/404 405/404 405/OK  405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:edit              Y    L     405/404 405/404 405/404 405/OK  405/403 405/404 405/404 405/403 405/404 405/404 405/404
meetings:edit              K    L     405/404 405/404 405/404 405/404 405/OK  405/403 405/404 405/403 405/404 405/404 405/404
meetings:attendance_add    A    L     405/OK  405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_add    B    L     405/404 405/OK  405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_add    X    L     405/404 405/404 405/OK  405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_add    Y    L     405/404 405/404 405/404 405/OK  405/403 405/404 405/404 405/403 405/404 405/404 405/404
meetings:attendance_add    K    L     405/404 405/404 405/404 405/404 405/OK  405/403 405/404 405/403 405/404 405/404 405/404
meetings:attendance_remove A    L     405/OK  405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_remove B    L     405/404 405/OK  405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_remove X    L     405/404 405/404 405/OK  405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_remove Y    L     405/404 405/404 405/404 405/OK  405/403 405/404 405/404 405/403 405/404 405/404 405/404
meetings:attendance_remove K    L     405/404 405/404 405/404 405/404 405/OK  405/403 405/404 405/403 405/404 405/404 405/404
meetings:attendance_bulk   A    L     405/OK  405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_bulk   B    L     405/404 405/OK  405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_bulk   X    L     405/404 405/404 405/OK  405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:attendance_bulk   Y    L     405/404 405/404 405/404 405/OK  405/403 405/404 405/404 405/403 405/404 405/404 405/404
meetings:attendance_bulk   K    L     405/404 405/404 405/404 405/404 405/OK  405/403 405/404 405/403 405/404 405/404 405/404
meetings:review            A    L     405/OK  405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:review            B    L     405/404 405/OK  405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:review            X    L     405/404 405/404 405/OK  405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:review            Y    L     405/404 405/404 405/404 405/OK  405/403 405/404 405/404 405/403 405/404 405/404 405/404
meetings:review            K    L     405/404 405/404 405/404 405/404 405/OK  405/403 405/404 405/403 405/404 405/404 405/404
meetings:review            A×C  L     405/404 405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:override          A    L     405/OK  405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:override          B    L     405/404 405/OK  405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:override          X    L     405/404 405/404 405/OK  405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:override          Y    L     405/404 405/404 405/404 405/OK  405/403 405/404 405/404 405/403 405/404 405/404 405/404
meetings:override          K    L     405/404 405/404 405/404 405/404 405/OK  405/403 405/404 405/403 405/404 405/404 405/404
meetings:override          A×C  L     405/404 405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:close             A    L     405/OK  405/404 405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:close             B    L     405/404 405/OK  405/403 405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:close             X    L     405/404 405/404 405/OK  405/404 405/403 405/404 405/403 405/403 405/404 405/404 405/404
meetings:close             Y    L     405/404 405/404 405/404 405/OK  405/403 405/404 405/404 405/403 405/404 405/404 405/404
meetings:close             K    L     405/404 405/404 405/404 405/404 405/OK  405/403 405/404 405/403 405/404 405/404 405/404
# warnings and supervision
warnings:list              -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
# 收到的预警: delivered to the town leaders and the county centre; only the recipient signs and answers
warnings:inbox             -    L     403/405 403/405 OK/405  OK/405  OK/405  403/405 403/405 403/405 403/405 403/405 403/405
warnings:sign              W    L     405/403 405/404 405/403 405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
warnings:answer            W    L     405/403 405/404 405/403 405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
supervision:list           -    L     403     403     403     403     403     403     OK      403     403     403     403
supervision:close          A    L     405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403 405/403
supervision:close          C    L     405/403 405/403 405/403 405/403 405/403 405/403 405/404 405/403 405/403 405/403 405/403
# K: the county 纪委's own supervision of a county case (from village A) — a town 纪委 may not close it (BUG-1, fixed)
supervision:close          K    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403
# 督办 page and its work (issue 11 #2): 纪委 only; a town 纪委 reads the county 纪委's supervision K of its village's
# case without writing (403), another town's (C) is 404; notice_docx: the 通知书 of supervision A, C, K
supervision:detail         A    L     403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405 403/405 403/405
supervision:detail         C    L     403/405 403/405 403/405 403/405 403/405 403/405 404/405 403/405 403/405 403/405 403/405
supervision:detail         K    L     403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405 403/405 403/405
supervision:remind         A    L     405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403 405/403
supervision:remind         C    L     405/403 405/403 405/403 405/403 405/403 405/403 405/404 405/403 405/403 405/403 405/403
supervision:remind         K    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403
supervision:notice         A    L     405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403 405/403
supervision:notice         C    L     405/403 405/403 405/403 405/403 405/403 405/403 405/404 405/403 405/403 405/403 405/403
supervision:notice         K    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403
supervision:reply          A    L     405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403 405/403
supervision:reply          C    L     405/403 405/403 405/403 405/403 405/403 405/403 405/404 405/403 405/403 405/403 405/403
supervision:reply          K    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403
supervision:measure        A    L     405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403 405/403
supervision:measure        C    L     405/403 405/403 405/403 405/403 405/403 405/403 405/404 405/403 405/403 405/403 405/403
supervision:measure        K    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403
supervision:notice_docx    A    L     403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405 403/405 403/405
supervision:notice_docx    C    L     403/405 403/405 403/405 403/405 403/405 403/405 404/405 403/405 403/405 403/405 403/405
supervision:notice_docx    K    L     403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405 403/405 403/405
# account and audit: every signed-in user manages their own password and second factor; the 安全管理员 (not the
# administrator, issue 8 #3) lifts lockouts, resets and issues 2FA enrolment codes and decides role grants (GET is the
# confirmation page; POST without data approves, or asks for the refusal's reason); auditors alone read the audit log
account:password_change    -    L     OK      OK      OK      OK      OK      OK      OK      OK      OK      OK      OK
account:otp_setup          -    L     OK      OK      OK      OK      OK      OK      OK      OK      OK      OK      OK
account:otp_verify         -    L     OK      OK      OK      OK      OK      OK      OK      OK      OK      OK      OK
account:security           -    L     403     403     403     403     403     403     403     403     403     403     OK
account:unlock             -    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK
account:reset_2fa          -    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK
account:issue_code         -    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK
account:grant_approve      P    L     403     403     403     403     403     403     403     403     403     403     OK
account:grant_refuse       P    L     403     403     403     403     403     403     403     403     403     403     OK
account:grant_batch_approve P   L     403     403     403     403     403     403     403     403     403     403     OK
# onboarding (issue 13 #5): the 系统管理员's people and accounts import; the 安全管理员 approves its batch (above)
account:onboarding         -    L     403     403     403     403     403     403     403     403     OK      403     403
account:onboarding_template -   L     403/405 403/405 403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405
account:onboarding_preview -    L     403/405 403/405 403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405
account:onboarding_errors  -    L     403/405 403/405 403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405
account:onboarding_confirm -    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403
account:onboarding_abandon -    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403
audit:list                 -    L     403/405 403/405 403/405 403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405
audit:export               -    L     403/405 403/405 403/405 403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405
# 待办: everyone signed in has one (empty for those who see no case); an item opens only for its recipient
notify:inbox               -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405
notify:read_all            -    L     405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK
notify:open                N    L     404/405 404/405 404/405 404/405 OK/405  404/405 404/405 404/405 404/405 404/405 404/405
# 统计 (issue 10): whoever reads cases sees the figures of what they read; admin, auditor, 安全管理员 403
stats:dashboard            -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
# 统计汇总表 and 月报/季报 (issue 10): the same readers as the dashboard, GET only, logged
stats:export               -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
stats:report_docx          -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
stats:report_xlsx          -    L     OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 403/405
# 互学互比 (issue 11 #3): who reads every town's cases — the county centre and the 督导组; GET only
stats:ranking              -    L     403/405 403/405 403/405 403/405 OK/405  403/405 403/405 OK/405  403/405 403/405 403/405
stats:ranking_xlsx         -    L     403/405 403/405 403/405 403/405 OK/405  403/405 403/405 OK/405  403/405 403/405 403/405
# 督导组 work (issue 11 #3): visits, samples and opinions are written by the 督导组 only (everyone else 403); the
# 督导意见 list is the 督导组's and the conveners' (村, 镇街, 县中心); an opinion on town X's meeting (O) is answered
# by town X's writers — the 督导组 sees it (403), other conveners 404, roles without a meeting 403. Sample S is
# finished: a phone-back or close POST is refused (400 or a redirect: OK).
meetings:oversight         -    L     403/405 403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405 403/405
meetings:visit_plan        -    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403
meetings:visit_record      V    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403
meetings:opinions          -    L     OK/405  OK/405  OK/405  OK/405  OK/405  403/405 403/405 OK/405  403/405 403/405 403/405
meetings:opinion_add       -    L     403     403     403     403     403     403     403     OK      403     403     403
meetings:opinion_answer    O    L     404     404     OK      404     404     403     403     403     403     403     403
meetings:sample_draw       -    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403
meetings:sample_detail     S    L     403/405 403/405 403/405 403/405 403/405 403/405 403/405 OK/405  403/405 403/405 403/405
meetings:sample_result     S    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403
meetings:sample_close      S    L     405/403 405/403 405/403 405/403 405/403 405/403 405/403 405/OK  405/403 405/403 405/403
# the citizen's receipt (issue 13 #4, docs/citizen.md): who works on the case (writers, the county centre, the holding
# unit) prints it and replaces its 查询码; 纪委 and 督导组 see the case but not its code (403). GET-only page, POST-only
# code (POST without the confirmation re-shows the page: 400, OK)
cases:receipt              A    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 403/405 403/405 404/405 404/405 404/405
cases:receipt              B    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 403/405 403/405 404/405 404/405 404/405
cases:receipt              C    L     404/405 404/405 404/405 OK/405  OK/405  404/405 404/405 403/405 404/405 404/405 404/405
cases:receipt              X    L     OK/405  404/405 OK/405  404/405 OK/405  404/405 403/405 403/405 404/405 404/405 404/405
cases:receipt              R    L     404/405 OK/405  OK/405  404/405 OK/405  404/405 403/405 403/405 404/405 404/405 404/405
cases:receipt              K    L     OK/405  404/405 OK/405  404/405 OK/405  OK/405  403/405 403/405 404/405 404/405 404/405
cases:receipt_code         A    L     405/OK  405/404 405/OK  405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
cases:receipt_code         B    L     405/404 405/OK  405/OK  405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
cases:receipt_code         C    L     405/404 405/404 405/404 405/OK  405/OK  405/404 405/404 405/403 405/404 405/404 405/404
cases:receipt_code         X    L     405/OK  405/404 405/OK  405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
cases:receipt_code         R    L     405/404 405/OK  405/OK  405/404 405/OK  405/404 405/403 405/403 405/404 405/404 405/404
cases:receipt_code         K    L     405/OK  405/404 405/OK  405/404 405/OK  405/OK  405/403 405/403 405/404 405/404 405/404
# the public status page /q/ (no login, anonymous included): anyone with the code; the rating is POST only (case A
# is open: the POST is refused with a message, 400, OK)
public:start               -    OK/405 OK/405 OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405
public:status              A    OK/405 OK/405 OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405  OK/405
public:rate                A    405/OK 405/OK 405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK  405/OK
"""

CLASSES = {"OK", "403", "404", "405", "L"}


def parse_expected(text: str) -> dict:
    """{(url, obj): {role: (GET class, POST class)}}; fails loudly on a malformed row."""
    table = {}
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    header = lines[0].split()
    assert header == ["url", "obj", *ROLES], header
    for line in lines[1:]:
        url, obj, *cells = line.split()
        assert len(cells) == len(ROLES), f"EXPECTED 行的列数不对：{line}"
        row = {}
        for role, cell in zip(ROLES, cells):
            get, _, post = cell.partition("/")
            post = post or get
            assert {get, post} <= CLASSES, f"EXPECTED 中无效的结果“{cell}”：{line}"
            row[role] = (get, post)
        assert (url, obj) not in table, f"EXPECTED 中重复的行：{url} {obj}"
        table[url, obj] = row
    return table


EXPECTATIONS = parse_expected(EXPECTED)
METHODS = ("GET", "POST")

# --- running a cell --------------------------------------------------------------------------------------------------


def url_names(urlconf=None) -> dict:
    """{name: route} of every URL pattern, through includes, except Django's admin. Unnamed patterns are listed under
    their route, so they cannot slip through the coverage test either."""
    found = {}

    def walk(patterns, namespace, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin" or p.app_name == "admin":
                    continue
                if p.namespace == "api":  # token-authenticated, no session roles: tests/api covers its 401/403/404
                    continue
                ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
                walk(p.url_patterns, ns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith(("static/", "media/")):
                    continue
                name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or f"<未命名> {route}")
                found.setdefault(name, route)

    walk(get_resolver(urlconf).url_patterns, "", "")
    return found


def url_for(name: str, obj: str, w: World) -> str:
    kwargs = {k: (v.resolve(w) if isinstance(v, Ref) else v) for k, v in SAMPLES[name][obj].items()}
    return reverse(name, kwargs=kwargs)


def login_cookie(client: Client, user) -> str:
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def fetch(client: Client, method: str, url: str, cookie: str | None):
    """One request in a savepoint that is rolled back; the body read inside it (streams query as they go)."""
    client.cookies = SimpleCookie()
    if cookie:
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    with transaction.atomic():
        response = client.post(url) if method == "POST" else client.get(url)
        # Never call response.close() here: the test client has closed it already (a stream, once read to the end),
        # with Django's close_old_connections detached; a second close() fires request_finished with it attached,
        # which drops the PostgreSQL connection in the middle of the test transaction.
        body = b"".join(response.streaming_content) if response.streaming else response.content
        transaction.set_rollback(True)
    return response, body


def classify(response) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        location = urlsplit(response["Location"])
        if location.path == reverse("login") and "next=" in location.query:
            return "L"
        return "OK"
    if code in (403, 404, 405):
        return str(code)
    if code >= 500 or code == 401:
        return str(code)
    return "OK"


def client_for(role: str, w: World):
    client = Client(raise_request_exception=False)
    cookie = None if role == "anon" else login_cookie(client, w.users[role])
    return client, cookie


def mismatches(name: str, role: str, w: World) -> list[tuple]:
    """[(url name, object, role, method, expected, actual, status, path)] of every cell of this URL and role that
    differs from EXPECTED."""
    client, cookie = client_for(role, w)
    wrong = []
    for obj in SAMPLES[name]:
        url = url_for(name, obj, w)
        for method, expected in zip(METHODS, EXPECTATIONS[name, obj][role]):
            response, _ = fetch(client, method, url, cookie)
            actual = classify(response)
            if actual != expected:
                wrong.append((name, obj, role, method, expected, actual, response.status_code, url))
    return wrong


def assert_cells(w: World, name: str, role: str):
    wrong = mismatches(name, role, w)
    assert not wrong, f"授权矩阵不符（{name} × {role}）：\n" + table(wrong)


def table(rows) -> str:
    lines = [f"{'URL 名称':<26}{'对象':<6}{'角色':<8}{'方法':<6}{'应为':<6}{'实为':<6}{'状态码':<7}路径"]
    lines += [f"{n:<28}{o:<8}{r:<10}{m:<8}{e:<8}{a:<8}{s:<10}{p}" for n, o, r, m, e, a, s, p in rows]
    return "\n".join(lines)


# --- the tests -------------------------------------------------------------------------------------------------------


def missing_samples(*urlconfs) -> str:
    names = {}
    for urlconf in urlconfs:
        names.update(url_names(urlconf))
    missing = sorted(set(names) - set(SAMPLES))
    return ("新URL缺少样例：" + "、".join(f"{n}（{names[n]}）" for n in missing)) if missing else ""


def test_every_url_of_the_urlconf_has_samples_and_expectations():
    """A URL added to the URLconf without a SAMPLES entry fails here, by name. Walks the project's URLconf and the
    one the security tests run with (tests/security/urls.py: the project's, plus audit/ and account/ if missing)."""
    names = {**url_names("jiaxiang.urls"), **url_names()}
    assert not missing_samples("jiaxiang.urls", None)
    gone = sorted(set(SAMPLES) - set(names))
    assert not gone, "SAMPLES 中的URL已不在URLconf中：" + "、".join(gone)
    for name, objects in SAMPLES.items():
        for obj in objects:
            assert (name, obj) in EXPECTATIONS, f"EXPECTED 缺少 {name} 对象 {obj} 的一行"
    assert {url for url, _ in EXPECTATIONS} <= set(SAMPLES), "EXPECTED 中有 SAMPLES 没有的URL"
    assert {(url, obj) for url, obj in EXPECTATIONS} == {(n, o) for n, objs in SAMPLES.items() for o in objs}


def test_a_new_url_without_samples_is_named_in_the_failure():
    urlconf = types.ModuleType("authz_matrix_probe_urls")
    urlconf.urlpatterns = [
        path("", include("jiaxiang.urls")),
        path("cases/<str:number>/export.csv", lambda request, number: None, name="case_export"),
        path("x/", include(([path("y/", lambda request: None)], "probe"))),
    ]
    message = missing_samples(urlconf)
    assert message == "新URL缺少样例：<未命名> x/y/（x/y/）、case_export（cases/<str:number>/export.csv）"


def test_the_security_urlconf_is_the_projects_plus_account_and_audit():
    """The matrix runs on tests/security/urls.py; it must hold every project URL and the account and audit pages."""
    project, tested = url_names("jiaxiang.urls"), url_names()
    assert set(project) <= set(tested)
    assert {n for n in tested if n.startswith(("account:", "audit:"))} == {
        n for n in SAMPLES if n.startswith(("account:", "audit:"))}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_matrix(world, name, role):
    assert_cells(world, name, role)


@pytest.mark.django_db
def test_matrix_catches_a_removed_jurisdiction_check(world, monkeypatch):
    """Mutation: `get_case_for_user` (cases.selectors) loads through the module-level `cases_visible_to`, which every
    case view reaches via `selectors.case_detail` / `selectors.get_case_for_user`. Make it return every case — as if
    the jurisdiction filter had been deleted — and the matrix row for secretary A on village B's case turns red."""
    assert mismatches("cases:detail", "sec_a", world) == []
    monkeypatch.setattr("cases.selectors.cases_visible_to", lambda user: Dispute.objects.all())
    wrong = mismatches("cases:detail", "sec_a", world)
    cells = {(obj, method): (expected, actual, status) for _, obj, _, method, expected, actual, status, _ in wrong}
    assert cells[("B", "GET")] == ("404", "OK", 200)
    assert cells[("C", "GET")] == ("404", "OK", 200)
    assert {obj for obj, _ in cells} == {"B", "C", "R"}  # every case outside village A now "visible"
    with pytest.raises(AssertionError, match=r"授权矩阵不符（cases:detail × sec_a）"):
        assert_cells(world, "cases:detail", "sec_a")  # exactly what test_matrix runs for this cell


@pytest.mark.django_db
def test_admin_site_sends_non_staff_to_its_login_and_registers_no_case_content(world):
    """admin/ is not in the matrix (Django's admin has its own tests); here only: non-staff users and anonymous
    visitors are sent to the admin login, and no model carrying case content is registered there."""
    client = Client(raise_request_exception=False)
    for role in ROLES:
        cookie = None if role == "anon" else login_cookie(client, world.users[role])
        response, _ = fetch(client, "GET", reverse("admin:index"), cookie)
        assert response.status_code == 302, role
        assert urlsplit(response["Location"]).path == reverse("admin:login"), role
    reference_data = {"subcategory", "casenumbersequence", "deadlinerule", "calendarday", "escalationrule",
                      # 人民调解: the mediator register, the 回访 schedule, the document templates (no case content)
                      "mediator", "followupday", "documenttemplate"}
    case_content = {m for m in apps.get_app_config("cases").get_models() if m._meta.model_name not in reference_data}
    case_content |= {apps.get_model("meetings", "Review"), apps.get_model("meetings", "FlagOverride"),
                     apps.get_model("audit", "AuditEntry")}
    assert apps.get_model("cases", "Party") in case_content
    leaked = sorted(m._meta.label for m in case_content if m in admin.site._registry)
    assert not leaked, f"后台管理注册了案件内容模型：{leaked}"
