// Remembered devices with amazon-cognito-identity-js against a Cognate server.
// Usage: node device_sign_in.mjs <endpoint> <userPoolId> <clientId> <username> <password> <totpCode>
// Signs in (answering the TOTP challenge with <totpCode>); the library confirms the new device,
// and the script marks it remembered when the pool asks the user to; then signs in again with a
// fresh CognitoUser sharing the same storage, where any MFA request is an error.
// Prints one JSON object, or {"error": ...}.
import pkg from "amazon-cognito-identity-js";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = pkg;
const [endpoint, UserPoolId, ClientId, Username, Password, totpCode] = process.argv.slice(2);
const pool = new CognitoUserPool({ UserPoolId, ClientId, endpoint });

function signIn(user, code) {
  const asked = [];
  return new Promise((resolve, reject) => {
    const callbacks = {
      onSuccess: (session, userConfirmationNecessary) =>
        resolve({ session, userConfirmationNecessary: userConfirmationNecessary === true, asked }),
      onFailure: reject,
      newPasswordRequired: () => reject(new Error("unexpected NEW_PASSWORD_REQUIRED")),
      totpRequired: (challengeName) => {
        asked.push(challengeName);
        if (!code) return reject(new Error(`unexpected ${challengeName}`));
        user.sendMFACode(code, callbacks, "SOFTWARE_TOKEN_MFA");
      },
      mfaRequired: (challengeName) => reject(new Error(`unexpected ${challengeName}`)),
    };
    user.authenticateUser(new AuthenticationDetails({ Username, Password }), callbacks);
  });
}

function remember(user) {
  return new Promise((resolve, reject) => {
    user.setDeviceStatusRemembered({ onSuccess: resolve, onFailure: reject });
  });
}

try {
  const first = new CognitoUser({ Username, Pool: pool });
  const signedIn = await signIn(first, totpCode);
  if (signedIn.userConfirmationNecessary) await remember(first);
  const second = new CognitoUser({ Username, Pool: pool });
  const again = await signIn(second, null);
  console.log(
    JSON.stringify({
      first: {
        accessToken: signedIn.session.getAccessToken().getJwtToken(),
        asked: signedIn.asked,
        userConfirmationNecessary: signedIn.userConfirmationNecessary,
      },
      second: { accessToken: again.session.getAccessToken().getJwtToken(), asked: again.asked },
      deviceKey: second.deviceKey ?? null,
    }),
  );
} catch (error) {
  console.log(JSON.stringify({ error: { code: error.code ?? null, name: error.name, message: error.message } }));
  process.exitCode = 1;
}
