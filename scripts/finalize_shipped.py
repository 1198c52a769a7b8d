"""Give the shipped model's card the ablations its recipe was chosen from, then rewrite the card
beside the model and inside its ONNX metadata.

The augmentation families' ablation (GPU runs of the previous recipe) is carried over from the
card it was first recorded in; the stroked-digit ablation is read from the `ablation.json` files
that `train_shipped.py --ablation shipped --stroked N` wrote.

    python scripts/finalize_shipped.py --families-from OLD_CARD.json --stroked A.json B.json ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.core import paths  # noqa: E402
from workbench.core.fileio import set_onnx_metadata, write_json_atomic  # noqa: E402

STROKED_HOW = (
    "each arm trained 12 epochs on the same 55,000/5,000 MNIST split (seed 0) with the shipped "
    "strengths (affine 1, stretch/elastic/low-res 0.5), Adam 3e-3 one-cycle, batch 128, on 2 CPU "
    "cores, plus N digits stroked by code (nonmnist.stroked_training_set, seed 1000) in the "
    "training part only; MNIST validation accuracy and the non-MNIST choice set (1,000 digits, "
    "seed 7, never the reporting seed 14), by source: the font parts saw no training image"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families-from", type=Path, required=True, help="card with 'ablation'")
    parser.add_argument("--stroked", type=Path, nargs="+", required=True, help="ablation.json")
    args = parser.parse_args(argv)
    onnx_path = paths.SHIPPED_MODEL
    card_path = onnx_path.with_suffix(".json")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    old = json.loads(args.families_from.read_text(encoding="utf-8"))
    ablation = dict(old["ablation"])
    rows = [row for path in args.stroked for row in json.loads(path.read_text("utf-8"))]
    ablation["stroked"] = {
        "how": STROKED_HOW,
        "12_epochs": [
            {
                "stroked_digits": row["stroked"],
                "mnist_val_accuracy": row["val_accuracy"],
                "non_mnist_seed7_accuracy": row["non_mnist_accuracy"],
                "non_mnist_seed7_by_source": row["non_mnist_by_source"],
            }
            for row in sorted(rows, key=lambda r: r["stroked"])
        ],
        "rule": "the most stroked digits whose MNIST validation accuracy stays within 0.1 point "
        "of the arm without any",
    }
    card["ablation"] = ablation
    write_json_atomic(card_path, card)
    set_onnx_metadata(onnx_path, {"card": card})
    print(json.dumps(ablation["stroked"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
