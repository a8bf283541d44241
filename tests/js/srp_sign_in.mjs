// SRP sign-in, session and refresh with amazon-cognito-identity-js against a Cognate server.
// Usage: node srp_sign_in.mjs <endpoint> <userPoolId> <clientId> <username> <password>
// Prints one JSON object: the tokens of the sign-in and of the refresh, or {"error": ...}.
import pkg from "amazon-cognito-identity-js";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;
const [endpoint, UserPoolId, ClientId, Username, Password] = process.argv.slice(2);

const pool = new CognitoUserPool({ UserPoolId, ClientId, endpoint });
const user = new CognitoUser({ Username, Pool: pool });

function signIn() {
  return new Promise((resolve, reject) => {
    user.authenticateUser(new AuthenticationDetails({ Username, Password }), {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error("unexpected NEW_PASSWORD_REQUIRED")),
    });
  });
}

function getSession() {
  return new Promise((resolve, reject) => {
    user.getSession((error, session) => (error ? reject(error) : resolve(session)));
  });
}

function refresh(refreshToken) {
  return new Promise((resolve, reject) => {
    user.refreshSession(refreshToken, (error, session) => (error ? reject(error) : resolve(session)));
  });
}

function tokens(session) {
  return {
    idToken: session.getIdToken().getJwtToken(),
    accessToken: session.getAccessToken().getJwtToken(),
    refreshToken: session.getRefreshToken().getToken(),
    isValid: session.isValid(),
  };
}

try {
  const signedIn = await signIn();
  const cached = await getSession();
  const refreshed = await refresh(signedIn.getRefreshToken());
  console.log(
    JSON.stringify({
      signIn: tokens(signedIn),
      cachedSessionIsSame: cached.getAccessToken().getJwtToken() === signedIn.getAccessToken().getJwtToken(),
      refresh: tokens(refreshed),
      username: signedIn.getIdToken().payload["cognito:username"],
    }),
  );
} catch (error) {
  console.log(JSON.stringify({ error: { code: error.code ?? null, name: error.name, message: error.message } }));
  process.exitCode = 1;
}
