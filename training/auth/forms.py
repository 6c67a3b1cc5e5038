"""Sign-in and password forms."""
from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from training.form_messages import JapaneseForm
from training.text_input import max_length


class LoginForm(JapaneseForm):
    login_id = StringField("ログインID", validators=[DataRequired("ログインIDを入力してください。"), max_length(64)])
    password = PasswordField("パスワード", validators=[DataRequired("パスワードを入力してください。"), max_length(256)])


class PasswordChangeForm(JapaneseForm):
    current = PasswordField("現在のパスワード", validators=[DataRequired("現在のパスワードを入力してください。"),
                                                    max_length(256)])
    new = PasswordField(
        "新しいパスワード（10文字以上）",
        validators=[DataRequired("新しいパスワードを入力してください。"), max_length(256)],
    )
    confirm = PasswordField(
        "新しいパスワード（確認）",
        validators=[DataRequired("確認のためもう一度入力してください。"),
                    EqualTo("new", "確認用のパスワードが一致しません。")],
    )
