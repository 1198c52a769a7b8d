#!/bin/sh
# Page set, MNIST test through predict and the non-MNIST set, in one go (for every change).
cd "$(dirname "$0")/.." || exit 1
export PYTHONPATH="$PWD" WORKBENCH_DATA="${WORKBENCH_DATA:-/work/shared/data/mnist}"
PY="${PYTHON:-/work/venv/bin/python}"
"$PY" scripts/page_set_score.py "$@" | tail -1
"$PY" scripts/single_digits_through_predict.py
