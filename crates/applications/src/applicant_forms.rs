//! Applicants on the public form pages: the identity a form requires, verified answers prefilled and locked,
//! the saved profile filled in when the applicant asks for it, and drafts saved to resume later (ADR 0014).
//!
//! The lock is enforced on the server: whatever a browser sends, the verified values replace it before the
//! answers are validated. The `readonly` attribute only tells the applicant.

use askama::Template;
use madoguchi_forms::{FormDefinition, IdentityLevel, Lang, PartKind, RawInput};
use madoguchi_kernel::Applicant;

/// Why this applicant may not use the form yet, or `None` when they may.
pub fn requirement_unmet(
    def: &FormDefinition,
    applicant: Option<&Applicant>,
) -> Option<Requirement> {
    match (def.identity, applicant) {
        (IdentityLevel::Anyone, _) => None,
        (IdentityLevel::SignedIn, Some(_)) => None,
        (IdentityLevel::Verified, Some(a)) if a.is_verified() => None,
        (IdentityLevel::SignedIn, None) => Some(Requirement::SignIn),
        (IdentityLevel::Verified, _) => Some(Requirement::Verified),
    }
}

/// What a form requires of an applicant who does not have it yet, said by [`Requirement::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Signing in (mail or OpenID Connect).
    SignIn,
    /// A verified identity (マイナンバーカード).
    Verified,
}

impl Requirement {
    /// The requirement as a sentence in `lang` (no fallback arm: each has every language).
    pub fn text(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Requirement::SignIn, Lang::Ja) => {
                "この手続きの申請にはログインが必要です。メールアドレスまたはマイナンバーカードでログインしてください。"
            }
            (Requirement::SignIn, Lang::En) => {
                "You need to sign in to apply for this procedure. Sign in with your e-mail address or your My Number Card."
            }
            (Requirement::SignIn, Lang::Easy) => {
                "この てつづきは、ログインしてから もうしこんで ください。メールアドレスか マイナンバーカードで ログインできます。"
            }
            (Requirement::Verified, Lang::Ja) => {
                "この手続きの申請には、マイナンバーカードによる本人確認が必要です。マイナンバーカードでログインしてください。"
            }
            (Requirement::Verified, Lang::En) => {
                "This procedure needs your identity confirmed with a My Number Card. Sign in with your My Number Card."
            }
            (Requirement::Verified, Lang::Easy) => {
                "この てつづきは、マイナンバーカードで ほんにんだと たしかめる ひつようが あります。マイナンバーカードで ログインして ください。"
            }
        }
    }

    /// The heading of the page that says it.
    pub fn heading(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Requirement::SignIn | Requirement::Verified, Lang::Ja) => "ログインが必要です",
            (Requirement::SignIn | Requirement::Verified, Lang::En) => "Please sign in",
            (Requirement::SignIn | Requirement::Verified, Lang::Easy) => "ログインして ください",
        }
    }
}

/// The first top-level part of a kind.
fn first(def: &FormDefinition, pred: impl Fn(&PartKind) -> bool) -> Option<&str> {
    def.parts
        .iter()
        .find(|p| pred(&p.kind))
        .map(|p| p.key.as_str())
}

/// The fields filled from a verified identity, which the applicant cannot change: the applicant's name
/// (an individual), the address and a date of birth part (key containing `birth`).
pub fn locked_fields(def: &FormDefinition, applicant: Option<&Applicant>) -> Vec<(String, String)> {
    let Some(a) = applicant.filter(|a| a.is_verified()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if !a.verified_name.is_empty() {
        if let Some(k) = first(def, |k| matches!(k, PartKind::Applicant)) {
            out.push((format!("{k}.kind"), "individual".to_string()));
            out.push((format!("{k}.name"), a.verified_name.clone()));
        } else if let Some(k) = first(def, |k| matches!(k, PartKind::Name { .. })) {
            out.push((format!("{k}.name"), a.verified_name.clone()));
        }
    }
    if !a.verified_address.is_empty()
        && let Some(k) = first(def, |k| matches!(k, PartKind::Address))
    {
        out.push((k.to_string(), a.verified_address.clone()));
    }
    if !a.verified_birthdate.is_empty()
        && let Some(p) = def
            .parts
            .iter()
            .find(|p| matches!(p.kind, PartKind::Date { .. }) && p.key.contains("birth"))
    {
        out.push((p.key.clone(), a.verified_birthdate.clone()));
    }
    out
}

/// The fields the saved profile fills in (when the applicant asks): name, furigana, postal code, address,
/// phone and mail address, into the first part of each kind.
pub fn profile_fields(def: &FormDefinition, a: &Applicant) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut put = |field: String, value: &str| {
        if !value.is_empty() {
            out.push((field, value.to_string()));
        }
    };
    if let Some(k) = first(def, |k| matches!(k, PartKind::Applicant)) {
        put(format!("{k}.kind"), "individual");
        put(format!("{k}.name"), &a.profile_name);
        put(format!("{k}.furigana"), &a.profile_furigana);
    } else if let Some(p) = def
        .parts
        .iter()
        .find(|p| matches!(p.kind, PartKind::Name { .. }))
    {
        put(format!("{}.name", p.key), &a.profile_name);
        if matches!(p.kind, PartKind::Name { furigana: true }) {
            put(format!("{}.furigana", p.key), &a.profile_furigana);
        }
    }
    if let Some(k) = first(def, |k| matches!(k, PartKind::PostalCode { .. })) {
        put(k.to_string(), &a.profile_postal_code);
    }
    if let Some(k) = first(def, |k| matches!(k, PartKind::Address)) {
        put(k.to_string(), &a.profile_address);
    }
    if let Some(k) = first(def, |k| matches!(k, PartKind::Phone)) {
        put(k.to_string(), &a.profile_phone);
    }
    if let Some(k) = first(def, |k| matches!(k, PartKind::Email)) {
        let email = if a.notify_email.is_empty() {
            a.email.clone().unwrap_or_default()
        } else {
            a.notify_email.clone()
        };
        put(k.to_string(), &email);
    }
    out
}

/// The fields filled in without being asked when a signed-in applicant first opens a form: the mail address
/// (see [`profile_fields`]) and the profile's name with its フリガナ (and 個人 as the applicant's kind when a
/// name is filled). The rest of the profile is filled only when the applicant asks.
pub fn first_load_fields(def: &FormDefinition, a: &Applicant) -> Vec<(String, String)> {
    let email = first(def, |k| matches!(k, PartKind::Email));
    let all = profile_fields(def, a);
    let has_name = all.iter().any(|(k, _)| k.ends_with(".name"));
    all.into_iter()
        .filter(|(k, _)| {
            Some(k.as_str()) == email
                || k.ends_with(".name")
                || k.ends_with(".furigana")
                || (has_name && k.ends_with(".kind"))
        })
        .collect()
}

/// Sets only the fields that have no value yet: what the resident typed, or saved in a draft, is never
/// overwritten. Returns whether a field was set.
pub fn apply_missing(raw: &mut RawInput, fields: &[(String, String)]) -> bool {
    let mut set = false;
    for (k, v) in fields {
        if raw.values(k).iter().all(|x| x.trim().is_empty()) {
            raw.set_whole(k.clone(), v.clone());
            set = true;
        }
    }
    set
}

/// Sets fields in raw input; each value replaces what was typed into the field's parts too (a locked date of
/// birth cannot be overridden by posting its 年・月・日).
pub fn apply(raw: &mut RawInput, fields: &[(String, String)]) {
    for (k, v) in fields {
        raw.set_whole(k.clone(), v.clone());
    }
}

/// Marks the text inputs of locked fields `readonly` in rendered form HTML (radio buttons of a locked
/// applicant kind are left as they are: the server decides their value anyway).
pub fn lock_inputs(html: &str, locked: &[(String, String)]) -> String {
    let mut out = html.to_string();
    for (field, _) in locked {
        // A date is shown as parts: its 元号 select cannot be read-only, so it is disabled (the server sets
        // the value anyway); its number boxes are read-only like any text.
        let era = format!(
            "<select id=\"{}\" name=\"{field}.era\"",
            madoguchi_forms::field_id(field)
        );
        if let Some(at) = out.find(&era) {
            out.insert_str(at + "<select".len(), " disabled");
        }
        for sub in ["year", "month", "day"] {
            lock_one(&mut out, &format!("name=\"{field}.{sub}\" value=\""));
        }
        lock_one(&mut out, &format!("name=\"{field}\" value=\""));
    }
    out
}

/// Marks the input holding `marker` (`name="…" value="`) read-only, unless it is a radio button.
fn lock_one(out: &mut String, marker: &str) {
    let Some(at) = out.find(marker) else {
        return;
    };
    let Some(start) = out[..at].rfind("<input") else {
        return;
    };
    if out[start..at].contains("type=\"radio\"") {
        return;
    }
    out.insert_str(start + "<input".len(), " readonly aria-readonly=\"true\"");
}

/// What the input page shows about the applicant, above the form.
#[derive(Template, Default)]
#[template(path = "form_applicant.html")]
pub struct ApplicantBlock {
    /// Signed in.
    pub signed_in: bool,
    /// Verified answers are locked.
    pub locked: bool,
    /// The mail address or name was filled in from the account on this load.
    pub prefilled: bool,
    /// The profile can fill the form (link to `?prefill=profile`).
    pub profile_link: String,
    /// A draft was just saved: until when it is kept (和暦 date and time).
    pub saved_until: String,
    /// Where to ask for a resume link by mail (anonymous drafts).
    pub resume_action: String,
    /// The draft token (for the resume link form).
    pub draft: String,
    /// CSRF token.
    pub csrf: String,
    /// The page's language.
    pub lang: madoguchi_kernel::Lang,
}

impl ApplicantBlock {
    /// The block's `i`th words in the page's language (see `Words::block`).
    fn b(&self, i: usize) -> &'static str {
        crate::languages::words(self.lang).block[i]
    }

    /// The block as HTML (empty when there is nothing to say).
    pub fn html(&self) -> String {
        if !self.signed_in && self.saved_until.is_empty() {
            return self.sign_in_hint();
        }
        self.render().unwrap_or_default()
    }

    fn sign_in_hint(&self) -> String {
        format!(
            "<p class=\"hint\"><a href=\"/mypage/login\">{}</a>{}</p>",
            self.b(9),
            self.b(10)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> FormDefinition {
        madoguchi_forms::parse_definition(
            r#"{"title": "t", "department": "d", "parts": [
                {"key": "who", "type": "applicant", "label": "申請者", "required": true},
                {"key": "addr", "type": "address", "label": "住所"},
                {"key": "birthdate", "type": "date", "label": "生年月日"},
                {"key": "phone", "type": "phone", "label": "電話"}]}"#,
        )
        .unwrap()
    }

    fn verified() -> Applicant {
        Applicant {
            verified_level: madoguchi_kernel::applicants::LEVEL_VERIFIED.into(),
            verified_name: "高知 太郎".into(),
            verified_address: "高知県高知市".into(),
            verified_birthdate: "1980-04-01".into(),
            ..Default::default()
        }
    }

    #[test]
    fn verified_identity_locks_name_address_and_birthdate_only() {
        let locked = locked_fields(&def(), Some(&verified()));
        let keys: Vec<&str> = locked.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["who.kind", "who.name", "addr", "birthdate"]);
        let unverified = Applicant::default();
        assert!(locked_fields(&def(), Some(&unverified)).is_empty());
        assert!(locked_fields(&def(), None).is_empty());
    }

    #[test]
    fn locked_text_inputs_become_read_only_and_radios_are_left_alone() {
        let html = r#"<input type="radio" name="who.kind" value="individual"><input type="text" id="a" name="who.name" value=""><input type="text" name="phone" value="">"#;
        let out = lock_inputs(html, &locked_fields(&def(), Some(&verified())));
        assert!(out.contains(
            r#"<input readonly aria-readonly="true" type="text" id="a" name="who.name""#
        ));
        assert!(out.contains(r#"<input type="radio" name="who.kind""#));
        assert!(out.contains(r#"<input type="text" name="phone""#));
    }

    #[test]
    fn a_verified_date_of_birth_cannot_be_overridden_by_posting_its_parts() {
        let mut raw = RawInput::default();
        for (k, v) in [("era", "R"), ("year", "1"), ("month", "5"), ("day", "1")] {
            raw.set(format!("birthdate.{k}"), v);
        }
        let locked = locked_fields(&def(), Some(&verified()));
        apply(&mut raw, &locked);
        assert_eq!(raw.value("birthdate"), "1980-04-01");
        assert!(raw.fields.keys().all(|k| !k.starts_with("birthdate.")));
        let answers = madoguchi_forms::validate(&def(), &{
            let mut r = raw.clone();
            r.set("who.furigana", "コウチ タロウ");
            r
        })
        .expect("the locked answers pass");
        assert_eq!(answers["birthdate"], "1980-04-01");
        // The page shows the date's parts read-only (the 元号 select disabled).
        let html = crate::render::render_fields(&def(), &raw, &[]);
        let out = lock_inputs(&html, &locked);
        assert!(out.contains(r#"<select disabled id="f-birthdate" name="birthdate.era""#));
        for part in ["year", "month", "day"] {
            let at = out.find(&format!(r#"name="birthdate.{part}""#)).unwrap();
            let start = out[..at].rfind("<input").unwrap();
            assert!(out[start..at].contains("readonly"), "{part}");
        }
        assert!(out.contains(r#"name="birthdate.year" value="1980""#));
    }

    #[test]
    fn the_first_load_fills_mail_and_name_only_where_nothing_was_typed() {
        let d = madoguchi_forms::parse_definition(
            r#"{"title": "t", "department": "d", "parts": [
                {"key": "who", "type": "applicant", "label": "申請者"},
                {"key": "phone", "type": "phone", "label": "電話"},
                {"key": "mail", "type": "email", "label": "メール"}]}"#,
        )
        .unwrap();
        let a = Applicant {
            email: Some("taro@example.jp".into()),
            profile_name: "高知 太郎".into(),
            profile_phone: "088-000-0000".into(),
            ..Default::default()
        };
        let fields = first_load_fields(&d, &a);
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["who.kind", "who.name", "mail"]);
        let mut raw = RawInput::default();
        raw.set("mail", "typed@example.jp");
        apply_missing(&mut raw, &fields);
        assert_eq!(raw.value("mail"), "typed@example.jp");
        assert_eq!(raw.value("who.name"), "高知 太郎");
        assert_eq!(raw.value("phone"), "");
        // Without a profile name, the kind is not chosen for the applicant.
        let only_mail = Applicant {
            email: Some("taro@example.jp".into()),
            ..Default::default()
        };
        let keys: Vec<String> = first_load_fields(&d, &only_mail)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["mail"]);
    }

    #[test]
    fn requirements_name_what_is_missing() {
        let mut d = def();
        assert!(requirement_unmet(&d, None).is_none());
        d.identity = IdentityLevel::SignedIn;
        assert!(
            requirement_unmet(&d, None)
                .unwrap()
                .text(Lang::Ja)
                .contains("ログイン")
        );
        assert!(requirement_unmet(&d, Some(&Applicant::default())).is_none());
        d.identity = IdentityLevel::Verified;
        assert!(
            requirement_unmet(&d, Some(&Applicant::default()))
                .unwrap()
                .text(Lang::En)
                .contains("My Number Card")
        );
        assert!(requirement_unmet(&d, Some(&verified())).is_none());
    }
}
