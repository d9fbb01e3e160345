"""Parties' ciphertexts are bound to their rows (issue 8, item 10; docs/pii.md "密文格式"): the associated data is
"cases.Party.<field>:<pk>", so two parties' values swapped in the database do not decrypt — the reader fails, it
never shows the other person's number. Field-bound (version 1) values written before the binding still decrypt,
and `manage.py reencrypt_pii` binds them, idempotently."""

import base64
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from cases.models import Party
from core import crypto
from core.fields import bind_rows, row_aad
from tests.conftest import VILLAGE_A

pytestmark = pytest.mark.django_db

ID_A = "370829199001011233"
ID_B = "11010519491231002X"
PHONE_A = "13912345678"
TEST_KEY = base64.b64encode(b"k" * 32).decode()
OTHER_KEY = base64.b64encode(b"o" * 32).decode()
FIELDS = ("id_number", "phone", "address")


@pytest.fixture(autouse=True)
def field_keys(settings, monkeypatch):
    for name in ("FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_OLD_KEYS", "FIELD_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings.FIELD_ENCRYPTION_KEY = TEST_KEY
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    settings.FIELD_HASH_KEY = ""


def person(name, id_number, phone, role="applicant"):
    return {"role": role, "name": name, "sex": "M", "id_number": id_number, "phone": phone, "address": f"{name}家1号"}


@pytest.fixture
def two(make_case, secretary_a):
    """Case A with 张三 and 李四, registered through the service (bulk_create + bind_rows)."""
    case = make_case(secretary_a, VILLAGE_A, parties=[person("张三", ID_A, PHONE_A),
                                                      person("李四", ID_B, "0537-6812345", "respondent")])
    return case, Party.objects.get(dispute=case, name="张三"), Party.objects.get(dispute=case, name="李四")


def raw(pk) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address FROM cases_party WHERE id = %s", [pk])
        return dict(zip(FIELDS, cursor.fetchone(), strict=True))


def write_raw(pk, **tokens):
    sets = ", ".join(f"{name} = %s" for name in tokens)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE cases_party SET {sets} WHERE id = %s", [*tokens.values(), pk])


def versions(pk) -> set:
    return {crypto.version_of(t) for t in raw(pk).values() if t}


def make_field_bound(party):
    """What a row written before row binding holds: version-1 tokens, the field name as associated data."""
    write_raw(party.pk, **{f: crypto.encrypt(getattr(party, f), aad=f) for f in FIELDS})


# --- every write path binds -----------------------------------------------------------------------------------------


def test_registration_save_and_seeding_write_row_bound_ciphertexts(two, secretary_a):
    case, zhang, li = two
    assert versions(zhang.pk) == versions(li.pk) == {crypto.VERSION}  # create_dispute's bulk_create, then bound
    token = raw(zhang.pk)["id_number"]
    assert crypto.decrypt(token, aad="id_number", bound_aad=row_aad(Party, "id_number", zhang.pk)) == ID_A
    new = Party.objects.create(dispute=case, name="王五", sex="F", id_number=ID_B, phone="13800000002")
    assert versions(new.pk) == {crypto.VERSION}  # a new row: INSERT, then bound to its fresh key
    new.phone = "13800000003"
    new.save(update_fields=["phone"])  # an existing row: bound directly
    assert versions(new.pk) == {crypto.VERSION}
    assert Party.objects.get(pk=new.pk).phone == "13800000003"

    call_command("seed_benchmark", cases=4, batch=2, weeks=1, stdout=io.StringIO())
    seeded = Party.objects.exclude(dispute=case)
    assert seeded.count() >= 8
    for party in seeded:  # each readable, each bound to its own row
        assert versions(party.pk) == {crypto.VERSION} and party.id_number


def test_values_list_of_a_bound_field_gives_ciphertext_never_plaintext(two):
    _, zhang, _ = two
    (value,) = Party.objects.filter(pk=zhang.pk).values_list("id_number", flat=True)
    assert value == raw(zhang.pk)["id_number"] and ID_A not in value


# --- swapping two rows' values --------------------------------------------------------------------------------------


def test_swapped_id_numbers_do_not_decrypt_as_the_other_persons(two, secretary_a):
    case, zhang, li = two
    a, b = raw(zhang.pk)["id_number"], raw(li.pk)["id_number"]
    write_raw(zhang.pk, id_number=b)
    write_raw(li.pk, id_number=a)
    for pk in (zhang.pk, li.pk):
        with pytest.raises(crypto.DecryptionError):
            Party.objects.get(pk=pk)
    assert Party.objects.only("pk", "name").get(pk=zhang.pk).name == "张三"  # the rest of the row still reads

    client = Client(raise_request_exception=False)
    client.force_login(secretary_a)
    for response in (client.get(case.get_absolute_url()),
                     client.post(reverse("cases:pii_reveal", args=[case.number, zhang.pk]),
                                 {"reason": "电话联系当事人安排调解"})):
        body = response.content.decode()
        assert response.status_code == 500  # an error page…
        for secret in (ID_A, ID_B, ID_A[-4:], ID_B[-4:]):  # …never the other person's number, not even masked
            assert secret not in body


def test_a_value_moved_to_another_column_of_the_same_row_does_not_decrypt(two):
    _, zhang, _ = two
    write_raw(zhang.pk, phone=raw(zhang.pk)["id_number"])
    with pytest.raises(crypto.DecryptionError):
        Party.objects.get(pk=zhang.pk)


# --- old rows keep working, and reencrypt_pii binds them ------------------------------------------------------------


def test_a_field_bound_row_written_before_the_binding_still_decrypts(two):
    _, zhang, _ = two
    make_field_bound(zhang)
    assert versions(zhang.pk) == {crypto.FIELD_VERSION}
    party = Party.objects.get(pk=zhang.pk)
    assert (party.id_number, party.phone, party.address) == (ID_A, PHONE_A, "张三家1号")
    party.address = "新地址2号"
    party.save()  # saving it binds it
    assert versions(zhang.pk) == {crypto.VERSION}
    assert Party.objects.get(pk=zhang.pk).address == "新地址2号"


def run_reencrypt(*args) -> str:
    out = io.StringIO()
    call_command("reencrypt_pii", *args, stdout=out)
    return out.getvalue()


def test_reencrypt_pii_binds_old_rows_in_batches_and_is_idempotent(two):
    _, zhang, li = two
    make_field_bound(zhang)
    make_field_bound(li)
    Party.objects.create(dispute=zhang.dispute, name="赵六", sex="M")  # no personal data at all: nothing to do
    output = run_reencrypt("--batch", "1")
    assert "当事人共 3 行：重新加密 2 行，已是新格式 1 行，无法解密 0 行。" in output and "重新加密完成" in output
    assert versions(zhang.pk) == versions(li.pk) == {crypto.VERSION}
    assert Party.objects.get(pk=zhang.pk).id_number == ID_A and Party.objects.get(pk=li.pk).id_number == ID_B
    before = raw(zhang.pk), raw(li.pk)
    output = run_reencrypt()
    assert "重新加密 0 行，已是新格式 3 行" in output and "无需重新加密" in output
    assert (raw(zhang.pk), raw(li.pk)) == before  # a second run rewrites nothing


def test_reencrypt_pii_finishes_a_key_rotation(settings, two):
    _, zhang, li = two
    make_field_bound(li)
    settings.FIELD_ENCRYPTION_KEY, settings.FIELD_ENCRYPTION_OLD_KEYS = OTHER_KEY, [TEST_KEY]
    assert "重新加密 2 行" in run_reencrypt()
    settings.FIELD_ENCRYPTION_OLD_KEYS = []  # the old key can go now
    assert Party.objects.get(pk=zhang.pk).id_number == ID_A and Party.objects.get(pk=li.pk).id_number == ID_B


def test_reencrypt_pii_reports_a_tampered_row_and_converts_the_others(two, make_case, secretary_a):
    _, zhang, li = two
    other = Party.objects.get(dispute=make_case(secretary_a, VILLAGE_A, parties=[person("钱七", ID_A, PHONE_A)]))
    make_field_bound(other)
    write_raw(zhang.pk, id_number=raw(li.pk)["id_number"])
    out = io.StringIO()
    with pytest.raises(CommandError, match=rf"无法解密，未作改动.*id {zhang.pk}"):
        call_command("reencrypt_pii", stdout=out)
    assert "重新加密 1 行" in out.getvalue() and "无法解密 1 行" in out.getvalue()
    assert versions(other.pk) == {crypto.VERSION}
    assert raw(zhang.pk)["id_number"] == raw(li.pk)["id_number"]  # left as found, for the investigation


def test_bind_rows_skips_deferred_values_and_rows_without_a_key(two):
    _, zhang, _ = two
    make_field_bound(zhang)
    partial = Party.objects.only("pk", "phone").get(pk=zhang.pk)
    assert bind_rows([partial, Party(name="未保存", sex="M", phone="1")]) == 1
    tokens = raw(zhang.pk)
    assert crypto.version_of(tokens["phone"]) == crypto.VERSION
    assert crypto.version_of(tokens["id_number"]) == crypto.FIELD_VERSION  # not loaded, not touched
    assert Party.objects.get(pk=zhang.pk).id_number == ID_A
