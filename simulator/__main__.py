"""Run the simulator standalone: `python -m simulator --port 3000 --api-key KEY`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from .const import CORE, ENGINES, OLD_VERSION, PLUS, VERSION
from .core import WahaSimulator
from .demo import seed_demo, start_demo


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description="WAHA stand-in server"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--engine", choices=ENGINES, default="NOWEB")
    parser.add_argument(
        "--waha-version", default=VERSION, help=f"e.g. {OLD_VERSION} for old WAHA"
    )
    parser.add_argument("--tier", choices=(PLUS, CORE), default=PLUS)
    parser.add_argument(
        "--demo", action="store_true", help="seed contacts and play presence changes"
    )
    parser.add_argument(
        "--interval", type=float, default=3.0, help="seconds between demo changes"
    )
    return parser.parse_args(argv)


async def run(args: argparse.Namespace) -> None:
    """Serve until SIGINT/SIGTERM, then stop cleanly."""
    sim = WahaSimulator(
        args.api_key, engine=args.engine, version=args.waha_version, tier=args.tier
    )
    if args.demo:
        seed_demo(sim, engine=args.engine)
    else:
        sim.add_session("default", engine=args.engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await sim.start(args.host, args.port)
    if args.demo:
        start_demo(sim, interval=args.interval)
    print(
        f"WAHA simulator {sim.url} (engine {args.engine}, demo {args.demo})", flush=True
    )
    try:
        await stop.wait()
    finally:
        await sim.stop()
        print("WAHA simulator stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
