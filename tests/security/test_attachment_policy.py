"""Attachments follow the full-information rule (issue 8, defect 8): they are mostly ID-card scans and signed
agreements, so only who may reveal a party's ID number (`policy.can_view_attachments` = `can_reveal_pii`) opens them;
the 督导组, the 纪委 and a unit that sees the case only through a 四定 get 403 and see a placeholder on the case page."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from audit.models import AuditEntry
from cases import policy
from cases.models import Assignment, Tier
from cases.services import store_attachment
from core.uploads import inspect_upload
from org.models import Role, Unit
from org.people import person_for
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A

NAME = "张三身份证正面.png"


def png_bytes():
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def case_a(make_case, secretary_a):
    return make_case(secretary_a, VILLAGE_A)


@pytest.fixture
def scan(secretary_a, case_a):
    return store_attachment(actor=secretary_a, dispute=case_a, kind="photo",
                            clean=inspect_upload(SimpleUploadedFile(NAME, png_bytes())))


def file_url(attachment):
    return reverse("cases:attachment_file", args=[attachment.dispute.number, attachment.pk])


def downloads():
    return AuditEntry.objects.filter(action="pii_view", object_type="cases.attachment")


def attachments_section(body):
    """The case page's attachment card (the timeline's 上传附件 row is not part of it)."""
    start = body.index('id="attachments"')
    return body[start:body.index("</section>", start)]


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
@pytest.mark.parametrize("role, division", [(Role.SUPERVISOR, COUNTY), (Role.DISCIPLINE, TOWN_X)])
def test_read_only_roles_get_403_and_no_file_bytes(client, make_user, case_a, scan, role, division):
    reader = make_user(role, division)
    client.force_login(reader)
    assert client.get(case_a.get_absolute_url()).status_code == 200  # they do read the case …
    for url in (file_url(scan), file_url(scan) + "?download=1"):
        response = client.get(url)
        body = body_of(response)
        assert response.status_code == 403  # … but not its attachments
        assert not response.streaming and b"\x89PNG" not in body
        assert "仅承办人员可查看" in body.decode()
    assert not downloads().exists()
    denied = AuditEntry.objects.filter(action="access_denied", user_id=reader.pk)
    assert denied.count() == 2  # the refusal is on the record (audit middleware)


@pytest.mark.django_db
def test_case_page_shows_no_download_link_for_the_supervisor(client, make_user, case_a, scan):
    client.force_login(make_user(Role.SUPERVISOR, COUNTY))
    body = client.get(case_a.get_absolute_url()).content.decode()
    assert file_url(scan) not in body and "?download=1" not in body
    section = attachments_section(body)
    assert NAME not in section and "附件 1 件（仅承办人员可查看）" in section


@pytest.mark.django_db
def test_a_writer_still_downloads_and_the_download_is_audited(client, secretary_a, case_a, scan):
    client.force_login(secretary_a)
    body = client.get(case_a.get_absolute_url()).content.decode()
    section = attachments_section(body)
    assert file_url(scan) in section and NAME in section and "仅承办人员可查看" not in section
    response = client.get(file_url(scan))
    assert response.status_code == 200 and body_of(response).startswith(b"\x89PNG")
    row = downloads().get()
    assert (row.user_id, row.object_label, row.outcome) == (secretary_a.pk, case_a.number, "success")
    assert NAME not in row.detail  # the file name may carry a person's name


@pytest.mark.django_db
def test_a_unit_sees_attachments_of_the_case_it_holds_but_not_of_a_four_fix_case(make_user, secretary_a, town_x,
                                                                                 make_case):
    land = Unit.objects.get(name="县涉土纠纷人民调解委员会")
    staff = make_user(Role.UNIT_STAFF, COUNTY, unit_name=land.name)
    assigned = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status="in_progress")
    Assignment.objects.create(dispute=assigned, tier=Tier.TOWN, lead_leader=person_for(town_x), responsible_unit=land,
                              responsible_person=person_for(staff), measures="现场调解", created_by=town_x,
                              deadline=timezone.now() + datetime.timedelta(days=7))
    held = make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status="in_progress")
    held.holder_unit = land
    assert policy.can_view_attachments(staff, held)
    assert not policy.can_view_attachments(staff, assigned)
    assert policy.can_view_attachments(staff, held) == policy.can_reveal_pii(staff, held)
