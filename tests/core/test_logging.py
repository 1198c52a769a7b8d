"""workbench.log keeps the workbench's own lines and only warnings from libraries."""

from __future__ import annotations

import logging

from workbench.core import paths


def test_log_keeps_our_info_and_library_warnings_only():
    path = paths.setup_logging()
    assert path is not None
    logging.getLogger("workbench.test").info("our own line")
    logging.getLogger("onnxscript.rewriter").info("library chatter")
    logging.getLogger("onnx_ir").warning("library warning")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "our own line" in text and "library warning" in text
    assert "library chatter" not in text
