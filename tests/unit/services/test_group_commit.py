"""Group commit: callers that arrive while a batch is being stored are stored together in the next one."""

from __future__ import annotations

import threading
import time

import pytest

from rexian.services.group_commit import GroupCommit


class GatedStore:
    """Stores by recording each batch; the first batch waits at a gate until the test opens it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Event()
        self.first_started = threading.Event()

    def __call__(self, items: list[str]) -> list[str | BaseException]:
        if not self.batches:
            self.first_started.set()
            assert self.gate.wait(10)
        self.batches.append(list(items))
        return [ValueError(item) if item.startswith("bad") else item.upper() for item in items]


def submit_all(group: GroupCommit, items: list[str], outcomes: dict[str, object]) -> list[threading.Thread]:
    def one(item: str) -> None:
        try:
            outcomes[item] = group.submit(item)
        except Exception as error:  # noqa: BLE001 - the test looks at what each caller got
            outcomes[item] = error

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for t in threads:
        t.start()
    return threads


def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_a_lone_caller_is_stored_at_once_in_a_batch_of_its_own():
    store = GatedStore()
    store.gate.set()
    group = GroupCommit(store)
    assert group.submit("a") == "A"
    assert group.submit("b") == "B"
    assert store.batches == [["a"], ["b"]] and group.waiting == 0


def test_callers_arriving_during_a_store_share_the_next_batch_and_each_gets_its_own_outcome():
    store = GatedStore()
    group = GroupCommit(store)
    outcomes: dict[str, object] = {}
    threads = submit_all(group, ["first"], outcomes)
    assert store.first_started.wait(10)
    threads += submit_all(group, ["b", "bad-c", "d"], outcomes)
    wait_until(lambda: group.waiting == 3)
    assert outcomes == {}  # nobody is answered before their batch is stored
    store.gate.set()
    for t in threads:
        t.join(10)
    assert store.batches[0] == ["first"] and sorted(store.batches[1]) == ["b", "bad-c", "d"]
    assert outcomes["first"] == "FIRST" and outcomes["b"] == "B" and outcomes["d"] == "D"
    assert isinstance(outcomes["bad-c"], ValueError)


def test_a_batch_is_never_larger_than_its_limit():
    store = GatedStore()
    group = GroupCommit(store, max_batch=2)
    outcomes: dict[str, object] = {}
    threads = submit_all(group, ["first"], outcomes)
    assert store.first_started.wait(10)
    threads += submit_all(group, ["b", "c", "d", "e", "f"], outcomes)
    wait_until(lambda: group.waiting == 5)
    store.gate.set()
    for t in threads:
        t.join(10)
    assert [len(b) for b in store.batches] == [1, 2, 2, 1]
    assert outcomes == {item: item.upper() for item in ["first", "b", "c", "d", "e", "f"]}


def test_a_store_that_fails_fails_every_caller_of_its_batch_and_the_next_batch_still_runs():
    calls: list[list[str]] = []

    def store(items: list[str]) -> list[str]:
        calls.append(items)
        if len(calls) == 1:
            raise ConnectionError("database gone")
        return [item.upper() for item in items]

    group = GroupCommit(store)
    with pytest.raises(ConnectionError):
        group.submit("a")
    assert group.submit("b") == "B"


def test_a_store_that_answers_the_wrong_number_of_items_fails_the_batch_rather_than_hang():
    group = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="0 outcomes for a batch of 1"):
        group.submit("a")
    assert group.waiting == 0
