"""What a paid order line earns its creator: accrual, reversal, the return window, books."""
