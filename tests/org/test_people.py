"""The people directory (人员库, issue 11): accounts keep their row in step; who may be named in a 四定."""

import pytest

from org import people
from org.models import Division, Membership, Person, Role, Unit
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_C


def unit(name):
    return Unit.objects.get(name=name)


@pytest.mark.django_db
def test_an_account_gets_its_directory_row_and_it_follows_the_membership(make_user):
    user = make_user(Role.UNIT_STAFF, TOWN_X, unit_name="嘉祥街道派出所", username="officer")
    person = Person.objects.get(user=user)
    assert (person.name, person.division_id, person.unit.name, person.active) == ("officer", TOWN_X, "嘉祥街道派出所", True)
    m = Membership.objects.get(user=user)
    m.title, m.phone = "副所长", "13912345678"
    m.save()
    person.refresh_from_db()
    assert (person.post, person.phone) == ("副所长", "13912345678")
    assert Person.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_the_phone_is_encrypted_at_rest():
    p = Person.objects.create(name="王振华", division_id=TOWN_X, unit=unit("嘉祥街道司法所"), phone="13905371201")
    raw = Person.objects.filter(pk=p.pk).values_list("phone", flat=True).get()
    assert "13905371201" not in raw
    assert Person.objects.get(pk=p.pk).phone == "13905371201"


@pytest.mark.django_db
def test_a_responsible_person_outside_the_unit_is_refused_with_a_clear_message():
    """The issue's example: 环保分局 as the unit, the 街道综治办主任 as the person."""
    zzb = Person.objects.create(name="李春燕", post="综治办主任", division_id=TOWN_X, unit=unit("嘉祥街道综治办"))
    why = people.responsible_refusal(zzb, unit("济宁市生态环境局嘉祥县分局"), VILLAGE_A)
    assert why.startswith("责任人必须是责任单位“济宁市生态环境局嘉祥县分局”的人员") and "李春燕属于嘉祥街道综治办" in why
    assert people.responsible_refusal(zzb, unit("嘉祥街道综治办"), VILLAGE_A) == ""


@pytest.mark.django_db
def test_town_offices_take_the_towns_and_the_villages_people_without_a_unit():
    leader = Person.objects.create(name="曾宪文", division_id=TOWN_X)
    secretary = Person.objects.create(name="刘建国", division_id=VILLAGE_A)
    elsewhere = Person.objects.create(name="王德胜", division_id=VILLAGE_C)
    for office in ("嘉祥街道综治办", "嘉祥街道信访办", "嘉祥街道司法所"):
        assert people.responsible_refusal(leader, unit(office), VILLAGE_A) == ""
        assert people.responsible_refusal(secretary, unit(office), VILLAGE_A) == ""
        assert people.responsible_refusal(elsewhere, unit(office), VILLAGE_A)  # another town's village
    # a 派出所 and a county department take only their own people
    assert people.responsible_refusal(leader, unit("嘉祥街道派出所"), VILLAGE_A)
    assert people.responsible_refusal(secretary, unit("县自然资源和规划局"), VILLAGE_A)
    # another town's office does not become ours
    assert people.responsible_refusal(leader, unit("纸坊镇综治办"), VILLAGE_A)


@pytest.mark.django_db
def test_leaders_belong_to_the_holding_division_and_must_be_in_post():
    town = Division.objects.get(code=TOWN_X)
    ours = Person.objects.create(name="曾宪文", division_id=TOWN_X)
    theirs = Person.objects.create(name="孔繁民", division_id=TOWN_Y)
    retired = Person.objects.create(name="老领导", division_id=TOWN_X, active=False)
    assert people.leader_refusal(ours, town) == ""
    assert "包案领导必须是嘉祥街道的人员" in people.leader_refusal(theirs, town)
    assert "已不在岗" in people.leader_refusal(retired, town)
    assert people.leader_refusal(ours, Division.objects.get(code=COUNTY))


@pytest.mark.django_db
def test_pickers_list_accounts_first_and_only_people_in_post(make_user):
    town = Division.objects.get(code=TOWN_X)
    Person.objects.create(name="阿无账号", division_id=TOWN_X)
    Person.objects.create(name="已调离", division_id=TOWN_X, active=False)
    make_user(Role.TOWN_LEADER, TOWN_X, username="zz_with_account")
    names = [p.name for p in people.leader_choices(town)]
    assert names.index("zz_with_account") < names.index("阿无账号") and "已调离" not in names


@pytest.mark.django_db
def test_a_renamed_account_renames_its_row_but_a_login_does_not_touch_it(make_user):
    user = make_user(Role.TOWN_STAFF, TOWN_X, username="zhang")
    user.first_name = "张三丰"
    user.save()
    person = Person.objects.get(user=user)
    assert person.name == "张三丰"
    person.name = "张三丰（司法所）"
    person.save()
    from django.contrib.auth.models import update_last_login

    update_last_login(None, user)  # what a login writes: last_login only
    person.refresh_from_db()
    assert person.name == "张三丰（司法所）"
