"""How guessable a secret is: users' passwords (ASVS 2.1) and the server's signing key.

Pure: the shipped list of common passwords in, a verdict out. The list
(``standards/passwords/common-passwords.txt.gz``, its source and licence in the ``NOTICE.md`` beside it)
is read once, on first use.
"""

from __future__ import annotations

import gzip
import math
import string
from functools import lru_cache
from importlib import resources

MIN_PASSWORD_LENGTH = 12  # ASVS 4.0.3 V2.1.1
MIN_SECRET_BYTES = 32  # an HS256 key as long as the hash (RFC 7518 §3.2)
MIN_SECRET_BITS = 128.0  # guessing work an attacker holding one token must do, estimated below
_DECORATION = string.punctuation + string.whitespace


def _word_list(name: str) -> frozenset[str]:
    data = resources.files("yingji.standards").joinpath("passwords", name).read_bytes()
    return frozenset(line.strip() for line in gzip.decompress(data).decode("utf-8").splitlines() if line.strip())


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    return _word_list("common-passwords.txt.gz")


@lru_cache(maxsize=1)
def guessable_words() -> frozenset[str]:
    """Common passwords and common English words (of 4 letters or more): what a secret is not built from."""
    return common_passwords() | _word_list("english-words.txt.gz")


def is_common(password: str) -> bool:
    """The password is on the list, compared without case; or it is a listed one with symbols added at the
    end (the first rule of every cracking rule set: ``Password123!`` is ``password123`` + ``!``)."""
    lowered = password.lower()
    listed = common_passwords()
    return lowered in listed or lowered.rstrip(_DECORATION) in listed


def password_problem(password: str, username: str = "") -> str | None:
    """Why ``password`` may not be used by ``username``, or None. ASVS 4.0.3 V2.1: at least 12 characters
    (2.1.1), not a common or breached password (2.1.7), no composition rules (2.1.9); and not containing the
    username (a guess an attacker tries first)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters"
    if is_common(password):
        return "password is on the list of commonly used passwords; choose another"
    if username and username.lower() in password.lower():
        return "password must not contain the username"
    return None


# -- the server's secret key ---------------------------------------------------------------------------


def _pool(text: str) -> int:
    """Characters an attacker would try per position, from the classes the text uses."""
    pool = 0
    for chars, size in ((string.ascii_lowercase, 26), (string.ascii_uppercase, 26), (string.digits, 10)):
        if any(c in chars for c in text):
            pool += size
    if any(not c.isascii() or not c.isalnum() for c in text):
        pool += 33
    return max(pool, 2)


def _longest_repeat(text: str, i: int) -> int:
    """The longest L such that text[i:i+L] also starts somewhere before i (0 if none of 3 or more): a binary
    search, since every prefix of a repeated part is repeated too."""
    low, high = 0, len(text) - i
    while low < high:
        mid = (low + high + 1) // 2
        if text.find(text[i : i + mid], 0, i + mid - 1) != -1:
            low = mid
        else:
            high = mid - 1
    return low if low >= 3 else 0


def secret_bits(secret: str, limit: int = 256) -> float:
    """A low estimate of a secret's entropy in bits: the cheapest reading of it as characters drawn from its
    character classes, common words and passwords, repeats of what came before and runs of
    consecutive characters (a small version of what zxcvbn does). The first ``limit`` characters count."""
    text = secret[:limit]
    n = len(text)
    if n == 0:
        return 0.0
    per_char = math.log2(_pool(text))
    words = guessable_words()
    word_bits = math.log2(len(words)) + 1  # which word, and whether capitalised
    longest_word = 32
    cost = [0.0] + [math.inf] * n
    for i in range(n):
        here = cost[i]
        if here == math.inf:
            continue
        cost[i + 1] = min(cost[i + 1], here + (1.0 if i and text[i] == text[i - 1] else per_char))
        lowered = text[i : i + longest_word].lower()
        for length in range(4, min(longest_word, n - i) + 1):
            if lowered[:length] in words:
                cost[i + length] = min(cost[i + length], here + word_bits)
        # a repeat of an earlier part (it may overlap itself: "abcabcabc")
        for length in range(3, _longest_repeat(text, i) + 1):
            cost[i + length] = min(cost[i + length], here + math.log2(i + 1) + math.log2(length))
        # a run of consecutive characters ("abcdef", "987654")
        step = ord(text[i + 1]) - ord(text[i]) if i + 1 < n else 0
        if step in (1, -1):
            end = i + 1
            while end + 1 < n and ord(text[end + 1]) - ord(text[end]) == step:
                end += 1
            if end - i + 1 >= 3:
                cost[end + 1] = min(cost[end + 1], here + per_char + 2)
    return cost[n]


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` cannot sign production tokens, or None: shorter than 32 bytes, or guessable (repeats,
    runs, words, common passwords: under 128 bits by :func:`secret_bits`)."""
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    if secret_bits(secret) < MIN_SECRET_BITS:
        return "is of low entropy (repeats, sequences or common words); generate one, e.g. `openssl rand -hex 32`"
    return None
