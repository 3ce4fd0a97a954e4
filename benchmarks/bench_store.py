"""The catalogue under load: bulk-load rate and search latency over loopback HTTP.

Loads N items with mixed access policies (open, consortium, owner, partners; a third
under embargo, half of those already ended) owned by 10 partners, through the STAC
Transactions API (FeatureCollections of ``--batch`` items, ``--load-clients``
concurrent posters), into a ``spacepool serve`` this script starts on 127.0.0.1.
Then times a bbox + datetime item search (GET /stac/search, 10 x 10 degree box,
30-day window, default page of 10 with ``numberMatched``) as anonymous and as a
partner, at 1 and 20 concurrent clients, and prints p50/p99 latency and throughput.

Targets (issue "shared data service", section 6): p99 under 50 ms on PostgreSQL at
20 clients, and a load rate at least pgstac's documented bulk load of 180,000 items
in 13 minutes (231 items/s).

Run:
  ``.venv/bin/python benchmarks/bench_store.py``                    (SQLite, 100,000 items)
  ``SPACEPOOL_PG_SHARED_BUFFERS=2GB scripts/with-postgres.sh sh -c \\
     '.venv/bin/python benchmarks/bench_store.py --postgres "$SPACEPOOL_TEST_POSTGRES_URL"'``
                                                              (PostgreSQL, 1,000,000)
The million items with their indexes take about 1 GB; the 2 GB of shared_buffers
(PostgreSQL's own page cache; its default is 128 MB) hold them, as a server tuned
for the catalogue would.
Options: ``--items N``, ``--max-load-s S`` (stop loading after S seconds and search
what is there), ``--requests R`` (per viewer at 1 client; 5 R at 20 clients),
``--explain`` (PostgreSQL: print the plan of the search query), ``--workers W``
(server processes, ``spacepool serve --workers``; default 1), ``--paced R`` (also 20 clients
in open loop at R searches/s each, latency from the scheduled send time: the latency
at a load below the server's capacity; the target is judged on the closed loop),
``--keep`` (PostgreSQL: keep the loaded database and print its URL) and
``--database-url URL`` (search that database again: no seeding, no load).

The clients run in this process, on the same machine as the server and database:
the latencies include the client's own work and contend with it for the CPU. The
search clients are kept cheap for that reason: plain keep-alive HTTP/1.1 over
asyncio streams on uvloop's event loop, one connection per client, no HTTP library.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import uvloop

from spacepool.catalog.access import Viewer
from spacepool.catalog.items import format_rfc3339
from spacepool.store import Store
from spacepool.store.collections import create_collection
from spacepool.store.keys import create_api_key
from spacepool.store.partners import add_partner

PARTNERS = [f"p{n:02d}" for n in range(10)]
COLLECTION = "bench"
SEED = 20260501
T0 = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730  # items spread over two years
NOW = T0 + timedelta(days=SPAN_DAYS)  # embargoes: half end before, half after this
BOX_DEG = 10.0
WINDOW_DAYS = 30
# pgstac's documented bulk load: 180,000 items in 13 minutes.
PGSTAC_ITEMS_PER_S = 180_000 / (13 * 60)
TARGET_P99_MS = 50.0


# --- items ---------------------------------------------------------------------------


def item_batches(n_items: int, batch: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``(owner, items)`` batches; each batch belongs to one partner (the key posts it).

    Per item: a square of 0.05-0.5 degrees at a random place between 60 S and 70 N,
    a random time over two years, policy open 40 % / consortium 20 % / owner 20 % /
    partners 20 % (shared with 1-3 others), an embargo on 30 %.
    """
    rng = np.random.default_rng(SEED)
    for start in range(0, n_items, batch):
        size = min(batch, n_items - start)
        owner_index = (start // batch) % len(PARTNERS)
        lon = rng.uniform(-180.0, 179.5, size)
        lat = rng.uniform(-60.0, 69.5, size)
        side = rng.uniform(0.05, 0.5, size)
        seconds = rng.uniform(0.0, SPAN_DAYS * 86400.0, size)
        policy = rng.choice(
            np.array(["open", "consortium", "owner", "partners"]), size, p=[0.4, 0.2, 0.2, 0.2]
        )
        embargoed = rng.random(size) < 0.3
        embargo_days = rng.uniform(-60.0, 60.0, size)
        n_shared = rng.integers(1, 4, size)
        cloud = rng.uniform(0.0, 100.0, size)
        items = []
        for k in range(size):
            x0, y0 = float(lon[k]), float(lat[k])
            x1, y1 = x0 + float(side[k]), y0 + float(side[k])
            properties: dict[str, Any] = {
                "datetime": format_rfc3339(T0 + timedelta(seconds=float(seconds[k]))),
                "platform": "sentinel-2a",
                "instruments": ["msi"],
                "eo:cloud_cover": round(float(cloud[k]), 1),
                "spacepool:access": str(policy[k]),
            }
            if policy[k] == "partners":
                others = [p for p in PARTNERS if p != PARTNERS[owner_index]]
                first = (start + k) % len(others)
                properties["spacepool:shared_with"] = [
                    others[(first + j) % len(others)] for j in range(int(n_shared[k]))
                ]
            if embargoed[k]:
                until = NOW + timedelta(days=float(embargo_days[k]))
                properties["spacepool:embargo_until"] = format_rfc3339(until)
            items.append(
                {
                    "type": "Feature",
                    "stac_version": "1.0.0",
                    "id": f"item-{start + k:08d}",
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
                    },
                    "bbox": [x0, y0, x1, y1],
                    "properties": properties,
                    "assets": {
                        "visual": {
                            "href": f"https://data.example.org/{start + k:08d}.tif",
                            "type": "image/tiff; application=geotiff",
                            "roles": ["visual"],
                        }
                    },
                    "links": [],
                }
            )
        yield PARTNERS[owner_index], items


# --- server and database -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(database_url: str, log: Path, workers: int = 1) -> Server:
    port = free_port()
    here = str(Path(__file__).resolve().parent)
    python_path = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "SPACEPOOL_DATABASE_URL": database_url, "PYTHONPATH": python_path}
    command = [
        sys.executable,
        "-m",
        "spacepool.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/stac/_mgmt/ping", timeout=2.0).status_code == 200:
                return Server(process, base)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()}")


def seed(database_url: str) -> dict[str, str]:
    """Partners, one key each, a coordinator key and the collection; returns keys."""
    store = Store(database_url)
    try:
        with store.transaction() as session:
            keys = {}
            for partner in PARTNERS:
                add_partner(session, partner, partner.upper(), now=T0)
                keys[partner] = create_api_key(session, partner_id=partner, admin=False, now=T0).key
            keys["admin"] = create_api_key(session, partner_id=None, admin=True, now=T0).key
            create_collection(
                session,
                {
                    "type": "Collection",
                    "stac_version": "1.0.0",
                    "id": COLLECTION,
                    "description": "benchmark items",
                    "license": "CC-BY-4.0",
                    "extent": {
                        "spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]]},
                        "temporal": {"interval": [[format_rfc3339(T0), None]]},
                    },
                    "links": [],
                },
                now=T0,
            )
    finally:
        store.close()
    return keys


def fresh_keys(database_url: str) -> dict[str, str]:
    """New keys for the searching partner on a database :func:`seed` made before."""
    store = Store(database_url)
    try:
        with store.transaction() as session:
            key = create_api_key(session, partner_id="p03", admin=False, now=T0).key
    finally:
        store.close()
    return {"p03": key}


@contextlib.contextmanager
def _postgres(url: str) -> Iterator[Any]:
    """An autocommit connection to the PostgreSQL database at ``url`` (statements
    such as CREATE DATABASE and VACUUM run outside a transaction), on an engine of
    its own that is disposed of afterwards."""
    from sqlalchemy import create_engine

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def postgres_database(server_url: str) -> tuple[str, str]:
    """A fresh database on the server at ``server_url``: ``(url, name)``."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = f"spacepool_bench_{uuid.uuid4().hex[:8]}"
    with _postgres(server_url) as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False), name


def postgres_cache(database_url: str) -> str:
    """PostgreSQL's page cache (``shared_buffers``) against the size of what the
    search reads (the items table and its indexes, the share table and its
    indexes), as one line; a catalogue larger than the cache is read from the
    operating system's cache page by page, which costs the database CPU."""
    from sqlalchemy import text

    with _postgres(database_url) as connection:
        cache, cache_bytes, size_bytes = connection.execute(
            text(
                "SELECT current_setting('shared_buffers'),"
                " (SELECT setting::bigint * pg_size_bytes(unit) FROM pg_settings"
                "  WHERE name = 'shared_buffers'),"
                " pg_total_relation_size('items') + pg_total_relation_size('item_shares')"
            )
        ).one()
    line = (
        f"PostgreSQL shared_buffers {cache}; items and shares with their indexes "
        f"{size_bytes / 2**20:,.0f} MB"
    )
    if size_bytes > cache_bytes:
        line += (
            " (larger: pages come from the OS cache; "
            "SPACEPOOL_PG_SHARED_BUFFERS for scripts/with-postgres.sh)"
        )
    return line


def vacuum_analyze(database_url: str) -> float:
    """``VACUUM (ANALYZE)`` of the tables the search reads, as PostgreSQL's manual
    advises after a bulk load ("Populating a Database"); returns the seconds taken.
    Otherwise autovacuum does it on its own schedule, possibly during the
    searches timed next."""
    from sqlalchemy import text

    started = time.perf_counter()
    with _postgres(database_url) as connection:
        connection.execute(text("VACUUM (ANALYZE) items, item_shares"))
    return time.perf_counter() - started


def drop_postgres_database(server_url: str, name: str) -> None:
    from sqlalchemy import text

    with _postgres(server_url) as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _process_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds used) of every process (/proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        table[int(entry.name)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick)
    return table


def cpu_seconds(server_pid: int) -> dict[str, float] | None:
    """CPU seconds used so far by the server (its process and their descendants),
    the database (every process named "postgres": the throwaway cluster) and this
    client process; None without Linux's /proc."""
    if not Path("/proc/self/stat").exists():
        return None
    table = _process_table()
    tree = {server_pid}
    for _ in range(3):  # children and grandchildren
        tree |= {pid for pid, (parent, _, _) in table.items() if parent in tree}
    times = os.times()
    return {
        "server": sum(table[pid][2] for pid in tree if pid in table),
        "database": sum(cpu for _, name, cpu in table.values() if name == "postgres"),
        "client": times.user + times.system,
    }


# --- load ------------------------------------------------------------------------------


@dataclass
class LoadResult:
    items: int
    seconds: float
    errors: list[str]

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0


def bulk_load(
    base: str, keys: dict[str, str], n_items: int, batch: int, clients: int, max_s: float
) -> LoadResult:
    batches = item_batches(n_items, batch)
    lock = threading.Lock()
    loaded = [0]
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + max_s

    def worker() -> None:
        with httpx.Client(timeout=300.0) as client:
            while time.perf_counter() < deadline:
                with lock:
                    try:
                        owner, items = next(batches)
                    except StopIteration:
                        return
                response = client.post(
                    f"{base}/stac/collections/{COLLECTION}/items",
                    content=orjson.dumps({"type": "FeatureCollection", "features": items}),
                    headers={
                        "Authorization": f"Bearer {keys[owner]}",
                        "Content-Type": "application/json",
                    },
                )
                with lock:
                    if response.status_code == 201:
                        loaded[0] += len(items)
                    else:
                        errors.append(f"{response.status_code}: {response.text[:300]}")
                        return

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    last = 0
    for thread in threads:
        while thread.is_alive():
            thread.join(timeout=1.0)
            if loaded[0] - last >= 100_000:
                last = loaded[0]
                elapsed = time.perf_counter() - started
                print(f"  loaded {loaded[0]:,} items in {elapsed:.0f} s", flush=True)
    return LoadResult(loaded[0], time.perf_counter() - started, errors)


# --- search ----------------------------------------------------------------------------


def search_urls(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    urls = []
    for _ in range(n):
        lon = float(rng.uniform(-180.0, 180.0 - BOX_DEG))
        lat = float(rng.uniform(-60.0, 70.0 - BOX_DEG))
        start = T0 + timedelta(days=float(rng.uniform(0.0, SPAN_DAYS - WINDOW_DAYS)))
        end = start + timedelta(days=WINDOW_DAYS)
        bbox = f"{lon:.3f},{lat:.3f},{lon + BOX_DEG:.3f},{lat + BOX_DEG:.3f}"
        urls.append(
            f"/stac/search?bbox={bbox}&datetime={format_rfc3339(start)}/{format_rfc3339(end)}"
        )
    return urls


@dataclass
class SearchResult:
    viewer: str
    clients: int
    latencies_ms: np.ndarray
    seconds: float
    returned: float
    matched: float
    errors: int

    def line(self) -> str:
        p50, p99 = np.percentile(self.latencies_ms, [50, 99])
        rate = len(self.latencies_ms) / self.seconds
        return (
            f"  {self.viewer:<9} {self.clients:>2} clients  {len(self.latencies_ms):>5} requests  "
            f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  {rate:7.1f} req/s  "
            f"mean returned {self.returned:4.1f}, matched {self.matched:6.1f}  errors {self.errors}"
        )


class _Connection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads the answers: the
    least client work per request (no HTTP library), so that the client, which runs
    on the server's CPUs, takes as little of them as it can."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, base: str) -> _Connection:
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        return cls(reader, writer)

    async def get(self, target: str, head: bytes) -> tuple[int, bytes]:
        self.writer.write(b"GET " + target.encode() + b" HTTP/1.1\r\n" + head)
        header = await self.reader.readuntil(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        for line in header.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def _search(
    base: str,
    headers: dict[str, str],
    urls: list[str],
    clients: int,
    rate_per_client: float | None = None,
) -> Any:
    """Closed loop (``rate_per_client`` None): each client sends its next request as
    soon as the last answer is in. Paced (open loop): each client sends on its own
    fixed schedule of ``rate_per_client`` requests/s, and a latency counts from the
    scheduled send time, so time spent waiting behind a slow answer is included
    (no "coordinated omission")."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    latencies: list[float] = []
    returned: list[int] = []
    matched: list[int] = []
    errors = [0]
    host = base.removeprefix("http://")
    head = f"Host: {host}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head_bytes = (head + "\r\n").encode()

    async def client_task(connection: _Connection, index: int) -> None:
        interval = 1.0 / rate_per_client if rate_per_client else 0.0
        # Clients start spread over one interval, not all at once.
        scheduled = time.perf_counter() + interval * index / clients
        while not queue.empty():
            url = queue.get_nowait()
            if interval:
                await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                started = scheduled
                scheduled += interval
            else:
                started = time.perf_counter()
            status, body = await connection.get(url, head_bytes)
            latencies.append((time.perf_counter() - started) * 1000.0)
            if status != 200:
                errors[0] += 1
                continue
            page = orjson.loads(body)
            returned.append(page["numberReturned"])
            if "numberMatched" in page:
                matched.append(page["numberMatched"])

    connections = [await _Connection.open(base) for _ in range(clients)]
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(client_task(connection, i) for i, connection in enumerate(connections))
        )
        seconds = time.perf_counter() - started
    finally:
        for connection in connections:
            connection.close()
    return latencies, returned, matched, errors[0], seconds


def run_search(
    base: str,
    label: str,
    headers: dict[str, str],
    clients: int,
    n: int,
    seed: int,
    rate_per_client: float | None = None,
) -> SearchResult:
    urls = search_urls(n, seed)
    latencies, returned, matched, errors, seconds = uvloop.run(
        _search(base, headers, urls, clients, rate_per_client)
    )
    return SearchResult(
        label if rate_per_client is None else f"{label} paced {rate_per_client:g}/s",
        clients,
        np.asarray(latencies),
        seconds,
        float(np.mean(returned)) if returned else 0.0,
        float(np.mean(matched)) if matched else 0.0,
        errors,
    )


def explain(database_url: str, viewer: Viewer) -> str:
    """PostgreSQL's plan (EXPLAIN ANALYZE) of one page query and one count query."""
    import shapely

    from spacepool.store.search import SPATIAL_BATCH_ROWS, ItemQuery, _search, _statement

    query = ItemQuery(
        area=shapely.box(10.0, 20.0, 10.0 + BOX_DEG, 20.0 + BOX_DEG),
        start=T0 + timedelta(days=300),
        end=T0 + timedelta(days=300 + WINDOW_DAYS),
        limit=10,
    )
    from sqlalchemy import func, select

    from spacepool.store.models import Item

    search = _search(viewer, NOW, query, "postgresql")
    values = {**search.params, "sp_limit": SPATIAL_BATCH_ROWS, "sp_whole": query.limit + 1}
    page = _statement(search, exact=True, after=False)
    count = select(func.count()).select_from(Item).where(*search.conditions)
    store = Store(database_url, migrate=False)
    out = []
    try:
        with store.engine.connect() as connection:
            for name, stmt in (("page", page), ("count", count)):
                compiled = stmt.compile(dialect=connection.dialect)
                params = {
                    key: compiled.binds[key].type.process_bind_param(value, connection.dialect)
                    if hasattr(compiled.binds[key].type, "process_bind_param")
                    else value
                    for key, value in compiled.construct_params(values).items()
                }
                plan = connection.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", params
                ).scalars()
                out.append(f"-- {name} query as {viewer.label}:\n" + "\n".join(plan))
    finally:
        store.close()
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="PostgreSQL server URL (postgresql+psycopg://...)")
    parser.add_argument("--items", type=int, help="items to load (100,000 / 1,000,000)")
    parser.add_argument("--batch", type=int, default=1000, help="items per POST")
    parser.add_argument("--load-clients", type=int, default=2, help="concurrent posters")
    parser.add_argument("--max-load-s", type=float, default=3600.0, help="load time cap")
    parser.add_argument("--requests", type=int, default=200, help="searches per viewer")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plans")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (spacepool serve --workers)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="PostgreSQL: keep the loaded database, print its URL"
    )
    parser.add_argument(
        "--database-url",
        help="search a database loaded before (a URL --keep printed): no seeding, no load",
    )
    parser.add_argument(
        "--paced",
        type=float,
        default=0.0,
        help="also run 20 clients in open loop at this many searches/s each (0: not)",
    )
    args = parser.parse_args()
    n_items = args.items or (1_000_000 if args.postgres else 100_000)

    workdir = Path(tempfile.mkdtemp(prefix="spacepool-bench-"))
    dropped: str | None = None
    if args.database_url:
        database_url = args.database_url
        backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    elif args.postgres:
        database_url, dropped = postgres_database(args.postgres)
        backend = "PostgreSQL"
    else:
        database_url = f"sqlite:///{workdir / 'bench.sqlite'}"
        backend = "SQLite"
    loading = (
        "the items loaded before"
        if args.database_url
        else f"{n_items:,} items, batches of {args.batch}, {args.load_clients} loading clients"
    )
    print(
        f"bench_store: {backend}, {loading}, {args.workers} server process(es); "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    keys = fresh_keys(database_url) if args.database_url else seed(database_url)
    server = start_server(database_url, workdir / "server.log", args.workers)
    try:
        if not args.database_url:
            load = bulk_load(
                server.base, keys, n_items, args.batch, args.load_clients, args.max_load_s
            )
            print(
                f"bulk load: {load.items:,} items in {load.seconds:.1f} s = "
                f"{load.items_per_s:,.0f} items/s (pgstac's documented rate: "
                f"{PGSTAC_ITEMS_PER_S:.0f} items/s)"
            )
            if load.errors:
                print(f"  load errors: {load.errors[:3]}")
            if backend == "PostgreSQL":
                print(f"VACUUM (ANALYZE) after the load: {vacuum_analyze(database_url):.1f} s")
        if backend == "PostgreSQL":
            print(postgres_cache(database_url))
        print(
            f"search: GET /stac/search, bbox {BOX_DEG:g} x {BOX_DEG:g} deg + {WINDOW_DAYS}-day "
            f"datetime, page of 10 with numberMatched; load average "
            f"{os.getloadavg()[0]:.2f}"
        )
        viewers = {"anonymous": {}, "partner": {"Authorization": f"Bearer {keys['p03']}"}}
        for clients, n in ((1, args.requests), (20, 5 * args.requests)):
            for seed_offset, (label, headers) in enumerate(viewers.items()):
                run_search(server.base, label, headers, clients, 20, seed=1)  # warm up
                before = cpu_seconds(server.process.pid)
                result = run_search(
                    server.base, label, headers, clients, n, seed=SEED + clients + seed_offset
                )
                print(result.line(), flush=True)
                if clients == 20 and before is not None:
                    after = cpu_seconds(server.process.pid)
                    assert after is not None
                    print(
                        "    CPU per search: "
                        + ", ".join(
                            f"{part} {1000 * (after[part] - before[part]) / n:.2f} ms"
                            for part in before
                        )
                    )
                if backend == "PostgreSQL" and clients == 20:
                    p99 = float(np.percentile(result.latencies_ms, 99))
                    verdict = "meets" if p99 < TARGET_P99_MS else "misses"
                    print(f"    {verdict} the {TARGET_P99_MS:g} ms p99 target (closed loop)")
        if args.paced > 0:
            # Not the target's measure (that is the closed loop above): the latency a
            # user sees when 20 clients together ask less than the server can answer.
            for seed_offset, (label, headers) in enumerate(viewers.items()):
                result = run_search(
                    server.base,
                    label,
                    headers,
                    20,
                    5 * args.requests,
                    seed=SEED + 40 + seed_offset,
                    rate_per_client=args.paced,
                )
                print(result.line(), flush=True)
        if args.explain and args.postgres:
            print(explain(database_url, Viewer.anonymous()))
            print(explain(database_url, Viewer.partner("p03")))
    finally:
        server.stop()
        if dropped is not None and args.postgres:
            if args.keep:
                print(f"database kept: --database-url '{database_url}'")
            else:
                drop_postgres_database(args.postgres, dropped)
        # The SQLite database of 100,000 items is some 100 MB: do not leave it behind.
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
