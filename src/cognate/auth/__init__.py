"""The sign-in engine: auth flow state machine, SRP, password credentials, TOTP, sessions."""
