"""The offline guide (Help → Guide, F1): per view what it shows, what to try, its homework."""

from __future__ import annotations

import html
from dataclasses import dataclass

# The window's tabs, in order; the guide also has a page for the feature-map dock.
VIEWS = ("Draw", "Load", "Train", "Evaluate", "Anatomy", "Lab")
FEATURE_MAPS = "Feature maps"


@dataclass(frozen=True)
class GuidePage:
    """One screen of the guide."""

    view: str
    shows: str
    try_this: tuple[str, ...]
    question: str

    def html(self) -> str:
        """The page for a QTextBrowser (plain HTML, no links out: the guide works offline)."""
        steps = "".join(f"<li>{html.escape(step)}</li>" for step in self.try_this)
        return (
            f"<h2>{html.escape(self.view)}</h2>"
            f"<h3>What it shows</h3><p>{html.escape(self.shows)}</p>"
            f"<h3>What to try</h3><ul>{steps}</ul>"
            f"<h3>The homework question it answers</h3><p><i>{html.escape(self.question)}</i></p>"
        )


PAGES = (
    GuidePage(
        "Draw",
        "The digit the network reads from your drawing: the top answer large, the two most likely "
        "digits with their probabilities, and the exact 28×28 image the network gets: your ink "
        "scaled to fit 20×20 and centred by its mass, the way MNIST digits were made.",
        (
            "Draw a 7 with and without its cross bar, and a 1 thin and thick (Brush).",
            "Draw a 4 that could be a 9; move 'Not sure below' until the answer becomes '?'.",
            "Switch on 'Why this digit?' (Ctrl+I): red ink supports the answer, blue favours "
            "the runner-up. Click the button again to switch it off.",
        ),
        "Why does the network see a small 28×28 image rather than your drawing, and which part of "
        "a digit it misreads does the occlusion map blame?",
    ),
    GuidePage(
        "Load",
        "A photo or scan with several digits: every digit found gets a box and its top-2 answers; "
        "the strip below lists them in reading order with the 28×28 crop the network reads.",
        (
            "File → Open sample, or open your own photo (Ctrl+O), drop it on the window or paste "
            "it (Ctrl+V).",
            "When the split goes wrong, fix it: Invert, the ink threshold, Draw box, Merge, "
            "Delete, Auto split.",
            "Click a digit in the strip: it becomes the current input of the feature maps.",
        ),
        "Which steps turn a photo into MNIST-like 28×28 inputs, and which of your digits fails "
        "because of one of them?",
    ),
    GuidePage(
        "Train",
        "Training runs on MNIST: each run's settings, live loss and accuracy curves for training "
        "and validation, and every saved run with its state. 'Across epochs' shows the "
        "first-layer filters and the feature maps after each epoch.",
        (
            "Start a short run (2 or 3 epochs) and watch both curves.",
            "Click a Compare button (learning rate, momentum, depth, activation): its runs are "
            "queued with the same seed, and their curves overlay with a legend.",
            "Try learning rate 1.0 and see the run diverge or stall.",
            "After a run: 'Across epochs', then drag the slider to watch the filters form.",
        ),
        "How do the learning rate and momentum change the loss curve, and when does the "
        "validation accuracy stop following the training accuracy?",
    ),
    GuidePage(
        "Evaluate",
        "The current model on the 10,000 MNIST test images: accuracy, the confusion matrix, "
        "per-digit precision, recall and F1, and the pairs of digits it confuses most.",
        (
            "Click a cell off the diagonal (say true 4, read 9) to see those images, sortable by "
            "confidence.",
            "Click one of them: it opens on the Load tab as the current input; ask 'Why this "
            "digit?'.",
            "Switch the matrix between counts and rates per true digit.",
        ),
        "Which two digits does the model confuse most, and why? Compute one digit's precision "
        "and recall from the matrix by hand and check them against the table.",
    ),
    GuidePage(
        "Anatomy",
        "The model layer by layer: type, kernel, stride, padding, dilation, output shape "
        "(channels×height×width), parameters, multiply-accumulates and receptive field, with "
        "totals; and the trained convolution filters as pictures.",
        (
            "Pick a homework example (AlexNet's CONV1) and check the output size by hand.",
            "Edit the spec JSON, e.g. a kernel of 3 instead of 5, and watch shapes and counts "
            "follow.",
            "Compare the filters of conv1 (one input channel) with those of conv2 (six).",
        ),
        "How many parameters does CONV2 have and why? (Weights per filter: kernel × kernel × input "
        "channels, plus one bias; times the number of filters.)",
    ),
    GuidePage(
        "Lab",
        "The course's hand computations worked step by step: convolution, pooling, output size, "
        "convolution gradients and a small sigmoid network, by the same code as `workbench lab`.",
        (
            "Load a worked example and step through the windows one by one.",
            "Change the stride or the padding and predict the output size before you look.",
            "On 'Conv gradients', check dW and dX of one window by hand.",
        ),
        "What is the output size of a convolution, (W − F + 2P) / S + 1, and what happens when "
        "it is not a whole number?",
    ),
    GuidePage(
        FEATURE_MAPS,
        "The dock beside the views: every layer's activations for the current input, one colour "
        "scale per layer; fully connected layers as bars, the output as the ten probabilities.",
        (
            "Draw slowly and watch conv1's maps follow each stroke.",
            "Click a map to see it large with its values.",
            "Compare the maps of a 1 and a 7: which maps light up for the cross bar?",
        ),
        "What does each conv1 filter respond to, and why are pool1's maps half the size of "
        "conv1's?",
    ),
)


def page(view: str) -> GuidePage:
    """The page of `view` (a tab title or FEATURE_MAPS); KeyError for an unknown view."""
    for entry in PAGES:
        if entry.view == view:
            return entry
    raise KeyError(view)
