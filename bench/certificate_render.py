"""Warm certificate render time as a ratio to a bare WeasyPrint render of a one-page Japanese
HTML page, both measured in this run (goal: at most 1.5).

The two renders alternate and each pair gives one ratio; the result is the median ratio.
Times are the CPU time of this process (rendering is single-threaded and CPU-bound), so
other work on a shared machine does not count against either side.

Usage: .venv/bin/python bench/certificate_render.py [--repeat 9]
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


def cpu_seconds(fn) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    bare_render = lambda: HTML(string=BARE).write_pdf()  # noqa: E731
    certificate_render = lambda: render_pdf(DATA)  # noqa: E731
    bare_render(), certificate_render()  # warm: fonts loaded, templates compiled
    bare, cert = [], []
    for _ in range(args.repeat):
        bare.append(cpu_seconds(bare_render))
        cert.append(cpu_seconds(certificate_render))
    ratio = statistics.median(c / b for c, b in zip(cert, bare))
    print(f"bare WeasyPrint one-page Japanese HTML: {statistics.median(bare) * 1000:.0f} ms CPU "
          f"(median of {args.repeat})")
    print(f"certificate (full layout, QR code): {statistics.median(cert) * 1000:.0f} ms CPU")
    print("goal: ratio <= 1.5")
    print(f"RESULT certificate_vs_bare_weasyprint {ratio:.2f} ratio")


if __name__ == "__main__":
    main()
