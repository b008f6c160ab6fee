"""Circulation at a desk: loans, renewals and returns, and the flat loan views."""
