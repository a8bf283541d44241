"""Every error Cognate answers with: one class per AWS error name (class name == wire `__type`).

    CognitoError                      base; HTTP 400 unless the class says otherwise
    ├── <one class per error shape of the cognito-idp and cognito-identity models>
    └── <protocol errors of the AWS JSON edge: SerializationException, UnknownOperationException,
         MissingAuthenticationTokenException, UnrecognizedClientException,
         InvalidSignatureException, IncompleteSignatureException, UnsupportedMediaTypeException,
         RequestEntityTooLargeException>
    OAuthError                        the /oauth2 endpoints' RFC 6749 errors (`{"error": …}`)

Raise the specific class where the condition is detected, with Cognito's message text; the AWS
JSON edge turns it into `{"__type": name, "message": text}` with the `x-amzn-ErrorType` header.
"""

from __future__ import annotations


class CognitoError(Exception):
    """An error answered to the client; the class name is the wire `__type`."""

    status_code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    @property
    def name(self) -> str:
        """The wire name of this error."""
        return type(self).__name__


class AccessDeniedException(CognitoError):
    """Model error of the Cognito APIs."""


class AliasExistsException(CognitoError):
    """Model error of the Cognito APIs."""


class CodeDeliveryFailureException(CognitoError):
    """Model error of the Cognito APIs."""


class CodeMismatchException(CognitoError):
    """Model error of the Cognito APIs."""


class ConcurrentModificationException(CognitoError):
    """Model error of the Cognito APIs."""


class DeveloperUserAlreadyRegisteredException(CognitoError):
    """Model error of the Cognito APIs."""


class DeviceKeyExistsException(CognitoError):
    """Model error of the Cognito APIs."""


class DuplicateProviderException(CognitoError):
    """Model error of the Cognito APIs."""


class EnableSoftwareTokenMFAException(CognitoError):
    """Model error of the Cognito APIs."""


class ExpiredCodeException(CognitoError):
    """Model error of the Cognito APIs."""


class ExternalServiceException(CognitoError):
    """Model error of the Cognito APIs."""


class FeatureUnavailableInTierException(CognitoError):
    """Model error of the Cognito APIs."""


class ForbiddenException(CognitoError):
    """Model error of the Cognito APIs."""


class GroupExistsException(CognitoError):
    """Model error of the Cognito APIs."""


class InternalErrorException(CognitoError):
    """Model error of the Cognito APIs."""

    status_code = 500


class InternalServerException(CognitoError):
    """Model error of the Cognito APIs."""

    status_code = 500


class InvalidEmailRoleAccessPolicyException(CognitoError):
    """Model error of the Cognito APIs."""


class InvalidIdentityPoolConfigurationException(CognitoError):
    """Model error of the Cognito APIs."""


class InvalidLambdaResponseException(CognitoError):
    """Model error of the Cognito APIs."""


class InvalidOAuthFlowException(CognitoError):
    """Model error of the Cognito APIs."""


class InvalidParameterException(CognitoError):
    """Model error of the Cognito APIs."""


class InvalidPasswordException(CognitoError):
    """Model error of the Cognito APIs."""


class InvalidSmsRoleAccessPolicyException(CognitoError):
    """Model error of the Cognito APIs."""


class InvalidSmsRoleTrustRelationshipException(CognitoError):
    """Model error of the Cognito APIs."""


class InvalidUserPoolConfigurationException(CognitoError):
    """Model error of the Cognito APIs."""


class LimitExceededException(CognitoError):
    """Model error of the Cognito APIs."""


class MFAMethodNotFoundException(CognitoError):
    """Model error of the Cognito APIs."""


class ManagedLoginBrandingExistsException(CognitoError):
    """Model error of the Cognito APIs."""


class NotAuthorizedException(CognitoError):
    """Model error of the Cognito APIs."""


class PasswordHistoryPolicyViolationException(CognitoError):
    """Model error of the Cognito APIs."""


class PasswordResetRequiredException(CognitoError):
    """Model error of the Cognito APIs."""


class PreconditionNotMetException(CognitoError):
    """Model error of the Cognito APIs."""


class RefreshTokenReuseException(CognitoError):
    """Model error of the Cognito APIs."""


class ResourceConflictException(CognitoError):
    """Model error of the Cognito APIs."""


class ResourceNotFoundException(CognitoError):
    """Model error of the Cognito APIs."""


class ScopeDoesNotExistException(CognitoError):
    """Model error of the Cognito APIs."""


class SoftwareTokenMFANotFoundException(CognitoError):
    """Model error of the Cognito APIs."""


class TermsExistsException(CognitoError):
    """Model error of the Cognito APIs."""


class TierChangeNotAllowedException(CognitoError):
    """Model error of the Cognito APIs."""


class TooManyFailedAttemptsException(CognitoError):
    """Model error of the Cognito APIs."""


class TooManyRequestsException(CognitoError):
    """Model error of the Cognito APIs."""


class UnauthorizedException(CognitoError):
    """Model error of the Cognito APIs."""


class UnexpectedLambdaException(CognitoError):
    """Model error of the Cognito APIs."""


class UnsupportedIdentityProviderException(CognitoError):
    """Model error of the Cognito APIs."""


class UnsupportedOperationException(CognitoError):
    """Model error of the Cognito APIs."""


class UnsupportedTokenTypeException(CognitoError):
    """Model error of the Cognito APIs."""


class UnsupportedUserStateException(CognitoError):
    """Model error of the Cognito APIs."""


class UserImportInProgressException(CognitoError):
    """Model error of the Cognito APIs."""


class UserLambdaValidationException(CognitoError):
    """Model error of the Cognito APIs."""


class UserNotConfirmedException(CognitoError):
    """Model error of the Cognito APIs."""


class UserNotFoundException(CognitoError):
    """Model error of the Cognito APIs."""


class UserPoolAddOnNotEnabledException(CognitoError):
    """Model error of the Cognito APIs."""


class UserPoolTaggingException(CognitoError):
    """Model error of the Cognito APIs."""


class UsernameExistsException(CognitoError):
    """Model error of the Cognito APIs."""


class WebAuthnChallengeNotFoundException(CognitoError):
    """Model error of the Cognito APIs."""


class WebAuthnClientMismatchException(CognitoError):
    """Model error of the Cognito APIs."""


class WebAuthnConfigurationMissingException(CognitoError):
    """Model error of the Cognito APIs."""


class WebAuthnCredentialNotSupportedException(CognitoError):
    """Model error of the Cognito APIs."""


class WebAuthnNotEnabledException(CognitoError):
    """Model error of the Cognito APIs."""


class WebAuthnOriginNotAllowedException(CognitoError):
    """Model error of the Cognito APIs."""


class WebAuthnRelyingPartyMismatchException(CognitoError):
    """Model error of the Cognito APIs."""


class SerializationException(CognitoError):
    """The request body is not valid JSON of the expected shape."""


class UnknownOperationException(CognitoError):
    """The X-Amz-Target names no operation of the service."""

    status_code = 400


class MissingAuthenticationTokenException(CognitoError):
    """A signed operation was called without a SigV4 signature."""

    status_code = 403


class UnrecognizedClientException(CognitoError):
    """The SigV4 access key id is not known."""


class InvalidSignatureException(CognitoError):
    """The SigV4 signature does not match, or its date is stale."""


class IncompleteSignatureException(CognitoError):
    """The Authorization header lacks a part of SigV4."""


class UnsupportedMediaTypeException(CognitoError):
    """The request is not application/x-amz-json-1.1."""


class RequestEntityTooLargeException(CognitoError):
    """The request body is larger than the AWS JSON edge reads (awsjson/endpoint.py)."""

    status_code = 413


def error_class(name: str) -> type[CognitoError] | None:
    """The class for a wire error name, or None when Cognate has none."""
    found = globals().get(name)
    if isinstance(found, type) and issubclass(found, CognitoError):
        return found
    return None


class OAuthError(Exception):
    """An OAuth 2.0 error answered by the /oauth2 endpoints as `{"error": code}` (RFC 6749
    §5.2, RFC 7009 §2.2.1, RFC 6750 §3.1); not a CognitoError, so never on the AWS JSON wire."""

    def __init__(self, error: str, description: str = "", *, status_code: int = 400) -> None:
        super().__init__(description or error)
        self.error = error
        self.description = description
        self.status_code = status_code
