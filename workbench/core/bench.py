"""The benchmark behind `workbench bench`: every speed figure the project promises, in one run."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench import __version__


@dataclass(frozen=True)
class Timing:
    median_ms: float
    p95_ms: float
    runs: int


def time_calls(call: Callable[[], object], runs: int, warmup: int = 50) -> Timing:
    for _ in range(warmup):
        call()
    samples = np.empty(runs)
    for i in range(runs):
        start = time.perf_counter()
        call()
        samples[i] = time.perf_counter() - start
    return Timing(float(np.median(samples) * 1e3), float(np.percentile(samples, 95) * 1e3), runs)


@dataclass
class BenchReport:
    machine: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"machine": self.machine, **self.figures}


def machine_info(provider: str, threads: int) -> dict[str, Any]:
    import onnxruntime

    info = {
        "cores": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "workbench": __version__,
        "onnxruntime": onnxruntime.__version__,
        "provider": provider,
        "threads": threads,
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_cuda"] = torch.cuda.is_available()
    except ImportError:
        info["torch"] = None
    return info


def canvas_image(size: int = 280) -> np.ndarray:
    """A drawn '7' on a canvas-sized ink array, as the canvas hands it to the core."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    s = size / 280
    draw.line(
        [(70 * s, 70 * s), (210 * s, 70 * s), (120 * s, 230 * s)],
        fill=255,
        width=int(18 * s),
        joint="curve",
    )
    return np.asarray(image, dtype=np.float32) / 255


def bench_inference(
    model: Path,
    device: str,
    threads: int,
    images: np.ndarray | None,
    labels: np.ndarray | None,
    runs: int = 2000,
) -> BenchReport:
    """Single-digit latency (onnxruntime vs torch), draw-to-prediction, and 10k throughput.

    One digit is timed on one thread for both runtimes, as the window runs it (a thread hand-off
    costs more than a LeNet); the test set on `threads` threads for both (onnxruntime: batches
    on parallel one-thread runs, as `evaluate` does; torch: its intra-op threads).
    """
    import torch

    from workbench.core.evaluation.evaluation import evaluate
    from workbench.core.recognition.predictor import Predictor
    from workbench.core.recognition.preprocessing import to_mnist

    interactive = Predictor(model, device=device, threads=1)
    report = BenchReport(machine=machine_info(interactive.provider, threads))
    net = _torch_twin(model)
    digit = to_mnist(canvas_image())
    assert digit is not None
    one = digit[None].astype(np.float32)
    one_torch = torch.from_numpy(one).unsqueeze(1)

    torch.set_num_threads(1)
    with torch.inference_mode():
        # the ONNX graph divides the logits by the calibration temperature; the weights don't
        temperature = float(interactive.metadata.get("temperature", "1"))
        torch_logits = net(one_torch).numpy() / temperature
        ort_logits = interactive.run_raw(one, ["logits"])[0]
        report.figures["parity_max_abs_difference"] = float(np.abs(torch_logits - ort_logits).max())
        ort = time_calls(lambda: interactive.run_raw(one, ["logits"]), runs)
        ref = time_calls(lambda: net(one_torch), runs)
    report.figures["single_digit"] = {
        "threads": 1,
        "onnxruntime": asdict(ort),
        "torch": asdict(ref),
        "speedup_median": ref.median_ms / ort.median_ms,
    }

    canvas = canvas_image()

    def draw_to_prediction() -> None:
        x = to_mnist(canvas)
        prediction = interactive.predict(x[None])
        prediction.top(2)

    report.figures["draw_to_prediction"] = {
        "threads": 1,
        **asdict(time_calls(draw_to_prediction, runs)),
    }

    if images is not None and labels is not None:
        best_ort = min(
            evaluate(interactive, images, labels, workers=threads).seconds for _ in range(3)
        )
        result = evaluate(interactive, images, labels, workers=threads)
        torch.set_num_threads(threads)
        x = torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1)
        with torch.inference_mode():
            net(x[:100])
            best_torch = min(_timed(lambda: [net(c) for c in x.split(2500)]) for _ in range(3))
        report.figures["test_set"] = {
            "n": len(images),
            "threads": threads,
            "accuracy": result.accuracy,
            "onnxruntime_seconds": min(best_ort, result.seconds),
            "torch_seconds": best_torch,
            "onnxruntime_images_per_s": len(images) / min(best_ort, result.seconds),
            "torch_images_per_s": len(images) / best_torch,
        }
    return report


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _torch_twin(model: Path):
    """The same weights in torch: from the .safetensors beside the ONNX file."""
    from workbench.core.model.checkpoint import load_network

    weights = model.with_suffix(".safetensors")
    if not weights.is_file():
        raise FileNotFoundError(f"{weights.name}: the torch comparison needs the model's weights")
    return load_network(weights)[0]


def bench_training(
    images: np.ndarray,
    labels: np.ndarray,
    threads: int,
    device: str = "cpu",
    data_folder: Path | None = None,
) -> dict[str, Any]:
    """The default LeNet-5 run: its first epoch (seconds, images/s), its time to 99 %
    validation accuracy, and the seconds from `workbench train` starting to its first batch
    (a separate process on `data_folder`, by default WORKBENCH_DATA's or the user folder's)."""
    from workbench.core.training.loop import EpochDone, TrainConfig, train

    config = TrainConfig(threads=threads, device=device)
    n_train = len(images) - config.val_size
    start = time.perf_counter()
    figures: dict[str, Any] = {
        "threads": threads,
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "seconds_to_99": None,
        "first_batch_seconds": first_batch_seconds(data_folder, threads, device),
    }
    for event in train(config, images, labels):
        if not isinstance(event, EpochDone):
            continue
        if event.epoch == 1:
            figures["epoch_seconds"] = event.seconds
            figures["epoch_images_per_s"] = n_train / event.seconds
        if figures["seconds_to_99"] is None and (event.val_accuracy or 0) >= 0.99:
            figures["seconds_to_99"] = event.seconds
            figures["epoch_of_99"] = event.epoch
        figures["final_val_accuracy"] = event.val_accuracy
    figures["wall_seconds"] = time.perf_counter() - start
    return figures


def first_batch_seconds(
    data_folder: Path | None,
    threads: int,
    device: str = "cpu",
    timeout: float = 120,
    verify: bool = True,
) -> float | None:
    """Seconds from starting `workbench train --json` (a new process, its imports and data
    loading included) to its first BatchDone line; None if it never came. The run goes to a
    temporary user folder and is stopped there."""
    import json
    import subprocess
    import sys
    import tempfile

    from workbench.core.paths import PACKAGE_DIR, data_dir

    folder = data_dir(data_folder)
    code = "import sys; from workbench.cli import main; sys.exit(main(sys.argv[1:]))"
    with tempfile.TemporaryDirectory(prefix="workbench-bench-") as home:
        env = {**os.environ, "WORKBENCH_HOME": home}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH")) if p
        )
        command = [sys.executable, "-c", code, "train", "--json", "--data-dir", str(folder)]
        command += ["--epochs", "1", "--threads", str(threads), "--device", device]
        command += [] if verify else ["--no-verify"]
        start = time.perf_counter()
        seconds = None
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
        ) as process:
            assert process.stdout is not None
            try:
                for line in process.stdout:
                    if time.perf_counter() - start > timeout:
                        break
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if isinstance(event, dict) and event.get("event") == "BatchDone":
                        seconds = time.perf_counter() - start
                        break
            finally:
                process.kill()
    return seconds


def format_report(report: BenchReport) -> str:
    """The figures as a table a person can read."""
    m, f = report.machine, report.figures
    lines = [
        f"workbench {m['workbench']} on {m['cores']} cores ({m['cpu']}), onnxruntime "
        f"{m['onnxruntime']} ({m['provider']}), torch {m.get('torch')}, "
        f"{m['threads']} threads",
        "",
    ]
    single = f["single_digit"]
    lines.append(f"single-digit inference ({single['threads']} thread)   median      p95")
    for name in ("onnxruntime", "torch"):
        lines.append(
            f"  {name:<28} {single[name]['median_ms']:7.3f} ms {single[name]['p95_ms']:7.3f} ms"
        )
    lines.append(f"  onnxruntime speed-up         {single['speedup_median']:7.1f} ×")
    draw = f["draw_to_prediction"]
    lines.append(
        f"draw → top-2 + feature maps    {draw['median_ms']:7.3f} ms {draw['p95_ms']:7.3f} ms"
    )
    if "test_set" in f:
        t = f["test_set"]
        lines.append(
            f"{t['n']:,} test images: onnxruntime {t['onnxruntime_seconds']:.3f} s "
            f"({t['onnxruntime_images_per_s']:,.0f}/s), torch {t['torch_seconds']:.3f} s "
            f"({t['torch_images_per_s']:,.0f}/s); accuracy {t['accuracy']:.2%}"
        )
    if "training" in f:
        t = f["training"]
        to99 = (
            f"{t['seconds_to_99']:.1f} s (epoch {t['epoch_of_99']})"
            if t["seconds_to_99"]
            else f"not reached in {t['epochs']} epochs"
        )
        first = t.get("first_batch_seconds")
        lines.append(
            f"training epoch: {t['epoch_seconds']:.1f} s ({t['epoch_images_per_s']:,.0f} "
            f"images/s, {t['threads']} threads); 99 % validation accuracy: {to99}"
        )
        lines.append(
            "`workbench train` start to first batch: "
            + (f"{first:.2f} s" if first is not None else "no batch came")
        )
    if "window" in f:
        w = f["window"]
        lines.append(
            f"window painted {w['first_paint_seconds']:.2f} s after launch; worst UI "
            f"stall while training an epoch {w['worst_stall_ms']:.0f} ms"
        )
    return "\n".join(lines)
