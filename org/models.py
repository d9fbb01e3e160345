"""Administrative divisions, units and user memberships.

A division's primary key is its 12-digit statistical code (统计用区划代码). The code is hierarchical
(6 digits county, 3 township, 3 village), so "is X inside Y" is a prefix test on codes — see `org.jurisdiction`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.fields import EncryptedTextField


class Level(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县"
    TOWNSHIP = "township", "镇街"
    VILLAGE = "village", "村/社区"


class Division(models.Model):
    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区划", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^[0-9]{12}$"), name="division_code_12_digits"),
        ]

    def __str__(self):
        return self.name

    @property
    def short_name(self):
        """嘉祥街道 stays; 呈祥社区居民委员会 -> 呈祥社区; 刘山村委会 -> 刘山村; 护山村村民委员会 -> 护山村."""
        name = self.name
        for suffix in ("居民委员会", "居委会"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        for suffix in ("村民委员会", "村委会"):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                return name if name.endswith("村") else name + "村"
        return name


class UnitKind(models.TextChoices):
    CENTRE = "centre", "县社会治理协调中心"
    POLICE = "police", "派出所"
    JUSTICE = "justice", "司法所"
    ZONGZHI = "zongzhi", "综治办"
    PETITION = "petition", "信访办"
    DEPARTMENT = "department", "县直职能部门"
    MEDIATION = "mediation", "专业调解委员会"
    DISCIPLINE = "discipline", "纪委"


class Unit(models.Model):
    name = models.CharField("单位名称", max_length=64)
    kind = models.CharField("类别", max_length=12, choices=UnitKind.choices)
    division = models.ForeignKey(
        Division, verbose_name="所属区划", on_delete=models.PROTECT, related_name="units",
        help_text="镇街单位挂在镇街，县直部门和专业调委会挂在嘉祥县。",
    )
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位/部门"
        verbose_name_plural = "单位/部门"
        ordering = ["division_id", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["division", "name"], name="unit_unique_name_per_division")]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    VILLAGE_SECRETARY = "village_secretary", "村党组织书记"
    GRID_WORKER = "grid_worker", "网格员/调解员/信息员"
    TOWN_LEADER = "town_leader", "镇街副书记"
    TOWN_STAFF = "town_staff", "综治办/司法所工作人员"
    UNIT_STAFF = "unit_staff", "责任单位工作人员"
    COUNTY_CENTRE = "county_centre", "县社会治理协调中心"
    DISCIPLINE = "discipline", "纪委"
    SUPERVISOR = "supervisor", "督导组"
    ADMIN = "admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDITOR = "auditor", "审计员"


# Which division level each role sits at. Checked by the membership form and a database constraint would need
# a join, so the admin form validates it (`Membership.clean`).
ROLE_LEVELS = {
    Role.VILLAGE_SECRETARY: {Level.VILLAGE},
    Role.GRID_WORKER: {Level.VILLAGE},
    Role.TOWN_LEADER: {Level.TOWNSHIP},
    Role.TOWN_STAFF: {Level.TOWNSHIP},
    Role.UNIT_STAFF: {Level.TOWNSHIP, Level.COUNTY},
    Role.COUNTY_CENTRE: {Level.COUNTY},
    Role.DISCIPLINE: {Level.TOWNSHIP, Level.COUNTY},
    Role.SUPERVISOR: {Level.COUNTY},
    Role.ADMIN: {Level.COUNTY},
    Role.SECURITY_ADMIN: {Level.COUNTY},
    Role.AUDITOR: {Level.COUNTY},
}

# Role facts (DESIGN.md §2). Who may do what with a case is decided in cases/policy.py from these.
VILLAGE_ROLES = frozenset({Role.VILLAGE_SECRETARY, Role.GRID_WORKER})
TOWN_ROLES = frozenset({Role.TOWN_LEADER, Role.TOWN_STAFF})
# The user the deadline sweep's records are written as ("系统"); it cannot log in.
SYSTEM_USERNAME = "system"

# Roles that may register a dispute and edit its basic record.
CASE_WRITER_ROLES = {Role.VILLAGE_SECRETARY, Role.GRID_WORKER, Role.TOWN_LEADER, Role.TOWN_STAFF}
# Roles that never see case content (DESIGN.md §2, §7).
NO_CASE_ACCESS_ROLES = {Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR}
# 三员 (等保 8.1.5): 系统管理员, 安全管理员, 审计员 — three people, never one holding two. A membership granting any
# other role (case access) takes effect only once a 安全管理员 approves it (`MembershipRequest`, accounts.duties).


class Membership(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="membership"
    )
    division = models.ForeignKey(Division, verbose_name="所属区划", on_delete=models.PROTECT, related_name="members")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name="所在单位", null=True, blank=True, on_delete=models.PROTECT, related_name="members",
        help_text="责任单位工作人员必填。",
    )
    title = models.CharField("职务", max_length=32, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    # Password state (accounts.security, accounts.middleware.PasswordChangeRequiredMiddleware). Kept here, on the row every
    # request already loads, so the "must change" check costs no query.
    must_change_password = models.BooleanField(
        "下次登录须修改密码", default=False,
        help_text="管理员创建账号或重置密码后自动勾选；用户修改密码后自动取消。",
    )
    password_changed_at = models.DateTimeField(
        "密码修改时间", default=timezone.now, help_text="超过规定天数（默认90天）须修改密码。",
    )

    class Meta:
        verbose_name = "用户归属与角色"
        verbose_name_plural = "用户归属与角色"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="unit_staff") | models.Q(unit__isnull=False),
                name="membership_unit_staff_has_unit",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.division} · {self.get_role_display()}"

    def clean(self):
        from django.core.exceptions import ValidationError

        allowed = ROLE_LEVELS.get(self.role, set())
        if self.division_id and self.division.level not in allowed:
            raise ValidationError({"division": f"“{self.get_role_display()}”只能设在{'、'.join(Level(x).label for x in allowed)}一级。"})
        if self.role == Role.UNIT_STAFF and not self.unit_id:
            raise ValidationError({"unit": "责任单位工作人员必须选择所在单位。"})


class RequestStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "已拒绝"


class MembershipRequest(models.Model):
    """A role grant that gives case access, asked for by a 系统管理员 in the admin and waiting for a 安全管理员
    (三员 separation of duties). The live `Membership` is created or changed only when it is approved
    (accounts.duties.approve_grant); a refused or approved request stays as the record of the decision."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="membership_requests"
    )
    division = models.ForeignKey(Division, verbose_name="所属区划", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit, verbose_name="所在单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("职务", max_length=32, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    status = models.CharField("状态", max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    note = models.CharField("审批意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "岗位授权申请"
        verbose_name_plural = "岗位授权申请"
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request per user: a second one waits until the first is decided.
            models.UniqueConstraint(fields=["user"], condition=models.Q(status="pending"),
                                    name="membership_request_one_pending_per_user"),
        ]

    def __str__(self):
        return f"{self.user} · {self.division} · {self.get_role_display()}（{self.get_status_display()}）"


class EnrolmentCode(models.Model):
    """A one-time code a 安全管理员 issues so that the owner of an account of a 2FA role may bind an authenticator
    (accounts.security.issue_enrolment_code): shown once, only its keyed hash is kept, valid 24 hours, used once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="+"
    )
    code_hash = models.CharField("绑定码摘要", max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="签发人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField("签发时间", default=timezone.now)
    expires_at = models.DateTimeField("失效时间")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "双因素绑定码"
        verbose_name_plural = "双因素绑定码"
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return f"{self.user} · {self.issued_at:%Y-%m-%d %H:%M}"


class Person(models.Model):
    """人员库: someone of a division or unit who may be named in 四定 (包案领导, 责任人), 三包 duties, meeting
    attendance or a mediation — with or without a system account. Everyone with a `Membership` has a row here,
    linked to the account and kept in step with it (`org.people.sync_from_membership`); people without an account
    are added in the admin or by the Excel import.

    `division` is where the person works: the unit's division for unit staff (a 派出所 hangs on its town, a county
    department on the county). The phone is encrypted at rest like parties' phones (docs/pii.md)."""

    name = models.CharField("姓名", max_length=32)
    post = models.CharField("职务", max_length=32, blank=True)
    division = models.ForeignKey(Division, verbose_name="所属区划", on_delete=models.PROTECT, related_name="people")
    unit = models.ForeignKey(
        Unit, verbose_name="所在单位", null=True, blank=True, on_delete=models.PROTECT, related_name="people",
        help_text="村、镇街班子成员可不填；单位人员必填其单位。",
    )
    phone = EncryptedTextField("联系电话", max_length=20, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="系统账号", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="person", help_text="有系统账号的人员与账号关联；无账号的人员也可被确定为包案领导、责任人。",
    )
    active = models.BooleanField("在岗", default=True, help_text="调离或退休后取消勾选：不再出现在选择列表中，历史记录保留。")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员库"
        ordering = ["division_id", "unit_id", "name", "id"]
        indexes = [models.Index(fields=["division", "active"], name="person_division_active")]

    def __str__(self):
        return f"{self.name}（{self.post}）" if self.post else self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.unit_id and self.division_id and self.unit.division_id != self.division_id:
            raise ValidationError({"unit": f"“{self.unit}”属于{self.unit.division}，与所属区划不一致。"})
