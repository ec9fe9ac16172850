"""A burst of arrivals is let through a few per loop turn, so frames due meanwhile go out."""

from __future__ import annotations

import asyncio

from streamrig.server._arrivals import ArrivalGate


async def _turns_of(
    gate: ArrivalGate, arrivals: int, cancel: frozenset[int] = frozenset()
) -> list[int]:
    """The loop turn (counted by a callback that re-arms itself) each arrival passed in."""
    loop = asyncio.get_running_loop()
    turn = 0

    def tick() -> None:
        nonlocal turn
        turn += 1
        loop.call_soon(tick)

    loop.call_soon(tick)
    passed: dict[int, int] = {}

    async def arrive(i: int) -> None:
        await gate.turn()
        passed[i] = turn

    tasks = [asyncio.create_task(arrive(i)) for i in range(arrivals)]
    await asyncio.sleep(0)  # every arrival has asked for its turn
    for i in cancel:
        tasks[i].cancel()  # a client gone while it waited
    await asyncio.gather(*tasks, return_exceptions=True)
    return [passed[i] for i in range(arrivals) if i in passed]


def test_a_burst_passes_a_few_per_turn_in_arrival_order():
    # The server's own gate (`create_app`): the README says 4 per turn.
    turns = asyncio.run(_turns_of(ArrivalGate(), 20))
    assert turns == sorted(turns)  # first come, first served
    per_turn = {t: turns.count(t) for t in turns}
    assert max(per_turn.values()) <= 4
    assert len(per_turn) >= 5  # 20 arrivals over at least five turns


def test_an_arrival_cancelled_while_waiting_gives_its_place_to_the_next():
    turns = asyncio.run(_turns_of(ArrivalGate(per_turn=2), 8, cancel=frozenset({3, 4})))
    assert len(turns) == 6
    assert max(turns.count(t) for t in turns) <= 2


def test_arrivals_that_come_one_by_one_pass_at_once():
    async def one_by_one() -> int:
        gate = ArrivalGate(per_turn=1)
        for _ in range(5):
            await gate.turn()
            await asyncio.sleep(0.001)
        return len(gate._waiting)

    assert asyncio.run(one_by_one()) == 0
