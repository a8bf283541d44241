"""The OAuth 2.0 and OpenID Connect endpoints: discovery, JWKS, and (later) /oauth2/*."""
