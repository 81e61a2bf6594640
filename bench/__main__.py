"""Run every benchmark and write its figures to bench/reports/."""

from __future__ import annotations

import asyncio

from bench import messaging


def main() -> None:
    asyncio.run(messaging.run())


if __name__ == "__main__":
    main()
