"""Who signs in: users, roles, executives, invitations, and how allauth is told about them."""
