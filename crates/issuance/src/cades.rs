//! CMS for PAdES and RFC 3161: detached CAdES signatures with `signingCertificateV2` (no signingTime, which
//! PAdES baseline forbids), the signature timestamp as an unsigned attribute (B-T), the built-in TSA's tokens,
//! and the checks the verification page makes of both.

use crate::keys::SealKey;
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{GeneralizedTime, Int, ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence, Tag};
use p256::ecdsa::DerSignature;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

/// SHA-256.
pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SIGNATURE_TIMESTAMP: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// The built-in TSA's policy: anyPolicy, as it makes no promise beyond development and tests.
const TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32.0");

fn cms_err(e: cms::builder::Error) -> anyhow::Error {
    anyhow::anyhow!("CMS: {e:?}")
}

fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: SHA256,
        parameters: None,
    }
}

/// ESSCertIDv2 with the default hash algorithm (SHA-256, so omitted) and the issuer and serial.
#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
    issuer_serial: IssuerSerial,
}

#[derive(Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial: SerialNumber,
}

#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

fn signing_certificate_v2(cert: &Certificate) -> anyhow::Result<Attribute> {
    let value = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: crate::pki::cert_hash(cert)?,
            issuer_serial: IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    cert.tbs_certificate.issuer.clone(),
                )],
                serial: cert.tbs_certificate.serial_number.clone(),
            },
        }],
    };
    Ok(Attribute {
        oid: ID_SIGNING_CERTIFICATE_V2,
        values: SetOfVec::try_from(vec![Any::encode_from(&value)?])?,
    })
}

fn sid(cert: &Certificate) -> SignerIdentifier {
    SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    })
}

/// A detached CAdES signature of a document digest (SHA-256 of the PDF's byte ranges). `chain` starts with
/// the signer's certificate.
pub fn sign_detached(
    key: &SealKey,
    chain: &[Certificate],
    digest: &[u8],
) -> anyhow::Result<SignedData> {
    let signer = chain
        .first()
        .ok_or_else(|| anyhow::anyhow!("no certificate"))?;
    let eci = EncapsulatedContentInfo {
        econtent_type: ID_DATA,
        econtent: None,
    };
    let mut sib = SignerInfoBuilder::new(key, sid(signer), sha256_alg(), &eci, Some(digest))
        .map_err(cms_err)?;
    sib.add_signed_attribute(signing_certificate_v2(signer)?)
        .map_err(cms_err)?;
    let mut builder = SignedDataBuilder::new(&eci);
    builder
        .add_digest_algorithm(sha256_alg())
        .map_err(cms_err)?;
    for c in chain {
        builder
            .add_certificate(CertificateChoices::Certificate(c.clone()))
            .map_err(cms_err)?;
    }
    builder
        .add_signer_info::<SealKey, DerSignature>(sib)
        .map_err(cms_err)?;
    let ci = builder.build().map_err(cms_err)?;
    Ok(ci.content.decode_as::<SignedData>()?)
}

/// The signature value of the (first) signer, which a signature timestamp covers.
pub fn signature_value(sd: &SignedData) -> anyhow::Result<Vec<u8>> {
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no signer"))?;
    Ok(si.signature.as_bytes().to_vec())
}

/// Adds a timestamp token as the signer's unsigned attribute (PAdES B-T) and returns the CMS as DER.
pub fn with_timestamp(mut sd: SignedData, token: &ContentInfo) -> anyhow::Result<Vec<u8>> {
    let mut infos: Vec<SignerInfo> = sd.signer_infos.0.iter().cloned().collect();
    let attr = Attribute {
        oid: ID_SIGNATURE_TIMESTAMP,
        values: SetOfVec::try_from(vec![Any::encode_from(token)?])?,
    };
    let mut unsigned: Vec<Attribute> = infos[0]
        .unsigned_attrs
        .as_ref()
        .map(|a| a.iter().cloned().collect())
        .unwrap_or_default();
    unsigned.push(attr);
    infos[0].unsigned_attrs = Some(SetOfVec::try_from(unsigned)?);
    sd.signer_infos = cms::signed_data::SignerInfos(SetOfVec::try_from(infos)?);
    to_content_info_der(&sd)
}

/// SignedData wrapped in a ContentInfo, as DER.
pub fn to_content_info_der(sd: &SignedData) -> anyhow::Result<Vec<u8>> {
    let ci = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(sd)?,
    };
    Ok(ci.to_der()?)
}

/// An RFC 3161 request for a SHA-256 digest, with a random nonce.
pub fn timestamp_request(digest: &[u8]) -> anyhow::Result<(Vec<u8>, Int)> {
    let nonce_bytes: [u8; 8] = rand::random();
    let mut nb = nonce_bytes.to_vec();
    // Positive and without a leading zero byte: DER INTEGERs must be minimal.
    nb[0] = (nb[0] & 0x7f) | 0x40;
    let nonce = Int::new(&nb)?;
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifier {
                oid: SHA256,
                parameters: None,
            },
            hashed_message: OctetString::new(digest)?,
        },
        req_policy: None,
        nonce: Some(nonce.clone()),
        cert_req: true,
        extensions: None,
    };
    Ok((req.to_der()?, nonce))
}

/// Reads a TSA's answer: granted, a token whose TSTInfo has our digest and nonce. (The token's signature and
/// the TSA's certificate are checked by [`check_timestamp`].)
pub fn parse_timestamp_response(
    der: &[u8],
    digest: &[u8],
    nonce: &Int,
) -> anyhow::Result<ContentInfo> {
    let resp = TimeStampResp::from_der(der)?;
    use cmpv2::status::PkiStatus;
    anyhow::ensure!(
        matches!(
            resp.status.status,
            PkiStatus::Accepted | PkiStatus::GrantedWithMods
        ),
        "the TSA refused the request ({:?})",
        resp.status.status
    );
    let token = resp
        .time_stamp_token
        .ok_or_else(|| anyhow::anyhow!("the TSA's answer has no token"))?;
    let info = tst_info(&token)?;
    anyhow::ensure!(
        info.message_imprint.hashed_message.as_bytes() == digest,
        "the timestamp is for another digest"
    );
    anyhow::ensure!(
        info.nonce.as_ref() == Some(nonce),
        "the timestamp's nonce differs from the request's"
    );
    Ok(token)
}

/// The TSTInfo inside a token.
pub fn tst_info(token: &ContentInfo) -> anyhow::Result<TstInfo> {
    let sd: SignedData = token.content.decode_as()?;
    anyhow::ensure!(
        sd.encap_content_info.econtent_type == ID_CT_TST_INFO,
        "not a timestamp token"
    );
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("empty timestamp token"))?;
    let octets: OctetString = content.decode_as()?;
    Ok(TstInfo::from_der(octets.as_bytes())?)
}

/// The built-in time-stamping authority (development and tests; production names a real TSA by URL).
pub struct BuiltinTsa {
    /// Its key (a file).
    pub key: SealKey,
    /// Its certificate, with the critical timeStamping EKU.
    pub cert: Certificate,
}

impl std::fmt::Debug for BuiltinTsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BuiltinTsa({})", crate::pki::subject_text(&self.cert))
    }
}

impl BuiltinTsa {
    /// Answers an RFC 3161 request (DER in, DER out), as `POST /issuance/tsa` does.
    pub fn respond(&self, request: &[u8]) -> anyhow::Result<Vec<u8>> {
        let req = TimeStampReq::from_der(request)?;
        anyhow::ensure!(
            req.message_imprint.hash_algorithm.oid == SHA256,
            "only SHA-256 imprints are accepted"
        );
        let token = self.token(&req.message_imprint, req.nonce.clone(), req.cert_req)?;
        let resp = TimeStampResp {
            status: cmpv2::status::PkiStatusInfo {
                status: cmpv2::status::PkiStatus::Accepted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(token),
        };
        Ok(resp.to_der()?)
    }

    fn token(
        &self,
        imprint: &MessageImprint,
        nonce: Option<Int>,
        with_cert: bool,
    ) -> anyhow::Result<ContentInfo> {
        let mut serial: [u8; 16] = rand::random();
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let info = TstInfo {
            version: TspVersion::V1,
            policy: TSA_POLICY,
            message_imprint: imprint.clone(),
            serial_number: Int::new(&serial)?,
            gen_time: GeneralizedTime::from_system_time(std::time::SystemTime::now())?,
            accuracy: Some(x509_tsp::Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce,
            tsa: None,
            extensions: None,
        };
        let content = Any::new(Tag::OctetString, info.to_der()?)?;
        let eci = EncapsulatedContentInfo {
            econtent_type: ID_CT_TST_INFO,
            econtent: Some(content),
        };
        let mut sib = SignerInfoBuilder::new(&self.key, sid(&self.cert), sha256_alg(), &eci, None)
            .map_err(cms_err)?;
        sib.add_signed_attribute(signing_certificate_v2(&self.cert)?)
            .map_err(cms_err)?;
        let mut builder = SignedDataBuilder::new(&eci);
        builder
            .add_digest_algorithm(sha256_alg())
            .map_err(cms_err)?;
        if with_cert {
            builder
                .add_certificate(CertificateChoices::Certificate(self.cert.clone()))
                .map_err(cms_err)?;
        }
        builder
            .add_signer_info::<SealKey, DerSignature>(sib)
            .map_err(cms_err)?;
        builder.build().map_err(cms_err)
    }

    /// A token for a digest, in process (no HTTP round trip), checked like a remote TSA's answer.
    pub fn timestamp(&self, digest: &[u8]) -> anyhow::Result<ContentInfo> {
        let (req, nonce) = timestamp_request(digest)?;
        let resp = self.respond(&req)?;
        parse_timestamp_response(&resp, digest, &nonce)
    }
}

/// What checking one CMS signature found.
#[derive(Debug, Clone)]
pub struct SignerCheck {
    /// The signer's certificate.
    pub cert: Certificate,
    /// The signer's signature value.
    pub signature: Vec<u8>,
}

fn attr_value(si: &SignerInfo, oid: ObjectIdentifier) -> Option<&Any> {
    si.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == oid)
        .and_then(|a| a.values.iter().next())
}

/// Checks a SignedData over content whose SHA-256 is `digest`: the signer's certificate is in the CMS, the
/// messageDigest attribute matches, and the signature over the signed attributes verifies with its key.
pub fn check_signed_data(sd: &SignedData, digest: &[u8]) -> anyhow::Result<SignerCheck> {
    use signature::Verifier;
    let si = sd
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no signer"))?;
    let SignerIdentifier::IssuerAndSerialNumber(ias) = &si.sid else {
        anyhow::bail!("signer identified by key identifier: not supported");
    };
    let cert = sd
        .certificates
        .as_ref()
        .and_then(|set| {
            set.0.iter().find_map(|c| match c {
                CertificateChoices::Certificate(c)
                    if c.tbs_certificate.issuer == ias.issuer
                        && c.tbs_certificate.serial_number == ias.serial_number =>
                {
                    Some(c.clone())
                }
                _ => None,
            })
        })
        .ok_or_else(|| anyhow::anyhow!("the signer's certificate is missing"))?;
    let md: OctetString = attr_value(si, ID_MESSAGE_DIGEST)
        .ok_or_else(|| anyhow::anyhow!("no messageDigest attribute"))?
        .decode_as()?;
    anyhow::ensure!(
        md.as_bytes() == digest,
        "digest mismatch: the signed content was changed"
    );
    let signed = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("no signed attributes"))?
        .to_der()?;
    let key = crate::pki::public_key(&cert)?;
    let sig = p256::ecdsa::Signature::from_der(si.signature.as_bytes())?;
    key.verify(&signed, &sig)
        .map_err(|_| anyhow::anyhow!("the signature does not verify"))?;
    Ok(SignerCheck {
        cert,
        signature: si.signature.as_bytes().to_vec(),
    })
}

/// The certificates carried in a SignedData.
pub fn certificates(sd: &SignedData) -> Vec<Certificate> {
    sd.certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Follows issuers from `cert` through `pool` to one of `roots`, checking each signature (P-256 only).
/// Returns the root reached.
pub fn chain_to_root(
    cert: &Certificate,
    pool: &[Certificate],
    roots: &[Certificate],
) -> anyhow::Result<Certificate> {
    use signature::Verifier;
    let mut current = cert.clone();
    for _ in 0..6 {
        let issuer_name = &current.tbs_certificate.issuer;
        let issuer = roots
            .iter()
            .chain(pool.iter())
            .find(|c| &c.tbs_certificate.subject == issuer_name)
            .ok_or_else(|| anyhow::anyhow!("issuer {} is not trusted", issuer_name))?;
        let key = crate::pki::public_key(issuer)?;
        let tbs = current.tbs_certificate.to_der()?;
        let sig = p256::ecdsa::Signature::from_der(current.signature.raw_bytes())?;
        key.verify(&tbs, &sig)
            .map_err(|_| anyhow::anyhow!("a certificate's signature does not verify"))?;
        if roots.iter().any(|r| r == issuer) {
            return Ok(issuer.clone());
        }
        current = issuer.clone();
    }
    anyhow::bail!("certificate chain too long")
}

/// The checked time of a signature timestamp token over `signature` (SHA-256 imprint), its TSA chained to
/// `roots` and carrying the timeStamping EKU.
pub fn check_timestamp(
    token: &ContentInfo,
    signature: &[u8],
    roots: &[Certificate],
) -> anyhow::Result<(GeneralizedTime, Certificate)> {
    let info = tst_info(token)?;
    anyhow::ensure!(
        info.message_imprint.hashed_message.as_bytes() == Sha256::digest(signature).as_slice(),
        "the timestamp is not over this signature"
    );
    let sd: SignedData = token.content.decode_as()?;
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("empty timestamp token"))?;
    let octets: OctetString = content.decode_as()?;
    let check = check_signed_data(&sd, &Sha256::digest(octets.as_bytes()))?;
    let eku_ok = check
        .cert
        .tbs_certificate
        .extensions
        .as_ref()
        .is_some_and(|exts| {
            exts.iter().any(|e| {
                e.extn_id == const_eku_oid()
                    && e.critical
                    && x509_cert::ext::pkix::ExtendedKeyUsage::from_der(e.extn_value.as_bytes())
                        .is_ok_and(|eku| eku.0.contains(&crate::pki::ID_KP_TIME_STAMPING))
            })
        });
    anyhow::ensure!(
        eku_ok,
        "the TSA certificate lacks the critical timeStamping usage"
    );
    chain_to_root(&check.cert, &certificates(&sd), roots)?;
    Ok((info.gen_time, check.cert))
}

fn const_eku_oid() -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap("2.5.29.37")
}

/// The signature timestamp token of the first signer, if any.
pub fn signature_timestamp(sd: &SignedData) -> Option<ContentInfo> {
    let si = sd.signer_infos.0.iter().next()?;
    let attr = si
        .unsigned_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == ID_SIGNATURE_TIMESTAMP)?;
    attr.values.iter().next()?.decode_as().ok()
}

/// Decodes a CMS ContentInfo holding SignedData.
pub fn decode_signed_data(der: &[u8]) -> anyhow::Result<SignedData> {
    let ci = ContentInfo::from_der(der)?;
    anyhow::ensure!(ci.content_type == ID_SIGNED_DATA, "not CMS SignedData");
    Ok(ci.content.decode_as()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_always_encode_canonically() {
        // A nonce with a leading zero byte used to be written as a non-minimal INTEGER (1 request in 128).
        for _ in 0..2000 {
            let (der, _) = timestamp_request(&[7u8; 32]).unwrap();
            TimeStampReq::from_der(&der).unwrap();
        }
    }
}
