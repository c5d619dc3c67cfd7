"""Creators, and which creator led a shopper to a product (touches and attribution).

A low-level domain: orders, checkout, content, live, the affiliate program and the feed
read it through `service` (and `flows` for the steps that open units of work of their own).
It imports only markets, accounts, shops and catalog."""
