//! Which cached login a command means: the query its flags make, the one
//! login it picks (or why none), and the flags that tell logins apart.
use crate::cache::{Entry, Stored};
use crate::text::shell::quote;
use std::collections::BTreeSet;

/// Which logins a command means: every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Every scope given must be among the login's scopes.
    pub scopes: Vec<String>,
    pub account: Option<String>,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self == &Query::default()
    }

    /// The logins the config file's `issuer`, `client_id` and `scopes`
    /// (those it sets) name: what picks the default login among several.
    pub fn from_defaults(d: &crate::system::config::Defaults) -> Query {
        Query {
            issuer: d.issuer.clone(),
            client_id: d.client_id.clone(),
            scopes: d.scopes.clone().unwrap_or_default(),
            account: None,
        }
    }
}

/// With no flags and several logins, the default login: the one the config
/// file's `issuer`, `client_id` and `scopes` (those it sets: `defaults`,
/// from [`Query::from_defaults`]) pick.
pub fn default_login(
    found: Vec<Stored>,
    q: &Query,
    defaults: &Query,
) -> Result<Stored, Vec<Stored>> {
    if !q.is_empty() || defaults.is_empty() {
        return Err(found);
    }
    select(found.clone(), defaults).map_err(|_| found)
}

/// Why no single login was picked.
#[derive(Debug)]
pub enum NoPick {
    /// Nothing matches; `total` logins are cached.
    None { total: usize },
    /// Several match.
    Many(Vec<Stored>),
}

/// The one login `q` means among the cached `entries`. When several
/// match and the query names scopes, the login with exactly those scopes
/// wins (so a login with fewer scopes can be picked beside one with more).
pub fn select(entries: Vec<Stored>, q: &Query) -> Result<Stored, NoPick> {
    let total = entries.len();
    let mut found: Vec<Stored> = entries.into_iter().filter(|s| s.entry.matches(q)).collect();
    // Accounts match whatever their case; when several do, the one spelt
    // exactly as asked wins (else `Jenny@x` and `jenny@x` could never be
    // told apart).
    if found.len() > 1
        && let Some(a) = &q.account
        && found.iter().any(|s| s.entry.account.as_ref() == Some(a))
    {
        found.retain(|s| s.entry.account.as_ref() == Some(a));
    }
    if found.len() > 1 && !q.scopes.is_empty() {
        let exact: Vec<usize> = (0..found.len())
            .filter(|&i| {
                let e = &found[i].entry;
                let wanted: BTreeSet<&str> = q.scopes.iter().map(|s| e.scope_name(s)).collect();
                e.scope_set() == wanted
            })
            .collect();
        if let [i] = exact[..] {
            return Ok(found.swap_remove(i));
        }
    }
    match found.len() {
        0 => Err(NoPick::None { total }),
        1 => Ok(found.remove(0)),
        _ => Err(NoPick::Many(found)),
    }
}

/// The query as the flags that gave it.
pub fn flags(q: &Query) -> String {
    let mut flags = Vec::new();
    if let Some(i) = &q.issuer {
        flags.push(format!("--issuer {}", quote(i)));
    }
    if let Some(c) = &q.client_id {
        flags.push(format!("--client-id {}", quote(c)));
    }
    for s in &q.scopes {
        flags.push(format!("--scope {}", quote(s)));
    }
    if let Some(a) = &q.account {
        flags.push(format!("--account {}", quote(a)));
    }
    flags.join(" ")
}

/// Several logins match: one line naming, for each, the fewest flags that
/// tell them apart (account first, then client, issuer, scopes).
pub fn ambiguous(found: &[Stored]) -> String {
    type Flag = fn(&Entry) -> String;
    let account: Flag = |e| match &e.account {
        Some(a) => format!("--account {}", quote(a)),
        None => "(no account)".to_owned(),
    };
    let client: Flag = |e| format!("--client-id {}", quote(&e.client_id));
    let issuer: Flag = |e| format!("--issuer {}", quote(e.issuer.trim_end_matches('/')));
    let scopes: Flag = |e| {
        let set: BTreeSet<&String> = e.scopes.iter().collect();
        set.iter()
            .map(|s| format!("--scope {}", quote(s)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut chosen: Vec<Flag> = Vec::new();
    // Which of the four were chosen (fn pointers are not compared).
    let mut chose = [false; 4];
    let flags_of =
        |chosen: &[Flag], e: &Entry| chosen.iter().map(|f| f(e)).collect::<Vec<_>>().join(" ");
    for (i, flag) in [account, client, issuer, scopes].into_iter().enumerate() {
        let distinct = |chosen: &[Flag]| {
            found
                .iter()
                .map(|s| flags_of(chosen, &s.entry))
                .collect::<BTreeSet<_>>()
                .len()
        };
        if distinct(&chosen) == found.len() {
            break;
        }
        let values: BTreeSet<String> = found.iter().map(|s| flag(&s.entry)).collect();
        if values.len() > 1 {
            chosen.push(flag);
            chose[i] = true;
        }
    }
    // `--account` picks only a login with an account. One without is
    // picked by its client and issuer (where they tell logins apart) and
    // its exact scopes (an exact scope set wins in `select`), when no other
    // login shares all three; else no flag picks it, and that is said.
    let picks: Vec<String> = found
        .iter()
        .map(|s| {
            if s.entry.account.is_some() || !chose[0] {
                return flags_of(&chosen, &s.entry);
            }
            let own: Vec<Flag> = [(chose[1], client), (chose[2], issuer), (true, scopes)]
                .into_iter()
                .filter_map(|(on, f)| on.then_some(f))
                .collect();
            let key = flags_of(&[client, issuer, scopes], &s.entry);
            let alike = found
                .iter()
                .filter(|o| flags_of(&[client, issuer, scopes], &o.entry) == key)
                .count();
            if alike == 1 {
                flags_of(&own, &s.entry)
            } else {
                "(a login with no account, which no flag picks: log it out with `gauth logout --all` or log in again with the email scope)".to_owned()
            }
        })
        .collect();
    // Files no flag tells apart hold the same login (a copy, an older
    // gauth's name): the way out is to delete the extra files.
    let mut seen = BTreeSet::new();
    let mut extra: Vec<&Stored> = Vec::new();
    let mut order: Vec<&Stored> = found.iter().collect();
    // The file gauth itself would write for that login is the one kept.
    order.sort_by_key(|s| s.name != s.entry.file_name());
    for s in order {
        if !seen.insert(flags_of(&chosen, &s.entry)) {
            extra.push(s);
        }
    }
    if !extra.is_empty() {
        let files: Vec<String> = extra
            .iter()
            .map(|s| quote(&s.path.display().to_string()))
            .collect();
        return format!(
            "{} cached logins match, and some are the same login in two files; remove the extra: `rm {}`",
            found.len(),
            files.join(" ")
        );
    }
    format!(
        "{} cached logins match; pick one by adding {}",
        found.len(),
        picks.join(" | ")
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::auth::secret::Secret;
    use std::path::PathBuf;

    pub(crate) fn entry(issuer: &str, client: &str, account: &str, scopes: &[&str]) -> Entry {
        Entry {
            issuer: issuer.into(),
            client_id: client.into(),
            client_secret: None,
            token_endpoint: format!("{issuer}/token"),
            revocation_endpoint: None,
            account: Some(account.into()),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            access_token: Secret::new("at"),
            refresh_token: None,
            expires_at: Some(100),
            created_at: 1,
            credentials: None,
        }
    }

    pub(crate) fn stored(e: Entry) -> Stored {
        Stored {
            name: e.file_name(),
            path: PathBuf::from("/c/tokens").join(e.file_name()),
            entry: e,
        }
    }

    #[test]
    fn ambiguity_names_the_telling_flags() {
        let a = stored(entry("https://i", "c", "a@x", &["openid"]));
        let b = stored(entry("https://i", "c", "b@x", &["openid"]));
        assert_eq!(
            ambiguous(&[a.clone(), b]),
            "2 cached logins match; pick one by adding --account a@x | --account b@x"
        );
        let c = stored(entry("https://i", "d", "a@x", &["openid", "drive"]));
        assert_eq!(
            ambiguous(&[a.clone(), c]),
            "2 cached logins match; pick one by adding --client-id c | --client-id d"
        );
        let d = stored(entry("https://i", "c", "a@x", &["openid", "drive"]));
        assert_eq!(
            ambiguous(&[a.clone(), d]),
            "2 cached logins match; pick one by adding --scope openid | --scope drive --scope openid"
        );
        // A login with no account: `--account` cannot pick it; its exact
        // scopes do. Logins that differ only by account are never "the
        // same login in two files".
        let mut none = entry("https://i", "c", "x", &["profile"]);
        none.account = None;
        let b = stored(entry("https://i", "c", "b@x", &["openid"]));
        assert_eq!(
            ambiguous(&[a.clone(), b.clone(), stored(none.clone())]),
            "3 cached logins match; pick one by adding --account a@x | --account b@x | --scope profile"
        );
        // … unless another login has the same client, issuer and scopes.
        let mut same = none.clone();
        same.scopes = vec!["openid".into()];
        let text = ambiguous(&[a.clone(), stored(same)]);
        assert!(
            text.starts_with(
                "2 cached logins match; pick one by adding --account a@x | (a login with no account"
            ),
            "{text}"
        );
        assert!(!text.contains("rm "), "{text}");
    }
}
