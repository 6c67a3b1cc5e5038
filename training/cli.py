"""The ``training`` command: the app's Flask command group plus project commands."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from flask_migrate import upgrade

from training.database import DatabaseUnavailable
from training.extensions import db
from training.models import AUDIENCES, ROLES


def _create_app():
    from training import create_app

    return create_app()


cli = FlaskGroup(create_app=_create_app, help="ゲートキーパー養成 e-ラーニングの管理コマンド")


def main() -> None:
    """Console entry point: configuration problems are one line, not a traceback."""
    from training import ConfigurationError
    from training.content import ContentInvalid

    try:
        cli.main(prog_name="training")
    except (DatabaseUnavailable, ConfigurationError, ContentInvalid) as exc:
        click.echo(f"エラー: {exc}", err=True)
        sys.exit(1)


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database or bring it to the newest schema (Alembic migrations)."""
    upgrade()
    click.echo("データベースを最新の状態にしました。")


users_group = AppGroup("users", help="利用者の管理")


@users_group.command("create")
@click.option("--login-id", required=True)
@click.option("--password", required=True)
@click.option("--name", "display_name", required=True, help="氏名")
@click.option("--role", "roles", multiple=True, type=click.Choice(sorted(ROLES)), default=("trainee",),
              show_default=True)
@click.option("--audience", type=click.Choice(sorted(AUDIENCES)))
@click.option("--department")
@click.option("--employee-no")
@click.option("--email")
def create_user_command(login_id, password, display_name, roles, audience, department, employee_no, email):
    """Create a user."""
    from training.auth.accounts import AccountError, NewUser, create_user

    try:
        user = create_user(NewUser(login_id=login_id, display_name=display_name, password=password,
                                   roles=tuple(roles), audience=audience, department=department,
                                   employee_no=employee_no, email=email))
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"利用者 {user.login_id}（{', '.join(sorted(user.roles))}）を作成しました。")


@users_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--class", "class_name", help="登録するクラスの名前")
@click.option("--dry-run", is_flag=True, help="確認だけして、何も変更しない")
@click.option("--confirm-similar", is_flag=True,
              help="同じ氏名とメールアドレスの利用者が別の職員番号でいる行も、別の人として登録する")
@click.option("--slips", "slips_path", type=click.Path(dir_okay=False, writable=True),
              help="新しく登録した方のID通知書（PDF）をこのファイルに書き出す（パスワードは画面に出さない）")
@click.option("--site-url", help="ID通知書に載せるログインページのURL（--slips のとき必須）")
def import_users_command(file, class_name, dry_run, confirm_similar, slips_path, site_url):
    """Import a roster CSV (the same checks as the instructor's upload page).

    Run on the server by its operator, the import may change any trainee's details, but, like
    the upload page, never an account holding another role (instructor, personnel, admin).
    """
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from training.models import Cohort
    from training.teach.roster import RosterError, apply, check, parse

    cohort = None
    if class_name:
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == class_name))
        if cohort is None:
            raise click.ClickException(f"クラス「{class_name}」が見つかりません。")
    try:
        roster = check(parse(Path(file).read_bytes()), cohort)
    except RosterError as exc:
        click.echo(f"エラー: {exc}")
        sys.exit(1)
    click.echo(f"文字コード: {roster.encoding}・{len(roster.rows)}行")
    for row in roster.rows:
        who = f"{row.values.get('employee_no', '')} {row.values.get('name', '')}".strip()
        if row.errors:
            for error in row.errors:
                click.echo(f"{row.line}行目: エラー: {error}")
            continue
        click.echo(f"{row.line}行目: {row.label} {who}")
        for change in row.changes:
            click.echo(f"    {change}")
        for note in row.notes:
            click.echo(f"    {note}")
    if not roster.ok:
        click.echo(f"{len(roster.errors)}行にエラーがあるため、取り込みませんでした（1行も変更していません）。")
        sys.exit(1)
    if dry_run:
        click.echo("確認のみ（--dry-run）: 何も変更していません。")
        return
    if slips_path and not site_url:
        raise click.ClickException("--slips には --site-url（例：https://gatekeeper.example.lg.jp/login）も指定してください。")
    confirmed = {r.line for r in roster.rows} if confirm_similar else set()
    try:
        created = apply(roster, cohort, via="cli", confirmed=confirmed)
        db.session.commit()
    except RosterError as exc:
        db.session.rollback()
        click.echo(f"取り込みませんでした（1行も変更していません）: {exc}（--confirm-similar で別の人として登録できます）")
        sys.exit(1)
    except IntegrityError:
        db.session.rollback()
        click.echo("取り込みませんでした（1行も変更していません）: 同時に行われた別の取り込みと職員番号が重なりました。"
                   "もう一度 --dry-run で確認してください。")
        sys.exit(1)
    click.echo(f"{len(roster.rows)}行を取り込みました（新規 {len(created)}人）。")
    if slips_path:
        from flask import current_app

        from training.content import current_content
        from training.site_settings import load as load_settings
        from training.teach import slips

        audience = {r.line: r.values.get("audience") or None for r in roster.rows}
        with current_app.test_request_context():  # the page templates' context wants a request
            html = slips.render_html([slips.Slip(a.name, a.login_id, a.password, audience.get(a.line)) for a in created],
                                     site_url=site_url, organisation=load_settings().organisation_name,
                                     class_name=cohort.name if cohort else "", contacts=current_content().contacts)
        Path(slips_path).write_bytes(slips.render_pdf(html))
        click.echo(f"ID通知書（{len(created)}人分）を {slips_path} に書き出しました。パスワードは画面に表示していません。"
                   "印刷したらファイルを削除してください。")
        return
    for account in created:
        click.echo(f"  初回ログイン用パスワード {account.login_id} {account.name}: {account.password}")


@click.command("demo")
@with_appcontext
@click.option("--password", help="デモアカウント共通のパスワード（省略時は生成して表示）")
def demo_command(password):
    """Create the demo accounts (one per role and audience) and a demo class."""
    from training.auth.passwords import password_problem
    from training.demo import create_demo

    # The demo accounts include an administrator: a chosen password meets the same rules.
    problem = password_problem(password) if password else None
    if problem:
        raise click.ClickException(problem)
    password, logins = create_demo(password)
    click.echo("デモアカウント（パスワードはすべて共通）:")
    for login_id, label in logins:
        click.echo(f"  {login_id:<16} {label}")
    click.echo(f"  パスワード: {password}")


content_group = click.Group("content", help="コース内容（modules/・quizzes/）の確認と書き出し")


def _default_content_root() -> str:
    import os
    from pathlib import Path

    return os.environ.get("CONTENT_ROOT") or str(Path(__file__).resolve().parent.parent)


@content_group.command("check")
@click.argument("path", required=False, type=click.Path(file_okay=False))
def content_check_command(path):
    """Check every content file; print file:line: key.path: message for each problem."""
    from training.content import load_content

    root = Path(path or _default_content_root())
    content, issues = load_content(root)
    if issues:
        for issue in issues:
            click.echo(str(issue))
        click.echo(f"{len(issues)} 件の問題があります。", err=True)
        sys.exit(1)
    scenarios = sum(1 for q in content.quizzes if q.kind == "scenario")
    click.echo(
        f"問題はありません: コース {len(content.courses)}・モジュール {len(content.modules)}・"
        f"確認クイズ {len(content.quizzes) - scenarios}・シナリオ {scenarios}・"
        f"つなぎ先 {len(content.directory)}・相談先 {len(content.contacts.contacts)}"
        f"（版 {content.version}）"
    )


def _ward_edits(content):
    """The effective contacts and directory from the configured database, or None without one.

    No database configured (a SQLite file that does not exist), none reachable, or one without
    the tables: None, and the export is the files' content as before.
    """
    import os

    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from training import PROJECT_ROOT, contact_edits
    from training.config import load_settings

    instance = os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    url = load_settings(instance)["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        return None
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            return contact_edits.read(session, content)
    except SQLAlchemyError:
        click.echo("データベースを読めないため、相談先とつなぎ先はファイルの内容のまま書き出します。", err=True)
        return None
    finally:
        engine.dispose()


@content_group.command("export")
@click.option("--json", "as_json", is_flag=True, required=True, help="JSON で書き出す")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="書き出し先（省略時は標準出力）")
@click.option("--files-only", is_flag=True, help="区が画面で変更した相談先・つなぎ先を重ねず、ファイルの内容だけを書き出す")
@click.argument("path", required=False, type=click.Path(file_okay=False))
def content_export_command(as_json, output, files_only, path):
    """Write the whole parsed content as JSON (see docs/content-authoring.md).

    With a database (DATABASE_URL, or the instance's SQLite file), the contacts and the directory
    are the effective ones: the files with the ward's edits over them, with each contact's last
    verification. ``--files-only`` leaves the database out.
    """
    import json

    from training.content import ContentInvalid, load_checked
    from training.content.export import to_json

    try:
        content = load_checked(Path(path or _default_content_root()))  # parsed once per process
    except ContentInvalid as invalid:
        for issue in invalid.issues:
            click.echo(str(issue), err=True)
        click.echo(f"{len(invalid.issues)} 件の問題があるため書き出せません。", err=True)
        sys.exit(1)
    ward = None if files_only else _ward_edits(content)
    data = to_json(ward.content(content) if ward else content)
    if ward:
        data["ward_edits"] = ward_export(ward)
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


def ward_export(ward) -> dict:
    """What the database adds to the export: every contact's state and last verification."""
    return {"contacts": [{
        "id": line.contact.id, "added_by_ward": line.base is None, "hidden": line.hidden,
        "edited_fields": list(line.edited),
        "verification": None if line.verification is None else {
            "at": line.verification.at.isoformat(), "by": line.verification.by,
            "source_url": line.verification.source_url, "note": line.verification.note},
    } for line in ward.lines], "directory_edited": sorted(ward.directory_edited)}


export_group = AppGroup("export", help="修了記録の出力")


@export_group.command("completions")
@click.option("--fiscal-year", type=int, help="年度（西暦。4月〜翌年3月）")
@click.option("--from", "date_from", help="修了日（から）YYYY-MM-DD")
@click.option("--to", "date_to", help="修了日（まで）YYYY-MM-DD")
@click.option("--department", default="")
@click.option("--department-as", "department_as", type=click.Choice(["completion", "today"]), default="completion",
              show_default=True, help="所属・受講区分: 修了した時点 (completion) か現在 (today) か")
@click.option("--audience", default="")
@click.option("--course", "course_id", default="")
@click.option("--kind", default="", help="研修の形式: elearning（e-ラーニング）・in_person（集合研修）・blended（集合研修＋e-ラーニング）")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--encoding", type=click.Choice(["utf-8-sig", "cp932"]), default="utf-8-sig", show_default=True)
@click.option("--replace", is_flag=True, help="cp932 で書けない文字を〓に置き換える")
@click.option("--output", required=True, type=click.Path(dir_okay=False))
def export_completions_command(fiscal_year, date_from, date_to, department, department_as, audience, course_id,
                               kind, fmt, encoding, replace, output):
    """Export completion records (the same code as the personnel page)."""
    from training import audit
    from training.content import current_content
    from training.dates import today_jst
    from training.records import export
    from training.records.routes import filters_from

    form = {"fiscal_year": str(fiscal_year or ""), "date_from": date_from, "date_to": date_to,
            "department": department, "audience": audience, "course_id": course_id, "department_as": department_as,
            "kind": kind}
    try:
        filters = filters_from(form)
    except export.FilterError as exc:
        raise click.ClickException(str(exc)) from None
    content, today = current_content(), today_jst()
    if fmt == "csv" and encoding == "cp932" and not replace:
        problems = export.cp932_problems(export.text_rows(filters, content, today))
        if problems:
            for p in problems:
                who = f"{p.name}（職員番号 {p.employee_no}）" if p.employee_no else f"{p.name}（職員番号なし）"
                click.echo(f"{p.line}行目 {who} {p.column}: 「{p.chars}」は cp932 で書けません", err=True)
            raise click.ClickException("--replace で〓に置き換えるか、utf-8-sig か xlsx で出力してください。")
    if export.count(filters, today) == 0:
        # No file with only a header: say so, and leave any file at the path as it was.
        raise click.ClickException("条件に合う修了記録はありません。ファイルは作っていません。条件を見直してください。")
    counter = {"rows": 0}

    def counted(rows):
        for row in rows:
            counter["rows"] += 1
            yield row

    with open(output, "wb") as target:
        if fmt == "xlsx":
            export.write_xlsx(counted(export.rows(filters, content, today)), target,
                              heading=f"修了記録（{filters.describe(content)}）")
        else:
            for chunk in export.stream_csv(counted(export.text_rows(filters, content, today)), encoding):
                target.write(chunk)
    count = counter["rows"]
    audit.record("records.export", format=fmt if fmt == "xlsx" else f"csv-{encoding}", rows=count, via="cli",
                 filters={k: v for k, v in form.items() if v})
    db.session.commit()
    click.echo(f"{count}件を {output} に書き出しました。")


@click.command("retention")
@with_appcontext
@click.option("--years", type=int, help="保存年数（省略時は設定の値）")
@click.option("--dry-run", is_flag=True, help="対象の人数を表示するだけで、何も変更しない")
def retention_command(years, dry_run):
    """Remove trainees' personal data after the retention period (anonymous counts stay)."""
    from training.models import utcnow
    from training.records import retention
    from training.site_settings import load as load_settings

    years = years if years is not None else load_settings().retention_years
    if not years:
        click.echo("保存年数が設定されていません（設定の「個人情報の保存年数」または --years）。何もしません。")
        return
    users = retention.due_for_erasure(years, utcnow())
    if dry_run:
        click.echo(f"{years}年を過ぎた受講者 {len(users)}人が対象です（--dry-run: 変更していません）。")
        return
    count = retention.erase(users)
    db.session.commit()
    click.echo(f"{count}人の個人情報を削除しました（修了の件数は匿名で残しています）。")


@click.command("worker")
@with_appcontext
@click.option("--threads", type=int, help="同時に動かす処理の数（省略時は JOB_WORKER_THREADS、既定 2）")
def worker_command(threads):
    """Run the background jobs (Huey's consumer, in this process, with a few threads).

    At start-up and then every JOB_STALE_SECONDS / 2, the jobs of a worker that died (its
    heartbeat stale) are queued again; Huey's periodic task erases expired files every hour.
    """
    import logging
    import threading

    from flask import current_app

    from training.jobs import runner
    from training.jobs.queue import describe, get_huey

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # a line per step of every certificate
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    app = current_app._get_current_object()
    threads = threads or app.config["JOB_WORKER_THREADS"]
    if threads < 1:
        raise click.ClickException("--threads は1以上にしてください。")
    huey = get_huey(app)
    interval = max(0.5, float(app.config["JOB_STALE_SECONDS"]) / 2)

    def watchdog():
        while True:
            try:
                with app.app_context():
                    runner.recover_stale(app)
            except Exception:  # noqa: BLE001 - the next round tries again (database restarting…)
                logging.getLogger("training.jobs").exception("checking for stopped jobs failed")
            stop.wait(interval)
            if stop.is_set():
                return

    stop = threading.Event()
    threading.Thread(target=watchdog, name="job-watchdog", daemon=True).start()
    click.echo(f"ワーカーを起動しました: キュー {describe(app)}・同時 {threads} 件（Ctrl+C で終了）")
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=True, initial_delay=0.1,
                                    backoff=1.15, max_delay=1.0)
    try:
        consumer.run()
    finally:
        stop.set()


jobs_group = AppGroup("jobs", help="時間のかかる処理（修了証のZIPなど）の管理")


@jobs_group.command("purge")
def jobs_purge_command():
    """Erase job files past their keeping time (JOB_FILE_DAYS); for cron, besides the worker's own hourly run."""
    from flask import current_app

    from training.jobs import runner

    count = runner.purge_expired(current_app._get_current_object())
    click.echo(f"保存期間を過ぎたファイルを {count} 件削除しました。")


# Content commands work without the app (which refuses to start on invalid content).
cli.add_command(content_group)


def register_commands(app: Flask) -> None:
    """Attach the project commands to ``app.cli`` (and so to ``training``)."""
    for command in (init_db_command, users_group, demo_command, export_group, retention_command,
                    worker_command, jobs_group):
        app.cli.add_command(command)
