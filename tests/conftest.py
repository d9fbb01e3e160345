"""The fixed cast (STYLE.md §8) on real divisions.

Villages A (刘山村) and B (唐庄村) are in town X (嘉祥街道); village C (东纸坊村) is in town Y (纸坊镇).
"""

import base64
import datetime
import itertools
import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from cases import services
from cases.models import Dispute, Status, Tier
from org.models import Division, Membership, Role, Unit

VILLAGE_A = "370829001209"
VILLAGE_B = "370829001212"
VILLAGE_C = "370829101200"
TOWN_X = "370829001000"
TOWN_Y = "370829101000"
COUNTY = "370829000000"
PASSWORD = "Test-passw0rd-jx"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Divisions and reference units are loaded once per test database (they are read-only reference data)."""
    with django_db_blocker.unblock():
        call_command("load_divisions", verbosity=0, stdout=open("/dev/null", "w"))
        call_command("seed_reference", stdout=open("/dev/null", "w"))


def restore_database(snapshot: str):
    """Empty every table (without post_migrate re-creating content types), then load `snapshot`: what a
    transactional test (whose flush deletes the reference data) uses to leave the database as it found it."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    call_command("flush", verbosity=0, interactive=False, reset_sequences=False, inhibit_post_migrate=True)
    connection.creation.deserialize_db_from_string(snapshot)
    ContentType.objects.clear_cache()


@pytest.fixture(scope="session")
def db_snapshot(django_db_setup, django_db_blocker):
    """The test database as the session set it up: the migrations' seed rows, divisions and units."""
    from django.db import connection

    with django_db_blocker.unblock():
        if not Division.objects.exists():  # a transactional test elsewhere already flushed it
            with open(os.devnull, "w") as null:
                call_command("load_divisions", verbosity=0, stdout=null)
                call_command("seed_reference", stdout=null)
        return connection.creation.serialize_db_to_string()


@pytest.fixture
def make_user(db):
    counter = itertools.count(1)

    def make(role, division_code, *, unit_name=None, username=None):
        User = get_user_model()
        username = username or f"{role}_{division_code}_{next(counter)}"
        user = User.objects.create_user(username=username, password=PASSWORD, first_name=username)
        unit = Unit.objects.get(name=unit_name) if unit_name else None
        Membership.objects.create(user=user, division_id=division_code, role=role, unit=unit)
        return user

    return make


@pytest.fixture
def secretary_a(make_user):
    return make_user(Role.VILLAGE_SECRETARY, VILLAGE_A, username="sec_a")


@pytest.fixture
def secretary_b(make_user):
    return make_user(Role.VILLAGE_SECRETARY, VILLAGE_B, username="sec_b")


@pytest.fixture
def secretary_c(make_user):
    return make_user(Role.VILLAGE_SECRETARY, VILLAGE_C, username="sec_c")


@pytest.fixture
def town_x(make_user):
    return make_user(Role.TOWN_LEADER, TOWN_X, username="town_x")


@pytest.fixture
def town_y(make_user):
    return make_user(Role.TOWN_LEADER, TOWN_Y, username="town_y")


@pytest.fixture
def county_user(make_user):
    return make_user(Role.COUNTY_CENTRE, COUNTY, unit_name="嘉祥县社会治理协调中心", username="county")


@pytest.fixture
def unit_user(make_user):
    return make_user(Role.UNIT_STAFF, COUNTY, unit_name="县涉土纠纷人民调解委员会", username="unit")


@pytest.fixture
def auditor(make_user):
    return make_user(Role.AUDITOR, COUNTY, username="auditor")


@pytest.fixture
def sysadmin(make_user):
    return make_user(Role.ADMIN, COUNTY, username="sysadmin")


@pytest.fixture
def security_admin(make_user):
    """安全管理员 (三员): unlocks, resets and issues 2FA enrolment, approves the administrator's role grants."""
    return make_user(Role.SECURITY_ADMIN, COUNTY, username="anquan")


def party_row(name="张三", role="applicant", sex="M", id_number="", phone="13812345678"):
    return {"role": role, "name": name, "sex": sex, "id_number": id_number, "phone": phone, "address": "刘山村1号"}


DISPUTE_FIELDS = {
    "title": "张三与李四宅基地边界纠纷", "category": "housing", "source": "screening", "risk": "blue",
    "people_involved": 2, "place": "村东", "description": "双方对宅基地界址有争议。",
}


def _fixture_user(role, division_code, username):
    """A stand-in official who carries a fixture case up a tier (created once per test database)."""
    user, created = get_user_model().objects.get_or_create(username=username, defaults={"first_name": "经办人"})
    if created:
        Membership.objects.create(user=user, division_id=division_code, role=role)
    return user


def _move(case, actor, *, tier, status):
    """Walk a freshly registered case to `tier` and `status` through the services, as real users would. The
    village's steps are taken by `actor` when it works in that village, else by a stand-in secretary."""
    today = timezone.localdate()
    if Membership.objects.filter(user=actor, division_id=case.village_id).exists() is False:
        actor = _fixture_user(Role.VILLAGE_SECRETARY, case.village_id, f"fixture_village_{case.village_id}")
    if tier in (Tier.TOWN, Tier.COUNTY):
        town = _fixture_user(Role.TOWN_LEADER, case.village.parent_id, f"fixture_town_{case.village.parent_id}")
        services.refer_up(actor=actor, dispute=case, reason="村级调解未果")
        case = services.accept_referral(actor=town, dispute=case)
        actor = town
        if tier == Tier.COUNTY:
            centre = _fixture_user(Role.COUNTY_CENTRE, COUNTY, "fixture_county")
            services.refer_up(actor=town, dispute=case, reason="镇街调解未果")
            case = services.accept_referral(actor=centre, dispute=case)
            actor = centre
    if status == Status.REJECTED:
        return services.reject(actor=actor, dispute=case, reason="不属于民间纠纷")
    if status == Status.REFERRED:
        services.refer_up(actor=actor, dispute=case, reason="调解未果")
        return Dispute.objects.get(pk=case.pk)
    if status in (Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED) and case.status == Status.LOGGED:
        case = services.start_handling(actor=actor, dispute=case)
    if status in (Status.RESOLVED, Status.CLOSED):
        if case.tier == Tier.TOWN:
            services.record_duty(actor=actor, dispute=case, kind="feedback", on_date=today, text="已反馈")
        case = services.resolve(actor=actor, dispute=case, outcome="success", note="达成调解协议")
    if status == Status.CLOSED:
        services.record_visit(actor=actor, dispute=case, visited_on=today, agreement_kept=True,
                              satisfaction="satisfied", relapse_signs=False)
        case = services.close_case(actor=actor, dispute=case)
    return Dispute.objects.get(pk=case.pk)


@pytest.fixture
def make_case(db):
    """Create a case through the services (as real users would) and walk it to `tier` and `status` the same way:
    a town or county case was referred up and signed for; a resolved one was mediated; a closed one visited."""

    def make(actor, village_code, *, tier=Tier.VILLAGE, status=Status.LOGGED, parties=None, **fields):
        village = Division.objects.get(code=village_code)
        data = {**DISPUTE_FIELDS, "arose_on": timezone.localdate() - datetime.timedelta(days=1), **fields}
        case = services.create_dispute(
            actor=actor, village=village, fields=data, parties=parties or [party_row(), party_row("李四", "respondent")]
        )
        if tier != Tier.VILLAGE or status != Status.LOGGED:
            case = _move(case, actor, tier=tier, status=status)
        return case

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production PBKDF2 cost would dominate the suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def field_encryption_key(settings, tmp_path):
    """A fixed test key for encrypted party fields (never a real one), and attachments in a temporary folder."""
    settings.FIELD_ENCRYPTION_KEY = base64.b64encode(b"test-only-key-32-bytes-long!!!!!").decode()
    settings.FIELD_ENCRYPTION_OLD_KEYS = []
    settings.FIELD_HASH_KEY = ""
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"


@pytest.fixture(autouse=True)
def second_factor_off(settings):
    """REQUIRE_2FA defaults to `not DEBUG`; fixture users log in with force_login. The 2FA wall has its own tests
    (tests/security/test_two_factor.py), which switch it back on."""
    settings.REQUIRE_2FA = False


@pytest.fixture(autouse=True)
def jobs_run_synchronously(settings):
    """Background jobs run at once in the test process (django-tasks' immediate backend), at the commit of the
    transaction that enqueued them (notify.jobs.enqueue_on_commit); SMS go to the log adapter, nothing to the network.
    tests/notify/test_jobs*.py switch to the database backend and a real worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}}
    settings.SMS_PROVIDER = "log"
    settings.WECOM_WEBHOOK_URL = "http://127.0.0.1:9/cgi-bin/webhook/send"  # discard port: never a real robot


@pytest.fixture(autouse=True)
def no_default_quiet_hours(request, monkeypatch):
    """A user without a notification preference gets SMS quiet hours 22:00–07:00 Beijing time (notify.delivery.rules).
    Tests run at whatever hour CI runs them, so only those marked `default_quiet_hours` (which travel to the night
    themselves) keep them; for every other test an SMS due now goes now."""
    if request.node.get_closest_marker("default_quiet_hours") is None:
        from notify.delivery import rules

        monkeypatch.setattr(rules, "QUIET_START", datetime.time(0, 0))
        monkeypatch.setattr(rules, "QUIET_END", datetime.time(0, 0))
