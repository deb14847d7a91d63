"""The training mix: usable pairs only, exact and near duplicates dropped, sampled to a total in the
proportions asked, each reversed through a template drawn with the seed.

Near duplicates: two pairs whose responses (the generator's input) have the same 64-bit SimHash of
character 4-grams in any of four 16-bit bands *and* differ in at most :data:`NEAR_BITS` bits are one
pair; the first one read is kept. Exact duplicates are the same response after case and whitespace are
folded. Each source is first sampled to three times its share, so a 1.1M-line Firefly is not hashed whole.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from opening.base.errors import BadInput
from opening.pipeline.templates import OPENING_TEMPLATES
from opening_train.reverse import Reversed, reverse
from opening_train.sources import SOURCES, SourcePair

DEFAULT_TOTAL = 36_511
NEAR_BITS = 3
OVERSAMPLE = 3
_SPACE = re.compile(r"\s+")


@dataclass
class MixReport:
    read: dict[str, int] = field(default_factory=dict)
    unusable: dict[str, int] = field(default_factory=dict)
    exact_duplicates: int = 0
    near_duplicates: int = 0
    kept: dict[str, int] = field(default_factory=dict)


def parse_mix(text: str) -> dict[str, float]:
    """``sni=0.5,dolly=0.25,firefly=0.25`` (weights need not sum to 1)."""
    weights: dict[str, float] = {}
    try:
        for part in text.split(","):
            name, value = part.split("=")
            weights[name.strip()] = float(value)
    except ValueError:
        raise BadInput("train.bad_mix", got=text) from None
    if not weights or any(k not in SOURCES or not v >= 0 for k, v in weights.items()) or sum(weights.values()) <= 0:
        raise BadInput("train.bad_mix", got=text)
    return weights


def _usable(pair: SourcePair) -> bool:
    return bool(pair.instruction.strip() and pair.response.strip())


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


def simhash(text: str) -> int:
    grams = [text[i : i + 4] for i in range(max(1, len(text) - 3))]
    weights = [0] * 64
    for gram in grams:
        h = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(64) if weights[bit] > 0)


class Deduper:
    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.bands: list[dict[int, list[int]]] = [{} for _ in range(4)]

    def seen(self, text: str, report: MixReport) -> bool:
        norm = _norm(text)
        digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()
        if digest in self.exact:
            report.exact_duplicates += 1
            return True
        h = simhash(norm)
        for band, table in enumerate(self.bands):
            for other in table.get(h >> (16 * band) & 0xFFFF, ()):
                if bin(h ^ other).count("1") <= NEAR_BITS:
                    report.near_duplicates += 1
                    return True
        self.exact.add(digest)
        for band, table in enumerate(self.bands):
            table.setdefault(h >> (16 * band) & 0xFFFF, []).append(h)
        return False


def build_mix(
    sources: dict[str, Iterable[SourcePair]],
    *,
    total: int = DEFAULT_TOTAL,
    weights: dict[str, float] | None = None,
    seed: int = 0,
) -> tuple[list[Reversed], MixReport]:
    """The reversed training set and what happened to every pair read."""
    rng = random.Random(seed)
    report = MixReport()
    given = {name: w for name, w in (weights or {n: 1.0 for n in sources}).items() if name in sources and w > 0}
    shares = _shares(total, given)
    pools: dict[str, list[SourcePair]] = {}
    for name, pairs in sources.items():
        pool = []
        for pair in pairs:
            report.read[name] = report.read.get(name, 0) + 1
            if _usable(pair):
                pool.append(pair)
            else:
                report.unusable[name] = report.unusable.get(name, 0) + 1
        rng.shuffle(pool)
        pools[name] = pool[: OVERSAMPLE * shares.get(name, 0)]
    dedup = Deduper()
    out: list[Reversed] = []
    for name in sorted(pools):
        kept = 0
        for pair in pools[name]:
            if kept >= shares.get(name, 0):
                break
            if dedup.seen(pair.response, report):
                continue
            out.append(reverse(pair, rng.randrange(len(OPENING_TEMPLATES))))
            kept += 1
        report.kept[name] = kept
    if not out:
        detail = ", ".join(f"{k}: {v} read, {report.unusable.get(k, 0)} unusable" for k, v in report.read.items()) or "none"
        raise BadInput("train.empty_mix", detail=detail)
    rng.shuffle(out)
    return out, report


def _shares(total: int, weights: dict[str, float]) -> dict[str, int]:
    whole = sum(weights.values())
    shares = {k: int(total * w / whole) for k, w in weights.items()}
    for k in sorted(weights, key=lambda k: -weights[k])[: total - sum(shares.values())]:
        shares[k] += 1
    return shares
