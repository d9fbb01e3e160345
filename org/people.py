"""The people directory's rules (人员库): who a person is for an account, and who may be named in a 四定.

Everyone with a `Membership` has a `Person` linked to the account, kept in step when the membership is saved
(`sync_from_membership`, connected in org/signals.py), so code that has a user can always name the person.

Who may be named (DESIGN.md §5), decided here and nowhere else:

* 包案领导: an active person of the division that holds the case (the town for a town case, the county for a county
  case) — its leaders and offices, or a unit hanging on it.
* 责任人: an active person of the 责任单位 itself; or, when the 责任单位 is one of the town's own offices (综治办,
  信访办, 司法所), a person of the case's town or village without a unit of their own (the town's leadership and
  综治办/司法所工作人员, whose accounts name no office; the case's village 两委). A county department, a 派出所 or a
  专业调委会 takes only its own people.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When

from .jurisdiction import township_code_of
from .models import Membership, Person, UnitKind

# The 镇街's own offices: a 责任人 of the town or the case's village without a unit of their own may take them on
# (the role 综治办/司法所工作人员 does not say which office).
TOWN_OFFICE_KINDS = frozenset({UnitKind.ZONGZHI, UnitKind.PETITION, UnitKind.JUSTICE})


def display_name(user) -> str:
    return (f"{user.last_name}{user.first_name}".strip() or user.get_username())[:32]


@transaction.atomic
def sync_from_membership(membership: Membership) -> Person:
    """Create or update the account's directory row from its membership (name, post, division, unit, phone)."""
    user = membership.user
    person = Person.objects.select_for_update().filter(user=user).first() or Person(user=user)
    person.name = display_name(user)
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


def as_person(who) -> Person | None:
    """A `Person` as it is, an account as its directory row, None as None (services accept either)."""
    if who is None or isinstance(who, Person):
        return who
    if isinstance(who, get_user_model()):
        return person_for(who)
    raise TypeError(f"not a person: {who!r}")


def label(person: Person) -> str:
    """"王建国（嘉祥街道司法所 · 所长）" — what a picker and a document say of a person."""
    where = " · ".join(x for x in (person.unit.name if person.unit_id else "", person.post) if x)
    return f"{person.name}（{where}）" if where else person.name


def picker_label(person: Person) -> str:
    """A person in a picker: "王振华（嘉祥街道司法所 · 所长）〔无账号〕" — people without an account are marked."""
    return label(person) + ("" if person.user_id else "〔无账号〕")


# Accounts first, then the directory's people without one.
ACCOUNTS_FIRST = Case(When(user__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField())


# --- who may be named in a 四定 -------------------------------------------------------------------------------------


def leader_refusal(person: Person, holder) -> str:
    """Why `person` may not be the 包案领导 of a case held by `holder` (a Division), or ""."""
    if not person.active:
        return f"{person.name}已不在岗，不能作为包案领导。"
    if person.division_id != holder.code:
        return f"包案领导必须是{holder}的人员（{person.name}属于{person.division}）。"
    return ""


def responsible_refusal(person: Person, unit, village_code: str) -> str:
    """Why `person` may not be the 责任人 for `unit` on a case of the village `village_code`, or ""."""
    if not person.active:
        return f"{person.name}已不在岗，不能作为责任人。"
    if person.unit_id == unit.pk:
        return ""
    town_office = unit.kind in TOWN_OFFICE_KINDS and unit.division_id == township_code_of(village_code)
    if town_office and person.unit_id is None and person.division_id in (village_code, unit.division_id):
        return ""
    where = person.unit.name if person.unit_id else person.division.name
    return (f"责任人必须是责任单位“{unit}”的人员：{person.name}属于{where}。"
            f"请改选该单位的人员，或先在人员库中登记。")


def leader_choices(holder):
    """The people who may lead a case held by `holder`, accounts first (the picker's order)."""
    return (Person.objects.filter(active=True, division_id=holder.code)
            .select_related("unit").order_by(ACCOUNTS_FIRST, "unit_id", "name", "id"))


def responsible_choices(holder, units, village_code: str):
    """The people who may be named 责任人 with one of `units` (the 责任单位 offered), accounts first: the units'
    people, and the town's and the case's village's people without a unit (for the town's own offices)."""
    town_code = township_code_of(village_code)
    loose = Q(unit__isnull=True, division_id__in=[village_code, town_code])
    wanted = Q(unit__in=list(units)) | (loose if holder.code == town_code else Q(pk__in=[]))
    return (Person.objects.filter(wanted, active=True)
            .select_related("unit").order_by(ACCOUNTS_FIRST, "unit_id", "name", "id"))

