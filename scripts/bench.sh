#!/usr/bin/env bash
# Run every benchmark in bench/ (make bench), one after another, and print a summary of their
# RESULT lines. Each script's whole output is kept in test-artifacts/bench/<name>.txt.
# The load test and the memory and cold start bench need PostgreSQL, so they run under
# scripts/with-postgres.sh.
#   scripts/bench.sh                 every benchmark
#   scripts/bench.sh lesson_throughput export_completions   only these
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=test-artifacts/bench
mkdir -p "$OUT"
all=(lesson_throughput memory_start help_contacts_cache certificate_render certificate_zip_memory matrix_render export_completions login_timing people_search load_test)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${all[@]}")
status=0
summary=()
for name in "${names[@]}"; do
  echo "==> bench/$name.py"
  if [ "$name" = load_test ]; then
    cmd=(scripts/with-postgres.sh "$PY" bench/load_test.py --db both)
  elif [ "$name" = memory_start ]; then
    cmd=(scripts/with-postgres.sh "$PY" bench/memory_start.py --compare-plain)
  else
    cmd=("$PY" "bench/$name.py")
  fi
  if "${cmd[@]}" 2>&1 | tee "$OUT/$name.txt"; then :; else status=1; fi
  summary+=("$(grep '^RESULT ' "$OUT/$name.txt" | tail -n 1 || echo "RESULT $name (none: see $OUT/$name.txt)")")
done
echo
echo "==> $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -m), $($PY --version)"
printf '%s\n' "${summary[@]}"
exit $status
