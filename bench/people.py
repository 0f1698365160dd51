"""The benchmark shop's people."""

#: The PIN every person of the benchmark's shop signs in with.
PIN = "4321"
