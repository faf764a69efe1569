#!/usr/bin/env python3
"""Print a uv/pip-compile lock without torch, torchvision and what only they pull in (CUDA libs...).

tools/setup_venv.sh installs this when the venv already has a torch (NVIDIA's Jetson wheel, a CUDA
build): the rest of the lock goes in exactly, the user's torch stack is never replaced. A package is
dropped when every package that the lock's ``# via`` notes name for it is itself dropped.
Usage: lock_without_torch.py LOCK
"""

from __future__ import annotations

import re
import sys
from typing import Dict, List, Set

ROOTS = {"torch", "torchvision"}
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==")


def parse(text: str) -> Dict[str, dict]:
    """name -> {'lines': the requirement's lines, 'via': names of the packages that need it}."""
    packages: Dict[str, dict] = {}
    current = None
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            current = packages.setdefault(canonical(match.group(1)), {"lines": [], "via": set()})
            current["lines"].append(line)
        elif current is not None and line.startswith((" ", "\t")):
            current["lines"].append(line)
            comment = line.strip()
            if comment.startswith("#"):
                words = comment.lstrip("#").split()
                words = words[1:] if words[:1] == ["via"] else words
                current["via"].update(words[:1])  # a package name, or "-r" for a requirements file
        else:
            current = None
    return packages


def canonical(name: str) -> str:
    """PEP 503 name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def torch_only(packages: Dict[str, dict]) -> Set[str]:
    """torch, torchvision and every package needed by nothing else (a fixed point over ``via``)."""
    dropped = set(ROOTS)
    changed = True
    while changed:
        changed = False
        for name, info in packages.items():
            needers = {canonical(v) for v in info["via"] if not v.startswith("-r")}
            requested = any(v.startswith("-r") for v in info["via"])
            if name not in dropped and needers and not requested and needers <= dropped:
                dropped.add(name)
                changed = True
    return dropped


def main(argv: List[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[-1], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        packages = parse(handle.read())
    dropped = torch_only(packages)
    for name, info in packages.items():
        if name not in dropped:
            print("\n".join(info["lines"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
