"""Forms of the department master pages (training/admin/department_routes.py)."""
from __future__ import annotations

from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from training.form_messages import JapaneseForm
from training.models import REORG_KINDS
from training.text_input import max_length

_YEAR = [Optional(), NumberRange(2000, 2100, "年度は2000〜2100の西暦で入力してください。")]


class DepartmentForm(JapaneseForm):
    code = StringField("コード（例：1203）", validators=[DataRequired("コードを入力してください。"), max_length(32)])
    name = StringField("名称（部と課を空白で区切る。例：区民部 収納課）",
                       validators=[DataRequired("名称を入力してください。"), max_length(100)])
    valid_from_fy = IntegerField("有効期間の開始年度（任意・西暦）", validators=_YEAR)
    valid_to_fy = IntegerField("有効期間の終了年度（任意・西暦）", validators=_YEAR)
    staff_count = IntegerField("職員数（任意）",
                               validators=[Optional(), NumberRange(0, 100000, "0以上の人数を入力してください。")])


class ReorganiseForm(JapaneseForm):
    kind = SelectField("種類", choices=[SelectChoice(k, v) for k, v in REORG_KINDS.items()], validate_choice=True)
    old = SelectMultipleField("旧所属（統合は2つ以上）", coerce=int,
                              validators=[DataRequired("旧所属を選んでください。")])
    new = SelectMultipleField("新所属（分割は2つ以上。先に「所属の追加」で登録してください）", coerce=int,
                              validators=[DataRequired("新所属を選んでください。")])
    from_fy = IntegerField("改正する年度（西暦。この年度の4月から新所属）",
                           validators=[DataRequired("年度を入力してください。"),
                                       NumberRange(2000, 2100, "年度は2000〜2100の西暦で入力してください。")])


class MapForm(JapaneseForm):
    text = HiddenField(validators=[DataRequired()])
    department_id = SelectField("対応する所属", coerce=int, validate_choice=True)
