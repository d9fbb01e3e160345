"""The demo cast (DEMO ONLY): one shared password, printed by `seed_demo`, listed in README.md."""

DEMO_PASSWORD = "Jiaxiang#2026"

# username, full name, division code, role, unit name (or None), title
DEMO_USERS = [
    ("liushan", "刘建国", "370829001209", "village_secretary", None, "刘山村党支部书记"),
    ("tangzhuang", "唐玉兰", "370829001212", "village_secretary", None, "唐庄村党支部书记"),
    ("liushan_wangge", "刘海燕", "370829001209", "grid_worker", None, "刘山村网格员"),
    ("dongzhifang", "王德胜", "370829101200", "village_secretary", None, "东纸坊村党支部书记"),
    ("jiaxiang_jd", "孙志刚", "370829001000", "town_leader", None, "嘉祥街道党工委副书记"),
    ("jiaxiang_zzb", "李春燕", "370829001000", "town_staff", "嘉祥街道综治办", "综治办主任"),
    ("zhifang_zhen", "郑立新", "370829101000", "town_leader", None, "纸坊镇党委副书记"),
    ("xian_zhongxin", "周振海", "370829000000", "county_centre", "嘉祥县社会治理协调中心", "协调中心主任"),
    ("shetu_tiaojie", "马保国", "370829000000", "unit_staff", "县涉土纠纷人民调解委员会", "专职调解员"),
    ("xian_jiwei", "韩明", "370829000000", "discipline", "县纪委监委", "监督检查室"),
    ("dudao", "曹广才", "370829000000", "supervisor", None, "第一督导组组长"),
    ("sysadmin", "系统管理员", "370829000000", "admin", None, "信息中心"),
    ("anquan", "安全管理员", "370829000000", "security_admin", None, "信息中心"),
    ("shenji", "审计员", "370829000000", "auditor", None, "信息中心"),
]

# A role grant the administrator asked for and the 安全管理员 (`anquan`) has not yet approved: the account exists
# without a post; approving it on 账号安全 gives it the post (and it must change its password at first login).
# username, full name, division code, role, unit name (or None), title, requested by
DEMO_PENDING_GRANTS = [
    ("tangzhuang_wangge", "唐海波", "370829001212", "grid_worker", None, "唐庄村网格员", "sysadmin"),
]

# People of the directory (人员库) WITHOUT an account (DEMO ONLY): the towns' 司法所 and 派出所 heads and 政法委员
# whom the town's 四定 names — most people a 四定 names never log in.
# name, division code, unit name (or None), post, phone
DEMO_PEOPLE = [
    ("王振华", "370829001000", "嘉祥街道司法所", "所长", "13905371201"),
    ("陈立军", "370829001000", "嘉祥街道派出所", "副所长", "13905371202"),
    ("曾宪文", "370829001000", None, "党工委委员、政法委员", "13905371203"),
    ("张秀梅", "370829101000", "纸坊镇司法所", "所长", "13905371301"),
    ("赵永强", "370829101000", "纸坊镇派出所", "副所长", "13905371302"),
    ("孔繁民", "370829101000", None, "党委委员、政法委员", "13905371303"),
]
