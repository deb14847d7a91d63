"""After Cancel, "Rank what is done" (issue 19): the candidates that had finished are ranked exactly as a
full run ranks them, checked against a full run with the same seed (same texts, same scores); those cut
off are kept and rejected as cancelled; the window offers the button only when something finished."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton
from test_gui import RUN_TIMEOUT_MS, make_window, set_params

from opening.base.sampling import SamplingParams
from opening.pipeline.request import Request
from opening.pipeline.run import finished_candidates, rank_finished, run_request

PARAMS = SamplingParams(n=6, temperature=1.0, max_tokens=160, seed=11)
TEXT = "The cat sat on the mat and watched the rain all afternoon."


class CancelAfterTokens:
    """Cancel once ``limit`` tokens have streamed, counted from the run's own pieces."""

    def __init__(self, limit: int) -> None:
        self.limit, self.seen = limit, 0

    def piece(self, _index: int, _text: str) -> None:
        self.seen += 1

    def __call__(self) -> bool:
        return self.seen >= self.limit


def test_ranking_a_cancelled_run_matches_the_full_run_for_what_finished(f32_engine) -> None:
    engine = f32_engine  # F32: a score depends on the scoring batch by at most ~5e-3 (test_scoring_ranking)
    request = Request(TEXT, PARAMS)
    full = run_request(engine, request, source="test")
    lengths = sorted(c.tokens for c in full.result.candidates)
    assert lengths[0] < lengths[-1], "the candidates must end at different steps for this test to mean anything"
    cut = None
    low, high = PARAMS.n * lengths[0], sum(lengths)
    for limit in range(low, high, max(1, (high - low) // 12)):  # after the shortest ended, before the longest
        stop = CancelAfterTokens(limit)
        cut = run_request(engine, request, source="test", cancel=stop, on_piece=stop.piece)
        if cut.cancelled and 0 < finished_candidates(cut.result) < PARAMS.n:
            break
    assert cut is not None and cut.cancelled and 0 < finished_candidates(cut.result) < PARAMS.n
    ranked = rank_finished(engine, cut, source="test")
    assert ranked.ranking is not None and ranked.report["ranked_after_cancel"] and ranked.report["cancelled"]
    assert len(ranked.candidates) == PARAMS.n
    for i, cand in enumerate(ranked.candidates):
        raw = cut.result.candidates[i]
        if raw.finish_reason == "cancelled":
            assert cand.rejected is not None and cand.nll is None, i  # cut off: kept, never scored or chosen
            continue
        reference = full.candidates[i]  # the same seed: the same text, so the same filter verdict and score
        assert raw.text == full.result.candidates[i].text, i
        assert cand.rejected == reference.rejected, i
        if reference.nll is not None:
            assert cand.nll == pytest.approx(reference.nll, abs=5e-3), i
    if ranked.chosen is not None:
        assert cut.result.candidates[ranked.chosen].finish_reason != "cancelled"
    assert rank_finished(engine, full, source="test") is full  # a run that was not cancelled is left alone


def test_the_window_ranks_what_is_done_after_cancel(qtbot) -> None:
    window = make_window(qtbot)
    set_params(window, n=6, max_tokens=400, temperature=1.0)
    window.results.auto_save.setChecked(False)
    button = window.findChild(QPushButton, "rankDoneButton")
    assert not button.isVisible()
    for threshold in (60, 150, 300):  # cancel once enough tokens have streamed that some candidate ended
        pieces: list[int] = []
        count = lambda i, _t: pieces.append(i)  # noqa: E731
        window.engine.worker.piece.connect(count)
        with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT_MS):
            start_run(window)
            qtbot.waitUntil(lambda: len(pieces) >= threshold or window.run_job is None, timeout=RUN_TIMEOUT_MS)
            if window.run_job is not None:
                window.form.cancel_button.click()
        window.engine.worker.piece.disconnect(count)
        if button.isVisible():
            break
    assert button.isVisible(), window.status.text()
    assert window.cancelled is not None and window.outcome is None
    with qtbot.waitSignal(window.runFinished, timeout=RUN_TIMEOUT_MS):
        button.click()
    assert not button.isVisible() and window.outcome is not None and window.outcome.ranking is not None
    assert window.outcome.report["ranked_after_cancel"] is True
    cut_off = [i for i, c in enumerate(window.outcome.result.candidates) if c.finish_reason == "cancelled"]
    assert cut_off and all(window.outcome.candidates[i].rejected and window.outcome.candidates[i].nll is None for i in cut_off)
    assert window.results.candidate_list.count() == 6
    assert window.status.is_error or window.status.text().startswith("Done"), window.status.text()


def start_run(window) -> None:
    window.form.output_text.setPlainText(TEXT)
    window.submit()
    assert window.run_job is not None, window.status.text()
