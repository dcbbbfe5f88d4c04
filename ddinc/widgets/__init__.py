"""Widgets for JupyterLab: the Cleaner (table, facets, panels) on top of :mod:`ddinc.clean`.

Nothing in the library imports this package.
"""

from ddinc.widgets.cleaner import Cleaner, datadog_users
from ddinc.widgets.state import CleanerState
from ddinc.widgets.table import CleanerTable

__all__ = ["Cleaner", "CleanerState", "CleanerTable", "datadog_users"]
