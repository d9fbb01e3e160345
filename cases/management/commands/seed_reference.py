"""Reference data every installation needs: the units of the county and its towns, and local sub-categories.

Idempotent (get_or_create by natural key). Requires the divisions (`load_divisions`).
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.models import Category, SubCategory
from org.jurisdiction import COUNTY_CODE
from org.models import Division, Level, Unit, UnitKind

COUNTY_UNITS = [
    ("嘉祥县社会治理协调中心", UnitKind.CENTRE),
    ("县纪委监委", UnitKind.DISCIPLINE),
    ("县信访局", UnitKind.PETITION),
    ("县公安局", UnitKind.DEPARTMENT),
    ("县司法局", UnitKind.DEPARTMENT),
    ("县自然资源和规划局", UnitKind.DEPARTMENT),
    ("县住房和城乡建设局", UnitKind.DEPARTMENT),
    ("县人力资源和社会保障局", UnitKind.DEPARTMENT),
    ("县卫生健康局", UnitKind.DEPARTMENT),
    ("县市场监督管理局", UnitKind.DEPARTMENT),
    ("济宁市生态环境局嘉祥县分局", UnitKind.DEPARTMENT),
    ("县农业农村局", UnitKind.DEPARTMENT),
    ("县民政局", UnitKind.DEPARTMENT),
    ("县妇联", UnitKind.DEPARTMENT),
    # The seed article: 涉土、医患、环保等7个专业性、行业性人民调解组织.
    ("县涉土纠纷人民调解委员会", UnitKind.MEDIATION),
    ("县医疗纠纷人民调解委员会", UnitKind.MEDIATION),
    ("县环境保护纠纷人民调解委员会", UnitKind.MEDIATION),
    ("县道路交通事故纠纷人民调解委员会", UnitKind.MEDIATION),
    ("县劳动争议人民调解委员会", UnitKind.MEDIATION),
    ("县婚姻家庭纠纷人民调解委员会", UnitKind.MEDIATION),
    ("县物业纠纷人民调解委员会", UnitKind.MEDIATION),
]

# Per town: police station, justice office, 综治办, 信访办, discipline commission.
TOWN_UNITS = [
    ("{town}派出所", UnitKind.POLICE),
    ("{town}司法所", UnitKind.JUSTICE),
    ("{town}综治办", UnitKind.ZONGZHI),
    ("{town}信访办", UnitKind.PETITION),
    ("{town}纪（工）委", UnitKind.DISCIPLINE),
]

SUBCATEGORIES = [
    ("婚恋家庭", Category.MARRIAGE_FAMILY), ("抚养赡养", Category.MARRIAGE_FAMILY),
    ("抚养继承", Category.MARRIAGE_FAMILY), ("邻里关系", Category.NEIGHBOUR), ("相邻通行排水", Category.NEIGHBOUR),
    ("土地宅基", Category.HOUSING), ("房屋买卖租赁", Category.HOUSING), ("经济借贷", Category.CONTRACT),
    ("承包合同", Category.CONTRACT), ("土地确权", Category.LAND), ("林木果树", Category.LAND),
    ("拖欠工资", Category.LABOUR), ("工伤赔偿", Category.LABOUR), ("人身损害", Category.DAMAGES),
    ("养殖污染", Category.ENVIRONMENT), ("石材加工噪声粉尘", Category.ENVIRONMENT),
]


def town_short(name: str) -> str:
    return name.replace("管理委员会", "")


class Command(BaseCommand):
    help = "写入单位（县直部门、专业调委会、各镇街派出所/司法所/综治办/信访办）和本地细分类别。可重复执行。"

    @transaction.atomic
    def handle(self, *args, **options):
        county = Division.objects.filter(code=COUNTY_CODE).first()
        if county is None:
            raise CommandError("尚未导入区划，请先运行 manage.py load_divisions。")
        created = 0
        for name, kind in COUNTY_UNITS:
            created += Unit.objects.get_or_create(division=county, name=name, defaults={"kind": kind})[1]
        for town in Division.objects.filter(level=Level.TOWNSHIP):
            for pattern, kind in TOWN_UNITS:
                name = pattern.format(town=town_short(town.name))
                created += Unit.objects.get_or_create(division=town, name=name, defaults={"kind": kind})[1]
        subs = sum(
            SubCategory.objects.get_or_create(name=name, defaults={"category": cat})[1] for name, cat in SUBCATEGORIES
        )
        self.stdout.write(self.style.SUCCESS(f"单位新增 {created} 个，细分类别新增 {subs} 个。"))
