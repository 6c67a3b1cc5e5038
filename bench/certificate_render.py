"""Warm certificate render time as a ratio to a bare WeasyPrint render of a one-page Japanese
HTML page, both measured in this run (goal: at most 1.5).

Usage: .venv/bin/python bench/certificate_render.py [--repeat 7]
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from weasyprint import HTML

from training.certificates.render import CertificateData, render_pdf

BARE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"><style>
@page { size: A4 landscape; } body { font-family: "Noto Serif CJK JP"; font-size: 16pt; }
</style></head><body><h1>修了証</h1><p>練馬 太郎 殿</p>
<p>あなたはゲートキーパー養成講座の全課程を修了したことを証します。</p><p>令和8年11月26日</p></body></html>"""

DATA = CertificateData(
    serial="GK2026-00001", verification_code="ABCD-EFGH-JKMN-PQRS-TVWX", recipient_name="練馬 太郎",
    course_title="窓口職員向けゲートキーパー講座", audience_label="窓口業務等の職員",
    completed_on=dt.date(2026, 11, 26), issued_on=dt.date(2026, 11, 26), valid_until=None,
    organisation_name="練馬区", issuer_title="練馬区長", issuer_name="", seal_data_uri="", date_style="wareki",
    verify_url="https://gatekeeper.example.jp/verify/ABCD-EFGH-JKMN-PQRS-TVWX", content_version="0" * 16,
)


def median_seconds(fn, repeat: int) -> float:
    fn()  # warm: fonts loaded, templates compiled
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    bare = median_seconds(lambda: HTML(string=BARE).write_pdf(), args.repeat)
    cert = median_seconds(lambda: render_pdf(DATA), args.repeat)
    print(f"bare WeasyPrint one-page Japanese HTML: {bare * 1000:.0f} ms (median of {args.repeat})")
    print(f"certificate (full layout, QR code): {cert * 1000:.0f} ms")
    print("goal: ratio <= 1.5")
    print(f"RESULT certificate_vs_bare_weasyprint {cert / bare:.2f} ratio")


if __name__ == "__main__":
    main()
