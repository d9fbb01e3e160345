"""Anonymising a typical case (典型案例) before it is compiled into the casebook.

* `anonymise(text, parties)` — every party's name (and given name of two characters or more) becomes surname + 某:
  张三 → 张某; two parties sharing a surname become 张某甲 / 张某乙 (in party order).
* `redact(text)` — ID numbers, phones and house numbers (门牌号) are replaced by neutral words.
* `leaks(text, parties)` — what still identifies someone: a party's full name or given name, an ID number, a phone,
  a house number; Chinese descriptions (never the ID number or phone itself) for the user's message.

The number patterns are the unanchored forms of the checks in core/validators.py (`_ID_RE`, `_MOBILE_RE`,
`_LANDLINE_RE`) and cases/filters.py (`ID_NUMBER_QUERY`: spaces allowed inside an ID number), bounded so that a
longer run of digits (a case number, an amount) is not mistaken for one.
"""

import re

# Two-character surnames (复姓) common enough to meet in a village; anything else is a one-character surname.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 西门 百里 呼延 闻人 "
    "澹台 公羊 申屠 万俟 濮阳 钟离".split()
)
SUFFIXES = "甲乙丙丁戊己庚辛壬癸"

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d[ \t\u3000-]?){17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d[ \t\u3000-]?\d{4}[ \t\u3000-]?\d{4}(?![0-9A-Za-z])")
LANDLINE = re.compile(r"(?<![0-9A-Za-z])[（(]?0\d{2,3}[）)]?[ \t\u3000-]?[2-9]\d{6,7}(?![0-9A-Za-z])")
# 门牌号: 12号, 3排5号, 3号楼2单元301室, 5幢… — not a date (10月12号, 12日), not a case number (〔2026〕0123号).
HOUSE_NUMBER = re.compile(
    r"(?<![月日\d〕\]）)A-Za-z-])(?:\d{1,4}(?:排|号楼|幢|栋|单元)\s*)*\d{1,4}(?:号楼|号院|号|幢|栋|单元|室)"
)

ID_WORD, PHONE_WORD, HOUSE_WORD = "身份证号", "电话", "门牌号"


def _name(party) -> str:
    name = party if isinstance(party, str) else getattr(party, "name", None)
    if name is None and isinstance(party, dict):
        name = party.get("name")
    return (name or "").strip()


def surname_of(name: str) -> str:
    if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def labels(parties) -> dict[str, str]:
    """{full name: 张某 / 张某甲 …}, one label per distinct name, in party order."""
    names = list(dict.fromkeys(n for n in map(_name, parties) if n))
    by_surname: dict[str, list[str]] = {}
    for name in names:
        by_surname.setdefault(surname_of(name), []).append(name)
    result = {}
    for surname, group in by_surname.items():
        for i, name in enumerate(group):
            suffix = SUFFIXES[i] if len(group) > 1 and i < len(SUFFIXES) else (str(i + 1) if len(group) > 1 else "")
            result[name] = f"{surname}某{suffix}"
    return result


def _given(name: str) -> str:
    given = name[len(surname_of(name)):]
    return given if len(given) >= 2 else ""


def _replacements(parties) -> dict[str, str]:
    """Every string to replace → its label: full names, then given names (≥2 characters) not already covered."""
    found = labels(parties)
    table = dict(found)
    for name, label in found.items():
        given = _given(name)
        if given and given not in table:
            table[given] = label
    return table


def anonymise(text: str, parties) -> str:
    """The parties' names in `text` replaced by 张某 / 张某甲 … (longest names first, in one pass)."""
    text = text or ""
    table = _replacements(parties)
    if not table:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return pattern.sub(lambda m: table[m.group(0)], text)


def redact(text: str) -> str:
    """ID numbers, phones and house numbers replaced by neutral words (for pre-filling and for the export)."""
    text = ID_NUMBER.sub("（身份证号略）", text or "")
    text = MOBILE.sub("（电话略）", text)
    text = LANDLINE.sub("（电话略）", text)
    return HOUSE_NUMBER.sub("某号", text)


def scrub(text: str, parties) -> str:
    return redact(anonymise(text, parties))


def leaks(text: str, parties) -> list[str]:
    """What in `text` still identifies someone, as Chinese descriptions: 当事人姓名“张三”, 身份证号, 电话,
    门牌号“12号”. An ID number or phone is named by its kind only, never echoed."""
    text = text or ""
    found = []
    names = labels(parties)
    for name in sorted(names, key=len, reverse=True):
        if name in text:
            found.append(f"当事人姓名“{name}”")
    for name in names:
        given = _given(name)
        if given and given in text.replace(name, ""):
            found.append(f"当事人名字“{given}”")
    rest = ID_NUMBER.sub(" ", text)
    if rest != text:
        found.append(ID_WORD)
    no_phones = LANDLINE.sub(" ", MOBILE.sub(" ", rest))
    if no_phones != rest:
        found.append(PHONE_WORD)
    for m in dict.fromkeys(HOUSE_NUMBER.findall(no_phones)):
        found.append(f"{HOUSE_WORD}“{m}”")
    return list(dict.fromkeys(found))
