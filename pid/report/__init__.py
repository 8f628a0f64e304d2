"""The PID report: ``report.json`` (versioned schema), ``report.md`` and ``report.html``."""

from pid.report.document import REPORT_SCHEMA_VERSION, build_report, read_report
from pid.report.writer import write_report

__all__ = ["REPORT_SCHEMA_VERSION", "build_report", "read_report", "write_report"]
