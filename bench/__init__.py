"""``make bench``: latency of the till's hot paths on an empty shop and on five years of history."""
