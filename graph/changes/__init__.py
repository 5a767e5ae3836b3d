"""What changed between two builds: each build's manifest (manifest.py), the builds to compare
with (builds.py: kept builds, a git revision, a date), the comparison (compare.py), its text,
JSON and Atom forms (render.py, atom.py), and each entity's history across kept builds
(history.py)."""
