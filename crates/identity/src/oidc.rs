//! OpenID Connect sign-in for applicants: the authorization-code flow with PKCE S256, `state` and `nonce`, and
//! `private_key_jwt` client authentication — the shape of the デジタル認証アプリ (マイナンバーカード, basic four
//! items: name, address, birthdate, gender) and of GビズID.
//!
//! The flow's secrets (state, nonce, PKCE verifier) are kept server-side in `oidc_flows`, keyed by the hash of
//! `state` and bound to the browser by a cookie, and are consumed by the callback: a wrong or replayed `state`
//! finds nothing, and an ID token must carry this flow's nonce and be signed by a key of the provider's JWKS
//! (checked by the `openidconnect` crate). Discovery is read at every step, so key rotation needs no restart.

use base64::Engine;
use madoguchi_kernel::config::OidcProviderConfig;
use madoguchi_kernel::ids::{new_token, token_hash};
use madoguchi_kernel::{AppError, Db, now_ms};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, JsonWebKeyId, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, PrivateSigningKey, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;
use sqlx::Row;

/// Name of the cookie binding a flow to the browser that started it.
pub const FLOW_COOKIE: &str = "madoguchi_oidc";
/// How long a flow may take, start to callback.
const FLOW_MINUTES: i64 = 10;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The HTTP client for providers: no redirects (a redirect could point the server anywhere), and no idle
/// connections kept (a sign-in makes a few requests minutes apart; a provider that has closed an idle
/// connection would otherwise fail the next request).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .expect("HTTP client builds")
}

fn failed(what: &str, e: impl std::fmt::Debug) -> AppError {
    tracing::warn!(error = ?e, "OpenID Connect: {what}");
    AppError::BadRequest(format!(
        "ログインを完了できませんでした（{what}）。もう一度最初からお試しください。"
    ))
}

/// The redirect URI registered with every provider.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{public_url}/mypage/oidc/callback")
}

async fn client(
    cfg: &OidcProviderConfig,
    public_url: &str,
    http: &reqwest::Client,
) -> Result<(Client, CoreProviderMetadata), AppError> {
    let issuer = IssuerUrl::new(cfg.issuer.clone()).map_err(|e| failed("発行者URL", e))?;
    let meta = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| failed("認証サーバーの設定の取得", e))?;
    let client = CoreClient::from_provider_metadata(
        meta.clone(),
        ClientId::new(cfg.client_id.clone()),
        None,
    )
    .set_auth_type(AuthType::RequestBody)
    .set_redirect_uri(
        RedirectUrl::new(redirect_uri(public_url)).map_err(|e| failed("リダイレクトURI", e))?,
    );
    Ok((client, meta))
}

/// Starts a sign-in: stores the flow and returns the provider's authorization URL and the browser binding
/// value to set as [`FLOW_COOKIE`].
pub async fn start(
    db: &Db,
    cfg: &OidcProviderConfig,
    public_url: &str,
    http: &reqwest::Client,
    next_path: &str,
) -> Result<(String, String), AppError> {
    let (client, _) = client(cfg, public_url, http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in &cfg.scopes {
        request = request.add_scope(Scope::new(s.clone()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    let browser = new_token();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO oidc_flows (state_hash, provider, nonce, pkce_verifier, browser_hash, next_path, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(token_hash(state.secret()))
    .bind(&cfg.id)
    .bind(nonce.secret())
    .bind(verifier.secret())
    .bind(token_hash(&browser))
    .bind(next_path)
    .bind(now)
    .bind(now + FLOW_MINUTES * 60_000)
    .execute(&db.write)
    .await?;
    // Flows nobody finished are removed as new ones start.
    sqlx::query("DELETE FROM oidc_flows WHERE expires_at <= $1")
        .bind(now)
        .execute(&db.write)
        .await?;
    Ok((url.to_string(), browser))
}

/// What a provider vouched for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifiedIdentity {
    /// The provider's id (configuration).
    pub provider: String,
    /// Subject identifier at the provider.
    pub subject: String,
    /// Identity level of the provider.
    pub level: String,
    /// 氏名.
    pub name: String,
    /// 住所.
    pub address: String,
    /// 生年月日.
    pub birthdate: String,
    /// 性別.
    pub gender: String,
    /// Where to go afterwards.
    pub next_path: String,
}

/// A signed client assertion (`private_key_jwt`, RFC 7523) for the token endpoint.
fn client_assertion(cfg: &OidcProviderConfig, audience: &str) -> Result<String, AppError> {
    let pem = std::fs::read_to_string(&cfg.private_key_pem)
        .map_err(|e| failed("クライアント鍵の読み込み", e))?;
    let kid = (!cfg.key_id.is_empty()).then(|| JsonWebKeyId::new(cfg.key_id.clone()));
    let key =
        CoreRsaPrivateSigningKey::from_pem(&pem, kid).map_err(|e| failed("クライアント鍵", e))?;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
    if !cfg.key_id.is_empty() {
        header["kid"] = Value::String(cfg.key_id.clone());
    }
    let now = now_ms() / 1000;
    let claims = serde_json::json!({
        "iss": cfg.client_id, "sub": cfg.client_id, "aud": audience,
        "jti": new_token(), "iat": now, "exp": now + 60,
    });
    let signing_input = format!("{}.{}", b64(&header), b64(&claims));
    let signature = key
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            signing_input.as_bytes(),
        )
        .map_err(|e| failed("クライアント認証", e))?;
    Ok(format!(
        "{signing_input}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// The address claim: a string, or the standard object (`formatted`, else its parts joined).
fn address_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(m)) => {
            if let Some(f) = m.get("formatted").and_then(Value::as_str) {
                return f.to_string();
            }
            ["region", "locality", "street_address"]
                .iter()
                .filter_map(|k| m.get(*k).and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("")
        }
        _ => String::new(),
    }
}

/// Completes a sign-in at the callback: consumes the flow named by `state` (it must have been started by this
/// browser), exchanges the code with the PKCE verifier and a client assertion, verifies the ID token
/// (signature by the provider's keys, issuer, audience, expiry, this flow's nonce), and reads the claims from
/// the UserInfo endpoint for the same subject.
pub async fn finish(
    db: &Db,
    providers: &[OidcProviderConfig],
    public_url: &str,
    http: &reqwest::Client,
    state: &str,
    code: &str,
    browser: Option<&str>,
) -> Result<VerifiedIdentity, AppError> {
    let row = sqlx::query(
        "DELETE FROM oidc_flows WHERE state_hash = $1 AND expires_at > $2
         RETURNING provider, nonce, pkce_verifier, browser_hash, next_path",
    )
    .bind(token_hash(state))
    .bind(now_ms())
    .fetch_optional(&db.write)
    .await?
    .ok_or_else(|| failed("state が一致しません", "unknown, used or expired state"))?;
    let browser_hash: String = row.try_get("browser_hash")?;
    if browser.map(token_hash).as_deref() != Some(browser_hash.as_str()) {
        return Err(failed(
            "別のブラウザで開始されたログインです",
            "flow cookie mismatch",
        ));
    }
    let provider: String = row.try_get("provider")?;
    let cfg = providers
        .iter()
        .find(|p| p.id == provider)
        .ok_or_else(|| failed("認証サーバー", "provider no longer configured"))?;
    let (client, meta) = client(cfg, public_url, http).await?;
    let token_url = meta
        .token_endpoint()
        .ok_or_else(|| failed("トークンエンドポイント", "missing"))?
        .to_string();
    let verifier: String = row.try_get("pkce_verifier")?;
    let nonce: String = row.try_get("nonce")?;
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| failed("トークンエンドポイント", e))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier))
        .add_extra_param(
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        )
        .add_extra_param("client_assertion", client_assertion(cfg, &token_url)?)
        .request_async(http)
        .await
        .map_err(|e| failed("トークンの取得", e))?;
    let id_token = response
        .id_token()
        .ok_or_else(|| failed("IDトークンがありません", "no id_token"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce))
        .map_err(|e| failed("IDトークンの検証", e))?;
    let subject = claims.subject().to_string();
    let mut identity = VerifiedIdentity {
        provider: cfg.id.clone(),
        subject: subject.clone(),
        level: cfg.level.clone(),
        next_path: row.try_get("next_path")?,
        ..Default::default()
    };
    if let Some(url) = meta.userinfo_endpoint() {
        let info: Value = http
            .get(url.as_str())
            .bearer_auth(response.access_token().secret())
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| failed("利用者情報の取得", e))?
            .json()
            .await
            .map_err(|e| failed("利用者情報の取得", e))?;
        // The UserInfo response must be about the subject the ID token names (OIDC Core 5.3.2).
        if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
            return Err(failed("利用者情報の検証", "userinfo sub differs"));
        }
        let text = |k: &str| {
            info.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        identity.name = text("name");
        identity.address = address_text(info.get("address"));
        identity.birthdate = text("birthdate");
        identity.gender = text("gender");
    }
    Ok(identity)
}

/// The applicant for a verified identity: the signed-in applicant gains it when nobody else holds it,
/// otherwise the account that holds it (created on first sign-in). The verified items are refreshed.
pub async fn applicant_for_identity(
    db: &Db,
    id: &VerifiedIdentity,
    current: Option<i64>,
) -> Result<i64, AppError> {
    let now = now_ms();
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM applicants WHERE oidc_provider = $1 AND oidc_subject = $2",
    )
    .bind(&id.provider)
    .bind(&id.subject)
    .fetch_optional(&db.write)
    .await?;
    let applicant = match (existing, current) {
        (Some(a), _) => a,
        (None, current) => {
            let linked = match current {
                // The signed-in account gains the identity, unless it already holds another one.
                Some(c) => sqlx::query(
                    "UPDATE applicants SET oidc_provider = $1, oidc_subject = $2 WHERE id = $3 AND oidc_subject IS NULL",
                )
                .bind(&id.provider)
                .bind(&id.subject)
                .bind(c)
                .execute(&db.write)
                .await?
                .rows_affected()
                    == 1,
                None => false,
            };
            if linked {
                current.expect("linked to the current applicant")
            } else {
                sqlx::query_scalar(
                "INSERT INTO applicants (oidc_provider, oidc_subject, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (oidc_provider, oidc_subject) DO UPDATE SET oidc_subject = excluded.oidc_subject
                 RETURNING id",
            )
            .bind(&id.provider)
            .bind(&id.subject)
            .bind(now)
            .fetch_one(&db.write)
            .await?
            }
        }
    };
    sqlx::query(
        "UPDATE applicants SET verified_level = $1, verified_name = $2, verified_address = $3,
             verified_birthdate = $4, verified_gender = $5, verified_at = $6
         WHERE id = $7 AND oidc_provider = $8 AND oidc_subject = $9",
    )
    .bind(&id.level)
    .bind(&id.name)
    .bind(&id.address)
    .bind(&id.birthdate)
    .bind(&id.gender)
    .bind(now)
    .bind(applicant)
    .bind(&id.provider)
    .bind(&id.subject)
    .execute(&db.write)
    .await?;
    Ok(applicant)
}

#[cfg(test)]
mod tests {
    use super::address_text;
    use serde_json::json;

    #[test]
    fn the_address_claim_is_read_as_a_string_or_the_standard_object() {
        assert_eq!(
            address_text(Some(&json!("高知県高知市丸ノ内1-2-20"))),
            "高知県高知市丸ノ内1-2-20"
        );
        assert_eq!(
            address_text(Some(
                &json!({"formatted": "高知県高知市丸ノ内一丁目2番20号", "region": "高知県"})
            )),
            "高知県高知市丸ノ内一丁目2番20号"
        );
        assert_eq!(
            address_text(Some(
                &json!({"region": "高知県", "locality": "南国市", "street_address": "大そね甲2301"})
            )),
            "高知県南国市大そね甲2301"
        );
        assert_eq!(address_text(None), "");
    }
}
