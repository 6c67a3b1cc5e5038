"""The yearly report (年次報告, issue 17): its figures against a hand-made fiscal year, and the
page, the XLSX (cells and print set-up, read back with openpyxl) and the PDF (text with
pdftotext, the page as PNG with pdftoppm) as the personnel clerk downloads them."""
import datetime as dt
import io
import subprocess
from pathlib import Path

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import select

from tests.support.learner import csrf
from training.content import load_checked
from training.dates import JST
from training.extensions import db
from training.models import AuditEntry, CourseCompletion, Department, SessionParticipant, SurveyResponse, TrainingSession
from training.records import yearly_report

CONTENT = load_checked(Path(__file__).resolve().parents[2])
TODAY = dt.date(2026, 12, 1)


@pytest.fixture
def app_config(app_config, tmp_path):
    # The files are made by the job queue (issue 18): Huey's immediate mode runs them at once.
    return dict(app_config, JOB_DIR=str(tmp_path / "jobs"), JOB_QUEUE_IMMEDIATE=True)


def _file(client, year: int, fmt: str):
    """Press 「PDF を作成」 or 「Excel（XLSX）を作成」 on the report page; the job's file."""
    page = client.get(f"/records/report?year={year}").get_data(as_text=True)
    response = client.post("/records/report/file", data={"csrf_token": csrf(page), "year": str(year), "format": fmt})
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"年次報告（{year}年度" in job_page
    download = client.get(response.headers["Location"] + "/download")
    assert download.status_code == 200, job_page[:2000]
    data = download.data
    download.close()
    return download, data


def _at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JST)


@pytest.fixture
def year(app, create_user_factory):
    """FY2026 by hand: five people trained (one twice, by two kinds), the year's edges, three
    master departments (two with staff counts, one ended before the year), one session held with
    every attendance status, one still to come, one of the year before, and one paired survey."""
    people = {key: create_user_factory("trainee", display_name=f"職員 {key}")[0] for key in "ABCDEFGXYZ"}
    done = [  # (person, course, when, kind, department at completion, audience at completion)
        ("A", "counter-staff", _at(2026, 5, 12, 10), "elearning", "区民部 税務課", "counter_staff"),
        ("A", "counselors", _at(2026, 9, 1, 10), "in_person", "区民部 税務課", "counter_staff"),
        ("B", "counter-staff", _at(2026, 6, 10, 16), "in_person", "区民部　税務課", "counter_staff"),  # full-width space
        ("C", "counselors", _at(2026, 7, 3, 16), "blended", "健康部 保健予防課", "counselors"),
        ("D", "residents", _at(2026, 8, 20, 9), "elearning", None, "residents"),
        ("E", "counter-staff", _at(2026, 3, 31, 23, 59), "elearning", "区民部 税務課", "counter_staff"),  # FY2025
        ("F", "counter-staff", _at(2027, 3, 31, 23, 59), "elearning", "総務部 総務課", "counter_staff"),  # last minute
        ("G", "counter-staff", _at(2027, 4, 1, 0, 0), "elearning", "総務部 総務課", "counter_staff"),     # FY2027
    ]
    with app.app_context():
        db.session.add_all([
            Department(code="010", name="区民部 税務課", name_key="区民部税務課", staff_count=40, valid_from_fy=2020),
            Department(code="020", name="健康部 保健予防課", name_key="健康部保健予防課", staff_count=20),
            Department(code="030", name="総務部 総務課", name_key="総務部総務課"),
            Department(code="005", name="区民部 旧窓口課", name_key="区民部旧窓口課", staff_count=9, valid_to_fy=2025)])
        db.session.add_all([CourseCompletion(user_id=people[key], course_id=course, content_version="v", completed_at=when,
                                             kind=kind, department_name=dept, audience=audience, score=90)
                            for key, course, when, kind, dept, audience in done])
        held = TrainingSession(title="窓口職員向け 集合研修 6月", course_id="counter-staff", held_on=dt.date(2026, 6, 10),
                               starts_at=dt.time(14), ends_at=dt.time(16), venue="本庁舎 研修室", capacity=30,
                               lecturer="保健師", mode="in_person")
        later = TrainingSession(title="窓口職員向け 集合研修 2月", course_id="counter-staff", held_on=dt.date(2027, 2, 1),
                                starts_at=dt.time(14), ends_at=dt.time(16), venue="本庁舎 研修室", capacity=30,
                                lecturer="保健師", mode="in_person")
        before = TrainingSession(title="前年度の集合研修", course_id="counter-staff", held_on=dt.date(2026, 3, 2),
                                 starts_at=dt.time(14), ends_at=dt.time(16), venue="本庁舎", capacity=None,
                                 lecturer="保健師", mode="in_person")
        db.session.add_all([held, later, before])
        db.session.flush()
        marks = {"B": ("attended", False), "A": ("late", False), "X": ("absent", False), "Y": ("left_early", False),
                 "Z": (None, False), "C": ("left_early", True)}
        db.session.add_all([SessionParticipant(session_id=held.id, user_id=people[key], via="class", status=status,
                                               left_early_confirmed=confirmed) for key, (status, confirmed) in marks.items()])
        db.session.add_all([SessionParticipant(session_id=before.id, user_id=people["E"], via="class", status="attended"),
                            SessionParticipant(session_id=later.id, user_id=people["F"], via="class")])
        item = CONTENT.survey.for_audience("counter_staff").efficacy[0].id
        db.session.add_all([SurveyResponse(user_id=people["A"], course_id="counter-staff", phase=phase, cycle=1,
                                           answers={"efficacy": {item: value}}, content_version="v", submitted_at=when)
                            for phase, value, when in (("pre", 2, _at(2026, 5, 1)), ("post", 5, _at(2026, 5, 12)))])
        db.session.commit()
    return people


def test_report_figures_against_a_hand_made_year(app, year):
    with app.app_context():
        report = yearly_report.build(2026, 350, CONTENT, organisation="練馬区", today=TODAY, now=_at(2026, 12, 1, 9))
    board = report.board
    # A (twice), B, C, D and F; not E (March 2026) nor G (April 2027).
    assert (board.trained, board.completions, board.mixed, report.percent) == (5, 6, 1, 1.4)
    assert [(k.kind, k.people, k.any_people, k.completions) for k in board.by_kind] == [
        ("elearning", 3, 3, 3), ("in_person", 1, 2, 2), ("blended", 1, 1, 1)]
    assert report.audience_rows() == [("窓口業務等の職員", [2, 1, 0], 3), ("区民", [1, 0, 0], 1),
                                      ("相談員", [0, 0, 1], 1)]
    assert [count for _, count, _ in board.by_month] == [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]
    # The master's departments of the year in code order (the one ended in 2025 left out), with
    # the names typed differently matched; then names outside the master.
    assert [(d.name, d.people, d.staff, d.share) for d in report.departments] == [
        ("区民部 税務課", 2, 40, 5.0), ("健康部 保健予防課", 1, 20, 5.0), ("総務部 総務課", 1, None, None),
        ("（所属なし）", 1, None, None)]
    assert (report.staff_trained, report.staff_total, report.staff_share) == (3, 60, 5.0)
    # One session held this year (not the one to come, not last year's), every status counted.
    (held,) = report.sessions
    assert (held.registered, held.counted, report.planned) == (6, 3, 1)
    assert dict(held.statuses) == {"attended": 1, "late": 1, "absent": 1, "left_early": 2, None: 1}
    assert report.attendance_rate == 60.0  # 3 of the 5 whose attendance was recorded
    (summary,) = yearly_report.survey_summary(report)
    assert (summary.people, summary.efficacy, summary.efficacy_items) == (1, (2.0, 5.0, 3.0), 1)


def _pdf_text(data: bytes, tmp_path: Path) -> tuple[str, int, Image.Image]:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    return text, pages, Image.open(next(tmp_path.glob("page*.png")))


def test_page_xlsx_and_pdf_as_the_clerk_gets_them(app, client, login_as, year, tmp_path):
    app.config["FROZEN_NOW"] = _at(2026, 12, 1, 9)
    login_as("personnel", audience=None)
    html = client.get("/records/report?year=2026").get_data(as_text=True)
    assert "年次報告（2026年度）" in html and 'id="kpi-trained">5<' in html and "60.0%" in html
    assert "PDF を作成" in html and "Excel（XLSX）を作成" in html

    response, data = _file(client, 2026, "xlsx")
    assert "no-store" in response.headers["Cache-Control"]
    assert "yearly-report-2026-20261201-0900.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["年次報告"]
    cells = {(r, c): sheet.cell(r, c).value for r in range(1, sheet.max_row + 1) for c in range(1, 15)}
    rows = {cells[(r, 1)]: [cells[(r, c)] for c in range(2, 15)] for r in range(1, sheet.max_row + 1) if cells[(r, 1)]}
    assert cells[(1, 1)] == "ゲートキーパー養成 年次報告（2026年度）"
    assert rows["e-ラーニング"][:3] == [3, 3, 3] and rows["区民部 税務課"][:3] == [2, 40, 5.0]
    assert rows["合計（職員数のある所属）"][:3] == [3, 60, 5.0]
    assert rows["窓口職員向け 集合研修 6月"][:11] == [dt.datetime(2026, 6, 10), "窓口職員向けゲートキーパー講座",
                                                     "集合研修のみ", 30, 6, 1, 1, 2, 1, 1, 3]
    assert rows["人数"][:13] == [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 5]
    assert sheet.cell(7, 1).value == 5 and sheet.cell(7, 3).value == 1.4  # trained, percent of 350
    # Print-ready: A4 landscape, fit to one page wide, the title rows on every page, header and footer.
    setup = sheet.page_setup
    # fitToWidth is left out of the file when it is 1 (the format's default).
    assert (setup.orientation, setup.paperSize, setup.fitToWidth or 1, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$2"
    assert "年次報告（2026年度）" in sheet.oddHeader.left.text and "&P / &N" in sheet.oddFooter.center.text

    response, data = _file(client, 2026, "pdf")
    assert response.mimetype == "application/pdf" and data.startswith(b"%PDF")
    text, pages, image = _pdf_text(data, tmp_path)
    assert pages == 2  # the report on one page; the survey's item-by-item table on its own
    for expected in ("ゲートキーパー養成 年次報告（2026年度）", "区民部 税務課", "5.0%", "60.0%", "窓口職員向け 集合研修 6月",
                     "今後の予定 1回", "1 / 2 ページ"):
        assert expected in text, expected
    assert image.width > image.height  # landscape
    assert image.convert("L").getextrema()[0] < 100  # ink on the page, not a blank sheet
    audits = [a.detail for a in db_session_audits(app)]
    assert [d["format"] for d in audits] == ["xlsx", "pdf"] and all(d["fiscal_year"] == 2026 for d in audits)


def db_session_audits(app):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == "records.yearly_report")
                                  .order_by(AuditEntry.id)).all()


def test_an_empty_year_says_so(app, client, login_as):
    login_as("personnel", audience=None)
    html = client.get("/records/report?year=2030").get_data(as_text=True)
    assert "この年度に開催した集合研修はありません。" in html and "この年度の修了者はいません。" in html
    _response, data = _file(client, 2030, "pdf")
    assert data.startswith(b"%PDF")
    assert client.get("/records/report?year=1999").status_code == 400
    response = client.post("/records/report/file", data={"csrf_token": csrf(html), "year": "1999", "format": "pdf"},
                           follow_redirects=True)
    assert "年度（2000〜2100）と形式（PDF か XLSX）を選び直してください。" in response.get_data(as_text=True)
    assert client.post("/records/report/file", data={"year": "2026", "format": "pdf"}).status_code == 400  # no CSRF
