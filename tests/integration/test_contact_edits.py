"""Help contacts and directory entries the ward edits and verifies in the app (issue 15).

The content files stay the default; the ward's edits sit on top (training/contact_edits.py).
"""
import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import AuthActions
from training import create_app
from training.cli import cli
from training.contact_edits import contact_values
from training.dates import JST
from training.extensions import db
from training.models import AuditEntry, ContactEdit, ContactRevision, ContactVerification

NEW_NUMBER = "0120-111-222"


def form_data(app, contact_id: str, token: str, **changes) -> dict:
    """The edit form as the page sends it: the line's current values with ``changes``."""
    contact = next(c for c in app.extensions["content"].contacts.contacts if c.id == contact_id)
    index = app.extensions["content"].contacts.contacts.index(contact)
    values = {**contact_values(contact), "order": (index + 1) * 10}
    data = {k: v for k, v in values.items() if k not in ("hours_open", "hours_closed", "audiences")}
    data.update(hours_open="\n".join(values["hours_open"]), hours_closed="\n".join(values["hours_closed"]),
                audiences=values["audiences"], csrf_token=token, action="save")
    data.update(changes)
    return data


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def freeze(app):
    def set_clock(day: dt.date, hour: int = 10):
        app.config["FROZEN_NOW"] = dt.datetime.combine(day, dt.time(hour), JST)
    yield set_clock
    app.config.pop("FROZEN_NOW", None)


def test_admin_changes_a_number_with_preview_history_audit_and_export(app, client, login_as,
                                                                       create_user_factory, database_url):
    admin_id, _ = login_as("admin", display_name="区 管理者")
    edit = "/admin/contacts/yorisoi"
    token = token_of(client.get(edit).get_data(as_text=True))

    preview = client.post(edit, data=form_data(app, "yorisoi", token, number=NEW_NUMBER, action="preview"))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "プレビュー（まだ保存していません）" in html
    assert f'<a href="tel:0120111222">{NEW_NUMBER}</a>' in html.split('class="preview"', 1)[1]
    assert count(app, ContactEdit) == 0 and count(app, ContactRevision) == 0  # a preview saves nothing

    saved = client.post(edit, data=form_data(app, "yorisoi", token, number=NEW_NUMBER))
    assert saved.status_code == 302
    with app.app_context():
        revision = db.session.scalar(select(ContactRevision))
        assert revision.changes == {"number": ["0120-279-338", NEW_NUMBER]} and revision.actor_id == admin_id
        assert db.session.scalar(select(ContactEdit)).fields == {"number": NEW_NUMBER}  # only what changed
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contact.update"))
        assert entry.target_id == "yorisoi" and entry.actor_id == admin_id

    history = client.get(edit + "/history").get_data(as_text=True)
    assert "0120-279-338 → 0120-111-222" in history and "区 管理者" in history

    trainee = app.test_client()
    _uid, login_id = create_user_factory("trainee", audience="residents")
    AuthActions(trainee).login(login_id)
    for path in ("/", "/help"):
        page = trainee.get(path).get_data(as_text=True)
        assert NEW_NUMBER in page and "0120-279-338" not in page, path

    result = CliRunner().invoke(cli, ["content", "export", "--json"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    yorisoi = next(c for c in data["contacts"]["contacts"] if c["id"] == "yorisoi")
    assert yorisoi["number"] == NEW_NUMBER and "verified_on" not in yorisoi
    state = next(c for c in data["ward_edits"]["contacts"] if c["id"] == "yorisoi")
    assert state["edited_fields"] == ["number"] and state["verification"] is None
    files = CliRunner().invoke(cli, ["content", "export", "--json", "--files-only"], env={"DATABASE_URL": database_url})
    assert "0120-279-338" in files.stdout and "ward_edits" not in files.stdout


def test_verification_shows_the_date_and_the_warning_follows_the_checks(app, client, login_as, freeze):
    admin_id, _ = login_as("admin", display_name="区 管理者")
    freeze(dt.date(2026, 12, 3))  # not today: the date can only come from the app's clock
    warning = "相談先の確認へ"
    assert warning in client.get("/admin/users").get_data(as_text=True)
    assert "未確認" in client.get("/admin/contacts").get_data(as_text=True)
    ids = [c.id for c in app.extensions["content"].contacts.contacts]
    token = token_of(client.get("/admin/contacts/yorisoi").get_data(as_text=True))
    for contact_id in ids:
        response = client.post(f"/admin/contacts/{contact_id}/verify",
                               data={"csrf_token": token, "source_url": "https://www.since2011.net/yorisoi/",
                                     "note": "番号を確認"})
        assert response.status_code == 302
    with app.app_context():
        check = db.session.scalar(select(ContactVerification).where(ContactVerification.contact_id == "yorisoi"))
        assert (check.actor_id, check.source_url, check.note) == (admin_id, "https://www.since2011.net/yorisoi/", "番号を確認")
        assert check.at == dt.datetime(2026, 12, 3, 10, tzinfo=JST)  # when: the app's clock
        assert check.snapshot["number"] == "0120-279-338"
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "contact.verify")) == len(ids)
    for path in ("/admin/users", "/admin/audit", "/admin/contacts", "/admin/settings"):
        assert warning not in client.get(path).get_data(as_text=True), path
    assert "確認済み" in client.get("/admin/contacts").get_data(as_text=True)
    history = client.get("/admin/contacts/yorisoi/history").get_data(as_text=True)
    assert "確認しました" in history and "https://www.since2011.net/yorisoi/" in history and "区 管理者" in history
    assert "確認したときの内容：0120-279-338・受付 24時間" in history

    visitor = app.test_client()
    page = visitor.get("/help").get_data(as_text=True)
    assert "区が確認：2026年12月3日" in page
    assert "区が確認：2026年12月3日" in page.split('class="help-panel"', 1)[1]  # the panel on every page too

    freeze(dt.date(2027, 12, 4))  # more than 12 months after the check
    assert warning in client.get("/admin/users").get_data(as_text=True)
    assert "要再確認" in client.get("/admin/contacts").get_data(as_text=True)


def test_bad_input_names_each_field_and_saves_nothing(app, client, login_as):
    login_as("admin")
    edit = "/admin/contacts/inochi-denwa-free"
    token = token_of(client.get(edit).get_data(as_text=True))
    response = client.post(edit, data=form_data(
        app, "inochi-denwa-free", token, number="0120-abc", hours_open="毎日 16:00-21:00\n毎日 16時-21時",
        hours_closed="13/1", source_url="javascript:alert(1)", audiences=["martians"], order="十"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "保存していません" in html
    assert "受付時間（open）の2行目「毎日 16時-21時」" in html
    assert "休みの日（closed）の1行目「13/1」: ない日付です" in html
    assert "電話番号は半角数字とハイフンで入力してください" in html
    assert "http:// または https:// で始まるアドレスを入力してください。" in html
    assert "選択肢の中から選んでください。" in html and "半角数字で入力してください。" in html
    line = client.post("/admin/contacts/hotline-line", data=form_data(
        app, "hotline-line", token, number="0120-000-000", url=""))
    line_html = line.get_data(as_text=True)
    assert "番号ではなくリンクで案内します" in line_html and "運営元のページのリンクが必要です" in line_html
    assert count(app, ContactEdit) == 0 and count(app, ContactRevision) == 0
    with app.app_context():
        assert not db.session.scalar(select(func.count()).where(AuditEntry.action.like("contact.%")))

    no_token = client.post(edit, data={k: v for k, v in form_data(app, "inochi-denwa-free", "").items()
                                       if k != "csrf_token"})
    assert no_token.status_code == 400
    assert client.post("/admin/contacts/yorisoi/verify", data={"source_url": "https://example.org/"}).status_code == 400
    assert count(app, ContactEdit) == 0 and count(app, ContactVerification) == 0


def test_directory_entry_edit_history_audit_and_bad_phone(app, client, login_as):
    login_as("admin", display_name="区 管理者")
    edit = "/admin/directory/renkei-suishin-tanto"
    html = client.get(edit).get_data(as_text=True)
    token = token_of(html)
    entry = next(e for e in app.extensions["content"].directory if e.id == "renkei-suishin-tanto")
    data = {"csrf_token": token, "name": entry.name, "department": entry.department,
            "description": entry.description, "phone": "03-3993-1111", "address": "", "hours": "平日 8時30分〜17時15分",
            "concerns": list(entry.concerns), "audiences": "\n".join(entry.audiences), "action": "save"}
    bad = client.post(edit, data={**data, "phone": "03 3993 1111"})
    assert "電話番号は半角数字とハイフンで入力してください" in bad.get_data(as_text=True)
    assert count(app, ContactRevision) == 0
    assert client.post(edit, data=data).status_code == 302
    with app.app_context():
        revision = db.session.scalar(select(ContactRevision))
        assert (revision.kind, revision.changes["phone"]) == ("directory", ["", "03-3993-1111"])
        assert set(revision.changes) == {"phone", "hours"}
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "directory.update")).target_id == entry.id
    assert "03-3993-1111" in client.get("/admin/directory?q=連携推進").get_data(as_text=True)
    history = client.get(edit + "/history").get_data(as_text=True)
    assert "（空欄） → 03-3993-1111" in history and "区 管理者" in history


def test_another_worker_sees_the_edit_at_its_next_check(app, client, login_as, app_config):
    """Two apps on one database stand for two gunicorn workers: no restart, no stale number."""
    other = create_app({**app_config, "CONTACTS_RECHECK_SECONDS": 0})
    reader = other.test_client()
    assert "0120-279-338" in reader.get("/help").get_data(as_text=True)  # its cache is warm now
    login_as("admin")
    token = token_of(client.get("/admin/contacts/yorisoi").get_data(as_text=True))
    assert client.post("/admin/contacts/yorisoi", data=form_data(
        app, "yorisoi", token, number=NEW_NUMBER, hidden="")).status_code == 302
    assert NEW_NUMBER in reader.get("/help").get_data(as_text=True)
    assert client.post("/admin/contacts/yorisoi", data=form_data(
        app, "yorisoi", token, number=NEW_NUMBER, hidden="y")).status_code == 302
    page = reader.get("/help").get_data(as_text=True)
    assert "よりそいホットライン" not in page  # hidden: shown nowhere, history kept
    assert "よりそいホットライン" in client.get("/admin/contacts").get_data(as_text=True)
    with other.app_context():
        db.engine.dispose()
