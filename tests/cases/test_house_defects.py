"""The three defects the layout issue named: home cards that linked to other rows than they counted, editing by a
tier that does not hold the case, and PDFs with escaped active-content names."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import services
from cases.models import Attachment
from tests.conftest import VILLAGE_A


def _card_links(body):
    """(count, href) of every stat card on the home page."""
    return [(int(n), href.replace("&amp;", "&")) for href, n in
            re.findall(r'<a class="stat[^"]*" href="([^"]+)"><b>(\d+)</b>', body)]


def _ledger_total(client, href):
    body = client.get(href).content.decode()
    return int(re.search(r"共 (\d+)\+? 条", body).group(1))


@pytest.mark.django_db
def test_each_home_card_links_to_exactly_the_rows_it_counts(client, make_case, secretary_a):
    for risk in ("red", "orange", "yellow", "blue"):
        make_case(secretary_a, VILLAGE_A, risk=risk, title=f"{risk}风险")
    started = make_case(secretary_a, VILLAGE_A, risk="red", title="调处中的红色")
    services.start_handling(actor=secretary_a, dispute=started)
    done = make_case(secretary_a, VILLAGE_A, risk="orange", title="不予受理的橙色")
    services.reject(actor=secretary_a, dispute=done, reason="已起诉")
    client.force_login(secretary_a)
    cards = _card_links(client.get(reverse("home")).content.decode())
    assert [count for count, _ in cards] == [5, 3, 6]  # 未办结, 红橙风险未办结, 全部
    for count, href in cards:
        assert _ledger_total(client, href) == count, href


@pytest.mark.django_db
def test_the_ledger_accepts_named_sets(client, make_case, secretary_a):
    make_case(secretary_a, VILLAGE_A, risk="red")
    make_case(secretary_a, VILLAGE_A, risk="orange")
    make_case(secretary_a, VILLAGE_A, risk="blue")
    client.force_login(secretary_a)
    assert _ledger_total(client, reverse("cases:list") + "?risk=red,orange") == 2
    assert _ledger_total(client, reverse("cases:list") + "?status=open") == 3
    assert _ledger_total(client, reverse("cases:list") + "?risk=red") == 1


@pytest.mark.django_db
def test_only_the_holding_tier_edits_the_basic_record(client, make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(town_x)  # the town sees the village's case, but the village holds it
    assert client.get(reverse("cases:edit", args=[case.number])).status_code == 403
    services.refer_up(actor=secretary_a, dispute=case, reason="调解未果")
    services.accept_referral(actor=town_x, dispute=case)
    assert client.get(reverse("cases:edit", args=[case.number])).status_code == 200
    client.force_login(secretary_a)  # now the town holds it: the village reads but does not edit
    assert client.get(reverse("cases:edit", args=[case.number])).status_code == 403
    body = client.get(case.get_absolute_url()).content.decode()
    assert reverse("cases:edit", args=[case.number]) not in body


ESCAPED_JS = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>\nendobj\n"
              b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
              b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\nendobj\n"
              b"4 0 obj\n<< /S /J#61vaScript /J#53 (app.alert(1)) >>\nendobj\n")


def _with_xref(body: bytes) -> bytes:
    offsets, pos = [], 0
    for n in range(1, 5):
        pos = body.index(f"{n} 0 obj".encode(), pos)
        offsets.append(pos)
    xref = body.__len__()
    table = b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return body + table + b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref


@pytest.mark.django_db
def test_a_pdf_with_a_hex_escaped_javascript_name_is_refused(client, make_case, secretary_a, settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    data = _with_xref(ESCAPED_JS)
    assert b"JavaScript" not in data  # what the old byte regex looked for
    response = client.post(reverse("cases:attachment_upload", args=[case.number]),
                           {"kind": "agreement", "file": SimpleUploadedFile("协议.pdf", data)})
    assert response.status_code == 400 and "脚本" in response.content.decode()
    assert not Attachment.objects.exists()
