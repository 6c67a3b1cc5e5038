"""The three journeys of issue 8, end to end in Chromium, as people would take them.

1. A counter-staff trainee joins a class with its join code, takes the whole course with its
   scenarios and downloads the certificate on a desktop (an existing account); a newcomer
   registers with the code on a 375 px phone and starts the course.
2. An instructor creates a class, imports a CSV with an error, fixes it and sees progress
   (tests/browser/test_instructor_journey.py).
3. A personnel user exports CSV (UTF-8 and CP932) and XLSX; the files read back with correct
   Japanese and match the database.

Screenshots and the downloaded files are kept under test-artifacts/browser/.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_trainee_journey import fill_survey, take_course
from training.auth.accounts import NewUser, create_user
from training.dates import fiscal_year_of, format_wareki, today_jst
from training.demo import simulate_learning
from training.extensions import db
from training.models import Assignment, Certificate, Cohort, CourseCompletion, User
from training.records.export import HEADER
from training.teach.classes import new_join_code

pytestmark = pytest.mark.browser

PASSWORD = "journey-pass-2026"


def _open_class(app, name: str) -> tuple[str, dt.date]:
    """A counter-staff class open for self-enrolment, with the course assigned: (code, due date)."""
    due = today_jst() + dt.timedelta(days=30)
    with app.app_context():
        cohort = Cohort(name=name, audience="counter_staff", fiscal_year=fiscal_year_of(today_jst()),
                        join_code=new_join_code(), join_enabled=True, due_on=due)
        cohort.assignments.append(Assignment(course_id="counter-staff", due_on=due))
        db.session.add(cohort)
        db.session.commit()
        return cohort.join_code, due


def _enter_code(page, base: str, code: str) -> None:
    page.goto(f"{base}/join")
    page.get_by_label("参加コード（例：ABCD-EFGH）").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="次へ").click()


def _download_certificate(page, name: str) -> str:
    """Download the certificate PDF from the completion page; returns its text."""
    with page.expect_download() as download:
        page.get_by_role("link", name="修了証をダウンロード（PDF）").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    out = ARTIFACTS / f"{name}.pdf"
    out.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(out), str(ARTIFACTS / name)], check=True)
    return subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout


def test_counter_staff_joins_a_class_and_completes_the_course(page, live_server, screenshot):
    app = live_server.app
    code, due = _open_class(app, "窓口職員ゲートキーパー研修（第2回）")
    with app.app_context():
        create_user(NewUser(login_id="journey-counter", display_name="𠮷田 髙﨑", password=PASSWORD,
                            roles=("trainee",), audience="counter_staff", department="区民課"))
        db.session.commit()
    sign_in(page, live_server, "journey-counter", PASSWORD)
    _enter_code(page, live_server, code)
    # A staff class (issue 16): the account has a 所属 but no 職員番号, so only that is asked.
    assert page.get_by_label("所属", exact=True).count() == 0
    page.get_by_label("職員番号").fill("009002")
    page.get_by_role("button", name="登録して参加する").click()
    expect(page.get_by_text("クラス「窓口職員ゲートキーパー研修（第2回）」に登録しました。")).to_be_visible()
    expect(page.get_by_text(f"期限 {due.year}年{due.month}月{due.day}日").first).to_be_visible()
    screenshot(page, "journey-joined")
    take_course(page, live_server, app.extensions["content"], "counter-staff", screenshot, "journey-desktop")
    page.goto(f"{live_server}/learn/counter-staff/progress")
    text = _download_certificate(page, "journey-desktop-certificate")
    assert "𠮷田" in text.replace(" ", "") and "窓口職員向けゲートキーパー講座" in text.replace(" ", "")


def test_newcomer_registers_with_the_code_and_completes_the_course_on_a_phone(phone_page, live_server, screenshot):
    app = live_server.app
    page = phone_page
    code, _due = _open_class(app, "出張所窓口 研修")
    _enter_code(page, live_server, code)
    expect(page.get_by_text("クラス「出張所窓口 研修」").first).to_be_visible()
    page.get_by_label("氏名", exact=False).first.fill("石神井 千尋")
    page.get_by_label("ログインID", exact=False).fill("journey-phone")
    page.get_by_label("職員番号").fill("008801")  # a staff class (issue 16): 職員番号 and 所属 too
    page.get_by_label("所属", exact=True).fill("石神井出張所")
    page.get_by_label("パスワード（10文字以上）").fill(PASSWORD)
    page.get_by_label("パスワード（確認）").fill(PASSWORD)
    screenshot(page, "journey-phone-register")
    page.get_by_role("button", name="登録して参加する").click()
    expect(page.get_by_text("登録しました。クラス「出張所窓口 研修」の講座をはじめましょう。")).to_be_visible()
    # The newcomer's account works at once: the course opens and its first lesson fits the
    # phone. (A whole course on a phone is the student's journey in test_trainee_journey.py.)
    content = app.extensions["content"]
    course = content.course("counter-staff")
    page.get_by_role("link", name="学習をはじめる").first.click()
    fill_survey(page, content, course.audience)
    page.get_by_role("button", name="回答して学習をはじめる").click()
    first = content.module(course.modules[0]).sections_for(course.audience)[0]
    expect(page.get_by_role("heading", name=first.title, level=1)).to_be_visible()
    screenshot(page, "journey-phone-lesson")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto(f"{live_server}/")
    expect(page.get_by_text("出張所窓口 研修").first).to_be_visible()


def _export(page, fmt_label: str) -> bytes:
    page.get_by_label(fmt_label).check()
    with page.expect_download() as download:
        page.get_by_role("button", name="出力する").click()
    return Path(download.value.path()).read_bytes()


def test_personnel_exports_csv_and_xlsx_that_read_back(page, live_server, screenshot):
    app = live_server.app
    year = fiscal_year_of(today_jst())
    with app.app_context():
        # Someone whose name Shift_JIS cannot hold (𠮷), so the CP932 export asks first.
        person = create_user(NewUser(login_id="journey-yoshino", display_name="𠮷野 花子", password=PASSWORD,
                                     roles=("trainee",), audience="counter_staff", department="税務課",
                                     employee_no="009001"))
        db.session.commit()
        content = app.extensions["content"]
        simulate_learning(person, content.course("counter-staff"), content)
        db.session.commit()
        expected = sorted(
            (person.employee_no or "", person.display_name, person.department or "", cert.serial if cert else "",
             completion.completed_at.astimezone(dt.timezone(dt.timedelta(hours=9))).date())
            for completion, person, cert in db.session.execute(
                select(CourseCompletion, User, Certificate).join(User, User.id == CourseCompletion.user_id)
                .outerjoin(Certificate, (Certificate.course_completion_id == CourseCompletion.id)
                           & Certificate.superseded_at.is_(None))))
        assert any(row[0] == "000301" for row in expected), "the demo leaves demo-counter with a completion"
    sign_in(page, live_server, "demo-personnel")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="修了記録", exact=True).click()
    page.get_by_label("年度（西暦。4月〜翌年3月。空欄なら全期間）").fill(str(year))
    screenshot(page, "journey-personnel-export")

    data = _export(page, "CSV（Excel向け・UTF-8）")
    (ARTIFACTS / "journey-export.csv").write_bytes(data)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    assert sorted((r[0], r[1], r[3], r[10], dt.date.fromisoformat(r[7])) for r in rows[1:]) == expected
    for row in rows[1:]:
        assert row[8] == format_wareki(dt.date.fromisoformat(row[7])) and row[11] == "有効"
        assert row[6] in ("e-ラーニング", "集合研修", "集合研修＋e-ラーニング")
    counter = next(row for row in rows if row[0] == "000301")
    assert counter[1] == "光が丘 健" and counter[4] == "窓口業務等の職員"  # leading zeros kept, Japanese intact

    page.get_by_label("CSV（Shift_JIS／古いシステム向け）").check()
    page.get_by_role("button", name="出力する").click()
    expect(page.get_by_role("heading", name="Shift_JIS（CP932）で書けない文字があります")).to_be_visible()
    problems = page.get_by_role("region", name="書き出せない文字の一覧")
    expect(problems.get_by_role("cell", name="𠮷", exact=True).first).to_be_visible()
    expect(problems.get_by_role("cell", name="𠮷野 花子", exact=True).first).to_be_visible()  # who, not only the row
    screenshot(page, "journey-personnel-cp932")
    with page.expect_download() as download:
        page.get_by_role("button", name="「〓」に置き換えて出力する").click()
    text = Path(download.value.path()).read_bytes().decode("cp932")
    assert not text.startswith("\ufeff") and "光が丘 健" in text and "職員番号" in text
    assert "〓野 花子" in text
    page.goto(f"{live_server}/records/export")
    page.get_by_label("年度（西暦。4月〜翌年3月。空欄なら全期間）").fill(str(year))

    data = _export(page, "Excel（XLSX）")
    path = ARTIFACTS / "journey-export.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path)
    try:
        sheet = book.active
        assert [c.value for c in sheet[1]] == HEADER
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
        cells = list(sheet.iter_rows(min_row=2))
        assert sorted((r[0].value or "", r[1].value, r[3].value or "", r[10].value or "", r[7].value.date())
                      for r in cells) == expected
        counter = next(row for row in cells if row[0].value == "000301")
        assert counter[1].value == "光が丘 健" and counter[0].data_type == "s"
        assert isinstance(counter[7].value, dt.datetime) and isinstance(counter[9].value, int)
    finally:
        book.close()
    screenshot(page, "journey-personnel-after-export")
