"""Completion records: read every export back and compare with the database."""
import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from tests.support.learner import csrf
from training.content import load_checked
from training.dates import JST
from training.demo import simulate_learning
from training.extensions import db
from training.models import AuditEntry, CourseCompletion, User
from training.records.export import HEADER

CONTENT = load_checked(Path(__file__).resolve().parents[2])
COURSE = CONTENT.course("counter-staff")


@pytest.fixture
def people(app, create_user_factory):
    """Three completions: 31 March and 1 April (JST) 2026, and one with a name outside CP932."""
    specs = [("000123", "光が丘 健", "税務課", dt.datetime(2026, 3, 31, 23, 30, tzinfo=JST)),
             ("000124", "=石神井 花子", "+収納課", dt.datetime(2026, 4, 1, 0, 10, tzinfo=JST)),
             ("000125", "𠮷田 髙﨑", "@国保年金課", dt.datetime(2026, 11, 20, 10, 0, tzinfo=JST))]
    ids = []
    for number, name, department, when in specs:
        uid, _login = create_user_factory("trainee", audience="counter_staff", display_name=name,
                                          employee_no=number, department=department)
        with app.test_request_context():
            simulate_learning(db.session.get(User, uid), COURSE, CONTENT)
            completion = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == uid))
            completion.completed_at = when
            db.session.commit()
        ids.append(uid)
    return ids


def _download(client, **form):
    page = client.get("/records/export").get_data(as_text=True)
    return client.post("/records/export", data={"csrf_token": csrf(page), **form})


def test_csv_for_excel_reads_back(app, client, login_as, people):
    login_as("personnel", audience=None)
    response = _download(client, fiscal_year="2026", format="csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert [r[0] for r in rows[1:]] == ["000124", "000125"]  # 31 March belongs to 2025年度
    first = dict(zip(HEADER, rows[1]))
    assert first["氏名"] == "'=石神井 花子" and first["所属"] == "'+収納課"
    assert first["修了日"] == "2026-04-01" and first["修了日(和暦)"] == "令和8年4月1日"
    assert first["コース"] == COURSE.title and first["状態"] == "有効" and first["得点"] == "100"
    assert first["研修の形式"] == "e-ラーニング"
    assert dict(zip(HEADER, rows[2]))["氏名"] == "𠮷田 髙﨑"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "records.export"))
        assert entry.detail["rows"] == 2 and entry.detail["filters"]["fiscal_year"] == "2026"


def test_previous_fiscal_year_holds_31_march(client, login_as, people):
    login_as("personnel", audience=None)
    rows = list(csv.reader(io.StringIO(_download(client, fiscal_year="2025", format="csv").data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["000123"]


def test_cp932_lists_unwritable_characters_then_replaces_on_request(client, login_as, people):
    login_as("personnel", audience=None)
    first = _download(client, fiscal_year="2026", format="csv_cp932")
    html = first.get_data(as_text=True)
    assert "書けない文字があります" in html and "3行目" in html and "𠮷" in html
    page = client.get("/records/export").get_data(as_text=True)
    response = client.post("/records/export", data={"csrf_token": csrf(page), "fiscal_year": "2026",
                                                     "format": "csv_cp932", "replace": "1"})
    rows = list(csv.reader(io.StringIO(response.data.decode("cp932"))))
    assert rows[0] == HEADER and rows[2][1] == "〓田 髙﨑"


def test_xlsx_is_typed_with_a_frozen_filtered_header(client, login_as, people):
    login_as("admin", audience=None)
    response = _download(client, fiscal_year="2026", format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:L3"
    assert sheet["A2"].value == "000124" and sheet["A2"].data_type == "s"
    assert sheet["G2"].value == "e-ラーニング"
    assert sheet["H2"].value == dt.datetime(2026, 4, 1) and sheet["J2"].value == 100
    assert sheet["B2"].value == "'=石神井 花子" and sheet["D3"].value == "'@国保年金課"
    assert sheet["A1"].font.bold
    # Print-ready: A4 landscape, one page wide, the header row on every page, the filters on top.
    assert (sheet.page_setup.orientation, sheet.page_setup.paperSize) == ("landscape", 9)
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0  # OOXML's default width is 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"
    assert sheet.oddHeader.center.text == "修了記録（2026年度・所属は修了した時点）"
    assert sheet.oddFooter.center.text == "&P / &N ページ"


@pytest.mark.parametrize(("form", "message"), [
    ({"fiscal_year": "令和8"}, "西暦の数字"),
    ({"fiscal_year": "1999"}, "2000〜2100"),
    ({"date_from": "2026-12-01", "date_to": "2026-04-01"}, "開始日が終了日より後"),
    ({"date_from": "2026/04/01"}, "YYYY-MM-DD"),
])
def test_filters_that_make_no_sense(client, login_as, form, message):
    login_as("personnel", audience=None)
    response = _download(client, format="csv", **form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_department_filter_and_trainee_cannot_export(app, client, login_as, people, create_user_factory):
    login_as("personnel", audience=None)
    rows = list(csv.reader(io.StringIO(_download(client, department="税務課", format="csv").data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["000123"]
    from tests.conftest import AuthActions

    trainee = app.test_client()
    AuthActions(trainee).login(create_user_factory("trainee")[1])
    assert trainee.get("/records/export").status_code == 403


def test_cli_export(app, runner, tmp_path, people):
    """In-process through Click (app.test_cli_runner): the command's own code, without paying a
    process start per run; starting `training` from the shell is tested in test_cli.py."""
    out = tmp_path / "fy2026.csv"
    run = lambda *a: runner.invoke(args=["export", "completions", *a])  # noqa: E731
    result = run("--fiscal-year", "2026", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    assert "2件" in result.stdout
    assert [r[0] for r in csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig")))][1:] == ["000124", "000125"]
    refused = run("--fiscal-year", "2026", "--encoding", "cp932", "--output", str(tmp_path / "x.csv"))
    assert refused.exit_code != 0 and "𠮷" in refused.stderr
    xlsx = tmp_path / "fy2026.xlsx"
    assert run("--fiscal-year", "2026", "--format", "xlsx", "--output", str(xlsx)).exit_code == 0
    assert openpyxl.load_workbook(xlsx).active.max_row == 3
