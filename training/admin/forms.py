"""Administrator forms for users."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from training.auth.employee_numbers import employee_no_problem
from training.email_addresses import EmailAddress
from training.form_messages import JapaneseForm
from training.models import AUDIENCES, ROLES
from training.text_input import max_length


def valid_employee_no(_form, field) -> None:
    """The roster's rule for 職員番号 (no sign, no spaces, ASCII), as a field error."""
    problem = employee_no_problem((field.data or "").strip()) if (field.data or "").strip() else None
    if problem:
        raise ValidationError(problem + "。")


LOGIN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]*$"


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes (one per choice), accessible as a fieldset."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(labels: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _audience_choices() -> list[SelectChoice]:
    return [SelectChoice("", "（なし）")] + _choices(AUDIENCES)


class UserProfileFields(JapaneseForm):
    display_name = StringField("氏名", validators=[DataRequired("氏名を入力してください。"), max_length(100)])
    name_kana = StringField("ふりがな", validators=[Optional(), max_length(100)])
    email = StringField("メールアドレス（任意）",
                        validators=[Optional(), EmailAddress(), max_length(254)])
    roles = MultiCheckboxField("役割", choices=_choices(ROLES),
                               validators=[DataRequired("役割を1つ以上選んでください。")])
    audience = SelectField("受講区分", choices=_audience_choices(), validate_choice=True)
    department = StringField("所属", validators=[Optional(), max_length(100)])
    employee_no = StringField("職員番号", validators=[Optional(), max_length(32), valid_employee_no])


class UserCreateForm(UserProfileFields):
    login_id = StringField(
        "ログインID",
        validators=[DataRequired("ログインIDを入力してください。"), max_length(64),
                    Regexp(LOGIN_ID_PATTERN, message="ログインIDは半角英数字と . _ @ - で入力してください。")],
    )
    password = PasswordField("初期パスワード（10文字以上。初回ログイン時に変更を求めます）",
                             validators=[DataRequired("初期パスワードを入力してください。"), max_length(256)])


class UserEditForm(UserProfileFields):
    pass


class PasswordResetForm(JapaneseForm):
    password = PasswordField("新しい仮パスワード（10文字以上）",
                             validators=[DataRequired("仮パスワードを入力してください。"), max_length(256)])


class ConfirmForm(JapaneseForm):
    """An empty form: a button that carries the CSRF token."""


class SiteSettingsForm(JapaneseForm):
    organisation_name = StringField("団体名（ヘッダーと修了証に表示）",
                                    validators=[DataRequired("団体名を入力してください。"), max_length(60)])
    issuer_title = StringField("修了証の発行者の職名（例：練馬区長）",
                               validators=[DataRequired("発行者の職名を入力してください。"), max_length(60)])
    issuer_name = StringField("発行者の氏名（任意）", validators=[Optional(), max_length(60)])
    date_style = SelectField("修了証の日付の書き方", choices=[], validate_choice=True)
    yearly_target = IntegerField("年間のゲートキーパー養成目標（人。計画では350人）",
                                 validators=[DataRequired("目標人数を入力してください。"),
                                             NumberRange(1, 100000, "1以上の人数を入力してください。")])
    retention_years = IntegerField("受講者の個人情報の保存年数（0は期限なし。「個人情報の削除（保存期間）」のページか `training retention` で削除）",
                                   validators=[Optional(), NumberRange(0, 50, "0〜50年で入力してください。")])
    seal = FileField("公印の画像（PNG または JPEG、300KB まで。任意）")
    remove_seal = BooleanField("公印の画像を削除する")
