"""The ``training`` command: the app's Flask command group plus project commands."""
from __future__ import annotations

import sys

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
    from training.content.contacts import ContentError

    try:
        cli.main(prog_name="training")
    except (DatabaseUnavailable, ConfigurationError, ContentError) as exc:
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


@click.command("demo")
@with_appcontext
@click.option("--password", help="デモアカウント共通のパスワード（省略時は生成して表示）")
def demo_command(password):
    """Create the demo accounts (one per role and audience) and a demo class."""
    from training.demo import create_demo

    password, logins = create_demo(password)
    click.echo("デモアカウント（パスワードはすべて共通）:")
    for login_id, label in logins:
        click.echo(f"  {login_id:<16} {label}")
    click.echo(f"  パスワード: {password}")


def register_commands(app: Flask) -> None:
    """Attach the project commands to ``app.cli`` (and so to ``training``)."""
    for command in (init_db_command, users_group, demo_command):
        app.cli.add_command(command)
