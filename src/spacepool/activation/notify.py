"""The webhook dispatcher: sends the notification outbox, retries, never loses an entry.

Every state change of an activation is stored with an outbox entry in the same
transaction (:func:`spacepool.store.activations.record_event`). The dispatcher
reads the due entries, POSTs each one's JSON to the webhook URL and marks it
delivered on a 2xx answer. Any other answer, a timeout or a network error leaves
the entry pending, with ``attempts`` counted and the next attempt after an
exponential backoff (:func:`backoff_s`). Entries are never deleted: a crash at any
point leaves each one either delivered or pending, and pending ones are sent on
the next run. Delivery is therefore *at least once*: a receiver that may see an
entry twice (the process died after the POST, before the mark) deduplicates by the
``Idempotency-Key`` header (the outbox entry id, also ``event_id`` in the body).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import httpx

from spacepool.store import Store
from spacepool.store.activations import due_notifications, mark_delivered, mark_failed

# Backoff: 10 s after the first failure, doubling, at most one hour between tries
# (the usual capped exponential backoff of webhook senders).
BACKOFF_BASE_S: Final = 10.0
BACKOFF_MAX_S: Final = 3600.0
# Entries sent per round, and the HTTP timeout of one POST (s).
BATCH: Final = 100
TIMEOUT_S: Final = 10.0


def backoff_s(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1, 2, ...)."""
    return min(BACKOFF_BASE_S * 2.0 ** max(attempts - 1, 0), BACKOFF_MAX_S)


@dataclass(frozen=True)
class DispatchResult:
    """One round: entries delivered and entries that failed (still pending)."""

    delivered: int
    failed: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


def dispatch_once(
    store: Store,
    client: httpx.Client,
    url: str,
    *,
    now: Callable[[], datetime] = _utc_now,
    batch: int = BATCH,
) -> DispatchResult:
    """Send every due entry once (oldest first) and record the outcome of each."""
    with store.transaction() as session:
        due = due_notifications(session, now(), limit=batch)
    delivered = failed = 0
    for entry in due:
        error: str | None = None
        try:
            response = client.post(
                url,
                json=entry.payload,
                headers={"Idempotency-Key": str(entry.id)},
                timeout=TIMEOUT_S,
            )
            if not response.is_success:
                error = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        when = now()
        with store.transaction() as session:
            if error is None:
                mark_delivered(session, entry.id, now=when)
                delivered += 1
            else:
                retry = when + timedelta(seconds=backoff_s(entry.attempts + 1))
                mark_failed(session, entry.id, now=when, error=error, next_attempt_at=retry)
                failed += 1
    return DispatchResult(delivered, failed)


def run_dispatcher(
    store: Store,
    url: str,
    *,
    stop: threading.Event,
    interval_s: float = 5.0,
    client: httpx.Client | None = None,
) -> None:
    """Dispatch rounds every ``interval_s`` seconds until ``stop`` is set."""
    own = client is None
    http = client or httpx.Client()
    try:
        while not stop.is_set():
            dispatch_once(store, http, url)
            stop.wait(interval_s)
    finally:
        if own:
            http.close()


__all__ = [
    "BACKOFF_BASE_S",
    "BACKOFF_MAX_S",
    "DispatchResult",
    "backoff_s",
    "dispatch_once",
    "run_dispatcher",
]
