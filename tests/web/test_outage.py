"""A frozen PostgreSQL: answers within seconds (503 with Retry-After), never a hang or a 500.

The shared PostgreSQL is never stopped: the app reaches it through a loopback TCP proxy of
the test's own, which can stop forwarding bytes (both ways, accepted connections included)
as a frozen server, a stalled network or a firewall dropping packets would.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import exc, func, select as sql_select, text

from motpub.app import create_app
from motpub.database import make_engine, time_limit
from motpub.analytics.models.scan import Scan
from tests.factories import add_user, Api
from tests.support import empty_database, make_settings


class FreezableProxy:
    """127.0.0.1:<port> forwarding to `target`, until freeze(); thaw() resumes."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.running = threading.Event()  # set: bytes flow
        self.running.set()
        self.closed = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.running.clear()

    def thaw(self) -> None:
        self.running.set()

    def close(self) -> None:
        self.closed = True
        self.running.set()
        self.listener.close()
        for sock in self.sockets:
            sock.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        self.running.wait()
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        self.sockets.append(upstream)
        peers = {client: upstream, upstream: client}
        try:
            while not self.closed:
                if not self.running.is_set():
                    time.sleep(0.05)  # frozen: nothing read, nothing sent
                    continue
                readable, _, _ = select.select(list(peers), [], [], 0.05)
                for sock in readable:
                    if not self.running.is_set():
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()


@pytest.fixture
def frozen_database(postgres_url):
    """The tests' PostgreSQL database behind a proxy that the test can freeze."""
    parts = urlsplit(postgres_url)
    proxy = FreezableProxy((parts.hostname, parts.port or 5432))
    netloc = f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username \
        else f"127.0.0.1:{proxy.port}"
    try:
        yield proxy, urlunsplit(parts._replace(netloc=netloc))
    finally:
        proxy.thaw()
        proxy.close()
        empty_database(postgres_url)


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_frozen_database_gets_quick_503s_with_retry_after_and_livez_stays_up(
        tmp_path, frozen_database):
    proxy, url = frozen_database
    settings = make_settings(tmp_path, url, db_connect_timeout_s=2.0,
                             db_statement_timeout_s=2.0)
    app = create_app(settings)
    runtime = app.extensions["motpub"]
    try:
        client = app.test_client()
        api = Api(client, add_user(app, "editor@example.org", "editor"))
        item, code = api.published_item_with_code()
        stamp = runtime.target_cache.stamp
        deadline = time.monotonic() + 10
        while stamp.current() != stamp.current():  # until it listens for changes, nothing is cached
            assert time.monotonic() < deadline, "the change listener did not start"
            time.sleep(0.1)
        assert client.get(f"/s/{code}").status_code == 200  # the scan page is cached now
        assert runtime.scan_recorder.flush() == 1
        assert client.get("/healthz").status_code == 200

        proxy.freeze()
        livez, seconds = timed(lambda: client.get("/livez"))
        assert livez.status_code == 200 and seconds < 1
        health, seconds = timed(lambda: client.get("/healthz"))
        assert health.status_code == 503 and seconds < 6
        assert health.headers["Retry-After"]

        # A page that must read the database: the outage page, in the visitor's language.
        page, seconds = timed(lambda: client.get("/i/not-cached-yet",
                                                 headers={"Accept-Language": "zh-CN"}))
        assert page.status_code == 503 and seconds < 8
        assert page.headers["Retry-After"] and page.headers["Content-Language"] == "zh"
        assert "请稍候" in page.text and "/studio" not in page.text
        exhibition, seconds = timed(lambda: client.get("/x/some-hall?lang=en"))
        assert exhibition.status_code == 503 and seconds < 8
        assert "Back in a moment" in exhibition.text and "/studio" not in exhibition.text
        assert exhibition.headers["Content-Language"] == "en"
        items, seconds = timed(lambda: api.get("/items"))
        assert items.status_code == 503 and seconds < 15
        assert items.get_json()["error"]["code"] == "unavailable"

        # The cached scan page still answers, and its scan waits in the buffer.
        scan, seconds = timed(lambda: client.get(f"/s/{code}"))
        assert scan.status_code == 200 and seconds < 1

        proxy.thaw()
        deadline = time.monotonic() + 30
        while client.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline, "the app did not recover after the outage"
            time.sleep(0.5)
        assert client.get(f"/i/{item['slug']}").status_code == 200
        while runtime.scan_recorder.pending():  # the writer retries; nothing is lost
            assert time.monotonic() < deadline, "the buffered scan was never written"
            time.sleep(0.2)
        with runtime.session_factory() as session:
            assert session.scalar(sql_select(func.count()).select_from(Scan)) == 2
    finally:
        runtime.target_cache.close()
        runtime.engine.dispose()


def test_a_statement_past_its_time_limit_is_cut_off_and_a_failed_one_leaves_no_deadline(
        postgres_url):
    engine = make_engine(postgres_url)  # no server-side statement timeout: the client's only
    try:
        with engine.connect() as connection:
            with time_limit(1), pytest.raises(exc.DataError):
                connection.execute(text("SELECT 1 / 0"))
            connection.rollback()
            time.sleep(1.5)  # past the failed statement's deadline: nothing fires
            assert connection.execute(text("SELECT 1")).scalar() == 1
        started = time.monotonic()
        with engine.connect() as connection, time_limit(1), \
                pytest.raises(exc.OperationalError):
            connection.execute(text("SELECT pg_sleep(10)"))
        assert time.monotonic() - started < 3
        with engine.connect() as connection:  # the pool dropped the cut-off connection
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
