"""The report of a run: one typed :class:`Report`, written as ``report.json`` (versioned
schema), ``report.md`` and a self-contained ``report.html`` with figures."""

from pid.report.build import bounds_report, compute_report, many_report
from pid.report.document import REPORT_SCHEMA_VERSION, Report, read_report
from pid.report.writer import write_report

__all__ = [
    "REPORT_SCHEMA_VERSION",
    "Report",
    "bounds_report",
    "compute_report",
    "many_report",
    "read_report",
    "write_report",
]
