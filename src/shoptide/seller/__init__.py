"""Seller Center: the merchant's web pages over the catalog, orders and shops services."""
