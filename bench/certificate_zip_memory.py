"""Peak memory while streaming a ZIP of 350 certificates (the plan's yearly target),
against the same process's memory after rendering a single certificate.

Usage: .venv/bin/python bench/certificate_zip_memory.py [--count 350]
"""
from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace

from training.certificates.render import render_pdf
from training.certificates.service import stream_zip

from certificate_render import DATA  # noqa: E402  (same folder)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=350)
    args = parser.parse_args()
    render_pdf(DATA)
    baseline = peak_mib()
    items = ((f"GK2026-{n:05d}.pdf", replace(DATA, serial=f"GK2026-{n:05d}", recipient_name=f"受講者 {n}"))
             for n in range(1, args.count + 1))
    size, start = 0, time.perf_counter()
    for chunk in stream_zip(items):
        size += len(chunk)  # a web response would send it on; nothing is kept
    elapsed = time.perf_counter() - start
    peak = peak_mib()
    print(f"{args.count} certificates, ZIP {size / 2**20:.1f} MiB in {elapsed:.0f} s")
    print(f"peak RSS after one certificate: {baseline:.0f} MiB; during the ZIP: {peak:.0f} MiB")
    print(f"growth: {peak - baseline:.0f} MiB (the ZIP itself is {size / 2**20:.1f} MiB)")
    print(f"RESULT certificate_zip_{args.count}_peak_rss {peak:.0f} MiB")


if __name__ == "__main__":
    main()
