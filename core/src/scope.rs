//! OAuth scopes: which ones a token was granted, which ones each operation needs, and exactly
//! which are missing.
//!
//! A user-context token (authorization code with or without PKCE, SAML2 bearer, password, the
//! retiring implicit grant) can only call an endpoint if the OAuth client granted it that
//! endpoint's scope — *where the organisation enforces scopes*: Genesys checks scopes only in
//! organisations that turned on "Enforce Scopes", which is off by default \[doc: Genesys help,
//! enabling OAuth scope enforcement\]. The user must hold the endpoint's permissions in any case.
//! When an enforced scope is missing, Genesys answers 403, the same status as a missing
//! permission. So a missing scope found here is a warning that names the setting, and only a
//! REST call that actually failed for it is a blocking cause. This module answers that before anything is sent, from
//! `GET /api/v2/tokens/me` (`authorizedScope`) or a scope list the user typed.
//!
//! # What a Genesys scope looks like
//!
//! `<domain>` grants read and write, `<domain>:readonly` grants read only, and the read-write
//! form satisfies the read-only one. The Notification API's scope is plain `notifications`.
//! Names such as `notifications:subscribe` or `conversations:read`, found in much advice on
//! the web, are not Genesys scopes at all.
//!
//! Client-credentials tokens carry **no** scopes: their OAuth client's roles and permissions
//! govern them. For those a scope check is not applicable ([`ScopeCheck::NotApplicable`]) —
//! reporting every scope as missing would send the user hunting for a setting that does not
//! exist.

use core::fmt;

use crate::json::{self, Array, Value};
use crate::request::{Operation, TokenInfo};

/// Whether a scope grants reading only, or reading and writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Access {
    /// `<domain>:readonly`.
    ReadOnly,
    /// `<domain>`: also satisfies `<domain>:readonly`.
    ReadWrite,
}

const READONLY_SUFFIX: &str = ":readonly";

/// A scope the project requires: a domain and an access level.
///
/// `Display` prints it as Genesys spells it (`notifications`, `users:readonly`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Scope {
    domain: &'static str,
    access: Access,
}

impl Scope {
    /// `<domain>:readonly`.
    pub const fn read_only(domain: &'static str) -> Self {
        Scope {
            domain,
            access: Access::ReadOnly,
        }
    }

    /// `<domain>` (read and write).
    pub const fn read_write(domain: &'static str) -> Self {
        Scope {
            domain,
            access: Access::ReadWrite,
        }
    }

    /// The domain (`users` for `users:readonly`).
    pub const fn domain(self) -> &'static str {
        self.domain
    }

    /// The access level.
    pub const fn access(self) -> Access {
        self.access
    }

    /// Whether a granted scope named `granted` satisfies this one: the same name, or the
    /// read-write form of a read-only requirement. Case and surrounding white space are ignored.
    pub fn is_satisfied_by(self, granted: &str) -> bool {
        let granted = granted.trim();
        if granted.eq_ignore_ascii_case(self.domain) {
            return true;
        }
        self.access == Access::ReadOnly
            && granted.len() == self.domain.len() + READONLY_SUFFIX.len()
            && granted
                .get(..self.domain.len())
                .is_some_and(|d| d.eq_ignore_ascii_case(self.domain))
            && granted
                .get(self.domain.len()..)
                .is_some_and(|s| s.eq_ignore_ascii_case(READONLY_SUFFIX))
    }

    /// Whether holding `self` also grants `other` (same domain, and at least as much access).
    pub fn covers(self, other: Scope) -> bool {
        self.domain.eq_ignore_ascii_case(other.domain)
            && (self.access == Access::ReadWrite || other.access == Access::ReadOnly)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.domain)?;
        if self.access == Access::ReadOnly {
            f.write_str(READONLY_SUFFIX)?;
        }
        Ok(())
    }
}

/// How sure the project is of a [`Rule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Evidence {
    /// Published by Genesys.
    Documented,
    /// Shown by several independent working clients.
    Seen,
    /// Inferred from Genesys' naming (`<domain>`/`<domain>:readonly`); verify against the
    /// API explorer when possible.
    Inferred,
}

/// The scope one operation needs, and how sure we are of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Rule {
    /// The operation.
    pub operation: Operation,
    /// The scope it needs with a user-context token; `None` when no scope applies.
    pub scope: Option<Scope>,
    /// Where the rule comes from.
    pub evidence: Evidence,
}

const NOTIFICATIONS: Scope = Scope::read_write("notifications");

/// The scope each operation needs, in [`Operation::ALL`] order.
pub const RULES: [Rule; 14] = [
    // The token endpoint authenticates the OAuth client itself (HTTP Basic); no scope.
    rule(Operation::Token, None, Evidence::Documented),
    // The Notification API's scope is `notifications`, read-write (protocol doc: seen in
    // real OAuth client set-ups; Genesys lists no `notifications:readonly` use for these).
    rule(
        Operation::CreateChannel,
        Some(NOTIFICATIONS),
        Evidence::Seen,
    ),
    rule(
        Operation::ChannelExists,
        Some(NOTIFICATIONS),
        Evidence::Seen,
    ),
    rule(Operation::ListChannels, Some(NOTIFICATIONS), Evidence::Seen),
    rule(
        Operation::GetSubscriptions,
        Some(NOTIFICATIONS),
        Evidence::Seen,
    ),
    rule(
        Operation::PutSubscriptions,
        Some(NOTIFICATIONS),
        Evidence::Seen,
    ),
    rule(
        Operation::PostSubscriptions,
        Some(NOTIFICATIONS),
        Evidence::Seen,
    ),
    rule(
        Operation::DeleteSubscriptions,
        Some(NOTIFICATIONS),
        Evidence::Seen,
    ),
    // Inferred: same API family as the channel operations.
    rule(
        Operation::AvailableTopics,
        Some(NOTIFICATIONS),
        Evidence::Inferred,
    ),
    // Inferred: any valid token may describe itself; that is what the endpoint is for.
    rule(Operation::TokensMe, None, Evidence::Inferred),
    // Resync reads, inferred from the family each endpoint belongs to.
    rule(
        Operation::GetUser,
        Some(Scope::read_only("users")),
        Evidence::Inferred,
    ),
    rule(
        Operation::GetRoutingStatus,
        Some(Scope::read_only("routing")),
        Evidence::Inferred,
    ),
    rule(
        Operation::GetPresence,
        Some(Scope::read_only("presence")),
        Evidence::Inferred,
    ),
    rule(
        Operation::GetConversations,
        Some(Scope::read_only("conversations")),
        Evidence::Inferred,
    ),
];

const fn rule(operation: Operation, scope: Option<Scope>, evidence: Evidence) -> Rule {
    Rule {
        operation,
        scope,
        evidence,
    }
}

/// The rule for `operation`.
pub fn rule_for(operation: Operation) -> Rule {
    RULES
        .iter()
        .copied()
        .find(|r| r.operation == operation)
        .unwrap_or(rule(operation, None, Evidence::Inferred))
}

/// The scope `operation` needs with a user-context token, if any.
pub fn required(operation: Operation) -> Option<Scope> {
    rule_for(operation).scope
}

/// The scopes a token was granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granted<'a> {
    /// A user-context token and the scopes it holds.
    Scopes(ScopeList<'a>),
    /// A client-credentials token: scopes do not apply; roles and permissions govern it.
    ClientCredentials,
}

/// A list of granted scope names, borrowed from where it was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopeList<'a> {
    source: Source<'a>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source<'a> {
    /// Names separated by white space (an OAuth `scope` value, a command-line flag).
    Text(&'a str),
    /// A JSON array of strings (`authorizedScope`).
    Json(Array<'a>),
}

/// The longest scope name compared when it is written with JSON escapes; real names are
/// short ASCII words (`external-contacts:readonly` is 26 bytes), so 64 is ample.
const MAX_ESCAPED_SCOPE_LEN: usize = 64;

impl<'a> ScopeList<'a> {
    /// Whether some granted name satisfies `scope`.
    pub fn permits(&self, scope: Scope) -> bool {
        self.any(|name| scope.is_satisfied_by(name))
    }

    /// Whether the list names no scope at all.
    pub fn is_empty(&self) -> bool {
        !self.any(|_| true)
    }

    /// Calls `f` with each granted name until it returns `true`.
    pub fn any(&self, mut f: impl FnMut(&str) -> bool) -> bool {
        match self.source {
            Source::Text(text) => text.split_ascii_whitespace().any(f),
            Source::Json(array) => {
                array
                    .iter()
                    .filter_map(|v| v.as_str())
                    .any(|s| match s.as_plain() {
                        Some(name) => f(name),
                        None => {
                            let mut buf = [0u8; MAX_ESCAPED_SCOPE_LEN];
                            s.decode_into(&mut buf).is_ok_and(&mut f)
                        }
                    })
            }
        }
    }
}

impl fmt::Display for ScopeList<'_> {
    /// The granted names separated by single spaces: `notifications users:readonly`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut separate = |f: &mut fmt::Formatter<'_>| {
            let space = if first { "" } else { " " };
            first = false;
            f.write_str(space)
        };
        match self.source {
            Source::Text(text) => text.split_ascii_whitespace().try_for_each(|name| {
                separate(f)?;
                f.write_str(name)
            }),
            Source::Json(array) => array
                .iter()
                .filter_map(|v| v.as_str())
                .try_for_each(|name| {
                    separate(f)?;
                    fmt::Display::fmt(&name, f)
                }),
        }
    }
}

impl<'a> Granted<'a> {
    /// Reads granted scopes from what a user or a reply provides: a JSON array
    /// (`["notifications","users:readonly"]`), a `tokens/me` body (its `authorizedScope`), or
    /// names separated by white space (`notifications users:readonly`).
    ///
    /// A `tokens/me` body without `authorizedScope` is a client-credentials token
    /// ([`Granted::ClientCredentials`]); anything that is not valid JSON and does not start
    /// like JSON is read as space-separated text.
    pub fn parse(text: &'a str) -> Result<Self, json::Error> {
        let trimmed = text.trim_start();
        if !trimmed.starts_with(['[', '{']) {
            return Ok(Granted::from_text(text));
        }
        match json::parse(text.as_bytes())? {
            Value::Array(array) => Ok(Granted::from_array(array)),
            Value::Object(o) => Ok(match o.get("authorizedScope").and_then(|v| v.as_array()) {
                Some(array) => Granted::from_array(array),
                None => Granted::ClientCredentials,
            }),
            _ => Ok(Granted::from_text("")),
        }
    }

    /// Scopes separated by white space, as in an OAuth `scope` value.
    pub const fn from_text(text: &'a str) -> Self {
        Granted::Scopes(ScopeList {
            source: Source::Text(text),
        })
    }

    /// Scopes as a JSON array of strings (`authorizedScope`).
    pub const fn from_array(array: Array<'a>) -> Self {
        Granted::Scopes(ScopeList {
            source: Source::Json(array),
        })
    }

    /// The scopes of a `tokens/me` reply; no `authorizedScope` means a client-credentials token.
    pub fn from_token_info(info: &TokenInfo<'a>) -> Self {
        match info.authorized_scope {
            Some(array) => Granted::from_array(array),
            None => Granted::ClientCredentials,
        }
    }

    /// Whether the token may use `scope`: `None` when scopes do not apply (client credentials).
    pub fn permits(&self, scope: Scope) -> Option<bool> {
        match self {
            Granted::Scopes(list) => Some(list.permits(scope)),
            Granted::ClientCredentials => None,
        }
    }
}

/// How many distinct missing scopes a [`ScopeCheck`] can name: the [`RULES`] table names five
/// distinct scopes, and a requirement outside the table cannot be passed in.
pub const MAX_MISSING_SCOPES: usize = 8;

/// The scopes a check found missing, deduplicated, strongest form kept (`notifications`
/// rather than both it and `notifications:readonly`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MissingScopes {
    scopes: heapless::Vec<Scope, MAX_MISSING_SCOPES>,
}

impl MissingScopes {
    /// The missing scopes, in the order first needed.
    pub fn as_slice(&self) -> &[Scope] {
        &self.scopes
    }

    /// Whether `scope` is among them (or covered by one of them).
    pub fn contains(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s.covers(scope))
    }

    fn add(&mut self, scope: Scope) {
        if self.contains(scope) {
            return;
        }
        self.scopes.retain(|s| !scope.covers(*s));
        // The table holds fewer distinct scopes than the capacity, so this never drops one.
        let _ = self.scopes.push(scope);
    }
}

impl fmt::Display for MissingScopes {
    /// `notifications, users:readonly`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.scopes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            scope.fmt(f)?;
        }
        Ok(())
    }
}

/// The outcome of [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeCheck {
    /// A client-credentials token: scopes do not apply; if a call is refused, look at the
    /// OAuth client's roles instead.
    NotApplicable,
    /// Every operation's scope is granted.
    Satisfied,
    /// These scopes are missing: add them to the OAuth client and log in again.
    Missing(MissingScopes),
}

impl fmt::Display for ScopeCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeCheck::NotApplicable => f.write_str(
                "scopes do not apply to a client-credentials token; its OAuth client's roles \
                 and permissions decide what it may do",
            ),
            ScopeCheck::Satisfied => f.write_str("the token holds every scope needed"),
            ScopeCheck::Missing(missing) => write!(
                f,
                "the token lacks the scope(s) {missing}. Genesys enforces scopes only where the \
                 organisation has turned on \"Enforce Scopes\" (off by default); if it has, add \
                 them to the OAuth client's allowed scopes and log in again"
            ),
        }
    }
}

/// Checks that `granted` holds the scope of every operation in `operations`, and names
/// exactly the ones missing.
///
/// ```
/// use genesys_notify_core::request::Operation;
/// use genesys_notify_core::scope::{check, Granted, ScopeCheck};
///
/// let granted = Granted::from_text("notifications presence");
/// let ops = [Operation::CreateChannel, Operation::GetPresence, Operation::GetUser];
/// match check(&granted, ops) {
///     ScopeCheck::Missing(missing) => assert_eq!(missing.to_string(), "users:readonly"),
///     other => panic!("{other}"),
/// }
/// assert_eq!(check(&Granted::ClientCredentials, ops), ScopeCheck::NotApplicable);
/// ```
pub fn check(granted: &Granted<'_>, operations: impl IntoIterator<Item = Operation>) -> ScopeCheck {
    let Granted::Scopes(list) = granted else {
        return ScopeCheck::NotApplicable;
    };
    let mut missing = MissingScopes::default();
    for scope in operations.into_iter().filter_map(required) {
        if !list.permits(scope) {
            missing.add(scope);
        }
    }
    if missing.scopes.is_empty() {
        ScopeCheck::Satisfied
    } else {
        ScopeCheck::Missing(missing)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn a_built_request_names_the_scope_it_needs_through_its_operation() {
        let mut buf = [0u8; 64];
        let channel = crate::request::create_channel(&mut buf).unwrap();
        assert_eq!(
            required(channel.operation)
                .map(|s| s.to_string())
                .as_deref(),
            Some("notifications")
        );
        let token = crate::request::token_client_credentials(&mut buf).unwrap();
        assert_eq!(required(token.operation), None);
    }

    const RESYNC: [Operation; 4] = [
        Operation::GetUser,
        Operation::GetRoutingStatus,
        Operation::GetPresence,
        Operation::GetConversations,
    ];

    fn missing(check: ScopeCheck) -> std::string::String {
        match check {
            ScopeCheck::Missing(m) => m.to_string(),
            other => panic!("expected missing scopes, got: {other}"),
        }
    }

    #[test]
    fn read_write_satisfies_read_only_but_not_the_reverse() {
        let users_ro = Scope::read_only("users");
        assert!(users_ro.is_satisfied_by("users"));
        assert!(users_ro.is_satisfied_by("users:readonly"));
        assert!(users_ro.is_satisfied_by(" Users:ReadOnly "));
        assert!(!users_ro.is_satisfied_by("users:read"));
        assert!(!users_ro.is_satisfied_by("user-basic-info"));
        assert!(!users_ro.is_satisfied_by("usersx:readonly"));
        assert!(!NOTIFICATIONS.is_satisfied_by("notifications:readonly"));
        assert!(NOTIFICATIONS.is_satisfied_by("notifications"));
    }

    #[test]
    fn invented_scopes_satisfy_nothing() {
        let granted = Granted::from_text("notifications:subscribe conversations:read webchat:read");
        assert_eq!(
            missing(check(
                &granted,
                [Operation::CreateChannel, Operation::GetConversations]
            )),
            "notifications, conversations:readonly"
        );
    }

    #[test]
    fn scopes_print_as_genesys_spells_them() {
        assert_eq!(Scope::read_only("routing").to_string(), "routing:readonly");
        assert_eq!(NOTIFICATIONS.to_string(), "notifications");
    }

    #[test]
    fn channels_and_subscriptions_need_notifications() {
        for op in Operation::ALL.into_iter().filter(|op| op.targets_channel()) {
            assert_eq!(required(op), Some(NOTIFICATIONS), "{op:?}");
        }
        assert_eq!(required(Operation::CreateChannel), Some(NOTIFICATIONS));
        assert_eq!(required(Operation::ListChannels), Some(NOTIFICATIONS));
    }

    #[test]
    fn resync_reads_need_their_families_read_only() {
        let scopes: Vec<_> = RESYNC.iter().filter_map(|op| required(*op)).collect();
        assert_eq!(
            scopes,
            [
                Scope::read_only("users"),
                Scope::read_only("routing"),
                Scope::read_only("presence"),
                Scope::read_only("conversations")
            ]
        );
    }

    #[test]
    fn the_token_endpoint_needs_no_scope() {
        assert_eq!(required(Operation::Token), None);
        assert_eq!(rule_for(Operation::Token).evidence, Evidence::Documented);
    }

    #[test]
    fn the_table_covers_every_operation_once_in_order() {
        for (rule, op) in RULES.iter().zip(Operation::ALL) {
            assert_eq!(rule.operation, op);
        }
        assert_eq!(RULES.len(), Operation::ALL.len());
    }

    #[test]
    fn the_table_fits_the_missing_list_capacity() {
        let mut distinct: Vec<Scope> = Vec::new();
        for scope in RULES.iter().filter_map(|r| r.scope) {
            if !distinct.contains(&scope) {
                distinct.push(scope);
            }
        }
        assert!(distinct.len() <= MAX_MISSING_SCOPES);
    }

    #[test]
    fn check_names_exactly_the_missing_scopes_once_each() {
        let granted = Granted::from_text("presence:readonly routing");
        let ops = Operation::ALL;
        assert_eq!(
            missing(check(&granted, ops)),
            "notifications, users:readonly, conversations:readonly"
        );
    }

    #[test]
    fn check_is_satisfied_when_everything_is_granted() {
        let granted = Granted::from_text(
            "notifications users presence:readonly routing:readonly conversations",
        );
        assert_eq!(check(&granted, Operation::ALL), ScopeCheck::Satisfied);
        assert_eq!(check(&Granted::from_text(""), []), ScopeCheck::Satisfied);
    }

    #[test]
    fn client_credentials_tokens_are_not_applicable_rather_than_all_missing() {
        let check = check(&Granted::ClientCredentials, Operation::ALL);
        assert_eq!(check, ScopeCheck::NotApplicable);
        assert!(check.to_string().contains("roles"));
    }

    #[test]
    fn the_stronger_missing_scope_replaces_the_weaker() {
        let mut m = MissingScopes::default();
        m.add(Scope::read_only("notifications"));
        m.add(NOTIFICATIONS);
        m.add(Scope::read_only("notifications"));
        assert_eq!(m.as_slice(), [NOTIFICATIONS]);
        assert!(m.contains(Scope::read_only("notifications")));
    }

    #[test]
    fn granted_scopes_parse_from_an_authorized_scope_array() {
        let granted = Granted::parse(r#"["notifications", "users:readonly"]"#).unwrap();
        assert_eq!(granted.permits(NOTIFICATIONS), Some(true));
        assert_eq!(granted.permits(Scope::read_only("users")), Some(true));
        assert_eq!(granted.permits(Scope::read_only("presence")), Some(false));
    }

    #[test]
    fn granted_scopes_parse_from_space_separated_text() {
        let granted = Granted::parse("  notifications\tusers\n").unwrap();
        assert_eq!(granted.permits(Scope::read_only("users")), Some(true));
        let Granted::Scopes(list) = granted else {
            panic!("a scope list")
        };
        assert!(!list.is_empty());
        assert!(Granted::parse("").is_ok());
    }

    #[test]
    fn a_tokens_me_body_without_authorized_scope_is_client_credentials() {
        let cc = Granted::parse(r#"{"organization":{"id":"o"},"OAuthClient":{"id":"c"}}"#).unwrap();
        assert_eq!(cc, Granted::ClientCredentials);
        assert_eq!(cc.permits(NOTIFICATIONS), None);
        let user = Granted::parse(r#"{"authorizedScope":["notifications"]}"#).unwrap();
        assert_eq!(user.permits(NOTIFICATIONS), Some(true));
        let info = TokenInfo::parse(br#"{"authorizedScope":[]}"#).unwrap();
        assert_eq!(
            missing(check(
                &Granted::from_token_info(&info),
                [Operation::CreateChannel]
            )),
            "notifications"
        );
    }

    #[test]
    fn escaped_scope_names_are_decoded_before_comparing() {
        let granted = Granted::parse(r#"["notific\u0061tions"]"#).unwrap();
        assert_eq!(granted.permits(NOTIFICATIONS), Some(true));
    }

    #[test]
    fn granted_lists_print_as_space_separated_names() {
        for text in [
            r#"["notifications","users:readonly"]"#,
            " notifications\n users:readonly ",
        ] {
            let Granted::Scopes(list) = Granted::parse(text).unwrap() else {
                panic!("a scope list")
            };
            assert_eq!(list.to_string(), "notifications users:readonly");
        }
    }

    #[test]
    fn malformed_json_scope_lists_are_reported() {
        assert!(Granted::parse(r#"["notifications","#).is_err());
    }
}
