"""The creators' marketplace: products on sale in their market that pay them commission."""
