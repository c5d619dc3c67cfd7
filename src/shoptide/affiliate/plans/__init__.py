"""Open plans, invitations (targeted plans) and which rate a creator earns on a product."""
