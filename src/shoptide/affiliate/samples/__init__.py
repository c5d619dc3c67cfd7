"""Free samples a creator asks for under an accepted invitation; the shop ships them."""
