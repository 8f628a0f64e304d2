"""The version of the toolkit, recorded in every report and reference bank."""

__version__ = "0.1.0"
