"""Ids are drawn as `rng.choice` would draw them: seeded runs keep their ids."""

from __future__ import annotations

import random
from typing import Any

import pytest

from streamrig.providers._base import _BASE62, _HEX, draw_id


@pytest.mark.parametrize("alphabet", [_BASE62, _HEX, "ab", "x"])
def test_an_id_is_what_choice_draws_and_the_rng_moves_alike(alphabet):
    for seed in range(50):
        fast, stdlib = random.Random(seed), random.Random(seed)
        for length in (1, 24, 32):
            expected = "".join(stdlib.choice(alphabet) for _ in range(length))
            assert draw_id(fast, alphabet, length) == expected
        assert fast.getstate() == stdlib.getstate()


def test_a_random_subclass_draws_through_its_own_choice():
    class Fixed(random.Random):
        def choice(self, seq: Any) -> Any:
            return seq[0]

    assert draw_id(Fixed(1), _HEX, 5) == "00000"
