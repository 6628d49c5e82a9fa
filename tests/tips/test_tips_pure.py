"""Tracking codes, per-address windows and photo cleaning (pure)."""

from __future__ import annotations

import io
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from yingji.auth.ratelimit import FixedWindow, WindowLimits
from yingji.tips import handling, photos, tracking


@given(st.binary(min_size=tracking.RANDOM_BYTES, max_size=tracking.RANDOM_BYTES))
def test_every_code_normalises_to_itself_in_any_spelling(raw: bytes) -> None:
    code = tracking.new_code(lambda n: raw[:n])
    canonical = tracking.normalise(code)
    assert canonical is not None and len(canonical) == 20
    assert tracking.normalise(code.lower().replace("-", " ")) == canonical
    assert tracking.digest(code) == tracking.digest(canonical.lower())


def test_codes_carry_100_bits() -> None:
    assert tracking.CODE_CHARS * 5 >= 100
    codes = {tracking.new_code(secrets.token_bytes) for _ in range(2000)}
    assert len(codes) == 2000
    assert tracking.normalise("not-a-code") is None


def test_window_admits_the_limit_then_says_how_long_to_wait() -> None:
    """In-process (no Redis, no database: the last resort); the shared stores: tests/auth/test_address_limits.py."""
    now = [10.0]
    limits, window = WindowLimits(None, clock=lambda: now[0]), FixedWindow(limit=2, seconds=60)
    assert [limits.admit("w", "a", window) for _ in range(3)] == [0, 0, 50]
    assert limits.noted("w", "a") == 50  # known full in this process: refused without counting
    assert limits.admit("w", "b", window) == 0  # another key is not held
    now[0] = 60.0
    assert limits.noted("w", "a") == 0 and limits.admit("w", "a", window) == 0  # a new window


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("L", (8000, 6000)).save(out, format="PNG")  # 48 Mpx of zeros: a few kB compressed
    assert len(out.getvalue()) < photos.MAX_PHOTO_BYTES
    with pytest.raises(photos.PhotoError, match="pixels"):
        photos.clean(out.getvalue())


def test_exif_orientation_is_applied_then_dropped() -> None:
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    cleaned = photos.clean(out.getvalue())
    assert (cleaned.width, cleaned.height) == (20, 40)
    with Image.open(io.BytesIO(cleaned.content)) as reread:
        assert not reread.getexif()
        assert "exif" not in reread.info


def test_the_median_days_to_close_is_published_only_over_enough_tips() -> None:
    from yingji.tips import handling

    assert handling.median_days([1, 2, 3, 4]) is None
    assert handling.median_days([5, 1, 3, 2, 4]) == 3.0
    assert handling.median_days([1, 2, 3, 4, 5, 60]) == 3.5


@pytest.mark.parametrize(
    ("counts", "published"),
    [
        ({"a": 12, "b": 7}, {"a": 12, "b": 7}),  # nothing small: as counted
        ({"a": 12, "b": 0}, {"a": 12, "b": 0}),  # zero is not small
        ({"a": 12, "b": 7, "c": 3}, {"a": 12, "b": None, "c": None}),  # one withheld: the smallest other too
        ({"a": 12, "b": 6, "c": 2, "d": 1}, {"a": 12, "b": None, "c": None, "d": None}),  # 2 + 1 < 5: more
        ({"a": 9, "b": 4, "c": 3}, {"a": 9, "b": None, "c": None}),  # 4 + 3 ≥ 5: enough
        ({"a": 3}, {"a": None}),  # all small
        ({"a": 3, "b": 0}, {"a": None, "b": 0}),  # nothing else to withhold
    ],
)
def test_small_counts_cannot_be_had_back_from_the_total(
    counts: dict[str, int], published: dict[str, int | None]
) -> None:
    assert handling.publish(counts) == published
