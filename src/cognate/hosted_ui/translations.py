"""The hosted pages' texts in other languages: the `lang` parameter of /oauth2/authorize and
/login, as Cognito's managed login takes it ("Managed login localization": de, en, es, fr,
id, it, ja, ko, pt-BR, zh-CN, zh-TW).

One dictionary per language, keyed by the English text the templates write (gettext style:
`{{ t("Sign in") }}`), so a text without a translation, and every text of a language Cognate
has no dictionary for, stays English, as does an unknown or missing `lang`. A text with
`{placeholders}` is filled after translation; the values come from the page, and Jinja escapes
the result like any other text. Messages composed elsewhere (the engine's error messages, the
password-policy hint) are translated only where a dictionary holds them word for word.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

DEFAULT: Final = "en"

COGNITO_LANGUAGES: Final = (
    "de", "en", "es", "fr", "id", "it", "ja", "ko", "pt-BR", "zh-CN", "zh-TW",
)  # fmt: skip
"""The `lang` values Cognito's managed login accepts."""

_GERMAN: Final = {
    "Error": "Fehler",
    "Sign in with {name}": "Anmelden mit {name}",
    "Sign in": "Anmelden",
    "Username": "Benutzername",
    "Password": "Passwort",
    "Email": "E-Mail",
    "Phone number": "Telefonnummer",
    "Forgot your password?": "Passwort vergessen?",
    "Create an account": "Konto erstellen",
    "Sign up": "Registrieren",
    "Already have an account? Sign in": "Sie haben bereits ein Konto? Anmelden",
    "Reset your password": "Passwort zurücksetzen",
    "Enter your username and we will send you a code to reset your password.": (
        "Geben Sie Ihren Benutzernamen ein. Wir senden Ihnen einen Code, mit dem Sie Ihr "
        "Passwort zurücksetzen können."
    ),
    "Send code": "Code senden",
    "Back to sign in": "Zurück zur Anmeldung",
    "Set a new password": "Neues Passwort festlegen",
    "We sent a code to {destination}. Enter it with your new password.": (
        "Wir haben einen Code an {destination} gesendet. Geben Sie ihn mit Ihrem neuen "
        "Passwort ein."
    ),
    "We sent a code. Enter it with your new password.": (
        "Wir haben einen Code gesendet. Geben Sie ihn mit Ihrem neuen Passwort ein."
    ),
    "New password": "Neues Passwort",
    "Change password": "Passwort ändern",
    "Confirm your account": "Konto bestätigen",
    "We sent a confirmation code to {destination}. Enter it below.": (
        "Wir haben einen Bestätigungscode an {destination} gesendet. Geben Sie ihn unten ein."
    ),
    "We sent a confirmation code. Enter it below.": (
        "Wir haben einen Bestätigungscode gesendet. Geben Sie ihn unten ein."
    ),
    "Confirm": "Bestätigen",
    "Enter your code": "Code eingeben",
    "Enter the code your authenticator app shows.": (
        "Geben Sie den Code ein, den Ihre Authentifizierungs-App anzeigt."
    ),
    "We sent a code to {destination}.": "Wir haben einen Code an {destination} gesendet.",
    "Enter the code we sent you.": "Geben Sie den Code ein, den wir Ihnen gesendet haben.",
    "Verify": "Überprüfen",
    "Start over": "Von vorn beginnen",
    "Your account needs a new password before you continue.": (
        "Ihr Konto benötigt ein neues Passwort, bevor Sie fortfahren."
    ),
    "Continue": "Weiter",
    "Choose how to verify": "Bestätigungsmethode wählen",
    "Verification method": "Bestätigungsmethode",
    "Authenticator app": "Authentifizierungs-App",
    "Text message (SMS)": "Textnachricht (SMS)",
    "Set up your authenticator app": "Authentifizierungs-App einrichten",
    "Scan this QR code with your authenticator app, or enter the secret key by hand, then "
    "enter the code it shows.": (
        "Scannen Sie diesen QR-Code mit Ihrer Authentifizierungs-App oder geben Sie den "
        "geheimen Schlüssel von Hand ein. Geben Sie dann den angezeigten Code ein."
    ),
    "QR code for your authenticator app": "QR-Code für Ihre Authentifizierungs-App",
    "Secret key:": "Geheimer Schlüssel:",
    "Open in an authenticator app on this device": (
        "In einer Authentifizierungs-App auf diesem Gerät öffnen"
    ),
    "Set up multi-factor authentication": "Multi-Faktor-Authentifizierung einrichten",
    "Choose how you want to receive your sign-in codes.": (
        "Wählen Sie, wie Sie Ihre Anmeldecodes erhalten möchten."
    ),
    "Set up email verification": "Bestätigung per E-Mail einrichten",
    "Enter the email address we should send your sign-in codes to.": (
        "Geben Sie die E-Mail-Adresse ein, an die wir Ihre Anmeldecodes senden sollen."
    ),
    "Email address": "E-Mail-Adresse",
    "Invalid email address format.": "Ungültiges Format der E-Mail-Adresse.",
    "Something went wrong": "Etwas ist schiefgelaufen",
    "Error:": "Fehler:",
    "Code": "Code",
    "Logo": "Logo",
    "Terms of use": "Nutzungsbedingungen",
    "Privacy policy": "Datenschutzrichtlinie",
    "Your account is confirmed. Sign in to continue.": (
        "Ihr Konto ist bestätigt. Melden Sie sich an, um fortzufahren."
    ),
    "Your password has been reset. Sign in with your new password.": (
        "Ihr Passwort wurde zurückgesetzt. Melden Sie sich mit Ihrem neuen Passwort an."
    ),
    "Enter your username and password.": "Geben Sie Ihren Benutzernamen und Ihr Passwort ein.",
    "Incorrect username or password.": "Falscher Benutzername oder falsches Passwort.",
    "Sign in with passkey": "Mit Passkey anmelden",
    "Use the passkey saved on your device or security key.": (
        "Verwenden Sie den Passkey auf Ihrem Gerät oder Sicherheitsschlüssel."
    ),
    "Your passkey could not be used. Try again, or sign in another way.": (
        "Ihr Passkey konnte nicht verwendet werden. Versuchen Sie es erneut oder melden Sie "
        "sich anders an."
    ),
    "Sign in another way": "Anders anmelden",
    "There is no passkey for this account. Sign in with your password.": (
        "Für dieses Konto gibt es keinen Passkey. Melden Sie sich mit Ihrem Passwort an."
    ),
    "Enter your username.": "Geben Sie Ihren Benutzernamen ein.",
    "Passkeys are not enabled for this application.": (
        "Passkeys sind für diese Anwendung nicht aktiviert."
    ),
}

_FRENCH: Final = {
    "Error": "Erreur",
    "Sign in with {name}": "Se connecter avec {name}",
    "Sign in": "Se connecter",
    "Username": "Nom d'utilisateur",
    "Password": "Mot de passe",
    "Email": "E-mail",
    "Phone number": "Numéro de téléphone",
    "Forgot your password?": "Mot de passe oublié ?",
    "Create an account": "Créer un compte",
    "Sign up": "S'inscrire",
    "Already have an account? Sign in": "Vous avez déjà un compte ? Connectez-vous",
    "Reset your password": "Réinitialiser votre mot de passe",
    "Enter your username and we will send you a code to reset your password.": (
        "Saisissez votre nom d'utilisateur et nous vous enverrons un code pour réinitialiser "
        "votre mot de passe."
    ),
    "Send code": "Envoyer le code",
    "Back to sign in": "Retour à la connexion",
    "Set a new password": "Définir un nouveau mot de passe",
    "We sent a code to {destination}. Enter it with your new password.": (
        "Nous avons envoyé un code à {destination}. Saisissez-le avec votre nouveau mot de passe."
    ),
    "We sent a code. Enter it with your new password.": (
        "Nous avons envoyé un code. Saisissez-le avec votre nouveau mot de passe."
    ),
    "New password": "Nouveau mot de passe",
    "Change password": "Changer le mot de passe",
    "Confirm your account": "Confirmer votre compte",
    "We sent a confirmation code to {destination}. Enter it below.": (
        "Nous avons envoyé un code de confirmation à {destination}. Saisissez-le ci-dessous."
    ),
    "We sent a confirmation code. Enter it below.": (
        "Nous avons envoyé un code de confirmation. Saisissez-le ci-dessous."
    ),
    "Confirm": "Confirmer",
    "Enter your code": "Saisissez votre code",
    "Enter the code your authenticator app shows.": (
        "Saisissez le code affiché par votre application d'authentification."
    ),
    "We sent a code to {destination}.": "Nous avons envoyé un code à {destination}.",
    "Enter the code we sent you.": "Saisissez le code que nous vous avons envoyé.",
    "Verify": "Vérifier",
    "Start over": "Recommencer",
    "Your account needs a new password before you continue.": (
        "Votre compte a besoin d'un nouveau mot de passe avant de continuer."
    ),
    "Continue": "Continuer",
    "Choose how to verify": "Choisissez la méthode de vérification",
    "Verification method": "Méthode de vérification",
    "Authenticator app": "Application d'authentification",
    "Text message (SMS)": "Message texte (SMS)",
    "Set up your authenticator app": "Configurer votre application d'authentification",
    "Scan this QR code with your authenticator app, or enter the secret key by hand, then "
    "enter the code it shows.": (
        "Scannez ce code QR avec votre application d'authentification, ou saisissez la clé "
        "secrète à la main, puis saisissez le code affiché."
    ),
    "QR code for your authenticator app": "Code QR pour votre application d'authentification",
    "Secret key:": "Clé secrète :",
    "Open in an authenticator app on this device": (
        "Ouvrir dans une application d'authentification sur cet appareil"
    ),
    "Set up multi-factor authentication": "Configurer l'authentification multifacteur",
    "Choose how you want to receive your sign-in codes.": (
        "Choisissez comment recevoir vos codes de connexion."
    ),
    "Set up email verification": "Configurer la vérification par e-mail",
    "Enter the email address we should send your sign-in codes to.": (
        "Saisissez l'adresse e-mail à laquelle nous enverrons vos codes de connexion."
    ),
    "Email address": "Adresse e-mail",
    "Invalid email address format.": "Format d'adresse e-mail non valide.",
    "Something went wrong": "Une erreur s'est produite",
    "Error:": "Erreur :",
    "Code": "Code",
    "Logo": "Logo",
    "Terms of use": "Conditions d'utilisation",
    "Privacy policy": "Politique de confidentialité",
    "Your account is confirmed. Sign in to continue.": (
        "Votre compte est confirmé. Connectez-vous pour continuer."
    ),
    "Your password has been reset. Sign in with your new password.": (
        "Votre mot de passe a été réinitialisé. Connectez-vous avec votre nouveau mot de passe."
    ),
    "Enter your username and password.": "Saisissez votre nom d'utilisateur et votre mot de passe.",
    "Incorrect username or password.": "Nom d'utilisateur ou mot de passe incorrect.",
    "Sign in with passkey": "Se connecter avec une clé d'accès",
    "Use the passkey saved on your device or security key.": (
        "Utilisez la clé d'accès enregistrée sur votre appareil ou votre clé de sécurité."
    ),
    "Your passkey could not be used. Try again, or sign in another way.": (
        "Votre clé d'accès n'a pas pu être utilisée. Réessayez ou connectez-vous autrement."
    ),
    "Sign in another way": "Se connecter autrement",
    "There is no passkey for this account. Sign in with your password.": (
        "Ce compte n'a pas de clé d'accès. Connectez-vous avec votre mot de passe."
    ),
    "Enter your username.": "Saisissez votre nom d'utilisateur.",
    "Passkeys are not enabled for this application.": (
        "Les clés d'accès ne sont pas activées pour cette application."
    ),
}

_SPANISH: Final = {
    "Error": "Error",
    "Sign in with {name}": "Iniciar sesión con {name}",
    "Sign in": "Iniciar sesión",
    "Username": "Nombre de usuario",
    "Password": "Contraseña",
    "Email": "Correo electrónico",
    "Phone number": "Número de teléfono",
    "Forgot your password?": "¿Olvidó su contraseña?",
    "Create an account": "Crear una cuenta",
    "Sign up": "Registrarse",
    "Already have an account? Sign in": "¿Ya tiene una cuenta? Inicie sesión",
    "Reset your password": "Restablecer la contraseña",
    "Enter your username and we will send you a code to reset your password.": (
        "Introduzca su nombre de usuario y le enviaremos un código para restablecer su contraseña."
    ),
    "Send code": "Enviar código",
    "Back to sign in": "Volver a iniciar sesión",
    "Set a new password": "Establecer una nueva contraseña",
    "We sent a code to {destination}. Enter it with your new password.": (
        "Hemos enviado un código a {destination}. Introdúzcalo junto con su nueva contraseña."
    ),
    "We sent a code. Enter it with your new password.": (
        "Hemos enviado un código. Introdúzcalo junto con su nueva contraseña."
    ),
    "New password": "Nueva contraseña",
    "Change password": "Cambiar contraseña",
    "Confirm your account": "Confirme su cuenta",
    "We sent a confirmation code to {destination}. Enter it below.": (
        "Hemos enviado un código de confirmación a {destination}. Introdúzcalo a continuación."
    ),
    "We sent a confirmation code. Enter it below.": (
        "Hemos enviado un código de confirmación. Introdúzcalo a continuación."
    ),
    "Confirm": "Confirmar",
    "Enter your code": "Introduzca su código",
    "Enter the code your authenticator app shows.": (
        "Introduzca el código que muestra su aplicación de autenticación."
    ),
    "We sent a code to {destination}.": "Hemos enviado un código a {destination}.",
    "Enter the code we sent you.": "Introduzca el código que le hemos enviado.",
    "Verify": "Verificar",
    "Start over": "Empezar de nuevo",
    "Your account needs a new password before you continue.": (
        "Su cuenta necesita una nueva contraseña para continuar."
    ),
    "Continue": "Continuar",
    "Choose how to verify": "Elija cómo verificar",
    "Verification method": "Método de verificación",
    "Authenticator app": "Aplicación de autenticación",
    "Text message (SMS)": "Mensaje de texto (SMS)",
    "Set up your authenticator app": "Configure su aplicación de autenticación",
    "Scan this QR code with your authenticator app, or enter the secret key by hand, then "
    "enter the code it shows.": (
        "Escanee este código QR con su aplicación de autenticación o introduzca la clave "
        "secreta a mano y, a continuación, introduzca el código que muestra."
    ),
    "QR code for your authenticator app": "Código QR para su aplicación de autenticación",
    "Secret key:": "Clave secreta:",
    "Open in an authenticator app on this device": (
        "Abrir en una aplicación de autenticación de este dispositivo"
    ),
    "Set up multi-factor authentication": "Configure la autenticación multifactor",
    "Choose how you want to receive your sign-in codes.": (
        "Elija cómo desea recibir sus códigos de inicio de sesión."
    ),
    "Set up email verification": "Configure la verificación por correo electrónico",
    "Enter the email address we should send your sign-in codes to.": (
        "Introduzca la dirección de correo electrónico a la que enviaremos sus códigos de "
        "inicio de sesión."
    ),
    "Email address": "Dirección de correo electrónico",
    "Invalid email address format.": "Formato de dirección de correo electrónico no válido.",
    "Something went wrong": "Algo salió mal",
    "Error:": "Error:",
    "Code": "Código",
    "Logo": "Logotipo",
    "Terms of use": "Condiciones de uso",
    "Privacy policy": "Política de privacidad",
    "Your account is confirmed. Sign in to continue.": (
        "Su cuenta está confirmada. Inicie sesión para continuar."
    ),
    "Your password has been reset. Sign in with your new password.": (
        "Su contraseña se ha restablecido. Inicie sesión con su nueva contraseña."
    ),
    "Enter your username and password.": "Introduzca su nombre de usuario y contraseña.",
    "Incorrect username or password.": "Nombre de usuario o contraseña incorrectos.",
    "Sign in with passkey": "Iniciar sesión con clave de acceso",
    "Use the passkey saved on your device or security key.": (
        "Use la clave de acceso guardada en su dispositivo o llave de seguridad."
    ),
    "Your passkey could not be used. Try again, or sign in another way.": (
        "No se pudo usar su clave de acceso. Inténtelo de nuevo o inicie sesión de otra forma."
    ),
    "Sign in another way": "Iniciar sesión de otra forma",
    "There is no passkey for this account. Sign in with your password.": (
        "Esta cuenta no tiene clave de acceso. Inicie sesión con su contraseña."
    ),
    "Enter your username.": "Introduzca su nombre de usuario.",
    "Passkeys are not enabled for this application.": (
        "Las claves de acceso no están habilitadas para esta aplicación."
    ),
}

_JAPANESE: Final = {
    "Error": "エラー",
    "Sign in with {name}": "{name} でサインイン",
    "Sign in": "サインイン",
    "Username": "ユーザー名",
    "Password": "パスワード",
    "Email": "E メール",
    "Phone number": "電話番号",
    "Forgot your password?": "パスワードをお忘れですか?",
    "Create an account": "アカウントを作成",
    "Sign up": "サインアップ",
    "Already have an account? Sign in": "既にアカウントをお持ちですか? サインイン",
    "Reset your password": "パスワードをリセット",
    "Enter your username and we will send you a code to reset your password.": (
        "ユーザー名を入力してください。パスワードをリセットするためのコードをお送りします。"
    ),
    "Send code": "コードを送信",
    "Back to sign in": "サインインに戻る",
    "Set a new password": "新しいパスワードを設定",
    "We sent a code to {destination}. Enter it with your new password.": (
        "{destination} にコードを送信しました。新しいパスワードと一緒に入力してください。"
    ),
    "We sent a code. Enter it with your new password.": (
        "コードを送信しました。新しいパスワードと一緒に入力してください。"
    ),
    "New password": "新しいパスワード",
    "Change password": "パスワードを変更",
    "Confirm your account": "アカウントを確認",
    "We sent a confirmation code to {destination}. Enter it below.": (
        "{destination} に確認コードを送信しました。以下に入力してください。"
    ),
    "We sent a confirmation code. Enter it below.": (
        "確認コードを送信しました。以下に入力してください。"
    ),
    "Confirm": "確認",
    "Enter your code": "コードを入力",
    "Enter the code your authenticator app shows.": (
        "認証アプリに表示されているコードを入力してください。"
    ),
    "We sent a code to {destination}.": "{destination} にコードを送信しました。",
    "Enter the code we sent you.": "送信したコードを入力してください。",
    "Verify": "検証",
    "Start over": "最初からやり直す",
    "Your account needs a new password before you continue.": (
        "続行する前に、アカウントの新しいパスワードを設定する必要があります。"
    ),
    "Continue": "続行",
    "Choose how to verify": "検証方法を選択",
    "Verification method": "検証方法",
    "Authenticator app": "認証アプリ",
    "Text message (SMS)": "テキストメッセージ (SMS)",
    "Set up your authenticator app": "認証アプリを設定",
    "Scan this QR code with your authenticator app, or enter the secret key by hand, then "
    "enter the code it shows.": (
        "認証アプリでこの QR コードをスキャンするか、シークレットキーを手動で入力し、"
        "表示されたコードを入力してください。"
    ),
    "QR code for your authenticator app": "認証アプリ用の QR コード",
    "Secret key:": "シークレットキー:",
    "Open in an authenticator app on this device": "このデバイスの認証アプリで開く",
    "Set up multi-factor authentication": "多要素認証を設定",
    "Choose how you want to receive your sign-in codes.": (
        "サインインコードの受け取り方法を選択してください。"
    ),
    "Set up email verification": "E メールによる検証を設定",
    "Enter the email address we should send your sign-in codes to.": (
        "サインインコードの送信先の E メールアドレスを入力してください。"
    ),
    "Email address": "E メールアドレス",
    "Invalid email address format.": "E メールアドレスの形式が無効です。",
    "Something went wrong": "問題が発生しました",
    "Error:": "エラー:",
    "Code": "コード",
    "Logo": "ロゴ",
    "Terms of use": "利用規約",
    "Privacy policy": "プライバシーポリシー",
    "Your account is confirmed. Sign in to continue.": (
        "アカウントが確認されました。続行するにはサインインしてください。"
    ),
    "Your password has been reset. Sign in with your new password.": (
        "パスワードがリセットされました。新しいパスワードでサインインしてください。"
    ),
    "Enter your username and password.": "ユーザー名とパスワードを入力してください。",
    "Incorrect username or password.": "ユーザー名またはパスワードが正しくありません。",
    "Sign in with passkey": "パスキーでサインイン",
    "Use the passkey saved on your device or security key.": (
        "デバイスまたはセキュリティキーに保存されたパスキーを使用してください。"
    ),
    "Your passkey could not be used. Try again, or sign in another way.": (
        "パスキーを使用できませんでした。もう一度試すか、別の方法でサインインしてください。"
    ),
    "Sign in another way": "別の方法でサインイン",
    "There is no passkey for this account. Sign in with your password.": (
        "このアカウントにはパスキーがありません。パスワードでサインインしてください。"
    ),
    "Enter your username.": "ユーザー名を入力してください。",
    "Passkeys are not enabled for this application.": (
        "このアプリケーションではパスキーが有効になっていません。"
    ),
}

TRANSLATIONS: Final[Mapping[str, Mapping[str, str]]] = {
    "de": _GERMAN,
    "fr": _FRENCH,
    "es": _SPANISH,
    "ja": _JAPANESE,
}
"""The texts Cognate translates, per language; English is the keys themselves."""

MAX_LANG_LENGTH: Final = 35
"""Longer than any BCP 47 tag Cognito takes; a longer `lang` is ignored."""


def page_language(lang: str | None) -> str:
    """The language a page is shown in for the request's `lang`: the Cognito language it names
    (case-insensitive; `fr-CA` falls back to `fr`) when Cognate has its texts, else English."""
    if not lang or len(lang) > MAX_LANG_LENGTH:
        return DEFAULT
    wanted = lang.strip().replace("_", "-").lower()
    for candidate in (wanted, wanted.split("-", 1)[0]):
        for tag in (*TRANSLATIONS, DEFAULT):
            if tag.lower() == candidate:
                return tag
    return DEFAULT


def translator(language: str) -> Callable[..., str]:
    """`t(text, **values)` for the templates: `text` in `language` (English when there is no
    translation), its `{placeholders}` filled with `values`."""
    texts = TRANSLATIONS.get(language, {})

    def translate(text: str, **values: object) -> str:
        translated = texts.get(text, text)
        return translated.format(**values) if values else translated

    return translate
