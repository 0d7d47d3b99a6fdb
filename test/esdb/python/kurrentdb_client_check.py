"""Drives the embedded event store through the Python `kurrentdbclient`
(PyPI, written by other people) as a user of a real node would: appending,
reading, catch-up subscriptions and persistent subscriptions (create, read,
ack, nack). Run by test/esdb/python-client.e2e.test.ts:

    python kurrentdb_client_check.py esdb://127.0.0.1:PORT?tls=false

Prints one JSON report on stdout, what each step saw, and the mismatches
it found itself; exits 1 when there are any. Every blocking call carries a
timeout, so a server that stops answering fails the run instead of hanging it.
"""

import json
import sys
import uuid

from kurrentdbclient import KurrentDBClient, NewEvent, StreamState
from kurrentdbclient.exceptions import NotFoundError, WrongCurrentVersionError

TIMEOUT = 10.0
mismatches: list[str] = []
report: dict[str, object] = {"client": "kurrentdbclient", "mismatches": mismatches}


def expect(what: str, actual: object, expected: object) -> None:
    if actual != expected:
        mismatches.append(f"{what}: expected {expected!r}, got {actual!r}")


def deposit(n: int) -> NewEvent:
    return NewEvent(type="MoneyDeposited", data=json.dumps({"amount": n}).encode())


def amounts(events) -> list[int]:
    return [json.loads(e.data)["amount"] for e in events]


def take(subscription, count: int) -> list:
    """The next `count` items of a subscription (it is an iterator that blocks)."""
    out = []
    for item in subscription:
        out.append(item)
        if len(out) == count:
            break
    return out


def appending(client: KurrentDBClient, stream: str) -> None:
    first = client.append_to_stream(stream, events=[deposit(1), deposit(2), deposit(3)], current_version=StreamState.NO_STREAM, timeout=TIMEOUT)
    second = client.append_to_stream(stream, events=deposit(4), current_version=2, timeout=TIMEOUT)
    try:
        client.append_to_stream(stream, events=deposit(5), current_version=1, timeout=TIMEOUT)
        conflict = "accepted"
    except WrongCurrentVersionError:
        conflict = "WrongCurrentVersionError"
    version = client.get_current_version(stream, timeout=TIMEOUT)
    report["append"] = {"first_commit_position": first, "second_commit_position": second, "stale_version": conflict, "current_version": version}
    expect("append: commit positions grow", second > first > 0, True)
    expect("append at a stale version", conflict, "WrongCurrentVersionError")
    expect("current version after 4 events", version, 3)


def reading(client: KurrentDBClient, stream: str) -> None:
    forwards = client.get_stream(stream, timeout=TIMEOUT)
    backwards = client.get_stream(stream, backwards=True, limit=2, timeout=TIMEOUT)
    from_two = client.get_stream(stream, stream_position=2, timeout=TIMEOUT)
    try:
        client.get_stream(f"{stream}-missing", timeout=TIMEOUT)
        missing = "found"
    except NotFoundError:
        missing = "NotFoundError"
    in_all = [e for e in client.read_all(filter_include=[stream], filter_by_stream_name=True, timeout=TIMEOUT) if e.stream_name == stream]
    report["read"] = {
        "forwards": amounts(forwards),
        "positions": [e.stream_position for e in forwards],
        "backwards": amounts(backwards),
        "from_position_2": amounts(from_two),
        "missing_stream": missing,
        "in_all": amounts(in_all),
    }
    expect("read forwards", amounts(forwards), [1, 2, 3, 4])
    expect("stream positions", [e.stream_position for e in forwards], [0, 1, 2, 3])
    expect("read backwards, limit 2", amounts(backwards), [4, 3])
    expect("read from position 2", amounts(from_two), [3, 4])
    expect("read a stream that does not exist", missing, "NotFoundError")
    expect("$all filtered by stream name", amounts(in_all), [1, 2, 3, 4])
    expect("$all commit positions increase", [e.commit_position for e in in_all] == sorted(e.commit_position for e in in_all), True)


def subscribing(client: KurrentDBClient, stream: str) -> None:
    to_stream = client.subscribe_to_stream(stream, timeout=TIMEOUT)
    to_all = client.subscribe_to_all(filter_include=[stream], filter_by_stream_name=True, timeout=TIMEOUT)
    try:
        history = take(to_stream, 4)
        all_history = take(to_all, 4)
        client.append_to_stream(stream, events=deposit(5), current_version=3, timeout=TIMEOUT)
        live = take(to_stream, 1)
        all_live = take(to_all, 1)
    finally:
        to_stream.stop()
        to_all.stop()
    report["subscribe"] = {"stream_history": amounts(history), "stream_live": amounts(live), "all_history": amounts(all_history), "all_live": amounts(all_live)}
    expect("catch-up subscription to the stream, history", amounts(history), [1, 2, 3, 4])
    expect("catch-up subscription to the stream, live", amounts(live), [5])
    expect("catch-up subscription to $all (stream filter), history", amounts(all_history), [1, 2, 3, 4])
    expect("catch-up subscription to $all (stream filter), live", amounts(all_live), [5])


def persistent(client: KurrentDBClient, stream: str) -> None:
    group = "py-group"
    client.create_subscription_to_stream(group, stream, timeout=TIMEOUT)
    sub = client.read_subscription_to_stream(group, stream, timeout=30.0)
    seen: list[tuple[int, int | None]] = []
    try:
        # Events 1..5 from history: ack all but 2 (retried) and 3 (parked).
        for event in take(sub, 5):
            amount = json.loads(event.data)["amount"]
            seen.append((amount, event.retry_count))
            if amount == 2:
                sub.nack(event, action="retry")
            elif amount == 3:
                sub.nack(event, action="park")
            else:
                sub.ack(event)
        # The retried event comes back with its retry count raised.
        redelivered = take(sub, 1)[0]
        seen.append((json.loads(redelivered.data)["amount"], redelivered.retry_count))
        sub.ack(redelivered)
        client.append_to_stream(stream, events=deposit(6), current_version=4, timeout=TIMEOUT)
        live = take(sub, 1)[0]
        seen.append((json.loads(live.data)["amount"], live.retry_count))
        sub.ack(live)
    finally:
        sub.stop()
    info = client.get_subscription_info(group, stream, timeout=TIMEOUT)
    groups = [s.group_name for s in client.list_subscriptions_to_stream(stream, timeout=TIMEOUT)]

    all_group = "py-all-group"
    client.create_subscription_to_all(all_group, filter_include=[stream], filter_by_stream_name=True, timeout=TIMEOUT)
    all_sub = client.read_subscription_to_all(all_group, timeout=30.0)
    try:
        from_all = take(all_sub, 6)
        for event in from_all:
            all_sub.ack(event)
    finally:
        all_sub.stop()

    report["persistent"] = {
        "deliveries": seen,
        "parked": info.parked_message_count,
        "groups": groups,
        "all_deliveries": amounts(from_all),
    }
    expect("persistent deliveries (amount, retry count)", seen, [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (2, 1), (6, 0)])
    expect("parked messages", info.parked_message_count, 1)
    expect("groups on the stream", groups, [group])
    expect("persistent subscription to $all (stream filter)", amounts(from_all), [1, 2, 3, 4, 5, 6])


def main() -> int:
    client = KurrentDBClient(uri=sys.argv[1])
    stream = f"py-{uuid.uuid4().hex}"
    try:
        for step in (appending, reading, subscribing, persistent):
            try:
                step(client, stream)
            except Exception as error:  # a failed step is reported; the next ones still run where they can
                mismatches.append(f"{step.__name__}: {type(error).__name__}: {error}")
    finally:
        client.close()
    print(json.dumps(report))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
