//! The organisation's seal key (電子公印の鍵): ECDSA P-256, behind PKCS#11 (an HSM or IC card; SoftHSM in
//! tests) or, in development only, a key file. Both plug into the `cms` builder through the same signer
//! traits, so the signing code does not know where the key lives.
//!
//! P-256 keeps private-key operations out of the `rsa` crate (RUSTSEC-2023-0071, no fix): RSA keys are not
//! supported in software; an RSA key in an HSM would need only another mechanism here.

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use der::asn1::ObjectIdentifier;
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifier, SignatureAlgorithmIdentifier};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// ecdsa-with-SHA256.
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// A P-256 signing key, wherever it lives.
pub enum SealKey {
    /// A key file (development and the built-in test TSA only).
    Software(SigningKey),
    /// A key in a PKCS#11 token.
    Pkcs11(Pkcs11Key),
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SealKey::Software(_) => f.write_str("SealKey::Software"),
            SealKey::Pkcs11(k) => write!(f, "SealKey::Pkcs11({})", k.label),
        }
    }
}

/// A private key object in a token, with its public key (from the certificate).
pub struct Pkcs11Key {
    session: Mutex<Session>,
    key: ObjectHandle,
    public: VerifyingKey,
    label: String,
}

/// Where a PKCS#11 key is.
#[derive(Debug, Clone)]
pub struct Pkcs11Location<'a> {
    /// The module (`/usr/lib/softhsm/libsofthsm2.so`, the HSM vendor's library).
    pub module: &'a Path,
    /// Token label.
    pub token: &'a str,
    /// User PIN.
    pub pin: &'a str,
    /// Label of the private key object.
    pub key_label: &'a str,
}

/// One initialised module per process: `C_Initialize` may be called only once.
fn module(path: &Path) -> anyhow::Result<Pkcs11> {
    static MODULES: OnceLock<Mutex<HashMap<std::path::PathBuf, Pkcs11>>> = OnceLock::new();
    let mut modules = MODULES
        .get_or_init(Default::default)
        .lock()
        .expect("pkcs11 lock");
    if let Some(m) = modules.get(path) {
        return Ok(m.clone());
    }
    let m =
        Pkcs11::new(path).map_err(|e| anyhow::anyhow!("PKCS#11 module {}: {e}", path.display()))?;
    m.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))?;
    modules.insert(path.to_path_buf(), m.clone());
    Ok(m)
}

impl SealKey {
    /// Opens a key in a PKCS#11 token and checks it matches `public` (the certificate's key) with a test
    /// signature, so a wrong label or certificate fails at start, not at the first permit.
    pub fn open_pkcs11(at: &Pkcs11Location<'_>, public: VerifyingKey) -> anyhow::Result<SealKey> {
        let pkcs11 = module(at.module)?;
        let slot = pkcs11
            .get_slots_with_token()?
            .into_iter()
            .find(|s| {
                pkcs11
                    .get_token_info(*s)
                    .map(|t| t.label().trim() == at.token)
                    .unwrap_or(false)
            })
            .ok_or_else(|| anyhow::anyhow!("PKCS#11 token {} not found", at.token))?;
        let session = pkcs11.open_ro_session(slot)?;
        match session.login(UserType::User, Some(&AuthPin::new(at.pin.into()))) {
            Ok(()) => {}
            // Another key of this process logged the token in already.
            Err(cryptoki::error::Error::Pkcs11(
                cryptoki::error::RvError::UserAlreadyLoggedIn,
                _,
            )) => {}
            Err(e) => return Err(e.into()),
        }
        let key = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(at.key_label.as_bytes().to_vec()),
            ])?
            .into_iter()
            .next()
            .ok_or_else(|| {
                anyhow::anyhow!("no private key labelled {} in the token", at.key_label)
            })?;
        let key = SealKey::Pkcs11(Pkcs11Key {
            session: Mutex::new(session),
            key,
            public,
            label: at.key_label.to_string(),
        });
        key.check()?;
        Ok(key)
    }

    /// Reads a PKCS#8 PEM key file.
    pub fn from_pem_file(path: &Path) -> anyhow::Result<SealKey> {
        use p256::pkcs8::DecodePrivateKey;
        let pem = std::fs::read_to_string(path)?;
        Ok(SealKey::Software(
            SigningKey::from_pkcs8_pem(&pem)
                .map_err(|e| anyhow::anyhow!("key file {}: {e}", path.display()))?,
        ))
    }

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        match self {
            SealKey::Software(k) => *k.verifying_key(),
            SealKey::Pkcs11(k) => k.public,
        }
    }

    /// Signs a test message and verifies it with the public key.
    pub fn check(&self) -> anyhow::Result<()> {
        use signature::{Signer, Verifier};
        let msg = b"madoguchi key check";
        let sig: DerSignature = self.try_sign(msg)?;
        let sig = Signature::from_der(sig.as_bytes())?;
        self.public()
            .verify(msg, &sig)
            .map_err(|_| anyhow::anyhow!("the key does not match its certificate"))
    }
}

impl signature::Keypair for SealKey {
    type VerifyingKey = VerifyingKey;
    fn verifying_key(&self) -> VerifyingKey {
        self.public()
    }
}

impl SignatureAlgorithmIdentifier for SealKey {
    type Params = der::AnyRef<'static>;
    const SIGNATURE_ALGORITHM_IDENTIFIER: AlgorithmIdentifier<Self::Params> = AlgorithmIdentifier {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    };
}

impl signature::Signer<DerSignature> for SealKey {
    fn try_sign(&self, msg: &[u8]) -> Result<DerSignature, signature::Error> {
        match self {
            SealKey::Software(k) => {
                let sig: Signature = k.try_sign(msg)?;
                Ok(sig.to_der())
            }
            SealKey::Pkcs11(k) => {
                // CKM_ECDSA signs a digest and returns r || s.
                let digest = Sha256::digest(msg);
                let session = k.session.lock().map_err(|_| signature::Error::new())?;
                let raw = session
                    .sign(&Mechanism::Ecdsa, k.key, &digest)
                    .map_err(signature::Error::from_source)?;
                let sig = Signature::from_slice(&raw)?;
                Ok(sig.to_der())
            }
        }
    }
}
