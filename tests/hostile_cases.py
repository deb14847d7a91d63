"""Hostile and careless inputs for every entry point, generated: bad values for every option, special
files (folders, FIFOs, devices, over-long names) for every path, mutations and truncations of every file
format the app reads (datasets, GGUF headers, settings, registries, checkpoints), bad encodings.

Each :class:`Case` says how to build its files in a sandbox folder and (optionally) the user folder, the
command line (``{S}`` stands for the sandbox), and which exit codes are acceptable. ``test_hostile.py``
runs them all with the same assertions.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from gguf import GGUFWriter

Setup = Callable[[Path], None]
LONG = "n" * 300  # longer than any file system's name limit


@dataclass
class Case:
    id: str
    argv: list[str | bytes]
    prog: str = "opening"
    codes: tuple[int, ...] = (1, 2)
    setup: Setup | None = None
    home: Setup | None = None
    stdin: bytes | str | None = None
    """Bytes to send; ``"closed"``: no standard input at all; None: an empty one."""
    fragment: str = ""
    """Text the error line must contain."""
    error_line: bool = True
    """The command fails with exactly one ``PROG: error: …`` line on stderr."""
    env: dict[str, str] = field(default_factory=dict)


# -- files ---------------------------------------------------------------------------------------------


def write(name: str, data: bytes | str) -> Setup:
    def setup(s: Path) -> None:
        (s / name).parent.mkdir(parents=True, exist_ok=True)
        (s / name).write_bytes(data.encode() if isinstance(data, str) else data)

    return setup


def fifo(name: str) -> Setup:
    return lambda s: os.mkfifo(s / name)


def folder(name: str) -> Setup:
    return lambda s: (s / name).mkdir(parents=True, exist_ok=True)


def both(*setups: Setup) -> Setup:
    def setup(s: Path) -> None:
        for one in setups:
            one(s)

    return setup


def tiny_gguf(path: Path, **meta: int) -> None:
    """A llama-architecture GGUF header with the given hyper-parameters and one small tensor."""
    writer = GGUFWriter(str(path), "llama")
    writer.add_name("hostile")
    adders = {
        "block_count": writer.add_block_count, "context_length": writer.add_context_length,
        "embedding_length": writer.add_embedding_length, "head_count": writer.add_head_count,
        "feed_forward_length": writer.add_feed_forward_length,
    }
    for key, value in meta.items():
        adders[key](value)
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(32, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def gguf(name: str, **meta: int) -> Setup:
    return lambda s: tiny_gguf(s / name, **meta)


def gguf_patched(name: str, offset: int, data: bytes) -> Setup:
    def setup(s: Path) -> None:
        tiny_gguf(s / name, block_count=1)
        raw = bytearray((s / name).read_bytes())
        raw[offset:offset + len(data)] = data
        (s / name).write_bytes(bytes(raw))

    return setup


def gguf_cut(name: str, keep: float) -> Setup:
    def setup(s: Path) -> None:
        tiny_gguf(s / name, block_count=1)
        raw = (s / name).read_bytes()
        (s / name).write_bytes(raw[: int(len(raw) * keep)])

    return setup


def deep(n: int = 100_000) -> str:
    return "[" * n + "]" * n


# -- the cases -----------------------------------------------------------------------------------------

BAD_VALUES: dict[str, list[str]] = {
    "--temperature": ["-1", "nan", "inf", "-inf", "1e309", "abc", "", "101"],
    "--top-p": ["0", "-0.5", "1.5", "nan", "inf", "abc", ""],
    "--top-k": ["-1", "18446744073709551616", "1.5", "abc", ""],
    "-n": ["0", "11", "-3", "1.5", "abc", "99999999999999999999"],
    "--max-tokens": ["0", "-1", "18446744073709551616", "abc"],
    "--seed": ["-1", "4294967295", "18446744073709551616", "abc"],
    "--threads": ["0", "-4", "100000", "abc"],
    "--gpu-layers": ["abc", "1.5"],
    "--template": ["bogus"],
    "--format": ["xml"],
    "--save-format": ["yaml"],
}


def generate_option_cases() -> list[Case]:
    return [
        Case(f"generate {opt}={val or 'empty'}", ["generate", opt, val, "happy"], codes=(2,))
        for opt, values in BAD_VALUES.items() for val in values
    ]


def text_cases() -> list[Case]:
    return [
        Case("text empty", ["generate", ""], codes=(2,), fragment="empty"),
        Case("text spaces", ["generate", "   \n\t "], codes=(2,), fragment="empty"),
        Case("text invalid utf-8 argv", ["generate", b"\xff\xfe bad"], codes=(2,), fragment="UTF-8"),
        Case("text lone surrogate bytes", ["generate", b"\xed\xa0\x80"], codes=(2,), fragment="UTF-8"),
        Case("text and --file", ["generate", "x", "--file", "{S}/t.txt"], codes=(2,), setup=write("t.txt", "hi")),
        Case("no text", ["generate"], codes=(2,), fragment="no text"),
        Case("file missing", ["generate", "--file", "{S}/none.txt"], codes=(2,), fragment="not found"),
        Case("file is folder", ["generate", "--file", "{S}/d"], codes=(2,), setup=folder("d"), fragment="folder"),
        Case("file is fifo", ["generate", "--file", "{S}/p"], codes=(2,), setup=fifo("p"), fragment="regular"),
        Case("file is /dev/zero", ["generate", "--file", "/dev/zero"], codes=(2,), fragment="regular"),
        Case("file binary", ["generate", "--file", "{S}/b"], codes=(2,), setup=write("b", b"\x00\x01\x02"), fragment="NUL"),
        Case("file latin-1", ["generate", "--file", "{S}/l"], codes=(2,), setup=write("l", "café".encode("latin-1")), fragment="UTF-8"),
        Case("file empty", ["generate", "--file", "{S}/e"], codes=(2,), setup=write("e", b""), fragment="empty"),
        Case("file huge", ["generate", "--file", "{S}/h"], codes=(2,), setup=write("h", "长" * 700_000), fragment="limit"),
        Case("file 300-char name", ["generate", "--file", f"{{S}}/{LONG}"], codes=(2,), fragment="too long"),
        Case("file empty name", ["generate", "--file", ""], codes=(2,)),
        Case("stdin closed", ["generate", "--file", "-"], codes=(2,), stdin="closed", fragment="closed"),
        Case("stdin empty", ["generate", "--file", "-"], codes=(2,), stdin=b"", fragment="empty"),
        Case("stdin binary", ["generate", "--file", "-"], codes=(2,), stdin=b"\x00\xff", fragment="NUL"),
        Case("stdin huge", ["generate", "--file", "-"], codes=(2,), stdin=b"a" * 900_000, fragment="limit"),
    ]


DATASETS: dict[str, bytes | str] = {
    "not json": "{broken",
    "json object": '{"instruction": "x", "output": "y"}',
    "list of ints": "[1, 2, 3]",
    "list of strings": '["a", "b"]',
    "last item not an object": '[{"instruction": "a", "output": "b"}, 5]',
    "deep nesting": deep(),
    "deep nesting in item": "[" + "{\"a\": " * 50_000 + "1" + "}" * 50_000 + "]",
    "5000-digit integer": '[{"instruction": "a", "output": "b", "n": ' + "9" * 5000 + "}]",
    "lone surrogate": '[{"instruction": "\\ud800", "output": "b"}]',
    "NaN": '[{"instruction": "a", "output": "b", "nll": NaN}]',
    "Infinity": '[{"instruction": "a", "output": "b", "nll": Infinity}]',
    "byte-order mark": b"\xef\xbb\xbf[]",
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00",
    "truncated": '[{"instruction": "a", "output": "b"}, {"instruction": "c"',
    "unknown objects": '[{"title": "a"}]',
    "utf-16": "[]".encode("utf-16"),
}


def save_cases() -> list[Case]:
    cases = [
        Case(f"save into {name}", ["generate", "happy", "--save", "{S}/d.json"], setup=write("d.json", content))
        for name, content in DATASETS.items()
    ]
    jsonl = {
        "jsonl bad last line": '{"a": 1}\nnot json\n', "jsonl bad first line": 'nope\n{"a": 1}\n',
        "jsonl array line": "[1, 2]\n", "jsonl NaN": '{"a": NaN}\n',
    }
    cases += [
        Case(f"save into {name}", ["generate", "happy", "--save", "{S}/d.jsonl"], setup=write("d.jsonl", content))
        for name, content in jsonl.items()
    ]
    cases += [
        Case("save empty name", ["generate", "happy", "--save", ""], codes=(2,)),
        Case("save to folder", ["generate", "happy", "--save", "{S}/d"], setup=folder("d"), fragment="folder"),
        Case("save missing folder", ["generate", "happy", "--save", "{S}/no/d.json"], fragment="does not exist"),
        Case("save to fifo", ["generate", "happy", "--save", "{S}/p"], setup=fifo("p"), fragment="regular"),
        Case("save to /dev/null", ["generate", "happy", "--save", "/dev/null"], fragment="regular"),
        Case("save 300-char name", ["generate", "happy", "--save", f"{{S}}/{LONG}.json"], fragment="too long"),
        Case("save format clash", ["generate", "happy", "--save", "{S}/a.json", "--save-format", "sharegpt"],
             setup=write("a.json", '[{"instruction": "a", "input": "", "output": "b"}]'), fragment="alpaca"),
    ]
    return cases


def model_cases() -> list[Case]:
    def gen(name: str, setup: Setup | None, fragment: str = "") -> Case:
        return Case(f"model {name}", ["generate", "happy", "--model", "{S}/m.gguf"], setup=setup, fragment=fragment)

    cases = [
        Case("model empty name", ["generate", "happy", "--model", ""], codes=(2,)),
        gen("missing", None, "not found"),
        gen("folder", folder("m.gguf"), "folder"),
        gen("fifo", fifo("m.gguf"), "regular"),
        gen("empty file", write("m.gguf", b""), "empty file"),
        gen("text file", write("m.gguf", "hello, I am not a model"), "not a GGUF"),
        gen("random bytes", write("m.gguf", bytes(range(256)) * 64), "not a GGUF"),
        gen("block_count 0", gguf("m.gguf", block_count=0), "block_count"),
        gen("block_count 4096", gguf("m.gguf", block_count=4096), "block_count"),
        gen("context 0xFFFFFFFF", gguf("m.gguf", block_count=1, context_length=0xFFFFFFFF), "context_length"),
        gen("context 0", gguf("m.gguf", block_count=1, context_length=0), "context_length"),
        gen("embedding 0", gguf("m.gguf", block_count=1, embedding_length=0), "embedding_length"),
        gen("heads 0", gguf("m.gguf", block_count=1, head_count=0), "head_count"),
        gen("huge ff", gguf("m.gguf", block_count=1, feed_forward_length=1 << 30), "feed_forward_length"),
        gen("version 99", gguf_patched("m.gguf", 4, struct.pack("<I", 99)), "version"),
        gen("big-endian", gguf_patched("m.gguf", 4, struct.pack(">I", 3)), "big-endian"),
        gen("tensor count huge", gguf_patched("m.gguf", 8, struct.pack("<Q", 1 << 60)), "damaged"),
        gen("kv count huge", gguf_patched("m.gguf", 16, struct.pack("<Q", 1 << 60)), "damaged"),
        gen("truncated half", gguf_cut("m.gguf", 0.5), "truncated"),
        gen("truncated header", gguf_cut("m.gguf", 0.05), "GGUF"),
        gen("header only, no tensors loadable", gguf("m.gguf", block_count=1), "llama.cpp"),
        Case("model 300-char name", ["generate", "happy", "--model", f"{{S}}/{LONG}.gguf"], fragment="too long"),
        Case("OPENING_MODEL missing", ["generate", "happy"], env={"OPENING_MODEL": "/nonexistent/x.gguf"},
             fragment="OPENING_MODEL"),
    ]
    for action in ("add", "inspect"):
        cases += [
            Case(f"models {action} missing", ["models", action, "{S}/none.gguf"], fragment="not found"),
            Case(f"models {action} folder", ["models", action, "{S}/d"], setup=folder("d"), fragment="folder"),
            Case(f"models {action} fifo", ["models", action, "{S}/p.gguf"], setup=fifo("p.gguf"), fragment="regular"),
            Case(f"models {action} garbage", ["models", action, "{S}/g.gguf"], setup=write("g.gguf", b"GGUF" + b"\xff" * 64)),
            Case(f"models {action} 300-char", ["models", action, f"{{S}}/{LONG}"], fragment="too long"),
            Case(f"models {action} empty name", ["models", action, ""], codes=(2,)),
        ]
    cases.append(Case("models inspect -n 0", ["models", "inspect", "{S}/m.gguf", "-n", "0"], codes=(2,),
                      setup=gguf("m.gguf", block_count=1)))
    return cases


def download_cases() -> list[Case]:
    victim = write("victim.gguf", b"the user's own file")
    get = ["models", "download"]
    offline = {"HF_HUB_OFFLINE": "1", "HF_ENDPOINT": "http://127.0.0.1:9"}
    cases = [
        Case("download absolute file name", [*get, "a/b", "{S}/victim.gguf"], codes=(2,), setup=victim, env=offline),
        Case("download ../ file name", [*get, "a/b", "../../victim.gguf", "--folder", "{S}/models"], codes=(2,),
             setup=victim, env=offline),
        Case("download nested ../", [*get, "a/b", "x/../../../victim.gguf", "--folder", "{S}/models"], codes=(2,),
             setup=victim, env=offline),
        Case("download ~ file name", [*get, "a/b", "~/victim.gguf"], codes=(2,), env=offline),
        Case("download not gguf", [*get, "a/b", "weights.bin"], codes=(2,), env=offline),
        Case("download repo no slash", [*get, "noslash", "x.gguf"], codes=(2,), env=offline),
        Case("download repo three parts", [*get, "a/b/c", "x.gguf"], codes=(2,), env=offline),
        Case("download repo ..", [*get, "../..", "x.gguf"], codes=(2,), env=offline),
        Case("download repo empty", [*get, "", "x.gguf"], codes=(2,), env=offline),
        Case("download unknown catalog name", [*get, "no-such-model"], codes=(2,), env=offline),
        Case("download folder empty", [*get, "a/b", "x.gguf", "--folder", ""], codes=(2,), env=offline),
        Case("download folder is a file", [*get, "a/b", "x.gguf", "--folder", "{S}/victim.gguf"], setup=victim,
             env=offline),
    ]
    for bad in ("xyz", "a" * 63, "a" * 65, "g" * 64, "-" * 64):
        cases.append(Case(f"download sha256 {bad[:5]}x{len(bad)}", [*get, "a/b", "x.gguf", f"--sha256={bad}"],
                          codes=(2,), env=offline, fragment="64 hexadecimal"))
    return cases


SETTINGS: dict[str, bytes | str] = {
    "settings not json": "{",
    "settings list": "[1, 2]",
    "settings deep": deep(),
    "settings huge int": '{"threads": ' + "9" * 5000 + "}",
    "settings NaN": '{"gpu_layers": NaN}',
    "settings threads 100000": '{"threads": 100000}',
    "settings wrong types": '{"threads": "x", "gpu_layers": true, "params": 5, "default_model": 7}',
    "settings binary": b"\x00\xff\x00",
}
REGISTRIES: dict[str, str] = {
    "registry path int": '[{"path": 5, "source": "added"}]',
    "registry object": '{"path": "/x"}',
    "registry junk entries": '[1, "a", null, {"source": "x"}]',
    "registry deep": deep(),
}


def home_cases() -> list[Case]:
    inspect = ["models", "inspect", "{S}/m.gguf"]
    cases = [
        Case(name, inspect, codes=(0,), error_line=False, setup=gguf("m.gguf", block_count=1),
             home=write("config.json", content))
        for name, content in SETTINGS.items()
    ]
    cases += [
        Case("settings is a folder", inspect, codes=(0,), error_line=False, setup=gguf("m.gguf", block_count=1),
             home=folder("config.json")),
        Case("settings is a fifo", inspect, codes=(0,), error_line=False, setup=gguf("m.gguf", block_count=1),
             home=fifo("config.json")),
        Case("default model in settings missing", ["generate", "happy"], home=write(
            "config.json", '{"default_model": "/nonexistent/m.gguf"}'), fragment="settings"),
        Case("models add --default onto a folder settings", ["models", "add", "{S}/m.gguf", "--default"], codes=(1,),
             setup=gguf("m.gguf", block_count=1), home=folder("config.json"), error_line=False),
    ]
    cases += [Case(name, ["models", "list"], codes=(0,), error_line=False, home=write("models.json", content))
              for name, content in REGISTRIES.items()]
    cases.append(Case("registry is a fifo", ["models", "list"], codes=(0,), error_line=False, home=fifo("models.json")))
    return cases


def output_cases() -> list[Case]:
    return [
        Case("unknown command", ["frobnicate"], codes=(2,)),
        Case("unknown option", ["generate", "--frobnicate", "x"], codes=(2,)),
        Case("gui bad language", ["gui", "--language", "fr"], codes=(2,)),
    ]


# -- the converter -------------------------------------------------------------------------------------


CHECKPOINT: list[Path] = []
"""A valid tiny Llama checkpoint, made once by the test session (the mutations copy it)."""


def checkpoint_mutation(mutate: Callable[[Path], None]) -> Setup:
    def setup(s: Path) -> None:
        shutil.copytree(CHECKPOINT[0], s / "ckpt")
        mutate(s / "ckpt")

    return setup


def set_config(**changes: object) -> Callable[[Path], None]:
    def mutate(ckpt: Path) -> None:
        config = json.loads((ckpt / "config.json").read_text())
        config.update(changes)
        (ckpt / "config.json").write_text(json.dumps(config, allow_nan=True))

    return mutate


def replace_file(name: str, data: bytes | str) -> Callable[[Path], None]:
    return lambda ckpt: (ckpt / name).write_bytes(data.encode() if isinstance(data, str) else data)


def safetensors_header(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def mutate(ckpt: Path) -> None:
        path = ckpt / "model.safetensors"
        raw = path.read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8:8 + n])
        edit(header)
        new = json.dumps(header).encode()
        new += b" " * (-len(new) % 8)
        path.write_bytes(struct.pack("<Q", len(new)) + new + raw[8 + n:])

    return mutate


def _first_two(header: dict) -> tuple[dict, dict]:
    names = [k for k in header if k != "__metadata__"]
    return header[names[0]], header[names[1]]


def convert_cases() -> list[Case]:
    def conv(name: str, mutate: Callable[[Path], None], fragment: str = "", extra: tuple[str, ...] = ()) -> Case:
        return Case(f"convert {name}", ["{S}/ckpt", "--out", "{S}/out.gguf", "--type", "F32", *extra],
                    prog="opening-convert", setup=checkpoint_mutation(mutate), fragment=fragment)

    def overlap(h: dict) -> None:
        a, b = _first_two(h)
        b["data_offsets"] = [a["data_offsets"][0], a["data_offsets"][0] + b["data_offsets"][1] - b["data_offsets"][0]]

    def negative(h: dict) -> None:
        _first_two(h)[0]["data_offsets"] = [-4, 0]

    def misaligned(h: dict) -> None:
        a, _ = _first_two(h)
        a["data_offsets"] = [a["data_offsets"][0] + 1, a["data_offsets"][1] + 1]

    def wrong_dtype(h: dict) -> None:
        _first_two(h)[0]["dtype"] = "F16"

    def unknown_dtype(h: dict) -> None:
        _first_two(h)[0]["dtype"] = "Q9_9"

    def past_end(h: dict) -> None:
        _first_two(h)[0]["data_offsets"] = [0, 1 << 40]

    def shape_type(h: dict) -> None:
        _first_two(h)[0]["shape"] = ["64", 2]

    def not_dict(h: dict) -> None:
        h[next(iter(h))] = [1, 2]

    cases = [
        conv("config not json", replace_file("config.json", "{"), "cannot read"),
        conv("config list", replace_file("config.json", "[]"), "not a JSON object"),
        conv("config deep", replace_file("config.json", deep()), "nested"),
        conv("config hidden_size str", set_config(hidden_size="64"), "hidden_size"),
        conv("config hidden_size float", set_config(hidden_size=64.7), "hidden_size"),
        conv("config hidden_size bool", set_config(hidden_size=True), "hidden_size"),
        conv("config hidden_size negative", set_config(hidden_size=-64), "hidden_size"),
        conv("config zero heads", set_config(num_attention_heads=0), "num_attention_heads"),
        conv("config heads not dividing", set_config(num_attention_heads=5), "multiple"),
        conv("config kv heads not dividing", set_config(num_key_value_heads=3), "num_key_value_heads"),
        conv("config zero layers", set_config(num_hidden_layers=0), "num_hidden_layers"),
        conv("config vocab 0", set_config(vocab_size=0), "vocab_size"),
        conv("config rms nan string", set_config(rms_norm_eps="nan"), "rms_norm_eps"),
        conv("config rms NaN", set_config(rms_norm_eps=float("nan")), "NaN"),
        conv("config rms negative", set_config(rms_norm_eps=-1), "rms_norm_eps"),
        conv("config rope inf", set_config(rope_theta=1e400), "Infinity"),
        conv("config architectures str", set_config(architectures="LlamaForCausalLM"), "architectures"),
        conv("config unknown arch", set_config(architectures=["GPT2LMHeadModel"]), "unsupported"),
        conv("config missing", lambda c: (c / "config.json").unlink(), "config.json"),
        conv("config is folder", lambda c: ((c / "config.json").unlink(), (c / "config.json").mkdir()), "folder"),
        conv("safetensors truncated", lambda c: (c / "model.safetensors").write_bytes(
            (c / "model.safetensors").read_bytes()[:5000]), "truncated"),
        conv("safetensors header length huge", lambda c: (c / "model.safetensors").write_bytes(
            struct.pack("<Q", 1 << 62) + b"{}"), "header length"),
        conv("safetensors header not json", lambda c: (c / "model.safetensors").write_bytes(
            struct.pack("<Q", 4) + b"{{{{"), "not JSON"),
        conv("safetensors tiny", replace_file("model.safetensors", b"abc"), "not a safetensors"),
        conv("safetensors overlapping", safetensors_header(overlap), "overlap"),
        conv("safetensors negative offset", safetensors_header(negative), "damaged"),
        conv("safetensors misaligned", safetensors_header(misaligned), "damaged"),
        conv("safetensors wrong dtype label", safetensors_header(wrong_dtype), "bytes"),
        conv("safetensors unknown dtype", safetensors_header(unknown_dtype), "unsupported type"),
        conv("safetensors past end", safetensors_header(past_end), "truncated"),
        conv("safetensors shape of strings", safetensors_header(shape_type), "damaged"),
        conv("safetensors entry not object", safetensors_header(not_dict), "damaged"),
        conv("index not json", replace_file("model.safetensors.index.json", "{"), "cannot read"),
        conv("index no weight_map", replace_file("model.safetensors.index.json", '{"a": 1}'), "weight_map"),
        conv("index shard outside", replace_file("model.safetensors.index.json",
                                                 '{"weight_map": {"x": "../../../etc/passwd"}}'), "relative"),
        conv("index shard absolute", replace_file("model.safetensors.index.json",
                                                  '{"weight_map": {"x": "/etc/passwd"}}'), "relative"),
        conv("index shard missing", replace_file("model.safetensors.index.json",
                                                 '{"weight_map": {"x": "nope.safetensors"}}'), "missing"),
        conv("tokenizer garbage", replace_file("tokenizer.model", b"\xff" * 64), "SentencePiece"),
        conv("tokenizer wrong wire type", replace_file("tokenizer.model", b"\x08\x01"), "SentencePiece"),
        conv("tokenizer bad bos", lambda c: (c / "tokenizer.model").write_bytes(
            (c / "tokenizer.model").read_bytes() + b"\x12\x05\xc8\x02\xa0\x8d\x06"), "bos_id"),
        conv("tokenizer empty", replace_file("tokenizer.model", b""), "SentencePiece"),
        conv("tokenizer missing", lambda c: (c / "tokenizer.model").unlink(), "tokenizer.model"),
        conv("no weights", lambda c: (c / "model.safetensors").unlink(), "no weights"),
    ]
    same = checkpoint_mutation(lambda c: None)
    cases += [
        Case("convert out is its own input", ["{S}/ckpt", "--out", "{S}/ckpt/model.safetensors", "--force"],
             prog="opening-convert", setup=same, codes=(2,), fragment="checkpoint's own"),
        Case("convert out is config", ["{S}/ckpt", "--out", "{S}/ckpt/config.json", "--force"],
             prog="opening-convert", setup=same, codes=(2,), fragment="checkpoint's own"),
        Case("convert out exists", ["{S}/ckpt", "--out", "{S}/taken.gguf"], prog="opening-convert",
             setup=both(same, write("taken.gguf", b"mine")), codes=(2,), fragment="--force"),
        Case("convert out is folder", ["{S}/ckpt", "--out", "{S}/ckpt"], prog="opening-convert", setup=same, codes=(2,)),
        Case("convert out missing folder", ["{S}/ckpt", "--out", "{S}/no/x.gguf"], prog="opening-convert", setup=same,
             codes=(2,), fragment="does not exist"),
        Case("convert out fifo", ["{S}/ckpt", "--out", "{S}/p.gguf", "--force"], prog="opening-convert",
             setup=both(same, fifo("p.gguf")), codes=(2,), fragment="regular"),
        Case("convert checkpoint missing", ["{S}/none", "--out", "{S}/x.gguf"], prog="opening-convert"),
        Case("convert checkpoint is file", ["{S}/f", "--out", "{S}/x.gguf"], prog="opening-convert", setup=write("f", "x")),
        Case("convert bad type", ["{S}/ckpt", "--out", "{S}/x.gguf", "--type", "Q1"], prog="opening-convert",
             setup=same, codes=(2,)),
        Case("convert threads 0", ["{S}/ckpt", "--out", "{S}/x.gguf", "--threads", "0"], prog="opening-convert",
             setup=same, codes=(2,)),
        Case("convert threads huge", ["{S}/ckpt", "--out", "{S}/x.gguf", "--threads", "100000"], prog="opening-convert",
             setup=same, codes=(2,)),
        Case("convert argv not utf-8", [b"\xff\xfe", "--out", "{S}/x.gguf"], prog="opening-convert", codes=(2,)),
        Case("convert 300-char out", ["{S}/ckpt", "--out", f"{{S}}/{LONG}.gguf"], prog="opening-convert", setup=same,
             fragment="too long"),
    ]
    return cases


def all_cases() -> list[Case]:
    return [*generate_option_cases(), *text_cases(), *save_cases(), *model_cases(), *download_cases(),
            *home_cases(), *output_cases(), *convert_cases()]
