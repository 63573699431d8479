"""Pairs of submissions whose code is unusually alike, for an instructor to look at (never a verdict).

Each module is tokenized, its lines that are the stub's own are dropped, identifiers, numbers and
strings become placeholders (so renaming and retyping change nothing), and the token stream is
fingerprinted by winnowing its k-grams' hashes. Two submissions' share is the Jaccard similarity
of their fingerprint sets.
"""

from __future__ import annotations

import io
import itertools
import keyword
import tokenize
import zlib
from dataclasses import dataclass

K = 5  # tokens per k-gram
WINDOW = 4  # k-grams per winnowing window
MAX_TOKENS = 50_000  # a submission decides how long its module is
MIN_FINGERPRINTS = 8  # fewer (e.g. a stub handed in as it is) is too little code to compare
THRESHOLD = 0.6
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    share: float


def tokens(source: str, skip_lines: frozenset[str] = frozenset()) -> list[str]:
    """The normalised tokens of ``source``, without those whose lines all are (stripped) in ``skip_lines``."""
    # skipped[n]: line n (from 1) is blank or the stub's; the end marker's line, past the last, counts as blank
    skipped = [True] + [not line.strip() or line.strip() in skip_lines for line in source.splitlines()] + [True]

    def on_skipped_lines(token: tokenize.TokenInfo) -> bool:
        last = min(token.end[0], len(skipped) - 1)
        return all(skipped[number] for number in range(token.start[0], last + 1))

    found: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if len(found) >= MAX_TOKENS:
                break
            if token.type not in SKIPPED and not on_skipped_lines(token):
                found.append(_normalised(token))
    except (tokenize.TokenError, SyntaxError):
        pass  # what was read before the error still counts
    return found


def _normalised(token: tokenize.TokenInfo) -> str:
    if token.type == tokenize.NAME:
        return token.string if keyword.iskeyword(token.string) else "name"
    if token.type == tokenize.NUMBER:
        return "number"
    if token.type == tokenize.STRING:
        return "string"
    if token.type == tokenize.OP:
        return token.string
    return tokenize.tok_name[token.type]


def fingerprints(source: str, stub: str = "") -> set[int]:
    """The winnowed k-gram hashes of ``source`` once the stub's lines are removed."""
    stub_lines = frozenset(line.strip() for line in stub.splitlines() if line.strip())
    stream = tokens(source, stub_lines)
    hashes = [zlib.crc32(" ".join(stream[i : i + K]).encode()) for i in range(len(stream) - K + 1)]
    if len(hashes) <= WINDOW:
        return set(hashes)
    return {min(hashes[i : i + WINDOW]) for i in range(len(hashes) - WINDOW + 1)}


def similar_pairs(sources: dict[str, str], stub: str = "", threshold: float = THRESHOLD) -> list[Pair]:
    """Pairs of ``sources`` (by key) sharing at least ``threshold`` of their fingerprints, most alike first."""
    prints = {key: fingerprints(source, stub) for key, source in sources.items()}
    prints = {key: found for key, found in prints.items() if len(found) >= MIN_FINGERPRINTS}
    pairs = []
    for (first, a), (second, b) in itertools.combinations(sorted(prints.items()), 2):
        share = len(a & b) / len(a | b)
        if share >= threshold:
            pairs.append(Pair(first, second, share))
    return sorted(pairs, key=lambda pair: (-pair.share, pair.first, pair.second))
