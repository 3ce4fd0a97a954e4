"""The webhook dispatcher retries with backoff, marks entries delivered, and never loses
one: not when the receiver fails, not when the process dies before or during a send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from activation_factory import consortium, planned

from spacepool.activation.notify import BACKOFF_MAX_S, backoff_s, dispatch_once
from spacepool.catalog.access import Viewer
from spacepool.store import Store
from spacepool.store.activation_models import OutboxEntry
from spacepool.store.activations import event_document, get_activation, list_events, save_activation
from spacepool.store.partners import add_partner

T0 = datetime(2026, 6, 1, 4, tzinfo=UTC)
URL = "https://hooks.example.org/spacepool"


class Receiver:
    """A webhook receiver: answers 503 while ``down``, else 200; records what arrives."""

    def __init__(self) -> None:
        self.down = True
        self.raise_error: Exception | None = None
        self.received: list[tuple[str, dict]] = []
        self.attempts = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.raise_error is not None:
            raise self.raise_error
        if self.down:
            return httpx.Response(503, text="maintenance")
        self.received.append((request.headers["Idempotency-Key"], json.loads(request.content)))
        return httpx.Response(200)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    with store.transaction() as session:
        for partner in consortium().partners:
            add_partner(session, partner.id, partner.name, now=T0)
        save_activation(session, planned(12.0), now=T0)
    yield store
    store.close()


def entries(store: Store) -> list[OutboxEntry]:
    from sqlalchemy import select

    with store.transaction() as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


def events(store: Store) -> list[dict]:
    with store.transaction() as session:
        record = get_activation(session, Viewer.admin(), T0, planned(12.0).activation.id)
        rows, _ = list_events(session, record, limit=100, offset=0)
        return [event_document(e) for e in rows]


def test_failures_are_retried_with_backoff_until_delivered(store: Store) -> None:
    receiver = Receiver()
    client = httpx.Client(transport=httpx.MockTransport(receiver))
    result = dispatch_once(store, client, URL, now=lambda: T0)
    assert (result.delivered, result.failed) == (0, 3)
    assert [(e.status, e.attempts) for e in entries(store)] == [("pending", 1)] * 3
    assert {e.next_attempt_at for e in entries(store)} == {T0 + timedelta(seconds=10)}
    assert entries(store)[0].last_error == "HTTP 503: maintenance"
    # Not yet due: nothing is sent.
    early = dispatch_once(store, client, URL, now=lambda: T0 + timedelta(seconds=9))
    assert (early.delivered, early.failed, receiver.attempts) == (0, 0, 3)
    second = dispatch_once(store, client, URL, now=lambda: T0 + timedelta(seconds=10))
    assert (second.delivered, second.failed) == (0, 3)
    assert {e.next_attempt_at for e in entries(store)} == {T0 + timedelta(seconds=30)}
    receiver.down = False
    done = dispatch_once(store, client, URL, now=lambda: T0 + timedelta(seconds=30))
    assert (done.delivered, done.failed) == (3, 0)
    assert [(e.status, e.attempts, e.delivered_at) for e in entries(store)] == [
        ("delivered", 3, T0 + timedelta(seconds=30))
    ] * 3
    assert [body for _, body in receiver.received] == events(store)
    assert [key for key, _ in receiver.received] == [str(e.id) for e in entries(store)]
    # Delivered entries stay (never deleted) and are not sent again.
    again = dispatch_once(store, client, URL, now=lambda: T0 + timedelta(hours=1))
    assert (again.delivered, again.failed, len(entries(store))) == (0, 0, 3)


def test_network_errors_leave_entries_pending(store: Store) -> None:
    receiver = Receiver()
    receiver.raise_error = httpx.ConnectError("connection refused")
    client = httpx.Client(transport=httpx.MockTransport(receiver))
    result = dispatch_once(store, client, URL, now=lambda: T0)
    assert (result.delivered, result.failed) == (0, 3)
    assert entries(store)[0].last_error == "ConnectError: connection refused"


def test_a_crash_between_the_state_change_and_the_send_keeps_the_entries(
    database_url: str, store: Store
) -> None:
    # The state change committed (the fixture); the process dies before any send. A
    # new process (a new Store on the same database) finds the entries and sends them.
    store.close()
    restarted = Store(database_url)
    try:
        receiver = Receiver()
        receiver.down = False
        client = httpx.Client(transport=httpx.MockTransport(receiver))
        result = dispatch_once(restarted, client, URL, now=lambda: T0)
        assert (result.delivered, result.failed) == (3, 0)
        assert [body["kind"] for _, body in receiver.received] == [
            "received",
            "validated",
            "planned",
        ]
    finally:
        restarted.close()


def test_a_crash_during_a_send_keeps_the_entries(store: Store) -> None:
    receiver = Receiver()
    receiver.raise_error = RuntimeError("process killed mid-request")
    client = httpx.Client(transport=httpx.MockTransport(receiver))
    with pytest.raises(RuntimeError, match="process killed"):
        dispatch_once(store, client, URL, now=lambda: T0)
    assert [(e.status, e.attempts) for e in entries(store)] == [("pending", 0)] * 3
    receiver.raise_error = None
    receiver.down = False
    result = dispatch_once(store, client, URL, now=lambda: T0)
    assert (result.delivered, result.failed) == (3, 0)


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 10.0), (2, 20.0), (3, 40.0), (9, 2560.0), (10, BACKOFF_MAX_S), (50, BACKOFF_MAX_S)],
)
def test_backoff_doubles_up_to_an_hour(attempts: int, seconds: float) -> None:
    assert backoff_s(attempts) == seconds
