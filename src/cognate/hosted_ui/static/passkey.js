// Sign-in with a passkey on the hosted UI (hosted_ui/passkey_routes.py): the form's
// data-passkey-options hold the engine's CREDENTIAL_REQUEST_OPTIONS (a
// PublicKeyCredentialRequestOptionsJSON); navigator.credentials.get() answers them, and the
// assertion goes back as an AuthenticationResponseJSON in the form's "credential" field, posted
// with the form's CSRF token. A ceremony that fails or is cancelled shows the page's error
// message and leaves the button to try again.
"use strict";
(() => {
  const form = document.getElementById("passkey-form");
  if (!form) {
    return;
  }
  const field = form.elements.namedItem("credential");
  const button = form.querySelector("button[type=submit]");
  const failure = document.getElementById("passkey-error");
  let busy = false;

  const toBuffer = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  };
  const toText = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) {
      binary += String.fromCharCode(byte);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  const requestOptions = () => {
    const options = JSON.parse(form.dataset.passkeyOptions);
    return {
      ...options,
      challenge: toBuffer(options.challenge),
      allowCredentials: (options.allowCredentials || []).map((item) => ({
        ...item,
        id: toBuffer(item.id),
      })),
    };
  };

  const responseJSON = (credential) => {
    const response = credential.response;
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: {
        clientDataJSON: toText(response.clientDataJSON),
        authenticatorData: toText(response.authenticatorData),
        signature: toText(response.signature),
        userHandle: response.userHandle ? toText(response.userHandle) : null,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  };

  const signIn = async () => {
    if (busy) {
      return;
    }
    busy = true;
    button.disabled = true;
    failure.hidden = true;
    try {
      if (!window.PublicKeyCredential) {
        throw new Error("WebAuthn is not available in this browser");
      }
      const credential = await navigator.credentials.get({ publicKey: requestOptions() });
      field.value = JSON.stringify(responseJSON(credential));
      form.submit();
    } catch (_error) {
      failure.hidden = false;
      busy = false;
      button.disabled = false;
    }
  };

  form.addEventListener("submit", (event) => {
    if (!field.value) {
      event.preventDefault();
      signIn();
    }
  });
  signIn();
})();
