"""The `optplay` command.

    optplay serve [--host H] [--port P] [--open]          run the app
    optplay export "<share URL or its query>" -o scene.html [--lang zh]
                   [--lr-variants 0.01,0.03,0.1]           one HTML file that plays offline
    optplay export --body request.json -o scene.html       the same from a run request
    optplay export "<share URL>" -o scene.gif [--frames 100] [--width 960]
                                                           an animated GIF for slides
"""

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
    from app.config import settings

    # The protocol layer drops a WebSocket frame over twice the app's message limit
    # before buffering it; between the two the app answers with an error naming it.
    uvicorn.run("app.main:app", host=args.host, port=args.port, workers=args.workers,
                log_level="info", ws_max_size=2 * settings().max_body_bytes)
    return 0


def _lr_list(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}")
    if not values:
        raise argparse.ArgumentTypeError("give at least one learning rate")
    return values


def export(args: argparse.Namespace) -> int:
    import json
    import sys
    from pathlib import Path

    from pydantic import ValidationError

    from app.api.errors import error_detail
    from app.engine.errors import ComputationTimeout, RequestError
    from app.teach.share_url import request_from_url
    from app.teach.animation import render_gif
    from app.teach.static_export import export_html

    out = Path(args.output)
    kind = args.format or ("gif" if out.suffix.lower() == ".gif" else "html")
    if kind == "gif" and args.lr_variants:
        print("optplay export: --lr-variants makes an lr slider, which only the HTML file "
              "has", file=sys.stderr)
        return 2
    lang = args.lang
    if args.body:
        try:
            body = json.loads(Path(args.body).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            print(f"optplay export: cannot read {args.body}: {e}", file=sys.stderr)
            return 2
        if isinstance(body, dict):
            lang = lang or body.pop("lang", None)
            if args.lr_variants is None and body.get("lr_variants"):
                args.lr_variants = body["lr_variants"]
            body.pop("lr_variants", None)
    try:
        if not args.body:
            body, state = request_from_url(args.url)
            lang = lang or state.get("lang")
        if kind == "gif":
            size = {k: v for k, v in (("frames", args.frames), ("width", args.width)) if v}
            data = render_gif(body, lang=lang or "en", **size)
        else:
            data = export_html(body, lang=lang or "en",
                               lr_variants=args.lr_variants).encode("utf-8")
    except (ValidationError, RequestError, ComputationTimeout) as e:
        for item in error_detail(e):
            where = ".".join(str(p) for p in item["loc"] if p != "body") or "request"
            print(f"optplay export: {where}: {item['msg']}", file=sys.stderr)
        return 2
    out.write_bytes(data)
    where = ("put it on a slide (it loops by itself)" if kind == "gif"
             else "open it in any browser, no server or network needed")
    print(f"wrote {out} ({len(data) / 1e6:.1f} MB): {where}")
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

    e = sub.add_parser("export", help="write a scene as one HTML file that plays offline, "
                                      "or as an animated GIF for slides",
                       description="Write a scene as one self-contained HTML file (paths "
                                   "computed now, plotly.js inlined, no server needed), or, "
                                   "for a file named *.gif, as an animated GIF with its "
                                   "legend and step counter.")
    src = e.add_mutually_exclusive_group(required=True)
    src.add_argument("url", nargs="?", help="the page's share URL, or its query string "
                                            "(quote it: it holds & characters)")
    src.add_argument("--body", metavar="FILE", help="a run request (JSON) instead of a URL")
    e.add_argument("-o", "--output", default="scene.html", help="file to write "
                                                               "(default: scene.html)")
    e.add_argument("--format", choices=("html", "gif"), default=None,
                   help="what to write (default: gif for a *.gif output, else html)")
    e.add_argument("--frames", type=int, default=None,
                   help="GIF: at most this many frames (default 100)")
    e.add_argument("--width", type=int, default=None,
                   help="GIF: width in pixels, the height 9/16 of it (default 960)")
    e.add_argument("--lang", choices=("en", "zh"), default=None,
                   help="language of the labels (default: the URL's lang=, else en)")
    e.add_argument("--lr-variants", type=_lr_list, default=None, metavar="LR,LR,...",
                   help="add an lr slider: every run recomputed with each of these lrs")
    e.set_defaults(func=export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
