"""opening-convert on tiny random checkpoints the tests build: logits against a float64 numpy forward pass
of the HF model, token ids against SentencePiece, quantized outputs, streaming memory, bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import llama_cpp
import numpy as np
import pytest

from tiny_checkpoint import PROBES, QWEN2_THETA, Shape, make_checkpoint, reference_logits, train_tokenizer

F32_BOUND, F16_BOUND = 5e-3, 2e-2


@pytest.fixture(scope="session")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_tokenizer(tmp_path_factory.mktemp("spm"))


@pytest.fixture(scope="module")
def baichuan(tmp_path_factory: pytest.TempPathFactory, tokenizer: Path):
    folder = tmp_path_factory.mktemp("baichuan") / "tiny-baichuan"
    return folder, make_checkpoint(folder, Shape(), tokenizer=tokenizer)


def convert(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opening_convert.cli", *args], capture_output=True, text=True,
                          timeout=600)


def converted(folder: Path, out: Path, typ: str) -> Path:
    proc = convert(str(folder), "--out", str(out), "--type", typ)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out) and out.is_file()
    return out


def llama_logits(path: Path, tokens: list[int], *, f32_cache: bool) -> np.ndarray:
    kv = {"type_k": 0, "type_v": 0} if f32_cache else {}
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, logits_all=True, verbose=False, n_threads=2,
                          flash_attn=False, **kv)
    llm.eval(tokens)
    got = np.array(llm.scores[: len(tokens)], dtype=np.float64)
    llm.close()
    return got


def check_against_reference(gguf: Path, weights, shape: Shape, tokenizer: Path, bound: float, f32_cache: bool) -> float:
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(tokenizer))
    llm = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    for text in PROBES:  # the GGUF tokenizer gives SentencePiece's ids
        assert llm.tokenize(text.encode(), add_bos=False) == sp.encode(text), text
    tokens = [sp.bos_id()] + sp.encode(PROBES[2])
    assert len(tokens) > 20
    ref = reference_logits(weights, shape, tokens)
    assert ref.std() > 1.0  # logits big enough for the comparison to mean something
    diff = float(np.abs(llama_logits(gguf, tokens, f32_cache=f32_cache) - ref).max())
    print(f"{gguf.name}: max |logit difference| {diff:.2e} (bound {bound:.0e})")
    assert diff <= bound
    return diff


def test_baichuan_f32_and_f16_match_the_reference(baichuan, tmp_path: Path, tokenizer: Path) -> None:
    folder, weights = baichuan
    f32 = converted(folder, tmp_path / "b.F32.gguf", "F32")
    # F32 weights and an F32 KV cache: the conversion alone (measured ~6e-6)
    check_against_reference(f32, weights, Shape(), tokenizer, F32_BOUND, f32_cache=True)
    f16 = converted(folder, tmp_path / "b.F16.gguf", "F16")
    # F16 weights, llama.cpp's default F16 KV cache (measured ~1.4e-2)
    check_against_reference(f16, weights, Shape(), tokenizer, F16_BOUND, f32_cache=False)
    from opening.models.gguf_file import inspect_gguf

    info = inspect_gguf(f16)
    assert (info.architecture, info.quantization, info.name) == ("baichuan", "F16", "tiny-baichuan")
    assert info.metadata["baichuan.rope.dimension_count"] == 64
    assert len(info.metadata["tokenizer.ggml.tokens"]) == Shape().n_vocab  # padded to the embedding rows


def test_llama_with_grouped_kv_heads(tmp_path: Path, tokenizer: Path) -> None:
    shape = Shape(family="llama", n_head=4, n_head_kv=2)
    weights = make_checkpoint(tmp_path / "tiny-llama", shape, tokenizer=tokenizer)
    gguf = converted(tmp_path / "tiny-llama", tmp_path / "l.gguf", "F32")
    check_against_reference(gguf, weights, shape, tokenizer, F32_BOUND, f32_cache=True)


def test_qwen2_with_biases_and_a_byte_level_bpe_tokenizer(tmp_path: Path) -> None:
    from tokenizers import Tokenizer

    shape = Shape(family="qwen2", n_head=4, n_head_kv=2, n_layer=4)
    weights = make_checkpoint(tmp_path / "tiny-qwen2", shape)
    gguf = converted(tmp_path / "tiny-qwen2", tmp_path / "q.gguf", "F32")
    hf = Tokenizer.from_file(str(tmp_path / "tiny-qwen2" / "tokenizer.json"))
    llm = llama_cpp.Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    texts = [*PROBES, "Line one.\n\nLine two, 2024 — it's 3.5 km!", "  two  spaces\tand a tab", "老马说：「水很浅。」"]
    for text in texts:  # llama.cpp's qwen2 pre-tokenizer and the tokenizer.json give the same ids
        assert llm.tokenize(text.encode(), add_bos=False, special=False) == hf.encode(text).ids, text
    assert llm.tokenize("happy".encode(), add_bos=True) == hf.encode("happy").ids  # Qwen2 adds no BOS
    tokens = hf.encode(PROBES[2]).ids
    assert len(tokens) > 15
    ref = reference_logits(weights, shape, tokens, theta=QWEN2_THETA)
    assert ref.std() > 1.0
    diff = float(np.abs(llama_logits(gguf, tokens, f32_cache=True) - ref).max())
    print(f"qwen2 F32: max |logit difference| {diff:.2e} (bound {F32_BOUND:.0e})")
    assert diff <= F32_BOUND
    from opening.models.gguf_file import inspect_gguf

    info = inspect_gguf(gguf)
    assert info.architecture == "qwen2" and info.metadata["tokenizer.ggml.model"] == "gpt2"
    assert info.metadata["tokenizer.ggml.pre"] == "qwen2"


def test_sharded_bf16_safetensors(tmp_path: Path, tokenizer: Path) -> None:
    weights = make_checkpoint(tmp_path / "sharded", Shape(), shards=3, tokenizer=tokenizer, dtype="BF16")
    assert len(list((tmp_path / "sharded").glob("model-*.safetensors"))) == 3
    gguf = converted(tmp_path / "sharded", tmp_path / "s.gguf", "F32")
    check_against_reference(gguf, weights, Shape(), tokenizer, F32_BOUND, f32_cache=True)


def test_quantized_outputs_load_generate_and_have_the_expected_size(baichuan, tmp_path: Path) -> None:
    folder, _ = baichuan
    f16 = converted(folder, tmp_path / "q.F16.gguf", "F16").stat().st_size
    sizes = {}
    for typ in ("Q8_0", "Q4_K_M", "Q4_0"):
        out = converted(folder, tmp_path / f"q.{typ}.gguf", typ)
        assert not list(tmp_path.glob(".*")), "the intermediate F16 and partial files are removed"
        sizes[typ] = out.stat().st_size / f16
        llm = llama_cpp.Llama(model_path=str(out), n_ctx=128, verbose=False, n_threads=2)
        text = llm.create_completion("happy", max_tokens=8, temperature=0)["choices"][0]["text"]
        llm.close()
        assert isinstance(text, str)
    print(f"size vs F16: Q8_0 {sizes['Q8_0']:.3f}, Q4_K_M {sizes['Q4_K_M']:.3f}, Q4_0 {sizes['Q4_0']:.3f}")
    assert 0.50 < sizes["Q8_0"] < 0.56  # 8.5 bits of 16
    assert 0.27 < sizes["Q4_K_M"] < 0.38  # 4.5-6.6 bits (K-quant mix) of 16
    assert 0.26 < sizes["Q4_0"] < sizes["Q4_K_M"]  # 4.5 bits of 16 (output and embeddings kept wider)


def test_keep_f16_and_refuse_to_overwrite(baichuan, tmp_path: Path) -> None:
    folder, _ = baichuan
    out = tmp_path / "k.Q8_0.gguf"
    proc = convert(str(folder), "--out", str(out), "--type", "Q8_0", "--keep-f16")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "k.Q8_0.F16.gguf").is_file()
    before = out.read_bytes()
    proc = convert(str(folder), "--out", str(out), "--type", "F32")
    assert proc.returncode == 2 and "--force" in proc.stderr and out.read_bytes() == before
    proc = convert(str(folder), "--out", str(out), "--type", "F32", "--force")
    assert proc.returncode == 0 and out.stat().st_size > len(before)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """Exit 1, no traceback, one error line (after any progress lines)."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1 and lines[-1] == errors[0], proc.stderr
    return errors[0]


def test_bad_checkpoints_give_one_clear_line(baichuan, tmp_path: Path, tokenizer: Path) -> None:
    folder, _ = baichuan
    out = str(tmp_path / "x.gguf")
    (tmp_path / "empty").mkdir()
    assert "no config.json" in one_line_error(convert(str(tmp_path / "empty"), "--out", out))

    alien = tmp_path / "alien"
    shutil.copytree(folder, alien)
    cfg = json.loads((alien / "config.json").read_text())
    (alien / "config.json").write_text(json.dumps({**cfg, "architectures": ["GPT2LMHeadModel"]}))
    assert "unsupported architecture GPT2LMHeadModel" in one_line_error(convert(str(alien), "--out", out))

    small = tmp_path / "small"
    make_checkpoint(small, Shape(n_ff=384), tokenizer=tokenizer)
    cfg = json.loads((small / "config.json").read_text())
    (small / "config.json").write_text(json.dumps({**cfg, "intermediate_size": 512}))
    line = one_line_error(convert(str(small), "--out", out))
    assert "model.layers.0.mlp.gate_proj.weight has shape [384, 256], expected [512, 256]" in line

    missing = tmp_path / "missing"
    shutil.copytree(folder, missing)
    from tiny_checkpoint import make_weights, write_safetensors

    weights = make_weights(Shape())
    del weights["model.layers.7.mlp.up_proj.weight"]
    write_safetensors(missing / "model.safetensors", weights)
    line = one_line_error(convert(str(missing), "--out", out))
    assert "no tensor model.layers.7.mlp.up_proj.weight (expected shape [512, 256])" in line

    cut = tmp_path / "cut"
    shutil.copytree(folder, cut)
    data = (cut / "model.safetensors").read_bytes()
    (cut / "model.safetensors").write_bytes(data[: len(data) * 2 // 3])
    assert "truncated" in one_line_error(convert(str(cut), "--out", out))

    torch_bin = tmp_path / "bin"
    torch_bin.mkdir()
    shutil.copy(folder / "config.json", torch_bin)
    shutil.copy(folder / "tokenizer.model", torch_bin)
    (torch_bin / "pytorch_model.bin").write_bytes(b"PK\x03\x04 not really a zip")
    line = one_line_error(convert(str(torch_bin), "--out", out))
    assert "torch" in line
    assert not list(tmp_path.glob("*.gguf")) and not list(tmp_path.glob(".*partial"))


def test_a_normaliser_other_than_identity_is_warned_about(baichuan, tmp_path: Path) -> None:
    import sentencepiece as spm

    folder, _ = baichuan
    nfkc = tmp_path / "nfkc"
    shutil.copytree(folder, nfkc)
    corpus = tmp_path / "c.txt"
    from tiny_checkpoint import training_lines

    corpus.write_text("\n".join(training_lines()), encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "t"), vocab_size=600,
                                   model_type="bpe", character_coverage=1.0, byte_fallback=True, minloglevel=2)
    shutil.copy(tmp_path / "t.model", nfkc / "tokenizer.model")
    proc = convert(str(nfkc), "--out", str(tmp_path / "n.gguf"), "--type", "F16")
    assert proc.returncode == 0, proc.stderr
    assert "'nmt_nfkc' normaliser" in proc.stderr


def test_read_only_folder_and_full_disk_leave_nothing(baichuan, mount_tmpfs) -> None:
    folder, _ = baichuan
    ro = mount_tmpfs("ro", "size=1m")
    subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
    assert "read-only" in one_line_error(convert(str(folder), "--out", str(ro / "m.gguf"), "--type", "F16"))
    full = mount_tmpfs("full", "size=8m")  # the F16 file is ~25 MB
    line = one_line_error(convert(str(folder), "--out", str(full / "m.gguf"), "--type", "F16"))
    assert "disk is full" in line
    assert os.listdir(full) == []
    line = one_line_error(convert(str(folder), "--out", str(full / "m.gguf"), "--type", "Q4_K_M"))
    assert "disk is full" in line and os.listdir(full) == []


def test_conversion_streams_tensor_by_tensor(tmp_path: Path, tokenizer: Path) -> None:
    """A ~540 MB F32 checkpoint converts to F16 with a peak RSS far below its size (the bench script
    measures the ≥ 2 GB case)."""
    shape = Shape(n_embd=512, n_ff=2048, n_head=8, n_head_kv=8)
    make_checkpoint(tmp_path / "wide", shape, tokenizer=tokenizer)
    size = (tmp_path / "wide" / "model.safetensors").stat().st_size
    script = (
        "import sys; from pathlib import Path; from opening_convert.job import convert;"
        " from opening.models.memory_fit import peak_rss;"
        f" convert(Path({str(tmp_path / 'wide')!r}), Path({str(tmp_path / 'w.gguf')!r}), 'F16');"
        " print(peak_rss())"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    peak = int(proc.stdout.strip().splitlines()[-1])
    print(f"converting {size / 1e6:.0f} MB: peak RSS {peak / 1e6:.0f} MB")
    assert size > 500e6 and peak < 0.5 * size


def test_baichuan2_head_rows_are_normalised_and_the_chat_template_kept(baichuan, tmp_path: Path) -> None:
    from gguf import GGUFReader

    folder, weights = baichuan
    b2 = tmp_path / "tiny-baichuan2"
    shutil.copytree(folder, b2)
    cfg = json.loads((b2 / "config.json").read_text())
    (b2 / "config.json").write_text(json.dumps({**cfg, "_name_or_path": "baichuan-inc/Baichuan2-7B-Chat"}))
    template = "{% for m in messages %}<reserved_106>{{ m['content'] }}<reserved_107>{% endfor %}"
    (b2 / "tokenizer_config.json").write_text(json.dumps({"chat_template": template}))
    gguf = converted(b2, tmp_path / "b2.gguf", "F32")
    reader = GGUFReader(str(gguf))
    head = next(t for t in reader.tensors if t.name == "output.weight")
    rows = np.asarray(head.data, dtype=np.float64).reshape(Shape().n_vocab, Shape().n_embd)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    original = weights["lm_head.weight"].astype(np.float64)
    assert np.allclose(rows, original / np.linalg.norm(original, axis=1, keepdims=True), atol=1e-6)
    from opening.models.gguf_file import inspect_gguf

    assert inspect_gguf(gguf).chat_template == template
