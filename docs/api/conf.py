"""Sphinx configuration of the camatlas API reference (``make docs``)."""

from __future__ import annotations

project = "camatlas"
author = "camatlas contributors"
copyright = "camatlas contributors, MIT licence"  # noqa: A001 (Sphinx's own name)
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}
add_module_names = False
html_theme = "alabaster"
html_title = "camatlas API reference"
exclude_patterns = ["_build"]
