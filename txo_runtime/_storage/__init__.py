"""Private helpers behind :mod:`txo_runtime.load_n_save` (same layer; not a public API).

``lazy`` imports heavy libraries on first use, ``atomic`` gives every writer a temp file
that replaces the target only on success, ``json_codec`` writes JSON with exact decimals,
``writers``/``readers`` hold one function per supported format.
"""
