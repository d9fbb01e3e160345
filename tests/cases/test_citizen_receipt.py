"""The citizen's receipt (回执, issue 13 #4, docs/citizen.md): case number, 查询码 and a QR code that decodes to the
public URL; reprintable by the holder (the same code), printed prints audited, no personal data but the applicant's
masked name; cases registered before codes get one on demand; a lost code is replaced and the old one dies."""

import base64
import io
import re

import pytest
import zxingcpp
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from audit.models import AuditEntry
from cases.models import CitizenCode, Dispute, Status, Tier
from cases.services import citizen
from org.models import Division, Role
from tests.cases.test_citizen_public import ID_APPLICANT, MOBILE, PARTIES, leaks
from tests.conftest import DISPUTE_FIELDS, TOWN_X, VILLAGE_A

QR = re.compile(r'<img class="receipt-qr" src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def decode_qr(body: str) -> str:
    """The text of the QR code the page holds, read by an independent decoder (zxing-cpp)."""
    match = QR.search(body)
    assert match, "回执中没有二维码图片"
    image = Image.open(io.BytesIO(base64.b64decode(match.group(1)))).convert("L")
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1
    return found[0].text


@pytest.mark.django_db
def test_the_receipt_shows_number_code_and_a_qr_code_of_the_public_url(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A, parties=PARTIES)
    code = CitizenCode.objects.get(dispute=case).code
    client.force_login(secretary_a)
    response = client.get(reverse("cases:receipt", args=[case.number]))
    assert response.status_code == 200
    body = response.content.decode()
    assert case.number in body and citizen.format_code(code) in body
    url = decode_qr(body)
    assert url == "http://testserver" + reverse("public:status", args=[code])
    # The decoded address opens the case's public page.
    client.logout()
    assert client.get(url.removeprefix("http://testserver")).status_code == 200
    assert "12345" in body and "刘山村" in body  # the hotline and the registering division


@pytest.mark.django_db
def test_the_qr_code_uses_the_configured_public_address(client, make_case, secretary_a, settings):
    settings.PUBLIC_BASE_URL = "https://pingan.jiaxiang.example/"
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    body = client.get(reverse("cases:receipt", args=[case.number])).content.decode()
    code = CitizenCode.objects.get(dispute=case).code
    assert decode_qr(body) == f"https://pingan.jiaxiang.example/q/{code}/"


@pytest.mark.django_db
def test_the_receipt_names_nobody_but_the_masked_applicant(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A, parties=PARTIES)
    client.force_login(secretary_a)
    body = client.get(reverse("cases:receipt", args=[case.number])).content.decode()
    # Only the receipt itself (the page's own menu and title may name the case, not a person).
    receipt = body[body.index('<article class="receipt"'):body.index("</article>")]
    assert "王某" in receipt
    assert [x for x in leaks(receipt, case) if x not in ("刘山村",)] == []
    assert ID_APPLICANT not in body and MOBILE not in body and "王五" not in body and "赵六" not in body


@pytest.mark.django_db
def test_a_reprint_shows_the_same_code_and_every_print_is_audited(client, make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A)
    code = citizen.format_code(CitizenCode.objects.get(dispute=case).code)
    client.force_login(secretary_a)
    first = client.get(reverse("cases:receipt", args=[case.number]) + "?paper=a4").content.decode()
    client.force_login(town_x)
    again = client.get(reverse("cases:receipt", args=[case.number])).content.decode()
    assert code in first and code in again and "receipt-a4.css" in first and "receipt-a5.css" in again
    prints = AuditEntry.objects.filter(action="export", object_label=case.number, detail="打印回执（含查询码）")
    assert prints.count() == 2 and {e.username for e in prints} == {secretary_a.username, town_x.username}
    assert all(code not in e.detail and code.replace("-", "") not in e.path for e in prints)


@pytest.mark.django_db
def test_who_may_print(client, make_case, secretary_a, secretary_b, make_user):
    case = make_case(secretary_a, VILLAGE_A)
    url = reverse("cases:receipt", args=[case.number])
    assert client.get(url).status_code == 302  # anonymous: the login page
    client.force_login(secretary_b)  # another village: the case is not revealed
    assert client.get(url).status_code == 404
    assert client.post(reverse("cases:receipt_code", args=[case.number]), {"confirm": "on"}).status_code == 404
    client.force_login(make_user(Role.DISCIPLINE, TOWN_X, username="jiwei_x"))  # reads the case, not its code
    response = client.get(url)
    assert response.status_code == 403 and CitizenCode.objects.get(dispute=case).code not in response.content.decode()
    assert client.post(reverse("cases:receipt_code", args=[case.number]), {"confirm": "on"}).status_code == 403
    detail = client.get(case.get_absolute_url()).content.decode()
    assert "打印回执" not in detail
    client.force_login(secretary_a)
    assert "打印回执" in client.get(case.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_registration_gives_a_code_and_points_to_the_receipt(client, secretary_a):
    client.force_login(secretary_a)
    data = {**DISPUTE_FIELDS, "village": VILLAGE_A, "arose_on": timezone.localdate().isoformat(),
            "parties-TOTAL_FORMS": "1", "parties-INITIAL_FORMS": "0", "parties-MIN_NUM_FORMS": "1",
            "parties-MAX_NUM_FORMS": "20", "parties-0-role": "applicant", "parties-0-name": "王五",
            "parties-0-sex": "M", "parties-0-phone": MOBILE}
    response = client.post(reverse("cases:create"), data, follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]
    case = Dispute.objects.get()
    assert CitizenCode.objects.filter(dispute=case).exists()
    assert "打印回执" in response.content.decode()


def _old_case(secretary_a):
    """A case as registered before codes existed (no CitizenCode row)."""
    village = Division.objects.get(code=VILLAGE_A)
    return Dispute.objects.create(number="JX-2025-000042", village=village, holder_division=village, tier=Tier.VILLAGE,
                                  status=Status.LOGGED, created_by=secretary_a, arose_on=timezone.localdate(),
                                  **DISPUTE_FIELDS)


@pytest.mark.django_db
def test_a_case_registered_before_codes_gets_one_on_demand(client, secretary_a):
    case = _old_case(secretary_a)
    client.force_login(secretary_a)
    page = client.get(reverse("cases:receipt", args=[case.number]))
    assert page.status_code == 200 and "生成查询码" in page.content.decode() and not QR.search(page.content.decode())
    response = client.post(reverse("cases:receipt_code", args=[case.number]))
    assert response.status_code == 302
    row = CitizenCode.objects.get(dispute=case)
    assert row.issued_by == secretary_a and row.replaced == 0
    assert AuditEntry.objects.filter(action="case_write", object_label=case.number, detail="生成查询码").count() == 1
    body = client.get(reverse("cases:receipt", args=[case.number])).content.decode()
    assert citizen.format_code(row.code) in body and decode_qr(body).endswith(f"/q/{row.code}/")
    client.post(reverse("cases:receipt_code", args=[case.number]))  # a repeated click changes nothing
    assert CitizenCode.objects.get(dispute=case).code == row.code


@pytest.mark.django_db
def test_replacing_a_code_asks_first_and_voids_the_old_one(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    old = CitizenCode.objects.get(dispute=case).code
    client.force_login(secretary_a)
    url = reverse("cases:receipt_code", args=[case.number])
    refused = client.post(url)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "请勾选确认后再重新生成查询码" in body and 'id="error-summary"' in body
    assert CitizenCode.objects.get(dispute=case).code == old
    assert client.post(url, {"confirm": "on"}).status_code == 302
    row = CitizenCode.objects.get(dispute=case)
    assert row.code != old and row.replaced == 1
    assert AuditEntry.objects.filter(object_label=case.number, detail="重新生成查询码（原查询码作废）").count() == 1
    client.logout()
    assert client.get(reverse("public:status", args=[old])).status_code == 404
    assert client.get(reverse("public:status", args=[row.code])).status_code == 200
