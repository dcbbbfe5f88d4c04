"""Tests for ddinc.timestamps: every style read by hand-worked values, then properties.

Expected instants are worked out by hand (offsets subtracted, DST rules of the zone), or by
Python's own ``datetime`` where a rule is mechanical, never by the code under test.
"""
