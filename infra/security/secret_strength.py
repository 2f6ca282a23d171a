"""How guessable a secret looks: a cheap, conservative estimate of its entropy in bits.

Length alone is no proof (`"changeme" * 4` is 32 bytes). The estimate reads the secret as a
compressor would: a stretch that repeats an earlier one (three characters or more) adds
nothing, nor does a character that continues the previous ones' step (`aaaa`, `0123`, `abcd`);
every other character adds log2 of the number of distinct characters used. A random 32-byte
token scores about 200 bits and a random 16-byte hex string about 110 (rarely under 70);
repeated or sequential text scores a few dozen at most. Words are not recognised: this catches
filler, not every human-chosen phrase.
"""

from __future__ import annotations

import math

MIN_SECRET_BITS = 64
# Repeats shorter than this are common by chance in random text.
_MIN_REPEAT = 3
# Enough to judge; the quadratic scan stays cheap however long the secret.
_LOOKED_AT = 256


def estimated_bits(secret: str) -> float:
    text = secret[:_LOOKED_AT]
    distinct = len(set(text))
    if distinct < 2:
        return 0.0
    novel, index = 0, 0
    while index < len(text):
        repeated = _longest_repeat(text, index)
        if repeated >= _MIN_REPEAT:
            index += repeated
            continue
        if not _continues_the_run(text, index):
            novel += 1
        index += 1
    return novel * math.log2(distinct)


def _longest_repeat(text: str, index: int) -> int:
    """The length of the longest stretch at `index` that also starts earlier (it may overlap
    itself, as in `aaaa`)."""
    best = 0
    for start in range(index):
        length = 0
        while index + length < len(text) and text[start + length] == text[index + length]:
            length += 1
        best = max(best, length)
    return best


def _continues_the_run(text: str, index: int) -> bool:
    if index >= 1 and text[index] == text[index - 1]:
        return True
    if index < 2:
        return False
    step = ord(text[index - 1]) - ord(text[index - 2])
    return ord(text[index]) - ord(text[index - 1]) == step
