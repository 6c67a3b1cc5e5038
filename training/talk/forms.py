"""Forms of the request to talk: the trainee's confirmation and the staff's follow-up."""
from __future__ import annotations

from wtforms import DateField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Optional, ValidationError

from training.dates import today_jst
from training.form_messages import JapaneseForm
from training.talk.requests import NOTE_MAX
from training.text_input import max_length


class AskForm(JapaneseForm):
    """Only the class the consent text named; no free text (the staff see name, class and time only)."""

    cohort_id = HiddenField()


class FollowUpForm(JapaneseForm):
    followed_up_on = DateField("対応した日", validators=[DataRequired("対応した日を入力してください。")])
    note = TextAreaField(f"メモ（任意、{NOTE_MAX}字まで）", validators=[Optional(), max_length(NOTE_MAX)])

    def validate_followed_up_on(self, field):
        if field.data and field.data > today_jst():
            raise ValidationError("対応した日に、今日より後の日付は入れられません。")
