"""CSV enrolment against the database: row checks, preview statuses, all-or-nothing, CLI."""
import subprocess

import pytest
from sqlalchemy import func, select

from training.extensions import db
from training.models import Cohort, CohortMember, User
from training.teach.roster import RosterError, apply, check, parse

HEADER = "職員番号,氏名,ふりがな,所属,メールアドレス,受講区分"


@pytest.fixture
def cohort(app):
    with app.app_context():
        c = Cohort(name="税務課 11月", audience="counter_staff", fiscal_year=2026)
        db.session.add(c)
        db.session.commit()
        return c.id


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _check(app, cohort_id, *lines):
    with app.app_context():
        roster = parse("\n".join([HEADER, *lines]).encode())
        return check(roster, db.session.get(Cohort, cohort_id))


@pytest.mark.parametrize(("line", "message"), [
    (",練馬 太郎,,,,", "職員番号が空です"),
    ("000001,,,,,", "氏名が空です"),
    ("000001,練馬 太郎,,,,宇宙飛行士", "受講区分「宇宙飛行士」は使えません"),
    ("000001,練馬 太郎,,,not-an-email,", "メールアドレス「not-an-email」の形式が正しくありません"),
    ("0001 23,練馬 太郎,,,,", "半角英数字"),
])
def test_row_errors_name_the_line(app, cohort, line, message):
    roster = _check(app, cohort, "000009,正しい 行,,,,区民", line)
    assert roster.rows[0].errors == []
    assert roster.rows[1].line == 3
    assert any(message in e for e in roster.rows[1].errors), roster.rows[1].errors


def test_duplicate_employee_number_in_the_file(app, cohort):
    roster = _check(app, cohort, "000001,練馬 太郎,,,,", "000002,石神井 花子,,,,", "000001,大泉 学,,,,")
    assert roster.rows[2].errors == ["職員番号「000001」が2行目と重複しています"]


def test_conflict_with_an_existing_login_id(app, cohort, create_user_factory):
    create_user_factory("trainee", login_id="000777", employee_no="999")
    roster = _check(app, cohort, "000777,練馬 太郎,,,,")
    assert "ログインID「000777」は別の利用者" in roster.rows[0].errors[0]


def test_statuses_and_audience_default(app, cohort, create_user_factory):
    create_user_factory("trainee", login_id="kizon", employee_no="000500", display_name="既存 太郎")
    roster = _check(app, cohort, "000500,既存 太郎,,,,", "000501,新人 花子,,収納課,hanako@example.jp,")
    assert [r.status for r in roster.rows] == ["update", "new"]
    assert roster.rows[1].values["audience"] == "counter_staff"  # the class's audience


def test_errors_import_nothing(app, cohort):
    users_before, members_before = _count(app, User), _count(app, CohortMember)
    roster = _check(app, cohort, "000001,練馬 太郎,,,,", "000002,,,,,")
    assert not roster.ok
    with app.app_context(), pytest.raises(RosterError):
        apply(roster, db.session.get(Cohort, cohort))
    assert (_count(app, User), _count(app, CohortMember)) == (users_before, members_before)


def test_import_creates_updates_and_enrols_once(app, cohort, create_user_factory):
    create_user_factory("trainee", login_id="kizon", employee_no="000500", display_name="旧姓 太郎")
    with app.app_context():
        c = db.session.get(Cohort, cohort)
        roster = check(parse("\n".join([HEADER, "000500,新姓 太郎,しんせい たろう,税務課,,",
                                        "000501,新人 花子,,収納課,,"]).encode()), c)
        created = apply(roster, c)
        db.session.commit()
        assert [a.login_id for a in created] == ["000501"] and len(created[0].password) >= 12
        updated = db.session.scalar(select(User).where(User.employee_no == "000500"))
        assert updated.display_name == "新姓 太郎" and updated.department == "税務課"
        new = db.session.scalar(select(User).where(User.employee_no == "000501"))
        assert new.must_change_password and new.audience == "counter_staff" and new.roles == {"trainee"}
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 2
        # Importing the same file again changes nothing but the details.
        again = check(parse("\n".join([HEADER, "000500,新姓 太郎,,,,", "000501,新人 花子,,,,"]).encode()), c)
        assert [r.status for r in again.rows] == ["enrolled", "enrolled"]
        assert apply(again, c) == []
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 2
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


def test_new_account_signs_in_with_the_first_login_password(app, cohort):
    from tests.conftest import AuthActions

    with app.app_context():
        c = db.session.get(Cohort, cohort)
        created = apply(check(parse(f"{HEADER}\n000601,新人 次郎,,,,".encode()), c), c)
        db.session.commit()
    response = AuthActions(app.test_client()).login("000601", created[0].password)
    assert response.headers["Location"] == "/account/password"


def test_cli_import_dry_run_and_errors(app, runner, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(f"{HEADER}\r\n000701,練馬 一,,,,区民\r\n".encode("cp932"))
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n000702,練馬 二,,,,\n000703,,,,,\n", encoding="utf-8")
    run = lambda *a: runner.invoke(args=["users", "import", *a])  # noqa: E731 - in-process, the command's own code
    result = run(str(bad))
    assert result.exit_code == 1
    assert "3行目: エラー: 氏名が空です" in result.stdout and "取り込みませんでした" in result.stdout
    dry = run(str(good), "--dry-run")
    assert dry.exit_code == 0 and "2行目: 新規登録" in dry.stdout and "確認のみ" in dry.stdout
    assert _count(app, User) == 0
    slips = tmp_path / "slips.pdf"
    done = run(str(good), "--slips", str(slips), "--site-url", "https://gatekeeper.example.jp/login")
    assert done.exit_code == 0 and "ID通知書（1人分）" in done.stdout and "000701:" not in done.stdout
    assert _count(app, User) == 1
    text = subprocess.run(["pdftotext", str(slips), "-"], capture_output=True, text=True, check=True).stdout
    assert "練馬 一" in text and "000701" in text
