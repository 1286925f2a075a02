"""The interop tests' parts: real OpenAI-compatible servers run from the ``.interop/`` venvs that
``python3 dev.py test`` builds (their pinned requirements are here), the tiny model they serve,
and the battery's shared cases (see README.md)."""
