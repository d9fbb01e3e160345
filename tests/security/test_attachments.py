"""Case attachments: recognised by content, limited in size, stripped of EXIF, stored under random names outside
any public URL, served only inside the jurisdiction (docs/pii.md)."""

import base64
import io
import random
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter

from cases.models import Attachment, CaseEvent, EventKind, Status
from core.uploads import display_name, path_for
from org.models import Role
from tests.conftest import COUNTY, VILLAGE_A

GPS_IFD = 0x8825


def _blank_pdf() -> bytes:
    """A valid one-page PDF, as a scanner's would be (with a cross-reference table)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


MINIMAL_PDF = _blank_pdf()


@pytest.fixture(autouse=True)
def attachment_settings(settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    settings.FIELD_ENCRYPTION_KEY = base64.b64encode(b"k" * 32).decode()
    return settings.ATTACHMENT_ROOT


@pytest.fixture(autouse=True)
def audit_calls(monkeypatch):
    calls = []
    monkeypatch.setattr("cases.views.attachments._audit", lambda request, **kw: calls.append(kw))
    return calls


def png_bytes(size=(8, 8), noise=False):
    img = Image.new("RGB", size, (200, 30, 30))
    if noise:  # incompressible pixels, so the re-encoded file stays large too
        img = Image.frombytes("RGB", size, random.Random(1).randbytes(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def jpeg_with_gps():
    img = Image.new("RGB", (32, 24), (10, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0132] = "2024:05:01 10:00:00"  # DateTime
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (35.0, 24.0, 36.0)  # latitude of 嘉祥县
    gps[3], gps[4] = "E", (116.0, 20.0, 24.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    data = buf.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD), "the test image must carry GPS"
    return data


def upload_url(case):
    return reverse("cases:attachment_upload", args=[case.number])


def file_url(attachment):
    return reverse("cases:attachment_file", args=[attachment.dispute.number, attachment.pk])


def upload(client, case, name, data, kind="photo"):
    return client.post(upload_url(case), {"kind": kind, "file": SimpleUploadedFile(name, data)})


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def case_a(make_case, secretary_a):
    return make_case(secretary_a, VILLAGE_A)


@pytest.mark.django_db
def test_png_upload_is_stored_and_served_with_safe_headers(client, secretary_a, case_a, attachment_settings,
                                                          audit_calls):
    client.force_login(secretary_a)
    response = upload(client, case_a, "现场.png", png_bytes(), kind="photo")
    assert response.status_code == 302 and response["Location"].endswith("#attachments")
    att = Attachment.objects.get()
    assert (att.dispute, att.kind, att.content_type, att.uploaded_by) == (case_a, "photo", "image/png", secretary_a)
    assert att.original_name == "现场.png" and re.fullmatch(r"[0-9a-f]{32}", att.stored_name)
    assert stored_files(attachment_settings) == [path_for(att.stored_name)]
    event = CaseEvent.objects.get(dispute=case_a, kind=EventKind.ATTACHED)
    assert event.actor == secretary_a and "现场.png" in event.new_value

    served = client.get(file_url(att))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert "no-store" in served["Cache-Control"]
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(served.streaming_content) == path_for(att.stored_name).read_bytes()
    assert audit_calls and audit_calls[-1]["action"] == "pii_view" and audit_calls[-1]["obj"] == att
    assert client.get(file_url(att) + "?download=1")["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_pdf_is_accepted_and_always_downloaded(client, secretary_a, case_a):
    client.force_login(secretary_a)
    assert upload(client, case_a, "调解协议.pdf", MINIMAL_PDF, kind="agreement").status_code == 302
    att = Attachment.objects.get()
    served = client.get(file_url(att))
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
@pytest.mark.parametrize("name, data", [
    ("x.jpg", b"<?php system($_GET['c']); ?>"),
    ("x.png", b"GIF89a<?php echo 1; ?>"),
    ("x.jpg", b"\xff\xd8\xff<?php system($_GET['c']); ?>"),  # JPEG magic, but not an image
    ("agreement.pdf", b"%PDF-1.4\n<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>\n%%EOF\n"),
    ("x.html", b"<html><script>alert(1)</script></html>"),
])
def test_files_that_are_not_what_they_claim_are_rejected(client, secretary_a, case_a, attachment_settings, name,
                                                         data):
    client.force_login(secretary_a)
    response = upload(client, case_a, name, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "只能上传" in body or "图片已损坏" in body or "PDF 含有脚本" in body or "无法读取该 PDF" in body
    assert not Attachment.objects.exists() and stored_files(attachment_settings) == []


@pytest.mark.django_db
def test_oversize_file_is_rejected(client, secretary_a, case_a, settings, attachment_settings):
    settings.ATTACHMENT_MAX_BYTES = 4000
    client.force_login(secretary_a)
    big_png = png_bytes((64, 64), noise=True)
    assert len(big_png) > 4000
    response = upload(client, case_a, "big.png", big_png)
    assert response.status_code == 400 and "文件不能超过" in response.content.decode()
    # Far beyond the limit: refused from Content-Length, before the body is parsed.
    response = upload(client, case_a, "huge.pdf", MINIMAL_PDF + b"0" * 200_000)
    assert response.status_code == 413 and "文件不能超过" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(attachment_settings) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.png", "passwd.png"),
    ("..\\..\\windows\\evil.png", "evil.png"),
    ("/var/www/static/x.png", "x.png"),
    ("photo\u202egnp.exe", "photognp.png"),  # right-to-left override removed, real extension appended
    ("shell.php", "shell.png"),
])
def test_uploaded_names_never_reach_the_file_system(client, secretary_a, case_a, tmp_path, attachment_settings,
                                                    name, expected):
    client.force_login(secretary_a)
    assert upload(client, case_a, name, png_bytes(), kind="other").status_code == 302
    att = Attachment.objects.get()
    assert att.original_name == expected
    assert re.fullmatch(r"[0-9a-f]{32}", att.stored_name)
    assert stored_files(attachment_settings) == [path_for(att.stored_name)]
    assert path_for(att.stored_name).resolve().is_relative_to(attachment_settings.resolve())
    assert not (tmp_path / "etc").exists() and not (tmp_path.parent / "etc" / "passwd.png").exists()


def test_display_names_are_labels_only():
    assert display_name("", "image/png") == "附件.png"
    assert display_name("...", "application/pdf") == "附件.pdf"
    assert display_name("协议\x00\n.pdf", "application/pdf") == "协议.pdf"
    assert len(display_name("长" * 300 + ".jpg", "image/jpeg")) <= 100
    with pytest.raises(ValueError):
        path_for("../../etc/passwd")


@pytest.mark.django_db
def test_exif_and_gps_are_removed_from_photos(client, secretary_a, case_a):
    client.force_login(secretary_a)
    original = jpeg_with_gps()
    assert upload(client, case_a, "IMG_0001.JPG", original).status_code == 302
    att = Attachment.objects.get()
    stored = path_for(att.stored_name).read_bytes()
    assert att.content_type == "image/jpeg" and att.original_name == "IMG_0001.jpg"
    img = Image.open(io.BytesIO(stored))
    assert img.format == "JPEG" and img.size == (32, 24)
    assert not img.getexif() and "exif" not in img.info
    assert b"Exif" not in stored and b"TestCam" not in stored
    import hashlib
    assert att.sha256 == hashlib.sha256(stored).hexdigest() and att.size == len(stored)


@pytest.mark.django_db
def test_other_village_gets_404_for_file_and_upload(client, secretary_a, secretary_b, case_a, attachment_settings):
    client.force_login(secretary_a)
    upload(client, case_a, "a.png", png_bytes())
    att = Attachment.objects.get()
    client.force_login(secretary_b)
    assert client.get(file_url(att)).status_code == 404
    assert client.get(upload_url(case_a)).status_code == 404
    assert upload(client, case_a, "b.png", png_bytes()).status_code == 404
    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_attachment_id_of_another_case_is_404(client, secretary_a, secretary_b, make_case, case_a):
    from tests.conftest import VILLAGE_B
    case_b = make_case(secretary_b, VILLAGE_B)
    client.force_login(secretary_b)
    upload(client, case_b, "b.png", png_bytes())
    att_b = Attachment.objects.get()
    client.force_login(secretary_a)
    assert client.get(reverse("cases:attachment_file", args=[case_a.number, att_b.pk])).status_code == 404


@pytest.mark.django_db
def test_anonymous_goes_to_login(client, secretary_a, case_a):
    client.force_login(secretary_a)
    upload(client, case_a, "a.png", png_bytes())
    att = Attachment.objects.get()
    client.logout()
    for response in (client.get(file_url(att)), client.get(upload_url(case_a)),
                     upload(client, case_a, "b.png", png_bytes())):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_auditor_sees_no_case_and_so_no_attachment(client, secretary_a, auditor, case_a):
    client.force_login(secretary_a)
    upload(client, case_a, "a.png", png_bytes())
    att = Attachment.objects.get()
    client.force_login(auditor)
    assert client.get(file_url(att)).status_code == 404
    assert upload(client, case_a, "b.png", png_bytes()).status_code == 404


@pytest.mark.django_db
def test_read_only_role_may_neither_view_nor_upload(client, make_user, secretary_a, case_a):
    """Attachments follow the reveal rule (issue 8, defect 8; tests/security/test_attachment_policy.py)."""
    client.force_login(secretary_a)
    upload(client, case_a, "a.png", png_bytes())
    att = Attachment.objects.get()
    supervisor = make_user(Role.SUPERVISOR, COUNTY)
    client.force_login(supervisor)
    assert client.get(file_url(att)).status_code == 403
    assert client.get(upload_url(case_a)).status_code == 403
    assert upload(client, case_a, "b.png", png_bytes()).status_code == 403
    assert Attachment.objects.count() == 1


@pytest.mark.django_db
def test_closed_case_takes_no_more_attachments(client, secretary_a, make_case):
    closed = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED)
    client.force_login(secretary_a)
    assert upload(client, closed, "a.png", png_bytes()).status_code == 403


@pytest.mark.django_db
def test_upload_needs_a_csrf_token(secretary_a, case_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(secretary_a)
    assert upload(client, case_a, "a.png", png_bytes()).status_code == 403
    assert not Attachment.objects.exists()
    page = client.get(upload_url(case_a))
    token = page.cookies["csrftoken"].value
    response = client.post(upload_url(case_a), {"kind": "photo", "file": SimpleUploadedFile("a.png", png_bytes()),
                                                "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and Attachment.objects.count() == 1


@pytest.mark.django_db
def test_there_is_no_way_to_delete(client, secretary_a, case_a):
    client.force_login(secretary_a)
    upload(client, case_a, "a.png", png_bytes())
    att = Attachment.objects.get()
    assert client.delete(file_url(att)).status_code == 405
    assert client.post(file_url(att)).status_code == 405
    assert Attachment.objects.count() == 1 and path_for(att.stored_name).exists()


@pytest.mark.django_db
def test_case_page_lists_attachments_and_offers_upload_to_writers_only(client, secretary_a, make_user, case_a):
    client.force_login(secretary_a)
    upload(client, case_a, "现场照片.png", png_bytes())
    att = Attachment.objects.get()
    body = client.get(case_a.get_absolute_url()).content.decode()
    assert "现场照片.png" in body and file_url(att) in body and upload_url(case_a) in body
    client.force_login(make_user(Role.SUPERVISOR, COUNTY))
    body = client.get(case_a.get_absolute_url()).content.decode()
    assert file_url(att) not in body and upload_url(case_a) not in body and "查看完整信息" not in body
    assert "附件 1 件（仅承办人员可查看）" in body
