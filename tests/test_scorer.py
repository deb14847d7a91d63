"""A second, smaller model scores the candidates (``--scorer``): every score comes from it, the generator
still samples, the report and the records name both, and every way in (CLI, API, batch, eval-choice,
settings) takes it. The generator is the scripted model (its candidates are fixed on any CPU); the scorer
is SmolLM2, so the scores it gives can be checked against SmolLM2 scoring the same candidates itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import HAPPY, SCRIPTS
from opening.base.choice import Choice
from opening.base.errors import BadInput, ModelError
from opening.base.sampling import SamplingParams
from opening.llama.engine import Engine, EngineSettings
from opening.pipeline.batch import batch_config
from opening.pipeline.ranking import rank
from opening.pipeline.request import Request, generate_candidates
from opening.pipeline.run import open_scorer, run_request

DEV = Path(__file__).parent / "data" / "dev_pairs.jsonl"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "opening", *args], capture_output=True, env=env or dict(os.environ), timeout=300
    )


@pytest.fixture
def scripted(scripted_path: Path):
    engine = Engine(scripted_path, EngineSettings(threads=2))
    yield engine
    engine.close()


def test_the_scorer_gives_every_score_and_the_generator_samples(scripted: Engine, engine: Engine, smol_path: Path) -> None:
    params = SamplingParams(n=3, max_tokens=24, seed=3)
    alone = run_request(scripted, Request(HAPPY, params), source="test")
    open_scorer(scripted, smol_path, EngineSettings(threads=2))
    assert scripted.scorer is not None and scripted.scoring is scripted.scorer
    scored = run_request(scripted, Request(HAPPY, params), source="test")
    # the same candidates (the generator samples), other scores
    assert [c.instruction for c in scored.candidates] == [c.instruction for c in alone.candidates]
    assert {c.instruction for c in scored.candidates} <= set(SCRIPTS)
    assert [c.nll for c in scored.candidates] != [c.nll for c in alone.candidates]
    # ... and they are SmolLM2's own scores of these candidates
    result = generate_candidates(scripted, Request(HAPPY, params))
    smol = rank(engine, HAPPY, result, choice=Choice())
    assert any(c.nll is not None for c in smol.candidates)
    for mine, its in zip(scored.candidates, smol.candidates, strict=True):
        assert (mine.nll is None) == (its.nll is None)  # duplicates are not scored
        if its.nll is not None:
            assert mine.nll == pytest.approx(its.nll, abs=1e-6) and mine.ifd == pytest.approx(its.ifd, rel=1e-5)
    # the report and every record name both models
    report = scored.report
    assert report["model"]["name"] == "scripted test model"
    assert report["scorer"]["name"] == engine.model.name and report["scorer"]["path"] == str(smol_path)
    assert len(report["scorer"]["sha256"]) == 64
    assert all(r.scorer_name == engine.model.name and r.scorer_sha256 == report["scorer"]["sha256"] for r in scored.records)
    assert alone.report["scorer"] is None and alone.records[0].scorer_name == ""
    # the same file as the generator: no second model
    open_scorer(scripted, scripted.model.path, EngineSettings(threads=2))
    assert scripted.scorer is None


def test_a_scorer_without_a_chat_template_is_refused_for_a_chat_generator(
    scripted: Engine, smol_path: Path, tmp_path: Path
) -> None:
    from scripted_model import write_scripted_model

    plain = write_scripted_model(tmp_path / "plain.gguf", smol_path, list(SCRIPTS), chat_template=False)
    with pytest.raises(BadInput) as err:
        open_scorer(scripted, plain, EngineSettings(threads=2))
    assert "no chat template" in str(err.value) and "--scorer" in str(err.value)
    assert scripted.scorer is None
    with pytest.raises(ModelError):
        open_scorer(scripted, tmp_path / "missing.gguf", EngineSettings(threads=2))


def test_cli_generate_and_batch_take_a_scorer(scripted_path: Path, smol_path: Path, tmp_path: Path) -> None:
    proc = run("generate", "-n", "2", "--max-tokens", "24", "--seed", "1", "--format", "json",
               "--model", str(scripted_path), "--scorer", str(smol_path), HAPPY)  # fmt: skip
    assert proc.returncode in (0, 3), proc.stderr.decode()
    report = json.loads(proc.stdout)
    assert report["scorer"]["path"] == str(smol_path) and report["model"]["path"] == str(scripted_path)
    missing = run("generate", "--model", str(scripted_path), "--scorer", str(tmp_path / "none.gguf"), HAPPY)
    assert missing.returncode != 0 and "--scorer" in missing.stderr.decode()
    assert run("generate", "--scorer", "", HAPPY).returncode == 2
    # batch: the records name the scorer; continuing with another scorer is refused, naming the change
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("happy\n\nThe river was neither shallow nor deep.\n", encoding="utf-8")
    out = tmp_path / "pairs.jsonl"
    base = ("batch", str(corpus), "--out", str(out), "-n", "2", "--max-tokens", "16", "--seed", "1",
            "--model", str(scripted_path))  # fmt: skip
    first = run(*base, "--scorer", str(smol_path))
    assert first.returncode == 0, first.stderr.decode()
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records and all(r["scorer_name"] == "Smollm2 135M 8k Lc100K Mix1 Ep2" for r in records if r.get("instruction"))
    other = run(*base)
    assert other.returncode == 2 and "scorer_sha256" in other.stderr.decode()


def test_settings_name_the_scorer_for_the_cli_and_the_api(scripted_path: Path, smol_path: Path, tmp_path: Path) -> None:
    import opening
    from opening.base.settings import Settings

    settings = Settings.load()
    settings.scorer_model = str(smol_path)
    settings.save()
    with opening.load_engine(scripted_path) as engine:
        assert engine.scorer is not None and engine.scorer.model.path == smol_path
        outcome = opening.generate(engine, HAPPY, n=2, max_tokens=16, seed=1)
        assert outcome.report["scorer"]["path"] == str(smol_path)
    with opening.load_engine(scripted_path, scorer=scripted_path) as engine:  # itself: no second model
        assert engine.scorer is None
    settings.scorer_model = str(tmp_path / "gone.gguf")
    settings.save()
    with pytest.raises(ModelError) as err:
        opening.load_engine(scripted_path)
    assert "scorer" in str(err.value)


def test_batch_configuration_names_the_scorer_only_when_there_is_one() -> None:
    params, choice = SamplingParams(seed=1), Choice()
    assert "scorer_sha256" not in batch_config("a" * 64, params, "chat", choice)  # runs from before still match
    assert batch_config("a" * 64, params, "chat", choice, "b" * 64)["scorer_sha256"] == "b" * 64


def test_eval_choice_measures_agreement_with_the_generator_scoring_itself(scripted_path: Path, tmp_path: Path) -> None:
    """A scorer that is a copy of the generator (another file, the same weights) must agree on every text,
    with the same ROUGE-L either way: the comparison itself is what is checked."""
    copy = tmp_path / "copy.gguf"
    shutil.copyfile(scripted_path, copy)
    proc = run("eval-choice", str(DEV), "--limit", "3", "-n", "3", "--max-tokens", "24", "--format", "json",
               "--model", str(scripted_path), "--scorer", str(copy))  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    report = json.loads(proc.stdout)
    agreement = report["scorer_agreement"]
    assert report["scorer"] == "scripted test model"
    assert agreement["agreement"] == 1.0 and agreement["rouge_scorer"] == pytest.approx(agreement["rouge_generator"])
    assert agreement["rank_seconds_scorer"] > 0 and agreement["rank_seconds_generator"] > 0
    text = run("eval-choice", str(DEV), "--limit", "1", "-n", "2", "--max-tokens", "16",
               "--model", str(scripted_path), "--scorer", str(copy))  # fmt: skip
    assert text.returncode == 0 and "the same choice on 100% of texts" in text.stdout.decode()
