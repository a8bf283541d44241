"""Signing keys, JWKS, and the ID, access and refresh tokens."""
