//! Certificates: a development root, the seal certificate and the built-in TSA's certificate (critical
//! timeStamping EKU), made with the `x509-cert` builder. Production installations configure the certificate
//! issued to their HSM key (e.g. LGPKI 職責証明書) instead; tests make a root per run and certify the SoftHSM key.

use crate::keys::SealKey;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, DecodePem, Encode, EncodePem};
use p256::ecdsa::{SigningKey, VerifyingKey};
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use std::str::FromStr;
use std::time::Duration;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::AsExtension;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;

/// id-kp-timeStamping.
pub const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// A certificate authority that can issue certificates (development and tests).
pub struct Authority {
    /// Its key.
    pub key: SealKey,
    /// Its self-signed certificate.
    pub cert: Certificate,
}

fn serial() -> anyhow::Result<SerialNumber> {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::new(&bytes)?)
}

fn spki(key: &VerifyingKey) -> anyhow::Result<SubjectPublicKeyInfoOwned> {
    let der = key.to_public_key_der()?;
    Ok(SubjectPublicKeyInfoOwned::from_der(der.as_bytes())?)
}

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

impl Authority {
    /// A new root CA with a fresh P-256 key, e.g. `CN=madoguchi 開発用ルート,O=高知県,C=JP`.
    pub fn new_root(subject: &str) -> anyhow::Result<Authority> {
        let key = SealKey::Software(SigningKey::random(&mut rand::rngs::OsRng));
        let name = Name::from_str(subject)?;
        let builder = CertificateBuilder::new(
            Profile::Root,
            serial()?,
            Validity::from_now(20 * YEAR)?,
            name,
            spki(&key.public())?,
            &key,
        )?;
        let cert = builder.build::<p256::ecdsa::DerSignature>()?;
        Ok(Authority { key, cert })
    }

    /// Issues a signing certificate (digitalSignature + nonRepudiation) for a public key.
    pub fn issue_seal(&self, subject: &str, public: &VerifyingKey) -> anyhow::Result<Certificate> {
        self.issue(subject, public, false)
    }

    /// Issues a TSA certificate with the critical timeStamping extended key usage (RFC 3161 §2.3).
    pub fn issue_tsa(&self, subject: &str, public: &VerifyingKey) -> anyhow::Result<Certificate> {
        self.issue(subject, public, true)
    }

    fn issue(
        &self,
        subject: &str,
        public: &VerifyingKey,
        tsa: bool,
    ) -> anyhow::Result<Certificate> {
        let profile = Profile::Leaf {
            issuer: self.cert.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let mut builder = CertificateBuilder::new(
            profile,
            serial()?,
            Validity::from_now(10 * YEAR)?,
            Name::from_str(subject)?,
            spki(public)?,
            &self.key,
        )?;
        if tsa {
            builder.add_extension(&CriticalEku(ExtendedKeyUsage(vec![ID_KP_TIME_STAMPING])))?;
        }
        Ok(builder.build::<p256::ecdsa::DerSignature>()?)
    }
}

/// An extended key usage extension marked critical (the builder marks it non-critical by default).
struct CriticalEku(ExtendedKeyUsage);

impl der::oid::AssociatedOid for CriticalEku {
    const OID: ObjectIdentifier = <ExtendedKeyUsage as der::oid::AssociatedOid>::OID;
}

impl Encode for CriticalEku {
    fn encoded_len(&self) -> der::Result<der::Length> {
        self.0.encoded_len()
    }
    fn encode(&self, writer: &mut impl der::Writer) -> der::Result<()> {
        self.0.encode(writer)
    }
}

impl AsExtension for CriticalEku {
    fn critical(&self, _: &Name, _: &[x509_cert::ext::Extension]) -> bool {
        true
    }
}

/// The certificate as PEM.
pub fn to_pem(cert: &Certificate) -> anyhow::Result<String> {
    Ok(cert.to_pem(der::pem::LineEnding::LF)?)
}

/// Every certificate in a PEM file (a chain, or a set of trusted roots).
pub fn read_pem_chain(text: &str) -> anyhow::Result<Vec<Certificate>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let end_marker = "-----END CERTIFICATE-----";
        let end = rest[start..]
            .find(end_marker)
            .ok_or_else(|| anyhow::anyhow!("unterminated certificate"))?
            + start
            + end_marker.len();
        out.push(Certificate::from_pem(&rest[start..end])?);
        rest = &rest[end..];
    }
    anyhow::ensure!(!out.is_empty(), "no certificate in the file");
    Ok(out)
}

/// The P-256 public key of a certificate.
pub fn public_key(cert: &Certificate) -> anyhow::Result<VerifyingKey> {
    let der = cert.tbs_certificate.subject_public_key_info.to_der()?;
    use spki::DecodePublicKey;
    VerifyingKey::from_public_key_der(&der)
        .map_err(|e| anyhow::anyhow!("the certificate's key is not ECDSA P-256: {e}"))
}

/// A software key as PKCS#8 PEM (development files).
pub fn key_to_pem(key: &SigningKey) -> anyhow::Result<String> {
    use p256::pkcs8::EncodePrivateKey;
    Ok(key.to_pkcs8_pem(der::pem::LineEnding::LF)?.to_string())
}

/// The subject of a certificate as text (RFC 4514).
pub fn subject_text(cert: &Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}

/// A readable name: the CN of a certificate's subject, else the whole subject.
pub fn common_name(cert: &Certificate) -> String {
    const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
    for rdn in cert.tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid == CN {
                if let Ok(s) = der::asn1::Utf8StringRef::try_from(&atv.value) {
                    return s.as_str().to_string();
                }
                if let Ok(s) = der::asn1::PrintableStringRef::try_from(&atv.value) {
                    return s.as_str().to_string();
                }
            }
        }
    }
    subject_text(cert)
}

/// SHA-256 of a certificate's DER (for signingCertificateV2).
pub fn cert_hash(cert: &Certificate) -> anyhow::Result<OctetString> {
    use sha2::{Digest, Sha256};
    Ok(OctetString::new(Sha256::digest(cert.to_der()?).to_vec())?)
}
