"""`kamkor run`: the whole platform on one machine — embedded broker, four services, gateway.

The same launcher starts the platform for the end-to-end tests, with other ports and
PostgreSQL databases; `make run` uses SQLite files under `var/`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from kamkor_common.issuer import JWKS_PATH, signing_key_pem
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.producer import ensure_topics
from kamkor_common.settings import KamkorSettings

SERVICES = ("registry", "risk", "referral", "shelter")
DEFAULT_PORTS = {"gateway": 8000, "registry": 8001, "risk": 8002, "referral": 8003, "shelter": 8004}


@dataclass
class Platform:
    """The processes of one running platform; `start()` returns once all are ready."""

    var_dir: Path = Path("var")
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    broker_port: int = 9092
    database_urls: dict[str, str] = field(default_factory=dict)
    otlp_endpoint: str | None = None
    seed: bool = True
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    broker: EmbeddedBroker | None = None
    # "host:port" the broker advertises and every process bootstraps from: a TCP proxy in
    # front of the broker, so that a test can cut the network between them.
    broker_advertised: str | None = None

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def bootstrap(self) -> str:
        """The Kafka address the processes are given."""
        return self.broker_advertised or f"127.0.0.1:{self.broker_port}"

    @property
    def signing_key_file(self) -> Path:
        """The embedded issuer's key: the file `kamkor token` signs with in this directory."""
        return Path(KamkorSettings().JWT_SIGNING_KEY_FILE).resolve()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def log_path(self, name: str) -> Path:
        return self.var_dir / "log" / f"{name}.log"

    def _env(self, name: str) -> dict[str, str]:
        # Each process gets its own KAMKOR_* settings; only the token settings are shared.
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAMKOR_")}
        env |= {k: v for k, v in os.environ.items() if k.startswith("KAMKOR_JWT_")}
        # One embedded issuer: the gateway signs with the key (so do the dev tokens of
        # `kamkor token` and the tests, from the same file); the services verify with the
        # keys the gateway serves, as they would with an identity provider's.
        env["KAMKOR_JWT_SIGNING_KEY_FILE"] = str(self.signing_key_file)
        if name != "gateway":
            env.setdefault("KAMKOR_JWT_JWKS_URL", self.gateway_url + JWKS_PATH)
        env |= {
            "KAMKOR_SERVICE_NAME": name,
            "KAMKOR_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "KAMKOR_SEED_REFERENCE_DATA": "true" if self.seed else "false",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        }
        default = f"sqlite+aiosqlite:///{(self.var_dir / f'{name}.db').resolve()}"
        env["KAMKOR_DATABASE_URL"] = self.database_urls.get(name, default)
        for service in SERVICES:
            env[f"KAMKOR_{service.upper()}_URL"] = self.url(service)
        if self.otlp_endpoint:
            env["KAMKOR_OTLP_ENDPOINT"] = self.otlp_endpoint
        env |= self.extra_env
        return env

    def _spawn(self, name: str) -> None:
        module = "kamkor_gateway.main" if name == "gateway" else f"kamkor_{name}.main"
        log = open(self.log_path(name), "ab")  # noqa: SIM115 - owned by the child process
        self.processes[name] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"{module}:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports[name]),
                "--no-access-log",
            ],
            env=self._env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self, timeout_s: float = 120) -> None:
        (self.var_dir / "log").mkdir(parents=True, exist_ok=True)
        # Created once here, before the processes race for it.
        signing_key_pem(KamkorSettings())
        self.broker = EmbeddedBroker(
            self.broker_port, log_file=self.log_path("broker"), advertised=self.broker_advertised
        )
        self.broker.start()
        asyncio.run(ensure_topics(self.broker.bootstrap))
        for name in (*SERVICES, "gateway"):
            self._spawn(name)
        self.wait_ready(timeout_s)

    def wait_ready(self, timeout_s: float) -> None:
        """Wait for the gateway's readiness, which needs every service ready."""
        deadline = time.monotonic() + timeout_s
        last = "no answer"
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline:
                for name, process in self.processes.items():
                    if process.poll() is not None:
                        raise RuntimeError(
                            f"{name} exited with {process.returncode}; see {self.log_path(name)}"
                        )
                with contextlib.suppress(httpx.HTTPError):
                    response = client.get(f"{self.gateway_url}/readyz")
                    if response.status_code == 200:
                        return
                    last = response.text
                time.sleep(0.3)
        raise TimeoutError(f"platform not ready after {timeout_s} s: {last}")

    def kill(self, name: str) -> None:
        """Kill one process with SIGKILL, as a crash would: no shutdown, nothing flushed."""
        process = self.processes[name]
        if process.poll() is None:
            process.kill()
        process.wait(15)

    def pause(self, name: str) -> None:
        """Freeze one process (SIGSTOP): its connections stay open but nothing answers."""
        self.processes[name].send_signal(signal.SIGSTOP)

    def resume(self, name: str) -> None:
        """Let a paused process run again (SIGCONT)."""
        self.processes[name].send_signal(signal.SIGCONT)

    def restart(self, name: str, timeout_s: float = 120) -> None:
        """Start one process again (killing it first if it still runs) and wait until ready."""
        process = self.processes.get(name)
        if process is not None and process.poll() is None:
            self.kill(name)
        self._spawn(name)
        self.wait_ready(timeout_s)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes.clear()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kamkor run", description=__doc__)
    parser.add_argument("--var-dir", type=Path, default=Path("var"))
    parser.add_argument("--broker-port", type=int, default=9092)
    parser.add_argument("--gateway-port", type=int, default=DEFAULT_PORTS["gateway"])
    parser.add_argument("--no-seed", action="store_true", help="start without reference data")
    parser.add_argument("--otlp-endpoint", default=os.environ.get("KAMKOR_OTLP_ENDPOINT"))
    args = parser.parse_args(argv)

    database_urls = {
        name: url
        for name in (*SERVICES, "gateway")
        if (url := os.environ.get(f"KAMKOR_{name.upper()}_DATABASE_URL"))
    }
    platform = Platform(
        var_dir=args.var_dir,
        ports={**DEFAULT_PORTS, "gateway": args.gateway_port},
        broker_port=args.broker_port,
        database_urls=database_urls,
        otlp_endpoint=args.otlp_endpoint,
        seed=not args.no_seed,
    )
    print(
        f"Starting Kamkor: broker on 127.0.0.1:{args.broker_port}, logs in "
        f"{args.var_dir / 'log'}/ …",
        flush=True,
    )

    def _interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Installed explicitly: a launcher started in the background inherits an ignored SIGINT.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        platform.start()
        print(
            f"\nKamkor is ready.\n"
            f"  Gateway:   {platform.gateway_url}   (API docs: {platform.gateway_url}/docs)\n"
            f"  Token:     uv run kamkor token --user aigul   (a social worker in Jalal-Abad)\n"
            f"  Dev users: uv run kamkor users   (then: uv run kamkor token --user NAME)\n"
            f'  Try:       curl -H "Authorization: Bearer $(uv run kamkor token --role admin)" '
            f"{platform.gateway_url}/api/v1/registry/regions\n"
            f"Press Ctrl-C to stop.",
            flush=True,
        )
        while True:
            for name, process in platform.processes.items():
                if process.poll() is not None:
                    print(
                        f"{name} exited with {process.returncode}; see {platform.log_path(name)}",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as exc:
        print(f"Kamkor did not start: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C (or the one uv forwards) must not cut the shutdown short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("\nStopping Kamkor …", flush=True)
        platform.stop()
        print("Stopped.", flush=True)
    return 0
