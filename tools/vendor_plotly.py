"""The plotly.js the page loads: official partial bundles from the npm registry, vendored
into static/vendor/ with their license, so that `pip install .` brings them and the app
needs no network (and users no npm).

    python tools/vendor_plotly.py            # fetch name@version (static/vendor/plotly.js.json),
                                             # check each file's sha256, write it and its .br
    python tools/vendor_plotly.py --check    # no network: the vendored files against the manifest
    python tools/vendor_plotly.py --version 4.2.0   # move to another version: fetch it and
                                             # record the new sha256s in the manifest

`npm pack` fetches the package tarball by exact name@version (and checks it against the
registry's integrity hash); nothing is installed. The .br beside each bundle is its
Brotli form at the highest quality (seconds of CPU: made here once, not by the server).

Vendored because no PyPI package carries the partial bundles (the Python `plotly` package
has the full bundle only). That Python dependency is independent of these files on
purpose: it draws `optplay.figure` in notebooks and is inlined into the HTML export with
its own plotly.js, whichever version pip chose; the page never loads it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"
MANIFEST = VENDOR / "plotly.js.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(package: str, version: str, member: str, tmp: Path) -> bytes:
    """One file of an npm package's tarball."""
    out = subprocess.run(["npm", "pack", f"{package}@{version}", "--pack-destination", str(tmp),
                          "--silent"], check=True, capture_output=True, text=True)
    tgz = tmp / out.stdout.strip().splitlines()[-1]
    with tarfile.open(tgz) as tar:
        f = tar.extractfile(f"package/{member}")
        if f is None:
            raise SystemExit(f"{package}@{version} has no {member}")
        return f.read()


def write_brotli(path: Path) -> None:
    import brotli

    path.with_name(path.name + ".br").write_bytes(brotli.compress(path.read_bytes(), quality=11))


def check(manifest: dict) -> list[str]:
    """What is wrong with the vendored files (nothing: an empty list)."""
    problems = []
    for name, b in manifest["bundles"].items():
        path = VENDOR / name
        if not path.exists():
            problems.append(f"{name}: missing")
            continue
        data = path.read_bytes()
        if sha256(data) != b["sha256"]:
            problems.append(f"{name}: sha256 {sha256(data)} is not the manifest's {b['sha256']}")
        if f" v{manifest['version']}\n" not in data[:200].decode("utf-8", "replace"):
            problems.append(f"{name}: its banner does not say v{manifest['version']}")
        br = path.with_name(name + ".br")
        if not br.exists():
            problems.append(f"{name}.br: missing")
        else:
            import brotli

            if brotli.decompress(br.read_bytes()) != data:
                problems.append(f"{name}.br: not {name}")
    if not (VENDOR / manifest["license_file"]).exists():
        problems.append(f"{manifest['license_file']}: missing")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="check the vendored files, fetch nothing")
    ap.add_argument("--version", help="move to this plotly.js version (records new sha256s)")
    args = ap.parse_args()
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    if args.check:
        problems = check(manifest)
        print("\n".join(problems) or "static/vendor: every bundle is the manifest's")
        sys.exit(1 if problems else 0)

    moving = bool(args.version) and args.version != manifest["version"]
    version = args.version or manifest["version"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, b in manifest["bundles"].items():
            data = fetch(b["package"], version, b["file"], Path(tmp))
            digest = sha256(data)
            if b["sha256"] and not moving and digest != b["sha256"]:
                raise SystemExit(f"{b['package']}@{version}/{b['file']}: sha256 {digest}, "
                                 f"the manifest says {b['sha256']}")
            b["sha256"] = digest
            (VENDOR / name).write_bytes(data)
            write_brotli(VENDOR / name)
            print(f"{name}: {b['package']}@{version}, {len(data):,} bytes, sha256 {digest}")
            license_text = fetch(b["package"], version, "LICENSE", Path(tmp))
        (VENDOR / manifest["license_file"]).write_bytes(license_text)
    manifest["version"] = version
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
