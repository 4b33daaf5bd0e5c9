"""
Sphinx extension: the ``hpes-defaults`` directive.

Renders a table of `nengo_hpes.HPES`'s parameters and their default values,
read from the class when the docs are built, so the table cannot go stale
when a default changes.
"""

import inspect

from docutils import nodes
from docutils.parsers.rst import Directive

import nengo_hpes


def default_repr(name):
    """The default of ``HPES``'s parameter ``name``, as the user sees it."""
    if name == "post_synapse":
        # its Default means "same as pre_synapse" (as nengo.BCM)
        return "same as pre_synapse"
    value = getattr(nengo_hpes.HPES, name).default
    if name == "learning_rate":
        product = value * nengo_hpes.HPES().supervision_ratio
        return f"{value:.6g} (times the default supervision_ratio: {product:.6g})"
    return repr(value)


class HPESDefaults(Directive):
    """A two-column table: parameter, default."""

    has_content = False

    def run(self):
        names = [
            p
            for p in inspect.signature(nengo_hpes.HPES.__init__).parameters
            if p != "self"
        ]
        table = nodes.table()
        group = nodes.tgroup(cols=2)
        table += group
        group += [nodes.colspec(colwidth=1), nodes.colspec(colwidth=2)]
        head = nodes.thead()
        body = nodes.tbody()
        group += [head, body]

        def row(cells, header=False):
            r = nodes.row()
            for text in cells:
                entry = nodes.entry()
                para = nodes.paragraph()
                para += nodes.literal(text, text) if not header else nodes.Text(text)
                entry += para
                r += entry
            return r

        head += row(["parameter", "default"], header=True)
        for name in names:
            body += row([name, default_repr(name)])
        return [table]


def setup(app):
    app.add_directive("hpes-defaults", HPESDefaults)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
