"""The one table printer of the command line: compare, sweep, list and bench print through it.

    print(table([["epoch", "loss"], ["1", "0.5"]]))                  # aligned text
    print(table(rows, markdown=True, align="lr"))                    # a Markdown table
"""

from __future__ import annotations

__all__ = ["table"]


def table(rows, *, align: str = "r", markdown: bool = False) -> str:
    """`rows` (the header first, then lists of strings) as aligned columns.

    `align` gives each column's alignment, `l` or `r`; its last letter goes for the remaining
    columns. Text columns are two spaces apart, trailing spaces cut; `markdown=True` makes a
    Markdown table with the same alignments (`---:` for right).
    """
    rows = [[str(c) for c in r] for r in rows]
    if not rows:
        return ""
    ncols = max(len(r) for r in rows)
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    if not align or set(align) - {"l", "r"}:
        raise ValueError(f"align must be a string of 'l' and 'r', got {align!r}")
    sides = [align[min(i, len(align) - 1)] for i in range(ncols)]
    if markdown:
        rule = ["---:" if s == "r" else "---" for s in sides]
        return "\n".join("| " + " | ".join(r) + " |" for r in [rows[0], rule, *rows[1:]])
    widths = [max(len(r[i]) for r in rows) for i in range(ncols)]
    return "\n".join(
        "  ".join(c.rjust(w) if s == "r" else c.ljust(w) for c, w, s in zip(r, widths, sides))
        .rstrip() for r in rows)
