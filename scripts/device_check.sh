#!/usr/bin/env bash
# The CUDA path of the reference SUT, end to end, on a machine with an NVIDIA GPU: claims of the digits
# benchmark made with --device cuda in all four scenarios (performance and accuracy runs), then
# `subcheck reproduce --device cuda` of each claim, of a copy raised 30 %, and of the bundled CPU demo
# claim; prints the measured numbers and a table of expected and actual exit codes (scripts/device_check.py).
#
#   scripts/device_check.sh [OUT_DIR]      installs .venv with the [sut,torch] extras; OUT_DIR defaults to a temp dir
#   DEVICE=cpu scripts/device_check.sh     the same flow on the numpy back-end (a smoke test without a GPU)
#   PYTHON=python3 INSTALL=no scripts/device_check.sh OUT
#                                          use an interpreter that already has torch and the [sut] extra's
#                                          packages (an offline GPU machine); the checkout goes on PYTHONPATH
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-$(mktemp -d -t subcheck-device-XXXXXX)}"
DEVICE="${DEVICE:-cuda}"
if [ "${INSTALL:-yes}" = no ]; then
  PY="${PYTHON:-python3}"
  export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
else
  if [ ! -x .venv/bin/python ]; then "${PYTHON:-python3}" -m venv .venv; fi
  PY=.venv/bin/python
  if [ "$DEVICE" = cpu ]; then extras="sut"; else extras="sut,torch"; fi
  "$PY" -m pip install -q -e ".[$extras]"
fi
if [ "$DEVICE" != cpu ]; then
  "$PY" -c 'import torch, sys; ok = torch.cuda.is_available(); print("torch", torch.__version__, "cuda", torch.version.cuda, "available", ok); sys.exit(0 if ok else "torch.cuda.is_available() is False: no usable GPU here")'
fi
export PYTHONUNBUFFERED=1
"$PY" scripts/device_check.py "$OUT" --device "$DEVICE"
echo "logs and reports in $OUT"
