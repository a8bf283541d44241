"""The schema: one MetaData, tables as module constants. Change it only with a migration.

Pool and client configuration is kept as the wire-shaped JSON Describe* echoes back (DESIGN §5),
with columns only for what is looked up or constrained. Users keep their attributes as JSON and,
for ListUsers filters and alias sign-in, indexed copies in `user_attributes` and `aliases`.
"""

from __future__ import annotations

import sqlalchemy as sa

from cognate.store.dialects import Timestamp

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

user_pools = sa.Table(
    "user_pools",
    metadata,
    sa.Column("id", sa.String(55), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

user_pool_clients = sa.Table(
    "user_pool_clients",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column(
        "pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

client_secrets = sa.Table(
    "client_secrets",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column(
        "client_id",
        sa.ForeignKey("user_pool_clients.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # AES-GCM under the master key: a client secret must be shown again by Describe.
    sa.Column("secret", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

domains = sa.Table(
    "domains",
    metadata,
    sa.Column("domain", sa.String(253), primary_key=True),
    sa.Column(
        "pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("username", sa.String(128), nullable=False),
    # The lookup form of the username: lower-cased unless the pool is case-sensitive.
    sa.Column("username_key", sa.String(128), nullable=False),
    sa.Column("sub", sa.String(36), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("attributes", sa.JSON, nullable=False),
    # AES-GCM of the SRP salt and verifier (auth/passwords.py); NULL for users without one.
    sa.Column("password", sa.LargeBinary, nullable=True),
    sa.Column("password_set_at", Timestamp, nullable=True),
    sa.Column("mfa", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # GlobalSignOut: access and ID tokens issued before this are refused.
    sa.Column("tokens_valid_after", Timestamp, nullable=True),
    sa.UniqueConstraint("pool_id", "username_key"),
    sa.UniqueConstraint("pool_id", "sub"),
    sa.Index("ix_users_pool_id_username", "pool_id", "username"),
    sa.Index("ix_users_pool_id_status", "pool_id", "status"),
    sa.Index("ix_users_pool_id_id", "pool_id", "id"),
    # PostgreSQL also has ix_users_username_prefix (username_key COLLATE "C"): migration 0002.
)

user_attributes = sa.Table(
    "user_attributes",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("pool_id", sa.String(55), nullable=False),
    # Filterable attributes only (ListUsers), truncated to what an index can hold.
    sa.Column("value", sa.String(512), nullable=False),
    sa.Index("ix_user_attributes_pool_id_name_value", "pool_id", "name", "value"),
    # PostgreSQL also has ix_user_attributes_prefix (value COLLATE "C"): migration 0002.
)

aliases = sa.Table(
    "aliases",
    metadata,
    sa.Column("pool_id", sa.String(55), primary_key=True),
    # email, phone_number or preferred_username
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("value_key", sa.String(512), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
)

password_history = sa.Table(
    "password_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("password", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(128), primary_key=True),
    sa.Column("description", sa.String(2048), nullable=True),
    sa.Column("role_arn", sa.String(2048), nullable=True),
    sa.Column("precedence", sa.Integer, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

user_groups = sa.Table(
    "user_groups",
    metadata,
    sa.Column("pool_id", sa.String(55), primary_key=True),
    sa.Column("group_name", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.ForeignKeyConstraint(
        ["pool_id", "group_name"], ["groups.pool_id", "groups.name"], ondelete="CASCADE"
    ),
    sa.Index("ix_user_groups_user_id", "user_id"),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(64), primary_key=True),
    sa.Column(
        "pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    # id, access or saml: Cognito signs each kind with its own key.
    sa.Column("purpose", sa.String(16), nullable=False),
    # AES-GCM of the PEM private key.
    sa.Column("private_key", sa.LargeBinary, nullable=False),
    sa.Column("certificate", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("retired_at", Timestamp, nullable=True),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # Keyed hash of the opaque token (SecretBox.keyed_hash): the token itself is never stored.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("pool_id", sa.String(55), nullable=False),
    sa.Column("client_id", sa.String(128), nullable=False),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # The jti family every token minted from this refresh token carries as origin_jti.
    sa.Column("origin_jti", sa.String(36), nullable=False, unique=True),
    sa.Column("device_key", sa.String(55), nullable=True),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("auth_time", Timestamp, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("revoked_at", Timestamp, nullable=True),
    # Rotation: when this token was exchanged for a new one (grace period starts then).
    sa.Column("rotated_at", Timestamp, nullable=True),
)

one_time_codes = sa.Table(
    "one_time_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # SIGN_UP, FORGOT_PASSWORD, VERIFY:<attribute>, MFA:<kind>…: one live code per purpose.
    sa.Column("purpose", sa.String(64), nullable=False),
    # Keyed hash of the code; the code itself is never stored.
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("used_at", Timestamp, nullable=True),
    sa.UniqueConstraint("user_id", "purpose"),
)

sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("pool_id", sa.String(55), primary_key=True),
    # The user's id as text for known users, a keyed hash of the lookup name for unknown ones.
    sa.Column("subject", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    # Attempts claimed whose verdict is not in yet (store/sign_in.py).
    sa.Column("in_flight", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", Timestamp, nullable=True),
    sa.Column("updated_at", Timestamp, nullable=False, index=True),
)

spent_sessions = sa.Table(
    "spent_sessions",
    metadata,
    # The id inside a sealed auth Session or SRP SECRET_BLOCK: inserting it spends it once.
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("expires_at", Timestamp, nullable=False, index=True),
)

resource_servers = sa.Table(
    "resource_servers",
    metadata,
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("identifier", sa.String(256), primary_key=True),
    sa.Column("name", sa.String(256), nullable=False),
    # [{"ScopeName", "ScopeDescription"}…] as CreateResourceServer received them.
    sa.Column("scopes", sa.JSON, nullable=False),
)

authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
    # Keyed hash of the code (RFC 6749 §4.1.2): the code itself is never stored.
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("pool_id", sa.String(55), nullable=False),
    sa.Column("client_id", sa.String(128), nullable=False),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("nonce", sa.Text, nullable=True),
    sa.Column("code_challenge", sa.String(128), nullable=True),
    sa.Column("auth_time", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False, index=True),
    # Set by the one exchange that wins the conditional UPDATE (single use, RFC 6749 §10.5).
    sa.Column("used_at", Timestamp, nullable=True),
    # The refresh token that exchange issued: revoked if the code is presented again.
    sa.Column("refresh_token_hash", sa.String(64), nullable=True),
)

pending_attributes = sa.Table(
    "pending_attributes",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # email or phone_number, held under UserAttributeUpdateSettings until verified: one each.
    sa.Column("attribute", sa.String(32), primary_key=True),
    # The new value, AES-GCM encrypted: it is personal data (idp/verification.py, purpose).
    sa.Column("value", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

software_tokens = sa.Table(
    "software_tokens",
    metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # The verified TOTP seed in force, AES-GCM encrypted (purpose "totp-seed"); None until the
    # first VerifySoftwareToken succeeds.
    sa.Column("secret", sa.LargeBinary, nullable=True),
    # A seed handed out by AssociateSoftwareToken and not verified yet, encrypted likewise.
    sa.Column("pending_secret", sa.LargeBinary, nullable=True),
    sa.Column("friendly_name", sa.String(256), nullable=True),
    # The newest RFC 6238 step accepted at sign-in: that step and older ones are refused after.
    sa.Column("last_step", sa.BigInteger, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

identity_pools = sa.Table(
    "identity_pools",
    metadata,
    # "{region}:{uuid}"
    sa.Column("id", sa.String(55), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    # The IdentityPool wire shape without IdentityPoolId, as Describe echoes it (DESIGN §5).
    sa.Column("config", sa.JSON, nullable=False),
    # SetIdentityPoolRoles: {"Roles": {...}, "RoleMappings": {...}}.
    sa.Column("roles", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

identities = sa.Table(
    "identities",
    metadata,
    # "{region}:{uuid}"
    sa.Column("id", sa.String(55), primary_key=True),
    sa.Column(
        "pool_id",
        sa.ForeignKey("identity_pools.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

identity_logins = sa.Table(
    "identity_logins",
    metadata,
    # The primary key makes one (provider, subject) name at most one identity of a pool, even
    # when two GetId calls race.
    sa.Column("pool_id", sa.ForeignKey("identity_pools.id", ondelete="CASCADE"), primary_key=True),
    # The canonical provider name: cognito-idp.{region}.amazonaws.com/{userPoolId}.
    sa.Column("provider", sa.String(256), primary_key=True),
    # The token's sub, or a developer provider's DeveloperUserIdentifier (up to 1024).
    sa.Column("subject", sa.String(1024), primary_key=True),
    sa.Column(
        "identity_id",
        sa.ForeignKey("identities.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("created_at", Timestamp, nullable=False),
)

identity_credentials = sa.Table(
    "identity_credentials",
    metadata,
    # Fabricated temporary credentials (no STS): kept so a later check can recognise them.
    sa.Column("access_key_id", sa.String(20), primary_key=True),
    sa.Column(
        "identity_id",
        sa.ForeignKey("identities.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("role_arn", sa.String(2048), nullable=False),
    # Keyed hashes only: the secret key and session token are shown once, like refresh tokens.
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("session_token_hash", sa.String(64), nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False, index=True),
)

identity_signing_keys = sa.Table(
    "identity_signing_keys",
    metadata,
    # Signs GetOpenIdToken's tokens; the oldest one is current.
    sa.Column("kid", sa.String(64), primary_key=True),
    # AES-GCM of the PEM private key.
    sa.Column("private_key", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
)

identity_providers = sa.Table(
    "identity_providers",
    metadata,
    # The primary key keeps ProviderName unique within its pool.
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("type", sa.String(32), nullable=False),
    # ProviderDetails as given; client_secret and private_key are AES-GCM ciphertexts (base64).
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("attribute_mapping", sa.JSON, nullable=False),
    sa.Column("idp_identifiers", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

ui_customizations = sa.Table(
    "ui_customizations",
    metadata,
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    # A client id, or "ALL" for the pool-wide default (SetUICustomization without ClientId).
    sa.Column("client_id", sa.String(128), primary_key=True),
    # As SetUICustomization got it; the hosted pages use its sanitised form (domain/branding.py).
    sa.Column("css", sa.Text, nullable=True),
    sa.Column("css_version", sa.String(32), nullable=False),
    sa.Column("image", sa.LargeBinary, nullable=True),
    sa.Column("image_type", sa.String(32), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

managed_login_brandings = sa.Table(
    "managed_login_brandings",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("client_id", sa.String(128), nullable=False),
    # The Settings document and Assets list (Bytes kept base64) as the API got them.
    sa.Column("settings", sa.JSON, nullable=True),
    sa.Column("assets", sa.JSON, nullable=False),
    sa.Column("use_cognito_provided_values", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # One branding per app client (ManagedLoginBrandingExistsException).
    sa.UniqueConstraint("pool_id", "client_id"),
)

terms = sa.Table(
    "terms",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("client_id", sa.String(128), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("enforcement", sa.String(16), nullable=False),
    # Locale ("cognito:default", ...) -> URL.
    sa.Column("links", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    # One terms document of each name per app client (TermsExistsException).
    sa.UniqueConstraint("pool_id", "client_id", "name"),
)

devices = sa.Table(
    "devices",
    metadata,
    # Cognito's DeviceKey, "{region}_{uuid}".
    sa.Column("device_key", sa.String(55), primary_key=True),
    sa.Column(
        "pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # The device's SRP "pool name" (NewDeviceMetadata.DeviceGroupKey).
    sa.Column("device_group_key", sa.String(64), nullable=False),
    # Both AES-GCM encrypted (purpose "device-verifier"); None until ConfirmDevice. The
    # verifier is password-equivalent for the device's SRP step.
    sa.Column("salt", sa.LargeBinary, nullable=True),
    sa.Column("verifier", sa.LargeBinary, nullable=True),
    sa.Column("name", sa.String(1024), nullable=True),
    # Extra DeviceAttributes as a JSON object (name -> value).
    sa.Column("attributes", sa.JSON, nullable=False),
    # "remembered" or "not_remembered"; None while the device is not confirmed.
    sa.Column("remembered_status", sa.String(16), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_authenticated_at", Timestamp, nullable=True),
    sa.Column("last_modified_at", Timestamp, nullable=False),
    sa.Column("last_ip", sa.String(64), nullable=True),
)

federated_identities = sa.Table(
    "federated_identities",
    metadata,
    # The external identities users sign in with (OIDC and social providers): the one a
    # federated user was created from (is_primary) and those AdminLinkProviderForUser linked.
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("provider_name", sa.String(32), nullable=False),
    # The provider's subject (ProviderAttributeValue of Cognito_Subject): OIDC `sub`.
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("provider_type", sa.String(32), nullable=False),
    sa.Column("issuer", sa.String(2048), nullable=True),
    sa.Column("is_primary", sa.Boolean, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.PrimaryKeyConstraint("pool_id", "provider_name", "subject"),
)

federation_states = sa.Table(
    "federation_states",
    metadata,
    # Spent /oauth2/idpresponse states (their random id): a state is accepted once.
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("expires_at", Timestamp, nullable=False, index=True),
)

webauthn_credentials = sa.Table(
    "webauthn_credentials",
    metadata,
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    # Unpadded base64url, as clients send it; WebAuthn caps the raw id at 1023 bytes.
    sa.Column("credential_id", sa.String(1400), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # The COSE_Key from registration: public, so kept in the clear.
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    # The authenticator's signature counter (uint32), moved forward by each sign-in.
    sa.Column("sign_count", sa.BigInteger, nullable=False),
    sa.Column("friendly_name", sa.String(256), nullable=False),
    sa.Column("relying_party_id", sa.String(256), nullable=False),
    sa.Column("attachment", sa.String(32), nullable=True),
    # AuthenticatorTransports as a JSON list of strings.
    sa.Column("transports", sa.JSON, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("last_used_at", Timestamp, nullable=True),
)

identity_principal_tags = sa.Table(
    "identity_principal_tags",
    metadata,
    # SetPrincipalTagAttributeMap: one map per identity pool and provider.
    sa.Column("pool_id", sa.ForeignKey("identity_pools.id", ondelete="CASCADE"), primary_key=True),
    # The canonical provider name (user pools as cognito-idp.{region}.amazonaws.com/{poolId}).
    sa.Column("provider", sa.String(128), primary_key=True),
    sa.Column("use_defaults", sa.Boolean, nullable=False),
    # Tag key -> claim, as SetPrincipalTagAttributeMap got it (ignored while use_defaults).
    sa.Column("principal_tags", sa.JSON, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

user_import_jobs = sa.Table(
    "user_import_jobs",
    metadata,
    # CSV user import jobs (CreateUserImportJob), "import-" and ten letters and digits.
    sa.Column("id", sa.String(55), primary_key=True),
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("logs_role_arn", sa.String(2048), nullable=False),
    # domain.user_import.ImportStatus.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("started_at", Timestamp, nullable=True),
    sa.Column("completed_at", Timestamp, nullable=True),
    sa.Column("imported", sa.Integer, nullable=False),
    sa.Column("skipped", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("completion_message", sa.String(128), nullable=True),
    # The complete upload whose chunks are the job's CSV; None until a PUT completes.
    sa.Column("upload_id", sa.String(32), nullable=True),
    # The first line of the CSV not yet handled (line 1 is the header): where a resumed job
    # goes on.
    sa.Column("next_line", sa.Integer, nullable=False),
    # While the job is Pending/InProgress/Stopping, the worker that runs it renews this lease
    # with every batch; once it lapses (the process died) another process may take the job over.
    sa.Column("lease_expires_at", Timestamp, nullable=True),
    sa.Index("ix_user_import_jobs_pool_id_created_at", "pool_id", "created_at"),
)

user_import_chunks = sa.Table(
    "user_import_chunks",
    metadata,
    # The uploaded CSV, in the order it arrived, in pieces of up to 1 MiB. In the database
    # rather than the data dir so that any server sharing it can run the job.
    sa.Column("job_id", sa.ForeignKey("user_import_jobs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("upload_id", sa.String(32), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

federated_attribute_links = sa.Table(
    "federated_attribute_links",
    metadata,
    # AdminLinkProviderForUser links naming a SAML or OIDC identity by one of its attributes
    # (ProviderAttributeName other than Cognito_Subject) before it has signed in: its first
    # sign-in carrying that value turns the link into a federated_identities row (by subject).
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("provider_name", sa.String(32), nullable=False),
    sa.Column("attribute_name", sa.String(255), nullable=False),
    sa.Column("attribute_value", sa.String(255), nullable=False),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("provider_type", sa.String(32), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.PrimaryKeyConstraint("pool_id", "provider_name", "attribute_name", "attribute_value"),
)

risk_configurations = sa.Table(
    "risk_configurations",
    metadata,
    # SetRiskConfiguration: the pool's configuration (client_id "") and clients' own, which
    # replace the pool's for that client. Wire-shaped JSON (the three *Configuration members).
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("client_id", sa.String(128), nullable=False),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.PrimaryKeyConstraint("pool_id", "client_id"),
)

auth_events = sa.Table(
    "auth_events",
    metadata,
    # Threat protection's auth events (AdminListUserAuthEvents), recorded while the pool's
    # AdvancedSecurityMode is AUDIT or ENFORCED. `seq` orders them (newest first) and pages.
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("pool_id", sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    # By sub, not user row: a user deleted and created again under the same name has a new sub
    # and none of the old events.
    sa.Column("user_sub", sa.String(64), nullable=False),
    # The `event_id` claim of the tokens a passed sign-in issued.
    sa.Column("event_id", sa.String(50), nullable=False),
    sa.Column("event_type", sa.String(16), nullable=False),
    sa.Column("response", sa.String(16), nullable=False),
    # EventRiskType and EventContextDataType as the wire has them.
    sa.Column("risk", sa.JSON, nullable=False),
    sa.Column("context", sa.JSON, nullable=False),
    # ChallengeResponses: [{ChallengeName, ChallengeResponse}].
    sa.Column("challenge_responses", sa.JSON, nullable=False),
    # EventFeedbackType once AdminUpdateAuthEventFeedback gave one.
    sa.Column("feedback", sa.JSON, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Index("ix_auth_events_pool_id_user_sub_seq", "pool_id", "user_sub", "seq"),
    sa.Index("ix_auth_events_pool_id_event_id", "pool_id", "event_id"),
)
