"""Forms for the ward's edits of help-now contacts and directory entries (training/contact_edits.py)."""
from __future__ import annotations

from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from training import contact_edits
from training.admin.forms import MultiCheckboxField
from training.content.model import CONCERNS
from training.form_messages import JapaneseForm
from training.text_input import max_length


def _lines(text: str | None) -> list[str]:
    """One rule per line; blank lines and surrounding spaces do not count."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ContactForm(JapaneseForm):
    name = StringField("名前", validators=[DataRequired("名前を入力してください。"), max_length(100)])
    kind = SelectField("種類", choices=[SelectChoice(k, v) for k, v in contact_edits.KIND_LABELS.items()],
                       validate_choice=True)
    number = StringField("電話番号（電話の窓口。半角数字とハイフン）", validators=[Optional(), max_length(20)])
    url = StringField("リンク（LINE・チャットの窓口：運営元のページ）", validators=[Optional(), max_length(500)])
    hours_text = StringField("受付時間（表示する文）", validators=[Optional(), max_length(200)])
    hours_open = TextAreaField("受付時間（1行に1つ。例：毎日 16:00-21:00、平日 09:00-17:00、毎月10日 08:00-翌08:00、24時間）",
                               validators=[Optional(), max_length(1000)])
    hours_closed = TextAreaField("休みの日（1行に1つ。例：12/29-1/3、祝日）", validators=[Optional(), max_length(500)])
    source_url = StringField("出典URL（運営元・行政の公式ページ）", validators=[Optional(), max_length(500)])
    source_note = StringField("出典の名前（例：厚生労働省「まもろうよ こころ」）", validators=[Optional(), max_length(200)])
    note = TextAreaField("注記（相談先の一覧で窓口の下に表示。任意）", validators=[Optional(), max_length(300)])
    audiences = MultiCheckboxField("対象（この人たちのパネルで先に表示）",
                                   choices=[SelectChoice(k, v) for k, v in contact_edits.AUDIENCE_LABELS.items()])
    order = IntegerField("表示順（小さいほど先。ファイルの順は 10, 20, 30…）",
                         validators=[InputRequired("表示順を半角数字で入力してください。"),
                                     NumberRange(0, 9999, "表示順は 0〜9999 の整数で入力してください。")])
    hidden = BooleanField("この窓口を表示しない（履歴は残ります）")

    def validate_hidden(self, field):
        """Only the checkbox's own value hides a line (any other text is no choice made)."""
        if field.raw_data and field.raw_data[0] not in ("y", "on", "1", "true", "", "false"):
            raise ValidationError("「表示しない」はチェックボックスで選んでください。")

    def values(self) -> dict:
        """The submitted line as plain values (contact_edits.contact_values shape)."""
        return {"name": (self.name.data or "").strip(), "kind": self.kind.data,
                "number": (self.number.data or "").strip(), "url": (self.url.data or "").strip(),
                "hours_text": (self.hours_text.data or "").strip(), "hours_open": _lines(self.hours_open.data),
                "hours_closed": _lines(self.hours_closed.data), "source_url": (self.source_url.data or "").strip(),
                "source_note": (self.source_note.data or "").strip(), "note": (self.note.data or "").strip(),
                "audiences": contact_edits.ordered_audiences(self.audiences.data or []),
                "order": self.order.data}

    def fill(self, values: dict, hidden: bool) -> None:
        for key in ("name", "kind", "number", "url", "hours_text", "source_url", "source_note", "note", "order"):
            getattr(self, key).data = values[key]
        self.hours_open.data = "\n".join(values["hours_open"])
        self.hours_closed.data = "\n".join(values["hours_closed"])
        self.audiences.data = list(values["audiences"])
        self.hidden.data = hidden

    def check(self) -> bool:
        """Field checks, then the line as a whole; every problem is put on its field."""
        ok = self.validate()
        for key, messages in contact_edits.contact_problems(self.values()).items():
            getattr(self, key).errors = list(getattr(self, key).errors) + messages
            ok = False
        return ok


class VerifyForm(JapaneseForm):
    source_url = StringField("確認したページのURL", validators=[DataRequired("確認したページのURLを入力してください。"),
                                                           max_length(500)])
    note = StringField("メモ（任意。例：電話番号と受付時間を確認）", validators=[Optional(), max_length(300)])

    def check(self) -> bool:
        ok = self.validate()
        problem = contact_edits.web_address_problem((self.source_url.data or "").strip())
        if ok and problem:
            self.source_url.errors = [problem]
            ok = False
        return ok


class DirectoryForm(JapaneseForm):
    name = StringField("名前", validators=[DataRequired("名前を入力してください。"), max_length(200)])
    department = StringField("担当課", validators=[DataRequired("担当課を入力してください。"), max_length(200)])
    description = TextAreaField("説明", validators=[DataRequired("説明を入力してください。"), max_length(2000)])
    phone = StringField("電話番号（半角数字とハイフン。区が確認してから記入）", validators=[Optional(), max_length(20)])
    address = StringField("所在地", validators=[Optional(), max_length(200)])
    hours = StringField("受付時間", validators=[Optional(), max_length(200)])
    concerns = MultiCheckboxField("相談の内容", choices=[SelectChoice(k, v) for k, v in CONCERNS.items()])
    audiences = TextAreaField("対象（1行に1つ。例：区民）", validators=[Optional(), max_length(1000)])

    def values(self) -> dict:
        return {"name": (self.name.data or "").strip(), "department": (self.department.data or "").strip(),
                "description": (self.description.data or "").strip(), "phone": (self.phone.data or "").strip(),
                "address": (self.address.data or "").strip(), "hours": (self.hours.data or "").strip(),
                "concerns": [k for k in CONCERNS if k in (self.concerns.data or [])],
                "audiences": _lines(self.audiences.data)}

    def fill(self, values: dict) -> None:
        for key in ("name", "department", "description", "phone", "address", "hours"):
            getattr(self, key).data = values[key]
        self.concerns.data = list(values["concerns"])
        self.audiences.data = "\n".join(values["audiences"])

    def check(self) -> bool:
        ok = self.validate()
        problem = contact_edits.phone_problem((self.phone.data or "").strip())
        if ok and problem:
            self.phone.errors = [problem]
            ok = False
        return ok
