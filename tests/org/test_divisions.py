import pytest
from django.core.management import CommandError, call_command

from org.jurisdiction import is_within
from org.models import Division, Level


@pytest.mark.django_db
def test_divisions_hold_the_real_jiaxiang_list():
    county = Division.objects.get(code="370829000000")
    assert county.name == "嘉祥县"
    towns = Division.objects.filter(level=Level.TOWNSHIP, parent=county)
    assert towns.count() == 16
    assert Division.objects.filter(level=Level.VILLAGE, parent__parent=county).count() == 453
    assert Division.objects.get(code="370829101200").name == "东纸坊村委会"
    assert Division.objects.get(code="370829101000").name == "纸坊镇"
    # Every village's code lies inside its township's code range.
    for v in Division.objects.filter(level=Level.VILLAGE).select_related("parent"):
        assert is_within(v.code, v.parent.code, v.parent.level)


@pytest.mark.django_db
def test_loading_twice_creates_no_duplicates():
    before = Division.objects.count()
    call_command("load_divisions", stdout=open("/dev/null", "w"))
    assert Division.objects.count() == before == 472


@pytest.mark.django_db
def test_bad_csv_is_refused_whole_with_a_row_report(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,level,parent_code\n370000000000,山东省,province,\n37080000000X,济宁市,city,370000000000\n"
        "370899000000,新县,county,370800000000\n",
        encoding="utf-8",
    )
    before = Division.objects.count()
    with pytest.raises(CommandError, match="未导入任何数据"):
        call_command("load_divisions", csv=str(bad))
    err = capsys.readouterr().err
    assert "第3行" in err and "12位数字" in err
    assert "第4行" in err  # parent missing because row 3 was bad
    assert Division.objects.count() == before


def test_is_within_uses_code_prefixes():
    assert is_within("370829001209", "370829001000", "township")
    assert not is_within("370829101200", "370829001000", "township")
    assert is_within("370829101200", "370829000000", "county")
    assert is_within("370829001209", "370829001209", "village")
    assert not is_within("370829001212", "370829001209", "village")


def test_short_names():
    assert Division(name="刘山村委会").short_name == "刘山村"
    assert Division(name="护山村村民委员会").short_name == "护山村"
    assert Division(name="呈祥社区居民委员会").short_name == "呈祥社区"
    assert Division(name="嘉祥街道").short_name == "嘉祥街道"
