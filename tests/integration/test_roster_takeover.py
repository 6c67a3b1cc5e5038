"""Issue 12, high: a roster must not rewrite accounts that are not the importer's to change.

Each test is an attack as a pen tester ran it, through the real pages (or the CLI): an
instructor uploads a roster naming other people's 職員番号.
"""
from __future__ import annotations

import io
import re
import threading

import pytest
from sqlalchemy import select, text

from tests.conftest import AuthActions
from tests.support.classes import make_class
from tests.support.learner import csrf
from training.extensions import db
from training.models import AuditEntry, CohortMember, User

HEADER = "職員番号,氏名,ふりがな,所属,メールアドレス,受講区分"
PRIVILEGED = "職員番号 000101 は研修担当・人事・管理者の権限を持つ利用者です。システム管理者に依頼してください"


def _upload(client, cohort_id: int, body: str) -> str:
    """Upload a roster; return the preview's URL."""
    page = client.get(f"/teach/classes/{cohort_id}/roster").get_data(as_text=True)
    response = client.post(f"/teach/classes/{cohort_id}/roster",
                           data={"csrf_token": csrf(page),
                                 "file": (io.BytesIO(f"{HEADER}\r\n{body}".encode()), "名簿.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def _apply(client, location: str, **extra):
    preview = client.get(location).get_data(as_text=True)
    data = {"csrf_token": csrf(preview), **extra}
    match = re.search(r'name="fingerprint" value="([^"]+)"', preview)
    if match and "fingerprint" not in extra:
        data["fingerprint"] = match.group(1)
    return client.post(f"{location}/apply", data=data)


def _snapshot(app, employee_no: str) -> tuple:
    with app.app_context():
        u = db.session.scalar(select(User).where(User.employee_no == employee_no))
        classes = set(db.session.scalars(select(CohortMember.cohort_id).where(CohortMember.user_id == u.id)))
        return (u.display_name, u.name_kana, u.email, u.department, u.audience, frozenset(u.roles), frozenset(classes))


@pytest.fixture
def instructor(app, client, login_as):
    """A signed-in instructor with one class; returns (client, cohort id, login id)."""
    _uid, login_id = login_as("instructor", audience=None)
    cohort_id = make_class(app, login_id, name="税務課 12月")
    return client, cohort_id, login_id


@pytest.mark.parametrize("roles", [("admin",), ("personnel",), ("instructor",), ("trainee", "instructor")])
def test_a_roster_cannot_touch_a_privileged_account(app, instructor, create_user_factory, roles):
    client, cohort_id, _ = instructor
    create_user_factory(*roles, login_id="demo-admin", employee_no="000101", display_name="管理 一郎",
                        email="admin@example.jp", department="情報政策課", audience=None)
    before = _snapshot(app, "000101")
    location = _upload(client, cohort_id, "000101,乗っ取り 太郎,のっとり たろう,税務課,x@example.jp,区民\r\n")
    preview = client.get(location).get_data(as_text=True)
    assert "2行目" in preview and PRIVILEGED in preview
    assert "行を取り込む" not in preview
    response = _apply(client, location)
    assert response.status_code == 302
    assert _snapshot(app, "000101") == before


def test_the_cli_import_refuses_a_privileged_account_too(app, runner, create_user_factory, tmp_path):
    create_user_factory("admin", login_id="demo-admin", employee_no="000101", display_name="管理 一郎", audience=None)
    before = _snapshot(app, "000101")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"{HEADER}\n000101,乗っ取り 太郎,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(roster)])  # in-process: the command's own code
    assert result.exit_code == 1
    assert f"2行目: エラー: {PRIVILEGED}" in result.stdout
    assert _snapshot(app, "000101") == before


def test_a_person_in_another_instructors_class_is_enrolled_unchanged(app, instructor, create_user_factory):
    client, cohort_id, _ = instructor
    person_id, _ = create_user_factory("trainee", employee_no="000500", display_name="石神井 花子",
                                       department="収納課", email="hanako@example.jp")
    _other_id, other_login = create_user_factory("instructor", audience=None)
    make_class(app, other_login, name="収納課 12月", member_ids=[person_id])
    location = _upload(client, cohort_id, "000500,別名 花子,,税務課,other@example.jp,\r\n")
    preview = client.get(location).get_data(as_text=True)
    assert "登録情報は変更しません" in preview
    assert "他の研修担当のクラスにも所属" in preview
    assert _apply(client, location).status_code == 200
    name, _kana, email, department, _aud, _roles, classes = _snapshot(app, "000500")
    assert (name, email, department) == ("石神井 花子", "hanako@example.jp", "収納課")
    assert cohort_id in classes   # enrolled all the same


def test_own_trainee_changes_are_previewed_old_to_new_and_audited(app, instructor, create_user_factory):
    client, cohort_id, login_id = instructor
    person_id, _ = create_user_factory("trainee", employee_no="000501", display_name="旧姓 太郎",
                                       department="収納課", audience="counter_staff")
    make_class(app, login_id, name="収納課 11月", member_ids=[person_id])
    location = _upload(client, cohort_id, "000501,新姓 太郎,しんせい たろう,税務課,,\r\n")
    preview = client.get(location).get_data(as_text=True)
    assert "旧姓 太郎 → 新姓 太郎" in preview
    assert "収納課 → 税務課" in preview
    assert "（なし） → しんせい たろう" in preview
    assert _apply(client, location).status_code == 200
    name, kana, _email, department, audience, roles, _classes = _snapshot(app, "000501")
    assert (name, kana, department, audience, roles) == ("新姓 太郎", "しんせい たろう", "税務課", "counter_staff",
                                                         frozenset({"trainee"}))
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.import"))
        [change] = entry.detail["updated"]
        assert change["employee_no"] == "000501"
        assert change["before"] == {"display_name": "旧姓 太郎", "name_kana": None, "department": "収納課"}
        assert change["after"] == {"display_name": "新姓 太郎", "name_kana": "しんせい たろう", "department": "税務課"}


def test_an_admin_importer_may_change_anyone_trainee_only(app, client, login_as, create_user_factory):
    _uid, admin_login = login_as("admin", audience=None)
    cohort_id = make_class(app, admin_login)
    person_id, _ = create_user_factory("trainee", employee_no="000502", display_name="旧姓 次郎")
    _other_id, other_login = create_user_factory("instructor", audience=None)
    make_class(app, other_login, name="他のクラス", member_ids=[person_id])
    location = _upload(client, cohort_id, "000502,新姓 次郎,,,,\r\n")
    assert "旧姓 次郎 → 新姓 次郎" in client.get(location).get_data(as_text=True)
    assert _apply(client, location).status_code == 200
    assert _snapshot(app, "000502")[0] == "新姓 次郎"


def test_an_empty_audience_cell_keeps_an_existing_persons_audience(app, instructor, create_user_factory):
    client, cohort_id, login_id = instructor
    person_id, _ = create_user_factory("trainee", employee_no="000503", display_name="区民 三郎",
                                       audience="residents")
    make_class(app, login_id, name="前のクラス", audience="residents", member_ids=[person_id])
    location = _upload(client, cohort_id, "000503,区民 三郎,,,,\r\n")
    assert _apply(client, location).status_code == 200
    assert _snapshot(app, "000503")[4] == "residents"


@pytest.mark.parametrize(("existing", "in_file"), [("004512", "4512"), ("4512", "004512")])
def test_a_number_that_lost_its_leading_zeros_is_an_error(app, instructor, create_user_factory, existing, in_file):
    client, cohort_id, _ = instructor
    create_user_factory("trainee", employee_no=existing, display_name="光が丘 健")
    location = _upload(client, cohort_id, f"{in_file},光が丘 健,,,,\r\n")
    preview = client.get(location).get_data(as_text=True)
    assert "2行目" in preview and f"登録済みの職員番号「{existing}」" in preview
    assert "文字列" in preview and "行を取り込む" not in preview


def test_leading_zeros_within_one_file(app, instructor):
    client, cohort_id, _ = instructor
    location = _upload(client, cohort_id, "004513,練馬 一,,,,\r\n4513,練馬 二,,,,\r\n")
    preview = client.get(location).get_data(as_text=True)
    assert "3行目" in preview and "2行目の職員番号「004513」と先頭の0だけが違います" in preview


def test_same_name_and_email_under_another_number_needs_confirmation(app, instructor, create_user_factory):
    client, cohort_id, _ = instructor
    create_user_factory("trainee", employee_no="000600", display_name="大泉 学", email="manabu@example.jp")
    location = _upload(client, cohort_id, "000601,大泉　学,,,Manabu@example.jp,\r\n")
    preview = client.get(location).get_data(as_text=True)
    assert "同じ氏名とメールアドレスの利用者（職員番号 000600）" in preview
    assert 'name="confirm" value="2"' in preview
    refused = _apply(client, location)
    assert refused.status_code == 302
    assert "確認" in client.get(refused.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.employee_no == "000601")) is None
    done = _apply(client, location, confirm="2")
    assert done.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User).where(User.employee_no == "000601")) is not None


@pytest.mark.parametrize(("row", "message"), [
    ("000701,練馬 太郎,,{},,".format("課" * 101), "所属が長すぎます（100文字まで）"),
    ("000701,練馬 太郎,{},,,".format("か" * 101), "ふりがなが長すぎます（100文字まで）"),
    ("000701,練馬\x00太郎,,,,", "氏名に使えない文字（制御文字）が含まれています"),
    ("000701,練馬 太郎,,税務\x00課,,", "所属に使えない文字（制御文字）が含まれています"),
    ("000701,練馬 太郎,,,{}@example.jp,".format("a" * 250), "メールアドレス"),
    ("00070\x001,練馬 太郎,,,,", "半角英数字"),
])
def test_long_or_nul_cells_are_error_rows_in_the_preview(app, instructor, row, message):
    client, cohort_id, _ = instructor
    location = _upload(client, cohort_id, row + "\r\n")
    preview = client.get(location)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2行目" in html and message in html and "行を取り込む" not in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.employee_no == "000701")) is None


def test_a_preview_overtaken_by_another_import_asks_to_check_again(app, instructor, create_user_factory):
    """Two instructors import the same new numbers: the second sees a clear message, not a 500."""
    client, cohort_id, _ = instructor
    location = _upload(client, cohort_id, "000801,新人 一,,,,\r\n000802,新人 二,,,,\r\n")
    stale = client.get(location).get_data(as_text=True)
    # Meanwhile another instructor imports 000801 into their class.
    _other_id, other_login = create_user_factory("instructor", audience=None)
    other = app.test_client()
    AuthActions(other).login(other_login)
    other_class = make_class(app, other_login, name="別のクラス")
    assert _apply(other, _upload(other, other_class, "000801,新人 一,,,,\r\n")).status_code == 200
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', stale).group(1)
    response = client.post(f"{location}/apply", data={"csrf_token": csrf(stale), "fingerprint": fingerprint})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "もう一度確認してください" in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.employee_no == "000802")) is None


def test_two_imports_racing_on_postgresql_one_wins_the_other_is_told(app, instructor, database_url):
    """A second transaction inserts the same new number and commits while the import waits on it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): the race cannot happen there")
    client, cohort_id, _ = instructor
    location = _upload(client, cohort_id, "000901,新人 三,,,,\r\n")
    preview = client.get(location).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', preview).group(1)
    with app.app_context():
        engine = db.engine
    rival = engine.connect()
    transaction = rival.begin()
    rival.execute(text("INSERT INTO \"user\" (login_id, display_name, password_hash, employee_no, active, "
                       "must_change_password, session_token, created_at) VALUES ('000901', '新人 三', 'x', "
                       "'000901', true, true, 'tok', now())"))
    result = {}

    def submit():
        result["response"] = client.post(f"{location}/apply",
                                         data={"csrf_token": csrf(preview), "fingerprint": fingerprint})

    worker = threading.Thread(target=submit)
    worker.start()
    worker.join(timeout=1.5)          # the import blocks on the rival's uncommitted row
    transaction.commit()
    rival.close()
    worker.join(timeout=30)
    response = result["response"]
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "もう一度確認してください" in html
    with app.app_context():
        members = db.session.scalar(select(db.func.count()).select_from(CohortMember)
                                    .where(CohortMember.cohort_id == cohort_id))
        assert members == 0
