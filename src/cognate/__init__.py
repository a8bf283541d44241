"""Cognate: a self-hosted identity service that speaks Amazon Cognito's protocols."""

__version__ = "0.1.0"
