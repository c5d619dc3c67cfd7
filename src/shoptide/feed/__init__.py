"""The For You feed: ranking what a shopper sees next."""
