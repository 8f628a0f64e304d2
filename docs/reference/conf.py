"""Sphinx settings of the API reference, generated from the docstrings (``make docs``)."""

from pid.version import __version__

project = "multimodal-pid"
author = "the multimodal-pid developers"
release = __version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_class_signature = "separated"
html_theme = "alabaster"
exclude_patterns = ["_build"]
# The words of a numpy-style type ("array of shape (n,)") are cross-referenced one by one, and
# "shape" names two attributes; that ambiguity is no error in the docs.
suppress_warnings = ["ref.python"]
