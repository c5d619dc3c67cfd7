"""Settling creator commissions after the return window and paying them out."""
