#!/usr/bin/env python3
"""Check the module layering that Package.swift and Docs/architecture.md describe.

For every source target: the Berth modules its sources import are exactly the dependencies
Package.swift declares for it, and none of them lives in a higher layer (Sources/<n>-<name>/).
Usage: Scripts/check-layers.py   (from anywhere; exits 1 and names each problem)
"""
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
package = open(os.path.join(root, "Package.swift")).read()

# .target(name: "X", dependencies: [...], path: layer("3-runtime", "X")) and executable targets.
targets = {}
for m in re.finditer(r'\.(?:target|executableTarget|systemLibrary)\(\s*name: "([^"]+)"', package):
    name = m.group(1)
    # the target's text runs to the next target declaration
    rest = package[m.end():]
    nxt = re.search(r'\.(?:target|executableTarget|testTarget|systemLibrary)\(', rest)
    body = rest[: nxt.start()] if nxt else rest
    deps = re.search(r'dependencies: \[(.*?)\]', body, re.S)
    path = re.search(r'path: (?:layer\("([^"]+)", "([^"]+)"\)|"([^"]+)")', body)
    if path and path.group(1):
        folder = f"Sources/{path.group(1)}/{path.group(2)}"
        level = int(path.group(1).split("-")[0])
    else:
        continue  # test support and other targets outside Sources/
    targets[name] = {
        "deps": set(re.findall(r'"([^"]+)"', deps.group(1))) if deps else set(),
        "folder": folder,
        "level": level,
    }

problems = []
for name, t in sorted(targets.items()):
    imports = set()
    for dirpath, _, files in os.walk(os.path.join(root, t["folder"])):
        for f in files:
            if not f.endswith(".swift"):
                continue
            for line in open(os.path.join(dirpath, f)):
                m = re.match(r'\s*(?:@testable\s+|@_implementationOnly\s+)?import\s+(\w+)', line)
                if m and m.group(1) in targets:
                    imports.add(m.group(1))
    for missing in sorted(imports - t["deps"]):
        problems.append(f"{name}: imports {missing} but Package.swift does not declare it")
    for unused in sorted(t["deps"] - imports):
        problems.append(f"{name}: Package.swift declares {unused} but no source imports it")
    for dep in sorted(t["deps"] & set(targets)):
        if targets[dep]["level"] > t["level"]:
            problems.append(f"{name} ({t['folder']}) depends on {dep} ({targets[dep]['folder']}), a higher layer")

if problems:
    print("check-layers: " + str(len(problems)) + " problem(s)")
    for p in problems:
        print("  " + p)
    sys.exit(1)
print(f"check-layers: {len(targets)} targets, imports equal declared dependencies, no dependency points up")
