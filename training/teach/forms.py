"""Instructor forms."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from training.form_messages import JapaneseForm
from training.text_input import max_length


class ClassForm(JapaneseForm):
    name = StringField("クラス名（例：令和8年度 窓口職員向け 11月）",
                       validators=[DataRequired("クラス名を入力してください。"), max_length(120)])
    audience = SelectField("受講区分", choices=[], validate_choice=True)
    fiscal_year = IntegerField("年度（西暦。4月〜翌年3月）",
                               validators=[DataRequired("年度を入力してください。"),
                                           NumberRange(2000, 2100, "2000〜2100の年度を入力してください。")])
    starts_on = DateField("開始日（任意）", validators=[Optional()])
    due_on = DateField("受講期限（任意）", validators=[Optional()])
    join_enabled = BooleanField("参加コードでの自己登録を受け付ける")

    def validate_due_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError("受講期限は開始日より後の日付にしてください。")


class RosterForm(JapaneseForm):
    file = FileField("名簿ファイル（CSV。UTF-8 または Shift_JIS）")


class OwnerForm(JapaneseForm):
    login_id = StringField("追加する研修担当のログインID", validators=[DataRequired("ログインIDを入力してください。"),
                                                                 max_length(64)])


class JoinForm(JapaneseForm):
    code = StringField("参加コード（例：ABCD-EFGH）", validators=[DataRequired("参加コードを入力してください。"),
                                                               max_length(20)])
