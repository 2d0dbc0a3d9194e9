"""Generates the Python protobuf/gRPC code from protos/ (`make proto`), or checks it is current."""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc
import grpc_tools


def generate(proto_root: Path, out_dir: Path) -> None:
    """Runs protoc over every .proto under proto_root, writing packages into out_dir."""
    protos = sorted(str(p.relative_to(proto_root)) for p in proto_root.rglob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{proto_root}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *protos,
    ]
    # NOTE: protoc resolves paths relative to the include root, so run from it.
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for folder in [p for p in out_dir.rglob("*") if p.is_dir()] + [out_dir / "reviewguard"]:
        (folder / "__init__.py").touch()


def _tree(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("proto_root", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--check", action="store_true", help="fail if out_dir is stale")
    args = parser.parse_args(argv)
    if not args.check:
        target = args.out_dir / "reviewguard"
        if target.exists():
            shutil.rmtree(target)
        generate(args.proto_root, args.out_dir)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        generate(args.proto_root, fresh)
        want, have = _tree(fresh), _tree(args.out_dir)
        stale = sorted(
            str(p)
            for p in want | have
            if p not in want or p not in have or not filecmp.cmp(fresh / p, args.out_dir / p, shallow=False)
        )
    if stale:
        print("generated protobuf code is stale; run `make proto`:", *stale, sep="\n  ", file=sys.stderr)
        return 1
    print("generated protobuf code is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
