"""Realistic fictitious people and disputes for demo and benchmark data (never real persons).

Used by `seed_demo` and `seed_benchmark`. ID numbers carry a valid GB 11643 check digit and a 370829 (嘉祥县)
address code; phones are well-formed mobile numbers.
"""

import datetime
import random

from cases.models import Category, Risk, Source
from core.validators import id_check_char

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华立新玉兰凤兰广才庆春金花德胜宝山振海学文爱民红梅春燕志刚海燕永强长江金龙保国"

# (category, title pattern, description pattern); {a}/{b} are party names, {v} the village.
TEMPLATES = [
    (Category.MARRIAGE_FAMILY, "{a}与{b}婚姻家庭矛盾", "{a}反映与配偶{b}因家庭琐事长期争吵，近日{b}回娘家不归，双方对子女抚养和家庭财产分割意见不一，{a}情绪激动，要求村里出面调解。"),
    (Category.MARRIAGE_FAMILY, "{a}家赡养老人纠纷", "{a}之母年逾八旬，兄弟{b}等三人对赡养费分摊和轮流照料有争议，老人多次到村委会哭诉，需尽快协调赡养协议。"),
    (Category.NEIGHBOUR, "{a}与{b}排水纠纷", "{a}与邻居{b}两家院落相邻，{b}翻修院墙后雨水排向{a}家，双方多次口角，有推搡苗头。"),
    (Category.NEIGHBOUR, "{a}与{b}通行道路纠纷", "{b}在房后堆放石料占用生产路，{a}农用车无法通行，双方言语冲突，需现场查看协调。"),
    (Category.HOUSING, "{a}与{b}宅基地边界纠纷", "{a}建房时与相邻户{b}对宅基地东西界址有争议，双方均称有老宅基证为凭，{b}阻止施工。"),
    (Category.CONTRACT, "{a}与{b}民间借贷纠纷", "{a}称2023年借给{b}现金8万元用于石材加工，有借条，到期未还，多次催要无果，要求调解还款计划。"),
    (Category.CONTRACT, "{a}土地承包合同纠纷", "{a}承包村集体机动地15亩，合同期未满，{b}等村民代表提出收回重新发包，双方对补偿数额分歧较大。"),
    (Category.BUSINESS, "{a}石材加工厂与{b}生产经营纠纷", "{a}经营的石材加工点与合伙人{b}因分红和设备归属发生争议，账目不清，双方均不让步。"),
    (Category.DAMAGES, "{a}与{b}人身损害赔偿纠纷", "{a}在{b}家帮工时从梯子上摔伤，住院花费2万余元，双方对赔偿责任和金额存在争议。"),
    (Category.LAND, "{a}与{b}承包地边界纠纷", "{a}与{b}两家承包地相邻，{b}耕种时越界约半垄，{a}要求按确权图纸恢复地界。"),
    (Category.LAND, "{a}与{b}林木归属纠纷", "村东沟边杨树二十余棵，{a}称系其父所栽，{b}称在其承包地内，双方为伐树售卖发生争执。"),
    (Category.EXPROPRIATION, "{a}等户征地补偿款分配纠纷", "修建道路征收村组土地，{a}、{b}等户对地上附着物补偿和人口分配方案有异议，多人到村委会反映。"),
    (Category.ENVIRONMENT, "{a}反映养殖场异味扰民", "{b}在村南经营养猪场，{a}等附近村民反映粪污异味和蚊蝇严重，要求整改或搬迁。"),
    (Category.LABOUR, "{a}等工人追讨工资纠纷", "{a}等6名村民在{b}承包的工地务工，被拖欠工资共计4.2万元，年底临近，工人情绪急躁。"),
    (Category.CONSUMER, "{a}购买农资质量纠纷", "{a}从{b}经营的农资店购买玉米种子，出苗率不足五成，要求赔偿损失。"),
    (Category.MEDICAL, "{a}家属与村卫生室医疗纠纷", "{a}在村卫生室输液后出现不适转院治疗，家属{b}认为卫生室处置不当，要求赔偿。"),
    (Category.TRAFFIC, "{a}与{b}道路交通事故赔偿纠纷", "{a}驾驶电动三轮车与{b}的摩托车在村口相撞，双方受伤，交警认定同等责任，对赔偿数额有争议。"),
    (Category.PROPERTY_MGMT, "{a}与物业公司物业费纠纷", "{a}所在小区物业公司{b}称其欠缴物业费两年，{a}认为物业服务不到位、楼道漏水未修。"),
    (Category.OTHER, "{a}与{b}坟地纠纷", "{a}家在{b}承包地边安葬老人，{b}认为影响耕种要求迁出，双方家族均有多人参与。"),
]

ADDRESS_SUFFIX = ["{v}{n}号", "{v}东街{n}号", "{v}西胡同{n}号", "{v}后街{n}号"]


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.35 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def id_number(rng: random.Random, sex: str) -> str:
    born = datetime.date(1945, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 60))
    seq = rng.randrange(0, 99) * 10 + (rng.choice([1, 3, 5, 7, 9]) if sex == "M" else rng.choice([0, 2, 4, 6, 8]))
    first17 = f"370829{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


def mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "150", "151", "158", "187", "133", "177", "189"]) + f"{rng.randrange(10**8):08d}"


def party(rng: random.Random, role: str, village_name: str) -> dict:
    sex = rng.choice(["M", "F"])
    return {
        "role": role, "name": person_name(rng), "sex": sex, "id_number": id_number(rng, sex),
        "phone": mobile(rng), "address": rng.choice(ADDRESS_SUFFIX).format(v=village_name, n=rng.randrange(1, 300)),
    }


RISK_WEIGHTS = [(Risk.BLUE, 50), (Risk.YELLOW, 30), (Risk.ORANGE, 14), (Risk.RED, 6)]
SOURCE_WEIGHTS = [(Source.SCREENING, 35), (Source.APPLICATION, 25), (Source.VISIT, 20), (Source.HOTLINE, 12),
                  (Source.PETITION, 4), (Source.POLICE_COURT, 3), (Source.OTHER, 1)]


def weighted(rng: random.Random, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def dispute_fields(rng: random.Random, village_name: str, arose_on: datetime.date) -> tuple[dict, list[dict]]:
    """One dispute's fields and 2–3 parties."""
    category, title, description = rng.choice(TEMPLATES)
    parties = [party(rng, "applicant", village_name), party(rng, "respondent", village_name)]
    if rng.random() < 0.15:
        parties.append(party(rng, "third", village_name))
    names = {"a": parties[0]["name"], "b": parties[1]["name"], "v": village_name}
    risk = weighted(rng, RISK_WEIGHTS)
    people = rng.choice([2, 2, 2, 3, 4]) if risk in (Risk.BLUE, Risk.YELLOW) else rng.choice([3, 5, 6, 8, 12])
    return {
        "title": title.format(**names)[:100], "category": category, "source": weighted(rng, SOURCE_WEIGHTS),
        "risk": risk, "people_involved": people, "arose_on": arose_on,
        "place": village_name, "description": description.format(**names),
    }, parties
