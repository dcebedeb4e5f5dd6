"""A TCP proxy on 127.0.0.1, port 0, that can turn into a blackhole: a network that silently
drops packets between the service and its database.

    proxy = TcpProxy("127.0.0.1", 5432).start()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test"
    proxy.blackhole()   # connections stay open; nothing is forwarded any more, new ones are
                        # accepted and never answered; bytes sent are swallowed (and acknowledged)
    proxy.heal()        # forwards again; connections that lost bytes on the way are closed
    proxy.stop()
"""
from __future__ import annotations

import select
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._dropping = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._damaged: set[int] = set()  # ids of pairs that swallowed bytes

    def start(self) -> TcpProxy:
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()
        return self

    def blackhole(self) -> None:
        self._dropping.set()

    def heal(self) -> None:
        with self._lock:
            damaged = [pair for pair in self._pairs if id(pair) in self._damaged]
            self._damaged.clear()
        for pair in damaged:
            self._close(pair)
        self._dropping.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._server.close()
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            self._close(pair)

    # ---- the pumps ----

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        swallowed = False
        while self._dropping.is_set() and not self._stopping.is_set():  # accepted, never answered
            swallowed = self._swallow(client, timeout=0.05) or swallowed
        if self._stopping.is_set() or swallowed:  # its first bytes were lost: it cannot go on
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        pair = (client, upstream)
        with self._lock:
            self._pairs.append(pair)
        self._pump(pair)

    def _swallow(self, client: socket.socket, timeout: float) -> bool:
        readable, _, _ = select.select([client], [], [], timeout)
        if readable:
            try:
                return bool(client.recv(65536))
            except OSError:
                return False
        return False

    def _pump(self, pair: tuple[socket.socket, socket.socket]) -> None:
        client, upstream = pair
        ends = {client: upstream, upstream: client}
        while not self._stopping.is_set():
            try:
                readable, _, _ = select.select(list(ends), [], [], 0.05)
            except (OSError, ValueError):  # closed by heal() or stop()
                return
            for source in readable:
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    self._close(pair)
                    return
                if self._dropping.is_set():
                    with self._lock:
                        self._damaged.add(id(pair))
                    continue  # dropped on the way
                try:
                    ends[source].sendall(data)
                except OSError:
                    self._close(pair)
                    return

    def _close(self, pair) -> None:
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)
        for end in pair:
            if end is not None:
                try:
                    end.close()
                except OSError:
                    pass
