"""Sign-in through external OIDC providers: /oauth2/authorize?identity_provider=… and
/oauth2/idpresponse (wave2-surface.md §1.3-1.6)."""
