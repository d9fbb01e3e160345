"""Onboarding a county (issue 13 #5, issue 11 #1): the people directory (人员库) and its accounts imported from one
Excel sheet by the 系统管理员, all or nothing; the 安全管理员 approves the batch's posts in one step.

三员 (docs/security.md §4) as the admin's forms keep it: the import creates the directory rows, the accounts (with a
generated initial password each, shown once) and one pending `MembershipRequest` per account — never a membership.
The posts, which give case access, take effect only when a 安全管理员 approves them (`approve_batch`, or one by one
on 账号安全); approval creates the membership with 首次登录须修改密码 (accounts.duties.approve_locked_grant). So the
administrator neither grants case access alone nor knows a password in use.

A batch is the requests one import wrote: same requester, same `requested_at` to the microsecond (no new column).

Rules live here (`validate`); the workbook is read and written in accounts.onboarding_sheet; the pages are
accounts.views_onboarding.
"""

import dataclasses
import os
import secrets
import string
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hasher
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Min, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

import audit
from audit.models import Action
from core.errors import Forbidden, Refused
from core.fields import bind_rows
from core.validators import normalize_phone, validate_phone
from org.models import (
    NO_CASE_ACCESS_ROLES,
    ROLE_LEVELS,
    Division,
    Level,
    MembershipRequest,
    Person,
    RequestStatus,
    Role,
    Unit,
)
from org.selectors import membership_of

from . import duties
from .onboarding_sheet import LABEL_OF, Row

# The levels a directory person may sit at (the province and the city are not ours).
PERSON_LEVELS = {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}
# Roles an import may grant: every post with case access. The 三员 are a handful of people, created one by one in the
# admin (a batch must never hand the administrator a 安全管理员 or an auditor of its own making).
IMPORT_ROLES = [r for r in Role if r not in NO_CASE_ACCESS_ROLES]


def may_onboard(user) -> bool:
    """The import is the 系统管理员's work (accounts, divisions, units: DESIGN.md §2)."""
    m = membership_of(user)
    return m is not None and m.role == Role.ADMIN


def _role_names() -> dict:
    """Label, code and each part of a combined label (网格员/调解员/信息员 -> 网格员, 调解员, 信息员) -> role."""
    out = {}
    for role in Role:
        out[role.value] = out[role.label] = role
        for part in role.label.split("/"):
            out.setdefault(part, role)
    out["综治办工作人员"] = out["司法所工作人员"] = Role.TOWN_STAFF
    return out


ROLE_NAMES = _role_names()


# --- validating ----------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class RowResult:
    number: int
    cells: dict  # key -> text as typed (the phone is shown masked)
    errors: list  # (column header, message)
    warnings: list  # (column header, message)
    clean: dict | None = None  # division, unit, name, post, phone, username, role

    @property
    def account(self) -> bool:
        return bool(self.clean and self.clean["username"])


@dataclasses.dataclass
class Report:
    file_name: str
    rows: list

    @property
    def error_rows(self):
        return [r for r in self.rows if r.errors]

    @property
    def warning_rows(self):
        return [r for r in self.rows if r.warnings]

    @property
    def ok(self) -> bool:
        return not self.error_rows

    @property
    def accounts(self) -> int:
        return sum(1 for r in self.rows if r.cells.get("username"))

    def lines(self) -> list[str]:
        """第N行 · 列名：错误, one line per error."""
        return [f"第{r.number}行 · {col}：{msg}" for r in self.error_rows for col, msg in r.errors]

    def notes(self) -> dict:
        """Row number -> (text, is_error) for the errors workbook."""
        out = {}
        for r in self.rows:
            lines = [f"{c}：{m.rstrip('。')}" for c, m in r.errors] + [f"提示：{c}：{m.rstrip('。')}" for c, m in r.warnings]
            if lines:
                out[r.number] = ("；".join(lines), bool(r.errors))
        return out


class _Lookups:
    """Everything the rows are checked against, loaded once (a few queries whatever the number of rows)."""

    def __init__(self, rows: list[Row]):
        self.divisions = {d.code: d for d in Division.objects.filter(level__in=PERSON_LEVELS)}
        self.other_levels = set(Division.objects.exclude(level__in=PERSON_LEVELS).values_list("code", flat=True))
        self.units = {}  # (division code, name) -> Unit
        self.unit_homes = {}  # name -> [division names]
        for unit in Unit.objects.select_related("division"):
            self.units[(unit.division_id, unit.name)] = unit
            self.unit_homes.setdefault(unit.name, []).append(unit.division.name)
        wanted = list({r.cells["username"].lower() for r in rows if r.cells["username"]})
        User = get_user_model()
        self.taken = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            self.taken |= set(User.objects.annotate(low=Lower("username")).filter(low__in=chunk)
                              .values_list("low", flat=True))
        names = list({r.cells["name"] for r in rows if r.cells["name"]})
        self.known_people = set()
        for start in range(0, len(names), 500):
            self.known_people |= set(Person.objects.filter(name__in=names[start:start + 500], active=True)
                                     .values_list("division_id", "name"))


_USERNAME = UnicodeUsernameValidator()


def _check_row(row: Row, look: _Lookups, first_of_username: dict) -> RowResult:
    c = row.cells
    errors, warnings = [], []

    def refuse(key, message):
        errors.append((LABEL_OF[key], message))

    code = "".join(c["division"].split())
    division = look.divisions.get(code)
    if not code:
        refuse("division", "请填写区划代码。")
    elif division is None:
        if code in look.other_levels:
            refuse("division", f"“{code}”是省、市一级的区划，人员只能录入到嘉祥县、镇街或村/社区。")
        else:
            refuse("division", f"“{code}”不是嘉祥县的区划代码：请填写12位统计用区划代码（见模板“区划代码”工作表）。")

    unit = None
    if c["unit"] and division is not None:
        unit = look.units.get((division.code, c["unit"]))
        if unit is None:
            homes = look.unit_homes.get(c["unit"])
            where = f"（该单位属于{'、'.join(homes)}）" if homes else "（见模板“单位”工作表）"
            refuse("unit", f"“{c['unit']}”不属于{division.name}{where}。")
        elif not unit.active:
            refuse("unit", f"“{unit.name}”已停用。")

    if not c["name"]:
        refuse("name", "请填写姓名。")
    elif len(c["name"]) > 32:
        refuse("name", "姓名不能超过32字。")
    if len(c["post"]) > 32:
        refuse("post", "职务不能超过32字。")
    phone = normalize_phone(c["phone"])
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as error:
            refuse("phone", error.messages[0])

    username, role = c["username"], None
    if c["role"]:
        role = ROLE_NAMES.get(c["role"]) or ROLE_NAMES.get("".join(c["role"].split()))
        if role is None:
            refuse("role", f"没有“{c['role']}”这个角色，请从下拉列表选择。")
        elif role in NO_CASE_ACCESS_ROLES:
            refuse("role", "系统管理员、安全管理员、审计员（三员）账号不能批量导入，请在后台逐个创建。")
            role = None
        elif division is not None and division.level not in ROLE_LEVELS[role]:
            levels = "、".join(Level(x).label for x in sorted(ROLE_LEVELS[role]))
            refuse("role", f"“{role.label}”只能设在{levels}一级，{division.name}是{division.get_level_display()}。")
        elif role == Role.UNIT_STAFF and not c["unit"]:
            refuse("unit", "责任单位工作人员必须填写所在单位。")
    if username and not c["role"]:
        refuse("role", "填写了用户名就要选择角色（不开通账号的人员两项都不填）。")
    if c["role"] and not username:
        refuse("username", "选择了角色就要填写用户名（不开通账号的人员两项都不填）。")
    if username:
        low = username.lower()
        try:
            _USERNAME(username)
            if len(username) > 150:
                raise ValidationError("用户名不能超过150个字符。")
        except ValidationError:
            refuse("username", "用户名只能包含字母、数字和 @ . + - _，最多150个字符。")
        else:
            if low in look.taken:
                refuse("username", f"“{username}”已被现有账号使用，请换一个。")
            elif first_of_username.setdefault(low, row.number) != row.number:
                refuse("username", f"“{username}”与本表第{first_of_username[low]}行的用户名重复。")

    if division is not None and c["name"] and (division.code, c["name"]) in look.known_people:
        warnings.append((LABEL_OF["name"], f"人员库中{division.name}已有同名人员“{c['name']}”，请核实不是重复录入。"))
    shown = {**c, "division_name": division.name if division else "", "unit_name": unit.name if unit else c["unit"],
             "phone": phone, "role_label": role.label if role else c["role"]}
    result = RowResult(row.number, shown, errors, warnings)
    if not errors:
        result.clean = {"division": division, "unit": unit, "name": c["name"], "post": c["post"], "phone": phone,
                        "username": username, "role": role.value if role else ""}
    return result


def validate(rows: list[Row], *, file_name: str = "") -> Report:
    """Check every row against the directory's and the accounts' rules; nothing is written."""
    look = _Lookups(rows)
    first_of_username = {}
    return Report(file_name, [_check_row(row, look, first_of_username) for row in rows])


# --- initial passwords ---------------------------------------------------------------------------------------------

# No 0/O, 1/l/I: the slip is read off paper. 54 symbols, 12 of them: 69 bits.
ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "0O1lI")
# An initial password has 69 random bits and is replaced at the first login: its hash needs no million rounds of
# stretching (they protect guessable human passwords). PBKDF2 at 20,000 rounds is ~5 ms, so 1,000 accounts hash in
# seconds instead of ~4 minutes; Django re-hashes at the full cost on the first login (the hasher's `must_update`),
# which the forced change then replaces anyway.
INITIAL_ROUNDS = 20_000
HASH_THREADS = min(4, os.cpu_count() or 1)


def generate_password(user=None) -> str:
    """Three groups of four (Kp7m-Xq4r-Tz9w): upper and lower case letters, digits and a symbol, and passing every
    AUTH_PASSWORD_VALIDATORS rule (length, not like the user name, not common, not numeric, character classes)."""
    while True:
        chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
        if not (any(ch.isupper() for ch in chars) and any(ch.islower() for ch in chars)
                and any(ch.isdigit() for ch in chars)):
            continue
        password = "-".join((chars[:4], chars[4:8], chars[8:]))
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def initial_hash(password: str) -> str:
    hasher = get_hasher("default")
    if hasattr(hasher, "iterations"):
        return hasher.encode(password, hasher.salt(), iterations=min(hasher.iterations, INITIAL_ROUNDS))
    return hasher.encode(password, hasher.salt())


# --- the import ----------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Slip:
    """One account's line on the sealed sheet: shown once, in the response to the confirmation, never stored."""

    name: str
    division: str
    unit: str
    post: str
    role: str
    username: str
    password: str


@dataclasses.dataclass
class Imported:
    people: int
    accounts: int
    batch_id: int | None  # the first request of the batch (its approval page), None without accounts
    slips: list


@transaction.atomic
def import_people(request, *, report: Report, file_name: str) -> Imported:
    """Write a validated report: every row a directory person; a row with 用户名 and 角色 also an account with a
    generated password and a pending post for the 安全管理员. All rows or none (`Refused` rolls back)."""
    if not may_onboard(request.user):
        raise Forbidden("只有系统管理员可以批量导入人员和账号。")
    if not report.ok:
        raise Refused("文件中仍有错误，未导入任何人员。")
    User = get_user_model()
    rows = [r.clean for r in report.rows]
    accounts = [r for r in rows if r["username"]]
    users = [User(username=r["username"], first_name=r["name"][:150], is_active=True) for r in accounts]
    passwords = [generate_password(user) for user in users]
    # hashlib's PBKDF2 releases the GIL: the hashes are computed on every core of the machine at once.
    with ThreadPoolExecutor(max_workers=HASH_THREADS) as pool:
        for user, encoded in zip(users, pool.map(initial_hash, passwords), strict=True):
            user.password = encoded
    slips = [Slip(r["name"], r["division"].name, r["unit"].name if r["unit"] else "", r["post"], Role(r["role"]).label,
                  r["username"], password) for r, password in zip(accounts, passwords, strict=True)]
    try:
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=500)
    except IntegrityError:  # an account with one of these names was created a moment ago
        raise Refused("有用户名刚刚被其他账号占用，请重新上传检查。未导入任何人员。") from None
    if users and users[0].pk is None:  # a database that returns no keys from a bulk INSERT
        by_name = dict(User.objects.filter(username__in=[u.username for u in users]).values_list("username", "pk"))
        for user in users:
            user.pk = user.id = by_name[user.username]
    user_of = {u.username: u for u in users}
    people = [Person(name=r["name"], post=r["post"] or (Role(r["role"]).label if r["role"] else ""),
                     division=r["division"], unit=r["unit"], phone=r["phone"], user=user_of.get(r["username"]))
              for r in rows]
    Person.objects.bulk_create(people, batch_size=500)
    bind_rows(people)  # the phones bound to their rows (bulk_create sends no post_save)
    now = timezone.now()
    grants = [MembershipRequest(user=user_of[r["username"]], division=r["division"], role=r["role"], unit=r["unit"],
                                title=r["post"], requested_by=request.user, requested_at=now) for r in accounts]
    MembershipRequest.objects.bulk_create(grants, batch_size=500)
    batch = batch_of_moment(request.user, now)
    first = batch.order_by("id").values_list("id", flat=True).first()
    for user, r in zip(users, accounts, strict=True):
        audit.record(request, action=Action.ACCOUNT_CHANGE, obj=user, label=user.username,
                     detail=f"批量导入创建账号（初始密码系统生成，只显示一次，首次登录须修改）；申请岗位：{r['division'].name} · "
                            f"{Role(r['role']).label}" + (f" · {r['unit'].name}" if r["unit"] else "")
                            + f"（批次 {first}，待安全管理员审批后生效）")
    audit.record(request, action=Action.IMPORT, label=f"{file_name or 'Excel'}（{len(people)}人）"[:200],
                 detail=f"导入人员库{len(people)}人，其中开通账号{len(users)}个"
                        + (f"，岗位授权申请批次 {first}（{len(grants)}项）待安全管理员审批" if grants else ""))
    return Imported(len(people), len(users), first, slips)


# --- the batch, for the 安全管理员 ------------------------------------------------------------------------------------

def batch_of_moment(requested_by, requested_at):
    return MembershipRequest.objects.filter(requested_by=requested_by, requested_at=requested_at)


def batch_of(grant: MembershipRequest):
    """The requests written together with `grant` (itself included), pending or decided."""
    return batch_of_moment(grant.requested_by_id, grant.requested_at)


def pending_batches() -> list[dict]:
    """Batches of two or more pending requests, oldest first: first (request id), requested_by__username,
    requested_at, size. One query."""
    return list(MembershipRequest.objects.filter(status=RequestStatus.PENDING)
                .values("requested_by", "requested_by__username", "requested_at")
                .annotate(size=Count("id"), first=Min("id")).filter(size__gt=1).order_by("requested_at"))


def single_pending_grants():
    """The pending requests that belong to no batch (the admin's one-by-one grants)."""
    siblings = MembershipRequest.objects.filter(
        status=RequestStatus.PENDING, requested_by=OuterRef("requested_by"), requested_at=OuterRef("requested_at"),
    ).exclude(pk=OuterRef("pk"))
    return duties.pending_grants().exclude(Exists(siblings))


def batch_summary(grants) -> list[dict]:
    """How many of each post per division, for the approval page: division__name, role label, unit, count."""
    rows = (grants.values("division__name", "role", "unit__name").annotate(count=Count("id"))
            .order_by("division_id", "role", "unit__name"))
    return [{**r, "role_label": Role(r["role"]).label} for r in rows]


@transaction.atomic
def approve_batch(request, *, grant_id: int, note: str = "") -> int:
    """A 安全管理员 approves every pending request of the batch `grant_id` belongs to, in one transaction: each
    exactly as `duties.approve_grant` would (membership created with 首次登录须修改密码, request marked, one
    audit row each). Refused as a whole if the user may not decide any of them. Returns how many were approved."""
    anchor = MembershipRequest.objects.filter(pk=grant_id).first()
    if anchor is None:
        raise Refused("没有这批岗位授权申请。")
    grants = list(batch_of(anchor).filter(status=RequestStatus.PENDING).select_for_update(of=("self",))
                  .select_related("user", "division", "unit", "requested_by").order_by("id"))
    if not grants:
        raise Refused("这批申请已经全部处理，无需重复操作。")
    for grant in grants:
        conflict = duties.decision_conflict(request.user, grant)
        if conflict:
            raise Forbidden(f"{conflict}（申请编号 {grant.pk}，用户 {grant.user.get_username()}）")
    for grant in grants:
        duties.approve_locked_grant(request, grant=grant, note=note)
    audit.record(request, action=Action.ROLE_CHANGE, label=f"批次 {grants[0].pk}（{len(grants)}项）",
                 detail=f"一次批准同批岗位授权申请{len(grants)}项（申请人 {grants[0].requested_by.get_username()}）"
                        + (f"；意见：{note[:200]}" if note else ""))
    return len(grants)
