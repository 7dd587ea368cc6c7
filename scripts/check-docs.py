#!/usr/bin/env python3
"""Fails when a comment or document cites something that does not exist.

Checked in every tracked source, script and document:
  - repository paths (core/..., tests/..., scripts/..., docs/..., experiments/..., ...): the file
    or folder must be tracked, or be a generated output that git ignores (a corpus, a run);
  - "DESIGN.md section N" (also "sections N-M"): docs/DESIGN.md has a heading "## N.";
  - README section "Title": README.md has a heading containing Title.
Paths with placeholders ($NAME, <run>, *, {a,b}) are not checked.

  python3 scripts/check-docs.py      # prints one line per broken citation, exit 1 if any
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = re.compile(r"(\.(h|cpp|md|sh|py|txt|cmake|json|qrc)|CMakeLists\.txt|^\.ci/run)$")
PATH = re.compile(r"(?<![\w./$-])((?:app|core|widgets|resources|experiments|tests|scripts|docs|\.ci)"
                  r"/[A-Za-z0-9_.*<>{}$/-]*[A-Za-z0-9_*>}/$])")
SECTION = re.compile(r"DESIGN\.md`?,? sections? (\d+)(?:\s*-\s*(\d+))?")
README_SECTION = re.compile(r'README section "([^"]+)"')


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def headings(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return [line.strip("# \n") for line in f if line.startswith("#")]


def main():
    tracked = [p for p in git("ls-files", "--cached", "--others", "--exclude-standard").split("\n") if p]
    tracked_set = set(tracked)
    tracked_dirs = {os.path.dirname(p) for p in tracked}
    for p in list(tracked_dirs):
        while p:
            p = os.path.dirname(p)
            tracked_dirs.add(p)
    design_sections = {h.split(".")[0] for h in headings("docs/DESIGN.md") if h[:1].isdigit()}
    readme_headings = headings("README.md")

    def path_ok(p):
        if p in tracked_set or p in tracked_dirs:
            return True
        # A generated output need not exist in this checkout (a clean clone has no corpus); git
        # matches a directory-only pattern ("corpus-*/") only when the path ends in a slash.
        for q in (p, p.rstrip("/") + "/"):
            if subprocess.run(["git", "check-ignore", "-q", "--no-index", q], cwd=ROOT).returncode == 0:
                return True
        return False

    problems = []
    for f in tracked:
        if not SOURCE.search(f) or f == "scripts/check-docs.py" or not os.path.isfile(os.path.join(ROOT, f)):
            continue
        with open(os.path.join(ROOT, f), encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
        for n, line in enumerate(lines, 1):
            for m in PATH.finditer(line):
                p = m.group(1).rstrip("/.")
                if any(c in p for c in "*<>{}$") or path_ok(p):
                    continue
                problems.append(f"{f}:{n}: cites {p}, which does not exist")
            for m in SECTION.finditer(line):
                first, last = int(m.group(1)), int(m.group(2) or m.group(1))
                for s in range(first, last + 1):
                    if str(s) not in design_sections:
                        problems.append(f"{f}:{n}: cites docs/DESIGN.md section {s}, which does not exist")
            for m in README_SECTION.finditer(line):
                if not any(m.group(1) in h for h in readme_headings):
                    problems.append(f'{f}:{n}: cites README section "{m.group(1)}", which does not exist')
    for p in problems:
        print(p)
    if problems:
        print(f"check-docs: {len(problems)} broken citation(s)", file=sys.stderr)
        return 1
    print("check-docs: every cited path and section exists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
