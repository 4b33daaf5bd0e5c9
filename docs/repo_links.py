"""
Sphinx extension: links between repository files that became pages.

Some pages include Markdown files from outside ``docs/`` (``README.md``,
``benchmarks/*.md``) or are such files (``docs/defaults.md``). Their links
point at repository paths (``benchmarks/README.md``,
``../benchmarks/results/defaults_study.md``, ``notebooks/x.ipynb``), which MyST
cannot resolve from inside ``docs/``. This post-transform, run before MyST's
own resolver, rewrites each such link to the page that shows the file
(`REPO_PAGES`, or ``examples/<name>`` for a notebook), so the links work on
GitHub and in the built site alike. A link to a repository file that no page
shows is left alone, and MyST warns about it (an error in this build).
"""

import os
import pathlib

from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: repository path (no suffix) -> docname of the page that shows it
REPO_PAGES = {
    "README": "index",
    "CHANGES": "changelog",
    "docs/defaults": "defaults",
    "benchmarks/README": "benchmarks",
    "benchmarks/results/defaults_study": "benchmarks/defaults-study",
    "benchmarks/results/theta_variants": "benchmarks/theta-variants",
}


def repo_page(path):
    """The docname showing repository file ``path`` (relative to the root), or None."""
    stem, suffix = os.path.splitext(os.path.normpath(path))
    stem = stem.replace(os.sep, "/")
    if stem.startswith("notebooks/") and suffix in ("", ".ipynb"):
        return "examples/" + stem.split("/", 1)[1]
    return REPO_PAGES.get(stem)


class RepoLinks(SphinxPostTransform):
    """Point MyST links to repository files at the pages that show them."""

    default_priority = 5  # before MyST's MystReferenceResolver (9)

    def run(self, **kwargs):
        for node in self.document.findall(addnodes.pending_xref):
            if node.get("reftype") != "myst":
                continue
            target = node["reftarget"]
            if node.get("refdomain") == "doc":
                if target in self.env.all_docs:
                    continue
                # an absolute path outside docs/, from a relative link
                path = os.path.relpath(target, ROOT)
            else:
                # an unresolved relative link, e.g. README's "benchmarks/README.md"
                path, _, anchor = target.partition("#")
                if anchor:
                    continue
            docname = repo_page(path)
            if docname is None or docname not in self.env.all_docs:
                continue
            node["refdomain"] = "doc"
            node["reftarget"] = docname
            node.setdefault("reftargetid", None)


def setup(app):
    app.add_post_transform(RepoLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
