"""Read-only figures: the day's totals (and later the manager's reports). Nothing here writes."""
