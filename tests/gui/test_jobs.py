"""The one background runner: a generator's events, or one call's result after its thread ends."""

from __future__ import annotations

import threading

import pytest

from workbench.gui.jobs.stream_worker import StreamJob


@pytest.fixture
def job(qapp):
    runner = StreamJob()
    yield runner
    runner.wait()


def test_a_call_result_comes_once_the_thread_has_stopped(qtbot, job):
    seen = []
    job.job_finished.connect(lambda result: seen.append((result, job.is_busy())))
    caller = threading.get_ident()
    with qtbot.waitSignal(job.job_ended, timeout=10_000) as ended:
        assert job.start_call(lambda: ("done", threading.get_ident() != caller))
        assert not job.start_call(lambda: "second")  # one job at a time
    assert ended.args == [False]
    assert seen == [(("done", True), False)]  # ran off the window's thread; idle when delivered


def test_a_failing_call_reports_its_exception(qtbot, job):
    def broken():
        raise OSError("no such model")

    with qtbot.waitSignal(job.job_failed, timeout=10_000) as failed:
        job.start_call(broken)
    assert isinstance(failed.args[0], OSError) and not job.is_busy()


def test_a_generator_streams_its_events(qtbot, job):
    events = []
    job.event_received.connect(events.append)
    with qtbot.waitSignal(job.job_ended, timeout=10_000):
        job.start(lambda: iter(range(5)))
    assert events == [0, 1, 2, 3, 4]
