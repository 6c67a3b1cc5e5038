"""Forms of the in-person sessions (every one with its CSRF token)."""
from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from training.form_messages import JapaneseForm
from training.models import SESSION_MODES
from training.text_input import max_length


class SessionForm(JapaneseForm):
    title = StringField("研修名（例：窓口職員向けゲートキーパー研修 11月）",
                        validators=[DataRequired("研修名を入力してください。"), max_length(120)])
    course_id = SelectField("講座（受講区分）", choices=[], validate_choice=True)
    held_on = DateField("実施日", validators=[DataRequired("実施日を入力してください（例：2026-11-20）。")])
    starts_at = TimeField("開始時刻（日本時間）", validators=[DataRequired("開始時刻を入力してください（例：14:00）。")])
    ends_at = TimeField("終了時刻（日本時間）", validators=[DataRequired("終了時刻を入力してください（例：16:00）。")])
    venue = StringField("会場", validators=[DataRequired("会場を入力してください。"), max_length(200)])
    capacity = IntegerField("定員（任意）", validators=[Optional(), NumberRange(1, 10000, "定員は1〜10000の数で入力してください。")])
    lecturer = StringField("講師", validators=[DataRequired("講師を入力してください。"), max_length(100)])
    mode = RadioField("修了のしかた", choices=[SelectChoice(k, v) for k, v in SESSION_MODES.items()], default="in_person",
                      validators=[DataRequired("修了のしかたを選んでください。")])
    cohort_id = SelectField("クラスとのひも付け（任意）", choices=[], validate_choice=True)

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError("終了時刻は開始時刻より後にしてください。")


class FileForm(JapaneseForm):
    file = FileField("CSVファイル（UTF-8 または Shift_JIS）")


class ClassPickForm(JapaneseForm):
    cohort_id = SelectField("クラス", choices=[], validate_choice=True)


class WalkInForm(JapaneseForm):
    kind = RadioField("区分", choices=[SelectChoice("staff", "職員（職員番号あり）"), SelectChoice("resident", "区民（氏名のみ）")], default="staff")
    name = StringField("氏名", validators=[DataRequired("氏名を入力してください。"), max_length(100)])
    department = StringField("所属（職員のみ。所属マスタの名称またはコード）", validators=[max_length(100)])
    employee_no = StringField("職員番号（職員のみ）", validators=[max_length(32)])


class OwnerForm(JapaneseForm):
    login_id = StringField("担当に加える研修担当のログインID", validators=[DataRequired("ログインIDを入力してください。"),
                                                                       max_length(64)])
