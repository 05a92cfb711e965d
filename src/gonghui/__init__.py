"""Gonghui (工会): an open-source digital trade-union platform."""
