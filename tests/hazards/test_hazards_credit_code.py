"""统一社会信用代码 check character (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingji.hazards import credit_code


def test_weights_are_powers_of_three_mod_31() -> None:
    assert credit_code.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "91350100m000100y43"])
def test_published_codes_are_valid(code: str) -> None:
    assert credit_code.normalise(code) == code.upper()


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "wrong check digit"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M0001O0Y43", "outside the code alphabet"),
    ],
)
def test_invalid_codes_say_why(code: str, reason: str) -> None:
    with pytest.raises(credit_code.CreditCodeError, match=reason):
        credit_code.normalise(code)


@given(st.text(alphabet=credit_code.ALPHABET, min_size=17, max_size=17), st.sampled_from(credit_code.ALPHABET))
def test_exactly_one_check_character_fits_any_seventeen(first17: str, last: str) -> None:
    assert credit_code.is_valid(first17 + last) == (last == credit_code.check_character(first17))
