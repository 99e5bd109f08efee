//! OpenID Connect helpers of the tests: the provider configuration with the fixture keys, the steps of a
//! sign-in from the browser's side, and an in-test provider that lets a test forge what a hostile provider or
//! attacker would send (used by `identity_oidc` and the trust tests).

use super::TestApp;
use axum::routing::{get, post};
use madoguchi_kernel::config::OidcProviderConfig;
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{
    Audience, EmptyAdditionalClaims, IssuerUrl, JsonWebKeyId, Nonce, PrivateSigningKey,
    StandardClaims, SubjectIdentifier,
};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/oidc")
        .join(name)
}

pub fn pem(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

pub fn provider_config(issuer: &str) -> OidcProviderConfig {
    OidcProviderConfig {
        id: "mynumber".into(),
        label: "マイナンバーカードでログイン".into(),
        issuer: issuer.into(),
        client_id: "madoguchi".into(),
        private_key_pem: fixture("client.pem"),
        key_id: "client-1".into(),
        scopes: ["name", "address", "birthdate", "gender"]
            .map(String::from)
            .to_vec(),
        level: "verified".into(),
    }
}

/// Starts a sign-in from the sign-in page; returns the provider URL the browser is sent to.
pub async fn start(app: &TestApp, browser: &reqwest::Client) -> url::Url {
    let login = browser
        .get(app.url("/mypage/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("マイナンバーカードでログイン"));
    assert!(
        login.contains("href=\"/mypage/oidc/mynumber?next=/mypage\""),
        "{login}"
    );
    let r = browser
        .get(app.url("/mypage/oidc/mynumber?next=/mypage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap()
}

pub fn param(url: &url::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub async fn callback(app: &TestApp, browser: &reqwest::Client, query: &str) -> reqwest::Response {
    browser
        .get(app.url(&format!("/mypage/oidc/callback?{query}")))
        .send()
        .await
        .unwrap()
}

/// What the in-test provider puts into its next ID token.
#[derive(Default)]
pub struct Forge {
    pub nonce: String,
    pub other_key: bool,
}

pub struct MockProvider {
    pub issuer: String,
    pub forge: Arc<Mutex<Forge>>,
}

pub async fn mock_provider() -> Option<MockProvider> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let forge = Arc::new(Mutex::new(Forge::default()));
    let discovery = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/me"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
    });
    let kid = || Some(JsonWebKeyId::new("provider-1".into()));
    let jwks = serde_json::to_value(CoreJsonWebKeySet::new(vec![
        CoreRsaPrivateSigningKey::from_pem(&pem("provider.pem"), kid())
            .unwrap()
            .as_verification_key(),
    ]))
    .unwrap();
    let (iss, f) = (issuer.clone(), forge.clone());
    let token = move || {
        let forge = f.lock().unwrap();
        let now = chrono::Utc::now();
        let claims = CoreIdTokenClaims::new(
            IssuerUrl::new(iss.clone()).unwrap(),
            vec![Audience::new("madoguchi".into())],
            now + chrono::Duration::minutes(5),
            now,
            StandardClaims::new(SubjectIdentifier::new("subject-1".into())),
            EmptyAdditionalClaims {},
        )
        .set_nonce(Some(Nonce::new(forge.nonce.clone())));
        // A forged token claims the provider's key id but is signed by another key.
        let key_file = if forge.other_key {
            "other.pem"
        } else {
            "provider.pem"
        };
        let key = CoreRsaPrivateSigningKey::from_pem(&pem(key_file), kid()).unwrap();
        let id_token = CoreIdToken::new(
            claims,
            &key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap();
        axum::Json(serde_json::json!({
            "access_token": "access-1", "token_type": "Bearer", "expires_in": 300,
            "id_token": id_token.to_string(),
        }))
    };
    let router = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(discovery) }),
        )
        .route("/jwks", get(move || async move { axum::Json(jwks) }))
        .route("/token", post(move || async move { token() }))
        .route(
            "/me",
            get(|| async {
                axum::Json(serde_json::json!({
                    "sub": "subject-1", "name": "高知 太郎",
                    "address": {"formatted": "高知県高知市丸ノ内一丁目2番20号"},
                    "birthdate": "1980-04-01", "gender": "male",
                }))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Some(MockProvider { issuer, forge })
}

/// Starts a flow in `browser` and has the provider answer with this flow's nonce; returns the state.
pub async fn honest_flow(app: &TestApp, p: &MockProvider, browser: &reqwest::Client) -> String {
    let auth = start(app, browser).await;
    p.forge.lock().unwrap().nonce = param(&auth, "nonce");
    param(&auth, "state")
}
