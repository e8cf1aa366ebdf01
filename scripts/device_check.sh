#!/usr/bin/env bash
# The CUDA path of the reference SUT, end to end, on a machine with an NVIDIA GPU (untested until run there):
# installs the [torch] extra, runs the digits benchmark with --device cuda in all four scenarios, then
# reproduces the demo result of each scenario on cuda, and prints the measured numbers.
#
#   scripts/device_check.sh [OUT_DIR]     run from anywhere; OUT_DIR defaults to a temp dir
#   DEVICE=cpu scripts/device_check.sh    the same flow on the numpy back-end (a smoke test without a GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-$(mktemp -d -t subcheck-device-XXXXXX)}"
PY="${PYTHON:-python3}"
DEVICE="${DEVICE:-cuda}"
DEMO=fixtures/valid/closed/SubcheckDemo/results/demo_cpu_numpy/digits

if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
if [ "$DEVICE" = cpu ]; then
  BACKEND=numpy
  .venv/bin/python -m pip install -q -e ".[sut]"
else
  BACKEND=torch
  .venv/bin/python -m pip install -q -e ".[sut,torch]"
  .venv/bin/python - <<'PY'
import torch
assert torch.cuda.is_available(), "torch.cuda.is_available() is False: no usable GPU here"
print(f"torch {torch.__version__}, cuda {torch.version.cuda}, {torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}")
PY
fi

for scenario in Offline Server SingleStream MultiStream; do
  for mode in PerformanceOnly AccuracyOnly; do
    .venv/bin/python -m reference_sut.run --scenario "$scenario" --mode "$mode" --backend "$BACKEND" \
      --device "$DEVICE" --user-conf "$DEMO/$scenario/user.conf" --log-dir "$OUT/$scenario-$mode" >/dev/null
  done
  .venv/bin/python - "$OUT/$scenario-PerformanceOnly" "$OUT/$scenario-AccuracyOnly" <<'PY'
import json, sys
from pathlib import Path
from checker.parsers.mllog import parse_detail_log
from reference_sut.digits.accuracy import compute
perf, acc = Path(sys.argv[1]), Path(sys.argv[2])
log = parse_detail_log(perf / "mlperf_log_detail.txt").values
info = json.loads((perf / "run_info.json").read_text())
keys = ("result_validity", "result_samples_per_second", "result_completed_samples_per_sec",
        "early_stopping_latency_ss", "early_stopping_latency_ms", "result_90.00_percentile_latency_ns")
print(log["effective_scenario"], "|", info["sut_name"], "|", {k: log[k] for k in keys if k in log},
      f"| accuracy={compute(acc / 'mlperf_log_accuracy.json').accuracy:.3f}")
PY
done

for scenario in Offline Server SingleStream MultiStream; do
  rc=0
  .venv/bin/subcheck reproduce "$DEMO/$scenario" --device "$DEVICE" --repeat 3 || rc=$?
  echo "reproduce $scenario on $DEVICE: exit $rc"
done
echo "logs in $OUT"
