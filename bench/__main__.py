"""Run the benchmarks and write their figures to bench/reports/.

`python -m bench` runs them all; `python -m bench load --rates 20,50 --duration 10
--kinds sqlite` runs one with other settings.
"""

from __future__ import annotations

import argparse
import asyncio

from bench import flow, intake, load, messaging, registry, report

BENCHMARKS = ("messaging", "flow", "load", "registry", "intake")


async def _run(names: list[str], args: argparse.Namespace) -> None:
    if "messaging" in names:
        print(
            report.write(
                "messaging",
                "Messaging: outbox → broker → consumer (PostgreSQL)",
                await messaging.run(),
            )
        )
    if "flow" in names:
        print(
            report.write(
                "flow",
                "Core path: screening → referral → held bed, five processes",
                {"sequential_families": await flow.run()},
            )
        )
    if "load" in names:
        rates = [int(r) for r in args.rates.split(",")]
        results = await load.run(args.kinds.split(","), rates, args.duration)
        summary = load.report(results, report.REPORTS)
        print(
            report.write(
                "load",
                f"Open-loop load through the gateway, five processes, {args.duration:.0f} s a rate",
                load.table(summary),
                details=summary,
                notes=load.notes(summary),
            )
        )
    if "registry" in names:
        figures = await registry.run(
            args.children, count=args.queries, keep=args.keep, database=args.database
        )
        print(
            report.write(
                "registry",
                f"Person search on a register of {args.children:,} children (PostgreSQL)",
                registry.table(figures),
                details=figures,
                notes=registry.notes(figures),
            )
        )

    if "intake" in names:
        print(
            report.write(
                "intake",
                "Bulk intake: one job of generated rows on PostgreSQL (batches of 1,000, COPY)",
                await intake.run(args.rows),
                notes="Rows: a round with 1 % bad rows and 2 % repeats (bench/intake.py). "
                "RSS is the bench process's resident memory while the job runs.",
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], default=[])
    parser.add_argument("--rates", default=",".join(str(r) for r in load.RATES))
    parser.add_argument("--duration", type=float, default=load.DURATION_S)
    parser.add_argument("--kinds", default="postgresql,sqlite")
    parser.add_argument("--children", type=int, default=registry.CHILDREN)
    parser.add_argument("--queries", type=int, default=registry.QUERIES)
    parser.add_argument("--keep", action="store_true", help="registry: keep its database")
    parser.add_argument("--database", help="registry: measure a kept database, no load")
    parser.add_argument("--rows", type=int, default=100_000, help="intake: rows to generate")
    args = parser.parse_args()
    asyncio.run(_run(args.names or list(BENCHMARKS), args))


if __name__ == "__main__":
    main()
