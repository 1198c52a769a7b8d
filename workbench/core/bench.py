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
from workbench.core.bench_training import bench_training, first_batch_seconds

__all__ = ["bench_training", "first_batch_seconds"]  # the training figures live beside


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


def time_interleaved(
    calls: dict[str, Callable[[], object]], runs: int, rounds: int = 10, warmup: int = 50
) -> dict[str, Timing]:
    """`time_calls` for several calls taking turns, `runs / rounds` calls each turn: a busy
    spell on the machine then slows all of them alike instead of whichever ran during it."""
    for call in calls.values():
        for _ in range(warmup):
            call()
    per_round = max(1, runs // rounds)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            for _ in range(per_round):
                start = time.perf_counter()
                call()
                samples[name].append(time.perf_counter() - start)
    return {
        name: Timing(
            float(np.median(values) * 1e3), float(np.percentile(values, 95) * 1e3), len(values)
        )
        for name, values in samples.items()
    }


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
    int8_model: Path | None = None,
) -> BenchReport:
    """Single-digit latency (onnxruntime vs torch), draw-to-prediction, and 10k throughput.

    One digit is timed on one thread for both runtimes, as the window runs it (a thread hand-off
    costs more than a LeNet); the test set on `threads` threads for both (onnxruntime: batches
    on parallel one-thread runs, as `evaluate` does; torch: its intra-op threads). Both go
    through the logits-only session. The int8 twin (`int8_model`, default NAME.int8.onnx beside
    the model when there is one) is timed too; the speed-ups are the fastest path's.
    """
    import torch

    from workbench.core.evaluation.evaluation import evaluate
    from workbench.core.model.quantize import int8_sibling, is_int8_path
    from workbench.core.recognition.predictor import Predictor
    from workbench.core.recognition.preprocessing import to_mnist

    interactive = Predictor(model, device=device, threads=1)
    report = BenchReport(machine=machine_info(interactive.provider, threads))
    if int8_model is None and not is_int8_path(model):
        int8_model = int8_sibling(model)
    int8 = Predictor(int8_model, device=device, threads=1) if int8_model else None
    if int8 is not None:
        report.machine["int8_model"] = int8.path.name
    net = _torch_twin(model)
    digit = to_mnist(canvas_image())
    assert digit is not None
    one = digit[None, None].astype(np.float32)
    one_torch = torch.from_numpy(one)

    torch.set_num_threads(1)
    with torch.inference_mode():
        # the ONNX graph divides the logits by the calibration temperature; the weights don't
        temperature = float(interactive.metadata.get("temperature", "1"))
        torch_logits = net(one_torch).numpy() / temperature
        ort_logits = interactive.run_logits(one)
        report.figures["parity_max_abs_difference"] = float(np.abs(torch_logits - ort_logits).max())
        paths = {"onnxruntime": interactive}
        if int8 is not None:
            paths["onnxruntime_int8"] = int8
        calls = {name: (lambda p=p: p.run_logits(one)) for name, p in paths.items()}
        timings = time_interleaved({**calls, "torch": lambda: net(one_torch)}, runs)
    single: dict[str, Any] = {"threads": 1, **{name: asdict(t) for name, t in timings.items()}}
    fastest = min(paths, key=lambda name: timings[name].median_ms)
    single["fastest"] = fastest
    single["speedup_median"] = timings["torch"].median_ms / timings[fastest].median_ms
    single["speedup_float"] = timings["torch"].median_ms / timings["onnxruntime"].median_ms
    report.figures["single_digit"] = single

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
        report.figures["test_set"] = _bench_test_set(
            net, interactive, int8, images, labels, threads, evaluate
        )
    return report


def _bench_test_set(net, interactive, int8, images, labels, threads, evaluate) -> dict[str, Any]:
    """The labelled set through float, int8 and torch, taking turns, each the best of three."""
    import torch

    predictors = {"float": interactive} if int8 is None else {"float": interactive, "int8": int8}
    results: dict[str, list] = {name: [] for name in predictors}
    torch_seconds = []
    torch.set_num_threads(threads)
    x = torch.from_numpy(images.astype(np.float32) / 255).unsqueeze(1)
    with torch.inference_mode():
        net(x[:100])
        for _ in range(3):
            for name, predictor in predictors.items():
                results[name].append(evaluate(predictor, images, labels, workers=threads))
            torch_seconds.append(_timed(lambda: [net(c) for c in x.split(2500)]))
    best_torch = min(torch_seconds)
    seconds = {name: min(r.seconds for r in runs) for name, runs in results.items()}
    fastest = min(seconds, key=seconds.__getitem__)
    figures: dict[str, Any] = {
        "n": len(images),
        "threads": threads,
        "accuracy": results["float"][0].accuracy,
        "onnxruntime_seconds": seconds["float"],
        "torch_seconds": best_torch,
        "onnxruntime_images_per_s": len(images) / seconds["float"],
        "torch_images_per_s": len(images) / best_torch,
        "fastest": fastest,
        "speedup": best_torch / seconds[fastest],
        "speedup_float": best_torch / seconds["float"],
    }
    if int8 is not None:
        figures["int8_accuracy"] = results["int8"][0].accuracy
        figures["int8_seconds"] = seconds["int8"]
        figures["int8_images_per_s"] = len(images) / seconds["int8"]
        figures["speedup_int8"] = best_torch / seconds["int8"]
    return figures


def window_unavailable() -> str | None:
    """Why the window figures cannot be measured here (None when they can): no PySide6 or
    pyqtgraph, or a Qt that cannot load (a missing system library)."""
    import importlib

    for name in ("PySide6", "PySide6.QtWidgets", "pyqtgraph"):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            return f"{name.split('.')[0]} cannot be imported ({exc})"
    return None


def bench_non_mnist(model: Path, device: str, threads: int, count: int = 1000) -> dict[str, Any]:
    """The model's accuracy on the standard non-MNIST set (1,000 digits, seed 14): how well
    it reads digits that are not MNIST's, with what the set was (its identity)."""
    from workbench.core.evaluation import nonmnist_score
    from workbench.core.recognition.predictor import Predictor

    start = time.perf_counter()
    score = nonmnist_score.score(Predictor(model, device=device, threads=threads), count)
    return {
        **score.to_json(),
        "correct": score.correct,
        "seconds": time.perf_counter() - start,  # drawing the set (once, then cached) included
    }


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


def bench_pages(predictor, count: int = 40, seed: int = 15) -> dict[str, Any]:
    """The generated page set (core.data.pages) read as `workbench predict` reads a photo.

    Whole rows exact (every digit, in order, nothing extra) and the seconds from JPEG bytes to
    digits for the 12-megapixel pages of 100 digits.
    """
    from workbench.core.data.pages import page_set, score_rows
    from workbench.core.recognition.reading import read_photo

    exact = rows = sheets = 0
    big_seconds = []
    pages = page_set(count, seed)
    for page in pages:
        start = time.perf_counter()
        readings = read_photo(page.jpeg, predictor, top=2)
        seconds = time.perf_counter() - start
        if page.size[0] * page.size[1] >= 10_000_000:
            big_seconds.append(seconds)
        right = score_rows(page, [r.box for r in readings], [r.top[0][0] for r in readings])
        exact += sum(right)
        rows += len(right)
        sheets += all(right)
    return {
        "pages": len(pages),
        "rows": rows,
        "rows_exact": exact,
        "sheets_exact": sheets,
        "big_page_seconds": float(np.median(big_seconds)) if big_seconds else None,
    }


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
    labels = {"onnxruntime": "onnxruntime float", "onnxruntime_int8": "onnxruntime int8"}
    for name in ("onnxruntime", "onnxruntime_int8", "torch"):
        if name in single:
            lines.append(
                f"  {labels.get(name, name):<28} {single[name]['median_ms']:7.3f} ms "
                f"{single[name]['p95_ms']:7.3f} ms"
            )
    lines.append(
        f"  fastest vs torch eager       {single['speedup_median']:7.1f} × "
        f"({labels[single.get('fastest', 'onnxruntime')]}; float "
        f"{single.get('speedup_float', single['speedup_median']):.1f} ×)"
    )
    draw = f["draw_to_prediction"]
    lines.append(
        f"draw → top-2 + feature maps    {draw['median_ms']:7.3f} ms {draw['p95_ms']:7.3f} ms"
    )
    if "test_set" in f:
        t = f["test_set"]
        lines.append(
            f"{t['n']:,} test images ({t['threads']} threads): onnxruntime float "
            f"{t['onnxruntime_seconds']:.3f} s ({t['onnxruntime_images_per_s']:,.0f}/s), "
            f"accuracy {t['accuracy']:.2%}"
        )
        if "int8_seconds" in t:
            lines.append(
                f"  onnxruntime int8 {t['int8_seconds']:.3f} s ({t['int8_images_per_s']:,.0f}/s), "
                f"accuracy {t['int8_accuracy']:.2%}"
            )
        lines.append(
            f"  torch eager {t['torch_seconds']:.3f} s ({t['torch_images_per_s']:,.0f}/s); "
            f"fastest ({t['fastest']}) {t['speedup']:.1f} × torch"
        )
    if "non_mnist" in f:
        from workbench.core.evaluation.nonmnist_score import describe_identity

        t = f["non_mnist"]
        lines.append(
            f"non-MNIST digits: accuracy {t['accuracy']:.2%} of {t['n']:,} "
            f"({describe_identity(t['identity'])})"
        )
        if "non_mnist_int8" in f:
            lines.append(f"  int8 model: accuracy {f['non_mnist_int8']['accuracy']:.2%}")
    if "pages" in f:
        p = f["pages"]
        big = p["big_page_seconds"]
        lines.append(
            f"pages: {p['rows_exact']} of {p['rows']} rows exact, {p['sheets_exact']} of "
            f"{p['pages']} sheets"
            + (f"; 12 MP JPEG of 100 digits read in {big:.2f} s" if big is not None else "")
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
    if "window_skipped" in f:
        lines.append(f"window figures skipped: {f['window_skipped']}")
    if "window" in f:
        w = f["window"]
        lines.append(
            f"window painted {w['first_paint_seconds']:.2f} s after launch; worst UI "
            f"stall while training an epoch {w['worst_stall_ms']:.0f} ms"
        )
    return "\n".join(lines)
