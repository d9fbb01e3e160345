"""Parties' ID numbers, phones and addresses: encrypted at rest, masked everywhere, revealed only with a logged
reason, at most 10 times an hour (DESIGN.md §7, docs/pii.md)."""

import base64
import datetime
import importlib

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from cases.models import Party, PiiReveal, Tier
from core import crypto
from org.models import Role, Unit
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A, VILLAGE_B

ID_A = "370829199001011233"
ID_B = "11010519491231002X"
PHONE_A = "13912345678"
ADDRESS_A = "嘉祥街道刘山村东街88号"
TEST_KEY = base64.b64encode(b"k" * 32).decode()
OTHER_KEY = base64.b64encode(b"o" * 32).decode()


@pytest.fixture(autouse=True)
def field_keys(settings, monkeypatch):
    for name in ("FIELD_ENCRYPTION_KEY", "FIELD_ENCRYPTION_OLD_KEYS", "FIELD_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings.FIELD_ENCRYPTION_KEY = TEST_KEY
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    settings.FIELD_HASH_KEY = ""


@pytest.fixture(autouse=True)
def audit_calls(monkeypatch):
    calls = []

    def fake(request, *, action, obj=None, outcome="success", detail="", label=None, user=None):
        if action == "pii_view":  # registering the case writes its own (case_write) row
            calls.append({"action": action, "obj": obj, "outcome": outcome, "detail": detail, "label": label})

    monkeypatch.setattr("audit.record", fake)
    return calls


def person(name="张三", id_number=ID_A, phone=PHONE_A, address=ADDRESS_A, role="applicant"):
    return {"role": role, "name": name, "sex": "M", "id_number": id_number, "phone": phone, "address": address}


@pytest.fixture
def case_a(make_case, secretary_a):
    return make_case(secretary_a, VILLAGE_A, parties=[person(), person("李四", ID_B, "0537-6812345", "唐庄村9号",
                                                                      "respondent")])


def reveal_url(case, party):
    return reverse("cases:pii_reveal", args=[case.number, party.pk])


def raw_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address, id_hash FROM cases_party")
        return cursor.fetchall()


# --- Encryption at rest -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_raw_columns_hold_no_plaintext(case_a):
    rows = raw_rows()
    assert len(rows) == 2
    secrets = [ID_A, ID_B, PHONE_A, "0537-6812345", "6812345", ADDRESS_A, "刘山村", "唐庄村9号", "19900101"]
    for row in rows:
        for value in row[:3]:
            assert value and all(s not in value for s in secrets), value
            assert crypto.looks_encrypted(value)
    # …yet the application reads them back.
    party = Party.objects.get(dispute=case_a, name="张三")
    assert (party.id_number, party.phone, party.address) == (ID_A, PHONE_A, ADDRESS_A)


@pytest.mark.django_db
def test_every_write_path_encrypts(case_a):
    party = Party.objects.get(dispute=case_a, name="张三")
    Party.objects.filter(pk=party.pk).update(phone="13800000001")
    party.address = "新地址1号"
    Party.objects.bulk_update([party], ["address"])
    for row in raw_rows():
        assert "13800000001" not in row[1] and "新地址" not in row[2]
    party.refresh_from_db()
    assert (party.phone, party.address) == ("13800000001", "新地址1号")


def test_nonce_is_random_and_the_field_name_is_bound():
    one, two = crypto.encrypt(ID_A, aad="id_number"), crypto.encrypt(ID_A, aad="id_number")
    assert one != two
    assert crypto.decrypt(one, aad="id_number") == ID_A
    blob = base64.b64decode(one)
    assert blob[0] == crypto.FIELD_VERSION and len(blob) == 2 + 12 + len(ID_A) + 16
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(one, aad="phone")  # a value moved to another column does not decrypt
    tampered = base64.b64encode(blob[:-1] + bytes([blob[-1] ^ 1])).decode()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, aad="id_number")


def test_missing_key_refuses_with_a_chinese_message(settings):
    settings.FIELD_ENCRYPTION_KEY = None
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY 未设置"):
        crypto.encrypt("x", aad="phone")
    settings.FIELD_ENCRYPTION_KEY = "too-short"
    with pytest.raises(ImproperlyConfigured, match="格式不正确"):
        crypto.encrypt("x", aad="phone")


def test_key_can_come_from_the_environment(settings, monkeypatch):
    settings.FIELD_ENCRYPTION_KEY = None
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", OTHER_KEY)
    assert crypto.decrypt(crypto.encrypt("x", aad="phone"), aad="phone") == "x"


@pytest.mark.django_db
def test_key_rotation_old_key_still_decrypts_and_a_save_reencrypts(settings, case_a):
    party = Party.objects.get(dispute=case_a, name="张三")
    settings.FIELD_ENCRYPTION_KEY = OTHER_KEY
    with pytest.raises(crypto.DecryptionError):
        Party.objects.get(pk=party.pk)
    settings.FIELD_ENCRYPTION_OLD_KEYS = [TEST_KEY]
    party = Party.objects.get(pk=party.pk)
    assert party.id_number == ID_A
    # Search by ID number keeps working before the rows are re-saved.
    assert Party.objects.filter(id_hash__in=crypto.id_hash_candidates(ID_A)).get() == party
    assert all(crypto.needs_reencryption(v) for v in raw_rows()[0][:3])
    party.save()
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    party = Party.objects.get(pk=party.pk)
    assert party.id_number == ID_A and party.id_hash == crypto.id_hash(ID_A)


@pytest.mark.django_db
def test_id_hash_finds_exact_id_number_only(case_a):
    party = Party.objects.get(dispute=case_a, name="张三")
    assert len(party.id_hash) == 64 and ID_A not in party.id_hash
    typed = " 3708 2919 9001 0112 33 "
    assert list(Party.objects.filter(id_hash__in=crypto.id_hash_candidates(typed))) == [party]
    assert not Party.objects.filter(id_hash__in=crypto.id_hash_candidates(ID_A[:-1] + "4")).exists()
    lower_x = Party.objects.filter(id_hash__in=crypto.id_hash_candidates(ID_B.lower())).get()
    assert lower_x.name == "李四"


@pytest.mark.django_db
def test_id_hash_follows_id_number_on_partial_save(case_a):
    party = Party.objects.get(dispute=case_a, name="张三")
    party.id_number = ID_B
    party.save(update_fields=["id_number"])
    party.refresh_from_db()
    assert party.id_hash == crypto.id_hash(ID_B)
    party.id_number = ""
    party.save(update_fields=["id_number"])
    party.refresh_from_db()
    assert party.id_hash == "" and party.id_number == ""


def test_hash_key_is_separate_from_the_encryption_key(settings):
    derived = crypto.id_hash(ID_A)
    settings.FIELD_HASH_KEY = base64.b64encode(b"h" * 32).decode()
    assert crypto.id_hash(ID_A) != derived
    assert crypto.id_hash_candidates(ID_A) == [crypto.id_hash(ID_A)]


@pytest.mark.django_db
def test_lookups_on_ciphertext_are_refused(case_a):
    with pytest.raises(FieldError):
        list(Party.objects.filter(phone=PHONE_A))
    with pytest.raises(FieldError):
        list(Party.objects.filter(id_number__contains="3708"))
    assert Party.objects.filter(address__isnull=False).count() == 2


@pytest.mark.django_db
def test_case_list_does_not_search_by_id_number(client, secretary_a, case_a):
    """The ledger's ?q= was an ID-number oracle (issue 8, defect 1); the exact search by ID number or phone is the
    logged, rate-limited look-up page now (tests/security/test_pii_lookup.py)."""
    client.force_login(secretary_a)
    for typed in (ID_A, ID_A.lower(), PHONE_A):
        assert case_a.number not in client.get(reverse("cases:list"), {"q": typed}).content.decode()


@pytest.mark.django_db
def test_data_migration_encrypts_existing_plaintext_and_reverses(case_a):
    """Rows written before 0006 (plaintext, no id_hash) are encrypted by its RunPython, idempotently."""
    migration = importlib.import_module("cases.migrations.0006_encrypt_party_pii_and_attachments")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_party SET id_number = %s, phone = %s, address = %s, id_hash = '' WHERE name = %s",
                       [ID_A, PHONE_A, ADDRESS_A, "张三"])
    # The historical models as RunPython sees them: 0005 plus the operations before it.
    loader = MigrationLoader(connection)
    state = loader.project_state(("cases", "0005_default_escalation_rules"), at_end=True)
    ops = loader.get_migration("cases", "0006_encrypt_party_pii_and_attachments").operations
    for op in ops[: next(i for i, o in enumerate(ops) if o.__class__.__name__ == "RunPython")]:
        op.state_forwards("cases", state)
    apps, editor = state.apps, connection.schema_editor()  # not entered: RunPython only quotes names with it

    migration.encrypt_existing(apps, editor)
    migration.encrypt_existing(apps, editor)  # a second run changes nothing
    assert all(ID_A not in v and PHONE_A not in v and "刘山村" not in v for row in raw_rows() for v in row[:3])
    party = Party.objects.get(dispute=case_a, name="张三")
    assert (party.id_number, party.phone, party.address) == (ID_A, PHONE_A, ADDRESS_A)
    assert party.id_hash == crypto.id_hash(ID_A)

    migration.decrypt_existing(apps, editor)
    assert (ID_A, PHONE_A, ADDRESS_A) in [tuple(r[:3]) for r in raw_rows()]


# --- Masked everywhere, revealed with a reason ------------------------------------------------------------------


@pytest.mark.django_db
def test_case_page_and_list_show_masked_values_only(client, secretary_a, case_a):
    client.force_login(secretary_a)
    for url in (case_a.get_absolute_url(), reverse("cases:list")):
        body = client.get(url).content.decode()
        assert ID_A not in body and PHONE_A not in body and ID_B not in body and ADDRESS_A not in body
    body = client.get(case_a.get_absolute_url()).content.decode()
    assert "3708**********1233" in body and "139****5678" in body and "嘉祥街道刘山村****" in body
    assert reveal_url(case_a, case_a.parties.get(name="张三")) in body  # the "查看完整信息" link


@pytest.mark.django_db
def test_get_shows_the_reason_form_and_no_personal_information(client, secretary_a, case_a):
    party = case_a.parties.get(name="张三")
    client.force_login(secretary_a)
    response = client.get(reveal_url(case_a, party))
    body = response.content.decode()
    assert response.status_code == 200
    assert "查看理由" in body and "3708**********1233" in body
    assert ID_A not in body and PHONE_A not in body and ADDRESS_A not in body
    assert "no-store" in response["Cache-Control"]
    assert not PiiReveal.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "打电话"])
def test_reason_is_required_and_at_least_four_characters(client, secretary_a, case_a, audit_calls, reason):
    party = case_a.parties.get(name="张三")
    client.force_login(secretary_a)
    response = client.post(reveal_url(case_a, party), {"reason": reason})
    body = response.content.decode()
    assert response.status_code == 400
    assert ("请填写查看理由" in body) or ("至少4个字" in body)
    assert ID_A not in body and PHONE_A not in body and ADDRESS_A not in body
    assert not PiiReveal.objects.exists() and not audit_calls


@pytest.mark.django_db
def test_reveal_shows_full_values_once_and_logs_who_and_why(client, secretary_a, case_a, audit_calls):
    party = case_a.parties.get(name="张三")
    client.force_login(secretary_a)
    response = client.post(reveal_url(case_a, party), {"reason": "电话联系当事人安排调解"})
    body = response.content.decode()
    assert response.status_code == 200
    assert ID_A in body and PHONE_A in body and ADDRESS_A in body
    assert "no-store" in response["Cache-Control"]
    row = PiiReveal.objects.get()
    assert (row.user, row.party, row.reason) == (secretary_a, party, "电话联系当事人安排调解")
    assert audit_calls == [{
        "action": "pii_view", "obj": party, "outcome": "success", "detail": "电话联系当事人安排调解",
        "label": case_a.number,
    }]
    # The other party stays hidden, and the case page is still masked afterwards.
    assert ID_B not in body
    assert ID_A not in client.get(case_a.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_failing_audit_log_shows_nothing_and_records_nothing(client, secretary_a, case_a, monkeypatch):
    def broken(request, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr("audit.record", broken)
    client.force_login(secretary_a)
    with pytest.raises(RuntimeError):
        client.post(reveal_url(case_a, case_a.parties.get(name="张三")), {"reason": "电话联系当事人"})
    assert not PiiReveal.objects.exists()


@pytest.mark.django_db
def test_eleventh_reveal_in_an_hour_is_refused(client, secretary_a, case_a, audit_calls, monkeypatch):
    party = case_a.parties.get(name="张三")
    client.force_login(secretary_a)
    for i in range(10):
        assert client.post(reveal_url(case_a, party), {"reason": f"第{i}次核对身份"}).status_code == 200
    response = client.post(reveal_url(case_a, party), {"reason": "再看一次号码"})
    body = response.content.decode()
    assert response.status_code == 429
    assert "查看过于频繁" in body and ID_A not in body and PHONE_A not in body
    assert PiiReveal.objects.count() == 10
    assert audit_calls[-1]["outcome"] == "failure"
    # An hour later the oldest no longer count (the log refuses UPDATE on PostgreSQL: the clock moves instead).
    from cases.services import pii as pii_services

    counted, later = pii_services.budget_used, datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    monkeypatch.setattr(pii_services, "budget_used", lambda user, now=None: counted(user, now=later))
    assert client.post(reveal_url(case_a, party), {"reason": "一小时后核对"}).status_code == 200


@pytest.mark.django_db
def test_reveal_limit_is_per_user(client, secretary_a, make_user, case_a):
    party = case_a.parties.get(name="张三")
    PiiReveal.objects.bulk_create([PiiReveal(user=secretary_a, party=party, reason="批量核对身份") for _ in range(10)])
    colleague = make_user(Role.GRID_WORKER, VILLAGE_A)
    client.force_login(colleague)
    assert client.post(reveal_url(case_a, party), {"reason": "电话联系当事人"}).status_code == 200


@pytest.mark.django_db
def test_other_jurisdiction_gets_404_and_learns_nothing(client, secretary_b, auditor, case_a):
    party = case_a.parties.get(name="张三")
    for user in (secretary_b, auditor):
        client.force_login(user)
        assert client.get(reveal_url(case_a, party)).status_code == 404
        response = client.post(reveal_url(case_a, party), {"reason": "电话联系当事人"})
        assert response.status_code == 404 and ID_A not in response.content.decode()
    assert not PiiReveal.objects.exists()


@pytest.mark.django_db
def test_party_of_another_case_is_404(client, secretary_a, secretary_b, make_case, case_a):
    other = make_case(secretary_b, VILLAGE_B, parties=[person("王五", ID_B)])
    client.force_login(secretary_a)
    url = reverse("cases:pii_reveal", args=[case_a.number, other.parties.get().pk])
    assert client.post(url, {"reason": "电话联系当事人"}).status_code == 404


@pytest.mark.django_db
def test_read_only_roles_that_see_the_case_get_403(client, make_user, case_a):
    party = case_a.parties.get(name="张三")
    for user in (make_user(Role.SUPERVISOR, COUNTY), make_user(Role.DISCIPLINE, TOWN_X)):
        client.force_login(user)
        assert client.get(case_a.get_absolute_url()).status_code == 200  # they do see the (masked) case
        assert client.get(reveal_url(case_a, party)).status_code == 403
        assert client.post(reveal_url(case_a, party), {"reason": "电话联系当事人"}).status_code == 403
    assert not PiiReveal.objects.exists()


@pytest.mark.django_db
def test_town_county_and_holding_unit_may_reveal(client, town_x, county_user, unit_user, secretary_a, make_case):
    town_case = make_case(secretary_a, VILLAGE_A, parties=[person()])
    county_case = make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, parties=[person()])
    county_case.holder_unit = Unit.objects.get(name="县涉土纠纷人民调解委员会")
    county_case.save(update_fields=["holder_unit"])
    for user, case in ((town_x, town_case), (county_user, county_case), (unit_user, county_case)):
        client.force_login(user)
        response = client.post(reveal_url(case, case.parties.get()), {"reason": "电话联系当事人"})
        assert response.status_code == 200 and ID_A in response.content.decode(), user


@pytest.mark.django_db
def test_unit_staff_of_another_unit_cannot_reveal(client, make_user, secretary_a, make_case):
    case = make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, parties=[person()])
    case.holder_unit = Unit.objects.get(name="县涉土纠纷人民调解委员会")
    case.save(update_fields=["holder_unit"])
    other_unit = Unit.objects.filter(division_id=COUNTY).exclude(pk=case.holder_unit_id).first()
    stranger = make_user(Role.UNIT_STAFF, COUNTY, unit_name=other_unit.name)
    client.force_login(stranger)
    assert client.post(reveal_url(case, case.parties.get()), {"reason": "电话联系当事人"}).status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, case_a):
    url = reveal_url(case_a, case_a.parties.get(name="张三"))
    for response in (client.get(url), client.post(url, {"reason": "电话联系当事人"})):
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
