"""Cognito-shaped Lambda events and the isolated runner of users' trigger code."""
