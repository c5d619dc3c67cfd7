"""What creators earned, and what creators sold for a shop, over every cell."""
