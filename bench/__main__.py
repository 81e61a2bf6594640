"""Run every benchmark and write its figures to bench/reports/."""

from __future__ import annotations

import asyncio

from bench import flow, messaging, report


async def _all() -> None:
    print(
        report.write(
            "messaging", "Messaging: outbox → broker → consumer (PostgreSQL)", await messaging.run()
        )
    )
    print(
        report.write(
            "flow",
            "Core path: screening → referral → held bed, five processes",
            {"sequential_families": await flow.run()},
        )
    )


def main() -> None:
    asyncio.run(_all())


if __name__ == "__main__":
    main()
