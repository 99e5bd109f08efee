//! The one submission policy (ADR 0018): every rule a submission must pass before anything is stored, in one
//! function that every channel calls — the web form, the JSON API and my page's corrections.
//!
//! [`admit`] is the only way to obtain [`Admitted`] answers, and the writer ([`super::Committer`]) and
//! resubmission take nothing else, so a channel cannot skip a rule: it would not compile.

use crate::applicant_forms::{self, Requirement};
use crate::forms_store::Closed;
use crate::forms_store::PublishedForm;
use madoguchi_forms::{Answers, FieldError, FormDefinition, Lang, RawInput, validate_in};
use madoguchi_kernel::Applicant;

/// How a submission arrives; some rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The public form pages (files come from the server-side draft).
    WebForm,
    /// The JSON API: no files.
    Api,
    /// My page: a returned application corrected by its applicant (the period may have closed since).
    Correction,
}

impl Channel {
    /// Its name in metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Channel::WebForm => "web",
            Channel::Api => "api",
            Channel::Correction => "correction",
        }
    }
}

/// Why a submission was refused, before anything was stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Outside the application period (受付期間外) or full.
    Closed(Closed),
    /// The form requires sign-in or a verified identity (マイナンバーカード) that this applicant does not have.
    SignInRequired(Requirement),
    /// The answers do not pass the form's rules.
    Invalid(Vec<FieldError>),
    /// Files were referenced through a channel that cannot carry them (the API).
    FilesNotAccepted,
}

impl Refusal {
    /// The refusal as one sentence in Japanese, for channels without field-level display.
    pub fn message(&self) -> String {
        self.message_in(Lang::Ja)
    }

    /// The refusal as one sentence in `lang`.
    pub fn message_in(&self, lang: Lang) -> String {
        match (self, lang) {
            (Refusal::Closed(reason), _) => reason.text(lang),
            (Refusal::SignInRequired(reason), _) => reason.text(lang).to_string(),
            (Refusal::Invalid(_), Lang::Ja) => "入力内容に誤りがあります。".into(),
            (Refusal::Invalid(_), Lang::En) => "There are problems with your answers.".into(),
            (Refusal::Invalid(_), Lang::Easy) => "かいた ことに まちがいが あります。".into(),
            (Refusal::FilesNotAccepted, Lang::Ja) => "APIでは添付ファイルを受け付けません。".into(),
            (Refusal::FilesNotAccepted, Lang::En) => "The API does not take attached files.".into(),
            (Refusal::FilesNotAccepted, Lang::Easy) => {
                "API では ファイルを うけつけません。".into()
            }
        }
    }
}

/// Answers that passed every rule for one form version and one applicant. Only [`admit`] makes them.
#[derive(Debug, Clone)]
pub struct Admitted {
    answers: Answers,
    attachment_ids: Vec<String>,
    version_id: i64,
    lang: Lang,
}

impl Admitted {
    /// The validated answers.
    pub fn answers(&self) -> &Answers {
        &self.answers
    }

    /// Stored files the answers reference (from the server-side draft; never from an API client).
    pub fn attachment_ids(&self) -> &[String] {
        &self.attachment_ids
    }

    /// The form version the answers were checked against.
    pub fn version_id(&self) -> i64 {
        self.version_id
    }

    /// The language the resident applied in: the one asked for when the form is translated into it, else
    /// Japanese. Stored with the submission; its mails are written in it.
    pub fn lang(&self) -> Lang {
        self.lang
    }
}

#[cfg(feature = "testing")]
impl Admitted {
    /// Tests only (feature `testing`): the same answers with other file references, to exercise the writer's
    /// refusal of files that are missing or already taken.
    pub fn with_attachment_ids_for_tests(mut self, ids: Vec<String>) -> Admitted {
        self.attachment_ids = ids;
        self
    }
}

/// Checks a submission against every rule, in this order: the application period (not for corrections of an
/// application made in time), the identity the form requires, the verified answers that the applicant cannot
/// change (they replace whatever was sent), validation, and what the channel may carry. `lang` is the language
/// the resident reads: when the form is translated into it, the error messages are in it and name the parts by
/// their translated labels (else everything is Japanese); the rules are those of `form.definition` whatever the
/// language.
///
/// Capacity is the last rule and is checked by the writer, atomically with the insert.
pub fn admit(
    form: &PublishedForm,
    lang: Lang,
    raw: &mut RawInput,
    applicant: Option<&Applicant>,
    channel: Channel,
    now_ms: i64,
) -> Result<Admitted, Refusal> {
    admit_version(
        &form.definition,
        form.version_id,
        Some(form),
        lang,
        raw,
        applicant,
        channel,
        now_ms,
    )
}

/// [`admit`] for a stored version that may no longer be current (a correction keeps the version the application
/// was made on).
pub fn admit_for_version(
    def: &FormDefinition,
    version_id: i64,
    lang: Lang,
    raw: &mut RawInput,
    applicant: &Applicant,
) -> Result<Admitted, Refusal> {
    admit_version(
        def,
        version_id,
        None,
        lang,
        raw,
        Some(applicant),
        Channel::Correction,
        0,
    )
}

#[allow(clippy::too_many_arguments)]
fn admit_version(
    def: &FormDefinition,
    version_id: i64,
    form: Option<&PublishedForm>,
    lang: Lang,
    raw: &mut RawInput,
    applicant: Option<&Applicant>,
    channel: Channel,
    now_ms: i64,
) -> Result<Admitted, Refusal> {
    if channel != Channel::Correction
        && let Some(form) = form
        && let Some(reason) = form.closed_reason(now_ms)
    {
        return Err(Refusal::Closed(reason));
    }
    if let Some(reason) = applicant_forms::requirement_unmet(def, applicant) {
        return Err(Refusal::SignInRequired(reason));
    }
    applicant_forms::apply(raw, &applicant_forms::locked_fields(def, applicant));
    if channel == Channel::Api && !raw.files.is_empty() {
        return Err(Refusal::FilesNotAccepted);
    }
    // The messages name the parts as the resident sees them; a language the form is not translated into falls
    // back to Japanese, messages included.
    let shown = lang.translation_key().and_then(|code| def.localized(code));
    let lang = if shown.is_some() { lang } else { Lang::Ja };
    let answers =
        validate_in(shown.as_ref().unwrap_or(def), raw, lang).map_err(Refusal::Invalid)?;
    let attachment_ids = crate::public::attachment_ids(&answers);
    // An API client could write a stored file's reference into an answer; only the server's own draft may.
    if channel == Channel::Api && !attachment_ids.is_empty() {
        return Err(Refusal::FilesNotAccepted);
    }
    Ok(Admitted {
        answers,
        attachment_ids,
        version_id,
        lang,
    })
}
