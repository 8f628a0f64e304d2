"""The pipelines behind the commands, each from data to a :class:`~pid.report.Report`.

- :func:`~pid.workflows.compute.analyze`: ``pid compute`` and ``pid demo``.
- :func:`~pid.workflows.bounds.analyze_bounds`: ``pid bounds``.
- :func:`~pid.workflows.zoo.run_zoo`: ``pid zoo train`` (needs torch).

The zoo pipeline is not imported here, so that this package stays free of torch.
"""

from pid.workflows.bounds import analyze_bounds
from pid.workflows.compute import analyze

__all__ = ["analyze", "analyze_bounds"]
