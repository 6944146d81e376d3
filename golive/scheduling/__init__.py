"""golive's scheduling library: calendars, critical path, forecasts. Pure Python, no Django."""
