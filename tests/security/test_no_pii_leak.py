"""No page, export or print view shows a full ID number or a full phone number (DESIGN.md §7, docs/pii.md).

The world of test_authz_matrix gives every case two parties with valid 18-digit ID numbers, a mobile and a landline
(and a full address). Every GET URL of the URLconf (the same SAMPLES table, so a new URL cannot be missed) is fetched
as every role for every kind of object, and the whole rendered output is scanned: HTML pages, the print view of the
minutes, the minutes .docx (every XML part of the zip), the audit CSV export. Case attachments are the files people
uploaded (photos, agreement scans) and are passed over: what is in them is theirs, not something we render.

The one place the full values may appear is the explicit reveal: POST to cases:pii_reveal with a reason. A test
proves the scan finds them there — so a clean scan means something — and that the GET of the same page does not.
"""

import io
import re
import zipfile

import pytest
from django.urls import reverse

from tests.security.test_authz_matrix import (
    ADDRESS,
    ID_APPLICANT,
    ID_RESPONDENT,
    LANDLINE,
    MOBILE,
    ROLES,
    SAMPLES,
    client_for,
    fetch,
    settings_for_the_world,
    url_for,
    world_in_a_rolled_back_transaction,
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    with world_in_a_rolled_back_transaction(django_db_blocker, tmp_path_factory) as built:
        yield built


@pytest.fixture(autouse=True)
def world_settings(settings, field_encryption_key, security_urls_and_defaults, tmp_path_factory):
    with settings_for_the_world(settings, tmp_path_factory):
        yield


# Bounded by anything but an ASCII letter or digit: Chinese text, punctuation, markup and spaces all end a number, while
# random tokens (CSRF, hex digests) cannot yield a false match from the middle of a longer run. Nor after a decimal
# point: an .xlsx stores a time as a day fraction, and a few minutes past midnight 46358.0015777484 held a "landline".
EDGE_L, EDGE_R = r"(?<![0-9A-Za-z.])", r"(?![0-9A-Za-z])"
PATTERNS = {
    "身份证号": re.compile(EDGE_L + r"\d{17}[\dXx]" + EDGE_R),
    "手机号": re.compile(EDGE_L + r"1[3-9]\d{9}" + EDGE_R),
    "固定电话": re.compile(EDGE_L + r"0\d{2,3}-?[2-9]\d{6,7}" + EDGE_R),
}
# The seeded values themselves, unbounded: found even glued to letters, or in another spelling of the landline.
SEEDED = {
    "身份证号": [ID_APPLICANT, ID_RESPONDENT, ID_RESPONDENT.lower()],
    "手机号": [MOBILE],
    "固定电话": [LANDLINE, LANDLINE.replace("-", "")],
    "住址": [ADDRESS, "东街88号"],
}
BINARY_UPLOADS = ("image/", "application/pdf")  # the people's own files: not scanned, see the module docstring
OOXML = "application/vnd.openxmlformats-officedocument."  # .docx and .xlsx


def texts(response, body: bytes) -> list[tuple[str, str]]:
    """(part, text) of a response: the page, or every XML part of a .docx or .xlsx (both are zipped XML)."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith(OOXML):
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return [(name, z.read(name).decode("utf-8")) for name in z.namelist() if name.endswith(".xml")]
    return [("", body.decode("utf-8", errors="replace"))]


def findings(text: str) -> list[tuple[str, str]]:
    found = [(what, m.group()) for what, pattern in PATTERNS.items() for m in pattern.finditer(text)]
    found += [(what, value) for what, values in SEEDED.items() for value in values if value in text]
    return sorted(set(found))


def scan(client, cookie, url) -> tuple[object, list[tuple[str, str, str]]]:
    response, body = fetch(client, "GET", url, cookie)
    if response.get("Content-Type", "").startswith(BINARY_UPLOADS):
        return response, []
    return response, [(part, what, value) for part, text in texts(response, body) for what, value in findings(text)]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_full_id_number_or_phone_on_any_page(world, name, role):
    client, cookie = client_for(role, world)
    leaks = []
    for obj in SAMPLES[name]:
        url = url_for(name, obj, world)
        response, found = scan(client, cookie, url)
        assert response.status_code < 500, (url, role, response.status_code)
        leaks += [f"{url} 〔{role}，对象{obj}{('，' + part) if part else ''}〕{what}：{value}" for part, what, value in found]
    assert not leaks, "页面显示了完整的个人信息：\n" + "\n".join(leaks)


@pytest.mark.django_db
def test_the_scan_covers_the_exports_and_print_views(world):
    """The docx, the print view and the CSV are really fetched and really decoded (not skipped as binary)."""
    client, cookie = client_for("sec_a", world)
    response, body = fetch(client, "GET", url_for("meetings:minutes_docx", "A", world), cookie)
    parts = dict(texts(response, body))
    assert response.status_code == 200 and "word/document.xml" in parts
    assert world.cases["A"].number in parts["word/document.xml"]  # the reviewed case is in the minutes
    response, body = fetch(client, "GET", url_for("meetings:minutes", "A", world), cookie)
    assert response.status_code == 200 and world.cases["A"].number in body.decode()
    client, cookie = client_for("audit", world)
    response, body = fetch(client, "GET", reverse("audit:export"), cookie)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert world.cases["A"].number in body.decode("utf-8")  # the reveal recorded in the world is in the export


@pytest.mark.django_db
@pytest.mark.parametrize("role, kind", [("sec_a", "A"), ("town_x", "B"), ("county", "R"), ("unit", "K")])
def test_only_the_reveal_post_shows_the_full_values(world, role, kind):
    client, cookie = client_for(role, world)
    url = url_for("cases:pii_reveal", kind, world)

    response, found = scan(client, cookie, url)
    assert response.status_code == 200 and found == []
    assert "3708**********0038" in response.content.decode()  # masked, first 4 and last 4 kept

    response = client.post(url, {"reason": "电话联系当事人安排调解"})  # still signed in: fetch() set the cookie
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    found = findings(response.content.decode())
    assert ("身份证号", ID_APPLICANT) in found and ("手机号", MOBILE) in found  # the regexes do find them
    assert ("住址", ADDRESS) in found


@pytest.mark.django_db
def test_the_scan_catches_a_page_that_forgets_to_mask(world, monkeypatch):
    """Mutation: the case page with its masks removed (as if the template printed p.id_number) fails the scan."""
    client, cookie = client_for("sec_a", world)
    url = url_for("cases:detail", "A", world)
    assert scan(client, cookie, url)[1] == []
    monkeypatch.setattr("core.validators.mask_id_number", lambda value: value)
    monkeypatch.setattr("core.validators.mask_phone", lambda value: value)
    found = {(what, value) for _, what, value in scan(client, cookie, url)[1]}
    assert {("身份证号", ID_APPLICANT), ("身份证号", ID_RESPONDENT), ("手机号", MOBILE), ("固定电话", LANDLINE)} <= found


def test_a_day_fraction_in_a_workbook_is_not_a_landline_but_a_landline_still_is():
    """An .xlsx cell holding 00:02 on a day is <v>46358.0015777484</v>; CI once ran a few minutes past midnight in
    Beijing and the export "leaked" that fraction. The scan passes over digits after a decimal point only."""
    assert findings("<c r=\"H2\" s=\"3\"><v>46358.0015777484</v></c>") == []
    assert findings("<t>联系电话 05376812345</t>") == [("固定电话", "05376812345")]
    assert findings("电话：0537-6812345。") == [("固定电话", "0537-6812345")]
