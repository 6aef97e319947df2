"""`optplay serve [--host H] [--port P] [--open]`: run the app."""

from __future__ import annotations

import argparse
import threading
import webbrowser


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}/"
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    print(f"Optimizer Playground on {url}")
    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers,
                log_level="info")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="optplay", description="Optimizer Playground")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--open", action="store_true", help="open the page in a browser")
    p.set_defaults(func=serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
