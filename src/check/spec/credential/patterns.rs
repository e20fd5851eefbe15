//! What a credential looks like: the shapes and names the scan of [`super::RULE`] and
//! `cutover import` look for.
//!
//! The scan walks every string of the loaded spec, every value and every mapping key (the
//! model serialized to a tree, so a new field is covered without a list to keep up to date),
//! and looks for two things:
//!
//! - credential shapes ([`find_credential`]): cloud AccessKey ids, provider tokens, JWTs,
//!   private key blocks, passwords in URLs and `password=...` pairs, modelled on the
//!   high-confidence rules of gitleaks' default configuration;
//! - secret-named variables ([`is_secret_name`]) with a written value: `DB_PASSWORD: x` is a
//!   secret, `DB_PASSWORD: ${DB_PASSWORD}` is a reference ([`is_reference`]).
//!
//! Each matcher looks only at positions where its token can start (after a byte outside the
//! token's alphabet) and reads a bounded or disjoint stretch from there, so a scan is linear
//! in the length of the text.

/// A credential found in a string: what it looks like, and its byte range in the string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: &'static str,
    pub start: usize,
    pub end: usize,
}

/// What a value looks like, if it looks like a credential.
pub fn credential_kind(value: &str) -> Option<&'static str> {
    find_credential(value).map(|f| f.kind)
}

/// The first credential-shaped stretch of `text`, if any.
pub fn find_credential(text: &str) -> Option<Finding> {
    let b = text.as_bytes();
    (0..b.len())
        .filter(|&i| MAY_START[b[i] as usize])
        .find_map(|i| match_at(b, i))
}

/// The bytes a match can start at: the first bytes of [`match_at`]'s arms and of
/// [`TOKENS`], so that every other byte costs one lookup.
const MAY_START: [bool; 256] = {
    let mut table = [false; 256];
    let starts = b"-:=AxheSBb$";
    let mut i = 0;
    while i < starts.len() {
        table[starts[i] as usize] = true;
        i += 1;
    }
    let mut i = 0;
    while i < TOKEN_STARTS.len() {
        table[TOKEN_STARTS[i] as usize] = true;
        i += 1;
    }
    table
};

/// A value that only names a variable provided at deploy time: wholly `${NAME}`.
/// (`${X}hunter2` is not: the rest is written in the spec.)
pub fn is_reference(value: &str) -> bool {
    value
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .is_some_and(is_variable_name)
}

/// A shell variable name: a letter or `_`, then letters, digits and `_`.
pub fn is_variable_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether a secret-named variable's value is written in the spec (not empty, not a
/// reference, not a plain flag such as `true`). A name that says where the secret is
/// (`DB_PASSWORD_FILE`, `TOKEN_PATH`) is exempt only while its value looks like a path:
/// `DB_PASSWORD_FILE: hunter2` holds the password itself.
pub fn is_written_secret(name: &str, value: &str) -> bool {
    if !is_written(value) {
        return false;
    }
    if is_secret_name(name) {
        return true;
    }
    let parts = word_parts(name);
    match parts.split_last() {
        Some((last, rest)) if LOCATION_WORDS.contains(&last.as_str()) && !rest.is_empty() => {
            is_secret_parts(rest) && !looks_like_path(value)
        }
        _ => false,
    }
}

/// Last word parts that name where a secret is kept, a file or a folder.
const LOCATION_WORDS: &[&str] = &["FILE", "PATH", "DIR"];

/// An absolute or explicitly relative path, or a whole reference.
fn looks_like_path(value: &str) -> bool {
    let value = value.trim();
    ["/", "./", "../", "~/"]
        .iter()
        .any(|p| value.starts_with(p))
        || is_reference(value)
}

fn is_written(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty()
        && !is_reference(value)
        && !["true", "false", "yes", "no", "null", "~"]
            .iter()
            .any(|flag| value.eq_ignore_ascii_case(flag))
}

/// Words that make a variable name secret when a word part ends with them (`DB_PASSWORD`,
/// `DBPASSWORD`, `CLIENT_SECRET`, `GITHUB_TOKEN`, `X_APIKEY`, `CREDENTIALS`).
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "APIKEY",
    "ACCESSKEY",
    "ACCESSKEYID",
    "PRIVATEKEY",
];

/// Abbreviations that count only as a whole word part: `DB_PASS`, `PASS`, `MYSQL_PWD`,
/// `DB_PW`, Alibaba's `OSS_AK`/`OSS_SK` and `akId`, `COOKIE_SALT`, `SENTRY_DSN` (a DSN
/// carries a key or a password); never `PASSPORT_URL`, `BYPASS_CACHE`, `COMPASS`, `SKU`
/// or `ASK_URL`.
const SECRET_ABBREVIATIONS: &[&str] = &["PASS", "PWD", "PW", "AK", "SK", "AKID", "SALT", "DSN"];

/// Words that hold a credential only as the last word part (`AUTH`, `BASIC_AUTH`,
/// `HTTP_AUTHORIZATION`): as a first part they name a setting (`AUTH_URL`,
/// `AUTH_ENABLED`).
const SECRET_LAST_WORDS: &[&str] = &["AUTH", "AUTHORIZATION"];

/// The abbreviations a `key=value` key may end in: `sk=` or `dsn=` in a query string
/// name other things as often as secrets.
const ASSIGNMENT_ABBREVIATIONS: &[&str] = &["PASS", "PWD", "PW"];

/// Two word parts that together name a key: `API_KEY`, `AWS_SECRET_ACCESS_KEY`,
/// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `AUTH_KEY`, `APP_KEY`, `JWT_KEY`. `AUTH` alone
/// (`AUTH_URL`, `OAUTH_ENABLED`) is a setting, not a secret.
const SECRET_KEY_QUALIFIERS: &[&str] = &[
    "API",
    "ACCESS",
    "PRIVATE",
    "SECRET",
    "AUTH",
    "ENCRYPTION",
    "SIGNING",
    "MASTER",
    "SESSION",
    "APP",
    "JWT",
    "COOKIE",
    "HMAC",
    "CLIENT",
    "SERVICE",
    "AK",
    "SK",
];

/// A last word part that makes the variable say where the secret is, or describe it,
/// rather than hold it: `DB_PASSWORD_FILE`, `TOKEN_PATH`, `SECRET_NAME`, `TOKEN_URL`,
/// `TOKEN_TTL`. (A URL is still scanned for a password in it; a file or path that is not
/// a path is a secret, see [`is_written_secret`].)
const REFERENCE_WORDS: &[&str] = &[
    "FILE", "PATH", "DIR", "ENV", "NAME", "REF", "URL", "URI", "ENDPOINT", "HOST", "PORT", "TTL",
    "TIMEOUT", "EXPIRY", "LENGTH", "TYPE", "HEADER", "MODE",
];

/// Environment variable names (and header, cookie and query names) that hold secrets by
/// convention. Names are split into word parts at `_`, `-`, `.` and lower-to-upper case
/// changes, compared without case.
pub fn is_secret_name(name: &str) -> bool {
    is_secret_parts(&word_parts(name))
}

fn is_secret_parts(parts: &[String]) -> bool {
    let Some(last) = parts.last() else {
        return false;
    };
    if REFERENCE_WORDS.contains(&last.as_str()) {
        return false;
    }
    // `PWD` alone is the shell's working directory.
    if parts.len() == 1 && last == "PWD" {
        return false;
    }
    let word = |part: &str| {
        SECRET_WORDS
            .iter()
            .any(|w| part.ends_with(w) || part.strip_suffix('S').is_some_and(|p| p.ends_with(w)))
            || SECRET_ABBREVIATIONS.contains(&part)
    };
    parts.iter().any(|p| word(p))
        || SECRET_LAST_WORDS.contains(&last.as_str())
        || parts
            .windows(2)
            .any(|w| w[1] == "KEY" && SECRET_KEY_QUALIFIERS.contains(&w[0].as_str()))
}

/// A `key=value` key that ends in a secret word (`password`, `db_pass`, `access_token`,
/// `api_key`): stricter than [`is_secret_name`], since query strings and command lines are
/// full of keys that merely mention one (`password_reset=1`).
fn is_secret_assignment_key(key: &str) -> bool {
    let parts = word_parts(key);
    let Some(last) = parts.last() else {
        return false;
    };
    SECRET_WORDS
        .iter()
        .any(|w| last.ends_with(w) || last.strip_suffix('S').is_some_and(|p| p.ends_with(w)))
        || ASSIGNMENT_ABBREVIATIONS.contains(&last.as_str())
        || (last == "KEY"
            && parts.len() >= 2
            && SECRET_KEY_QUALIFIERS.contains(&parts[parts.len() - 2].as_str()))
}

fn word_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars().map(latin_look_alike) {
        if matches!(c, '_' | '-' | '.' | ' ') {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// The Latin letter a Cyrillic or Greek letter is drawn like, so that `DB_PAЅSWORD`
/// (a Cyrillic `Ѕ`) is still a password; any other character as it is.
fn latin_look_alike(c: char) -> char {
    const PAIRS: &[(char, char)] = &[
        ('А', 'A'),
        ('В', 'B'),
        ('Е', 'E'),
        ('К', 'K'),
        ('М', 'M'),
        ('Н', 'H'),
        ('О', 'O'),
        ('Р', 'P'),
        ('С', 'C'),
        ('Т', 'T'),
        ('Х', 'X'),
        ('Ѕ', 'S'),
        ('І', 'I'),
        ('Ј', 'J'),
        ('Ү', 'Y'),
        ('а', 'a'),
        ('е', 'e'),
        ('о', 'o'),
        ('р', 'p'),
        ('с', 'c'),
        ('х', 'x'),
        ('ѕ', 's'),
        ('і', 'i'),
        ('ј', 'j'),
        ('у', 'y'),
        ('Α', 'A'),
        ('Β', 'B'),
        ('Ε', 'E'),
        ('Ζ', 'Z'),
        ('Η', 'H'),
        ('Ι', 'I'),
        ('Κ', 'K'),
        ('Μ', 'M'),
        ('Ν', 'N'),
        ('Ο', 'O'),
        ('Ρ', 'P'),
        ('Τ', 'T'),
        ('Υ', 'Y'),
        ('Χ', 'X'),
        ('ο', 'o'),
        ('ν', 'v'),
    ];
    PAIRS
        .iter()
        .find(|(look_alike, _)| *look_alike == c)
        .map_or(c, |(_, latin)| *latin)
}

// --- credential shapes ------------------------------------------------------------------

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_word_or_dash(b: u8) -> bool {
    is_word(b) || b == b'-'
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// The length of the run of `ok` bytes at `from`, reading at most `max` of them.
fn run(b: &[u8], from: usize, max: usize, ok: fn(u8) -> bool) -> usize {
    b.get(from..)
        .unwrap_or(&[])
        .iter()
        .take(max)
        .take_while(|&&c| ok(c))
        .count()
}

/// Whether byte `i` may start a token of alphabet `ok` (the byte before is not in it).
fn starts_token(b: &[u8], i: usize, ok: fn(u8) -> bool) -> bool {
    i == 0 || !ok(b[i - 1])
}

fn ends_token(b: &[u8], end: usize, ok: fn(u8) -> bool) -> bool {
    b.get(end).is_none_or(|&c| !ok(c))
}

/// A fixed-prefix token: `prefix`, then at least `min` bytes of `body` (at most `max` read).
struct Token {
    kind: &'static str,
    prefix: &'static [u8],
    body: fn(u8) -> bool,
    min: usize,
    max: usize,
    /// The token must end there (the next byte is outside `body`): `LTAI…`, `AKIA…`.
    exact_end: bool,
}

/// The first bytes of [`TOKENS`]' prefixes, to skip the table quickly.
const TOKEN_STARTS: &[u8] = b"LgGAsrnpdhx";

const TOKENS: &[Token] = &[
    Token {
        kind: "an Alibaba Cloud AccessKey ID",
        prefix: b"LTAI",
        body: is_alnum,
        min: 12,
        max: 30,
        exact_end: true,
    },
    Token {
        kind: "a GitHub personal access token",
        prefix: b"ghp_",
        body: is_alnum,
        min: 36,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a GitHub OAuth token",
        prefix: b"gho_",
        body: is_alnum,
        min: 36,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a GitHub App token",
        prefix: b"ghu_",
        body: is_alnum,
        min: 36,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a GitHub App token",
        prefix: b"ghs_",
        body: is_alnum,
        min: 36,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a GitHub refresh token",
        prefix: b"ghr_",
        body: is_alnum,
        min: 36,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a GitHub fine-grained access token",
        prefix: b"github_pat_",
        body: is_word,
        min: 22,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a GitLab personal access token",
        prefix: b"glpat-",
        body: is_word_or_dash,
        min: 20,
        max: 400,
        exact_end: false,
    },
    Token {
        kind: "a GitLab deploy token",
        prefix: b"gldt-",
        body: is_word_or_dash,
        min: 20,
        max: 400,
        exact_end: false,
    },
    Token {
        kind: "a GitLab runner token",
        prefix: b"glrt-",
        body: is_word_or_dash,
        min: 20,
        max: 400,
        exact_end: false,
    },
    Token {
        kind: "a GitLab runner registration token",
        prefix: b"GR1348941",
        body: is_word_or_dash,
        min: 20,
        max: 400,
        exact_end: false,
    },
    Token {
        kind: "a GitLab pipeline trigger token",
        prefix: b"glptt-",
        body: is_hex,
        min: 40,
        max: 40,
        exact_end: false,
    },
    Token {
        kind: "a Google API key",
        prefix: b"AIza",
        body: is_word_or_dash,
        min: 35,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a Stripe secret key",
        prefix: b"sk_live_",
        body: is_alnum,
        min: 10,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a Stripe secret key",
        prefix: b"sk_test_",
        body: is_alnum,
        min: 10,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a Stripe restricted key",
        prefix: b"rk_live_",
        body: is_alnum,
        min: 10,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "an npm access token",
        prefix: b"npm_",
        body: is_alnum,
        min: 36,
        max: 36,
        exact_end: true,
    },
    Token {
        kind: "a PyPI upload token",
        prefix: b"pypi-AgEIcHlwaS5vcmc",
        body: is_word_or_dash,
        min: 50,
        max: 1000,
        exact_end: false,
    },
    Token {
        kind: "a DigitalOcean token",
        prefix: b"dop_v1_",
        body: is_hex,
        min: 64,
        max: 64,
        exact_end: false,
    },
    Token {
        kind: "a DigitalOcean token",
        prefix: b"doo_v1_",
        body: is_hex,
        min: 64,
        max: 64,
        exact_end: false,
    },
    Token {
        kind: "a Shopify access token",
        prefix: b"shpat_",
        body: is_hex,
        min: 32,
        max: 32,
        exact_end: false,
    },
    Token {
        kind: "a Shopify shared secret",
        prefix: b"shpss_",
        body: is_hex,
        min: 32,
        max: 32,
        exact_end: false,
    },
    Token {
        kind: "an Anthropic API key",
        prefix: b"sk-ant-",
        body: is_word_or_dash,
        min: 40,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "an OpenAI API key",
        prefix: b"sk-proj-",
        body: is_word_or_dash,
        min: 40,
        max: 255,
        exact_end: false,
    },
    Token {
        kind: "a HashiCorp Vault token",
        prefix: b"hvs.",
        body: is_word_or_dash,
        min: 90,
        max: 300,
        exact_end: false,
    },
    Token {
        kind: "an age secret key",
        prefix: b"AGE-SECRET-KEY-1",
        body: is_alnum,
        min: 58,
        max: 58,
        exact_end: false,
    },
    Token {
        kind: "a Slack app token",
        prefix: b"xapp-",
        body: is_slack,
        min: 10,
        max: 255,
        exact_end: false,
    },
];

fn is_slack(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

fn match_at(b: &[u8], i: usize) -> Option<Finding> {
    let found = |kind, end| {
        Some(Finding {
            kind,
            start: i,
            end,
        })
    };
    let rest = &b[i..];
    match b[i] {
        b'-' => private_key(b, i).or_else(|| option_argument(b, i)),
        b':' => url_password(b, i).or_else(|| colon_assignment(b, i)),
        b'=' => assignment(b, i),
        b'$' => password_hash(b, i),
        b'B' | b'b' if starts_token(b, i, is_alnum) => authorization(b, i),
        b'A' if starts_token(b, i, is_alnum) && aws_prefix(rest) => {
            let n = run(b, i + 4, 17, |c| {
                c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)
            });
            (n == 16 && ends_token(b, i + 20, is_alnum)).then_some(())?;
            found("an AWS access key ID", i + 20)
        }
        b'x' if rest.starts_with(b"xox")
            && rest.get(4) == Some(&b'-')
            && rest.get(3).is_some_and(|c| b"abeoprs".contains(c))
            && starts_token(b, i, is_alnum) =>
        {
            let n = run(b, i + 5, 255, is_slack);
            (n >= 10 && b[i + 5..i + 5 + n].iter().any(u8::is_ascii_digit)).then_some(())?;
            found("a Slack token", i + 5 + n)
        }
        b'h' if rest.starts_with(b"hooks.slack.com/") => {
            let path = &rest[b"hooks.slack.com/".len()..];
            let kind = [&b"services/"[..], b"workflows/", b"triggers/"]
                .into_iter()
                .find(|k| path.starts_with(k))?;
            let from = i + b"hooks.slack.com/".len() + kind.len();
            let n = run(b, from, 255, |c| c.is_ascii_alphanumeric() || c == b'/');
            (n >= 20).then_some(())?;
            found("a Slack webhook URL", from + n)
        }
        b'e' if rest.starts_with(b"eyJ") && starts_token(b, i, is_base64url) => jwt(b, i),
        b'S' if rest.starts_with(b"SG.") && starts_token(b, i, is_word) => {
            let first = run(b, i + 3, 23, is_word_or_dash);
            (first == 22 && b.get(i + 25) == Some(&b'.')).then_some(())?;
            let second = run(b, i + 26, 44, is_word_or_dash);
            (second == 43).then_some(())?;
            found("a SendGrid API key", i + 69)
        }
        // Most bytes sit inside a word, where no token starts.
        c if !TOKEN_STARTS.contains(&c) || !starts_token(b, i, is_word) => None,
        c => TOKENS.iter().filter(|t| t.prefix[0] == c).find_map(|t| {
            if !rest.starts_with(t.prefix) {
                return None;
            }
            let from = i + t.prefix.len();
            let n = run(b, from, t.max + 1, t.body);
            let fits =
                n >= t.min && (!t.exact_end || (n <= t.max && ends_token(b, from + n, t.body)));
            fits.then(|| Finding {
                kind: t.kind,
                start: i,
                end: from + n.min(t.max),
            })
        }),
    }
}

fn aws_prefix(rest: &[u8]) -> bool {
    [&b"AKIA"[..], b"ASIA", b"ABIA", b"ACCA"]
        .iter()
        .any(|p| rest.starts_with(p))
        || (rest.starts_with(b"A3T") && rest.get(3).is_some_and(|c| c.is_ascii_alphanumeric()))
}

/// `eyJ…` `.` `ey…` `.` signature: a JSON Web Token (the signature may be empty).
fn jwt(b: &[u8], i: usize) -> Option<Finding> {
    let header = run(b, i, usize::MAX, is_base64url);
    (header >= 13).then_some(())?;
    let dot = i + header;
    (b.get(dot) == Some(&b'.')).then_some(())?;
    (b.get(dot + 1..dot + 3) == Some(b"ey")).then_some(())?;
    let payload = run(b, dot + 1, usize::MAX, is_base64url);
    (payload >= 12).then_some(())?;
    let dot = dot + 1 + payload;
    (b.get(dot) == Some(&b'.')).then_some(())?;
    let signature = run(b, dot + 1, usize::MAX, is_base64url);
    let padding = run(b, dot + 1 + signature, 2, |c| c == b'=');
    Some(Finding {
        kind: "a JSON Web Token",
        start: i,
        end: dot + 1 + signature + padding,
    })
}

/// `-----BEGIN … PRIVATE KEY-----` or `-----BEGIN PGP PRIVATE KEY BLOCK-----`, in any case.
fn private_key(b: &[u8], i: usize) -> Option<Finding> {
    let rest = &b[i..];
    let begin = b"-----BEGIN";
    (rest.len() > begin.len() && rest[..begin.len()].eq_ignore_ascii_case(begin)).then_some(())?;
    let label_start = i + begin.len();
    let label_len = run(b, label_start, 100, |c| {
        c.is_ascii_alphanumeric() || c == b' ' || c == b'_' || c == b'-'
    });
    let label = &b[label_start..label_start + label_len];
    let close = label.windows(5).position(|w| w == b"-----")?;
    let squeezed: Vec<u8> = label[..close]
        .iter()
        .filter(|c| **c != b' ')
        .map(u8::to_ascii_uppercase)
        .collect();
    let private = squeezed.ends_with(b"PRIVATEKEY") || squeezed.ends_with(b"PRIVATEKEYBLOCK");
    private.then_some(Finding {
        kind: "a private key",
        start: i,
        end: label_start + close + 5,
    })
}

/// `scheme://user:password@host`: a password in a URL's userinfo (not `${NAME}`).
fn url_password(b: &[u8], i: usize) -> Option<Finding> {
    (b.get(i + 1..i + 3) == Some(b"//")).then_some(())?;
    let scheme_len = b[..i]
        .iter()
        .rev()
        .take(33)
        .take_while(|c| c.is_ascii_alphanumeric() || b"+.-".contains(c))
        .count();
    // A scheme starts with a letter: `1-postgres://` and `$-redis://` hold one after text.
    let mut scheme_start = i - scheme_len;
    while scheme_start < i && !b[scheme_start].is_ascii_alphabetic() {
        scheme_start += 1;
    }
    let scheme_len = i - scheme_start;
    let valid_scheme = (1..=32).contains(&scheme_len);
    valid_scheme.then_some(())?;
    let from = i + 3;
    let authority = run(b, from, usize::MAX, |c| {
        !c.is_ascii_whitespace() && !b"/?#\"'<>`".contains(&c)
    });
    let at = b[from..from + authority].iter().rposition(|c| *c == b'@')?;
    let userinfo = &b[from..from + at];
    let Some(colon) = userinfo.iter().position(|c| *c == b':') else {
        let host = &b[from + at + 1..from + authority];
        return url_key(userinfo, host).map(|kind| Finding {
            kind,
            start: from,
            end: from + at,
        });
    };
    let password = &userinfo[colon + 1..];
    let password = std::str::from_utf8(password).ok()?;
    (!password.is_empty() && !is_reference(password)).then_some(Finding {
        kind: "a password in a URL",
        start: from + colon + 1,
        end: from + at,
    })
}

/// `password=…`, `db_pass=…`, `access_token=…` inside a value (a query string, a
/// connection string, a command line), and Azure's `AccountKey=…`.
fn assignment(b: &[u8], i: usize) -> Option<Finding> {
    // `key=value` and `key = value` (an ini or TOML line such as AWS' credentials file).
    let key_end = i - b[..i]
        .iter()
        .rev()
        .take(4)
        .take_while(|c| is_blank(**c))
        .count();
    let key_len = key_before(b, key_end)?;
    let key = std::str::from_utf8(&b[key_end - key_len..key_end]).ok()?;
    let key = key.trim_start_matches('-');
    let mut from = i + 1 + run(b, i + 1, 4, is_blank);
    // A quoted value (`password = "x"`: TOML, ini, .env, shell) is read to its quote.
    let mut value_len = match b.get(from).copied() {
        Some(q @ (b'"' | b'\'')) => {
            from += 1;
            let closing: fn(u8) -> bool = if q == b'"' {
                |c| c != b'"' && c != b'\n'
            } else {
                |c| c != b'\'' && c != b'\n'
            };
            run(b, from, 256, closing)
        }
        _ => run(b, from, 256, |c| {
            !c.is_ascii_whitespace() && !b"&;,\"'<>`)".contains(&c)
        }),
    };
    // The cap may fall inside a character: end before it.
    while value_len > 0 && b.get(from + value_len).is_some_and(|c| c & 0xC0 == 0x80) {
        value_len -= 1;
    }
    let value = std::str::from_utf8(&b[from..from + value_len]).ok()?;
    let azure = ["AccountKey", "SharedAccessKey"].contains(&key);
    if azure && run(b, from, 41, is_base64) >= 40 {
        return Some(Finding {
            kind: "an Azure storage or service bus key",
            start: from,
            end: from + value_len,
        });
    }
    (is_secret_assignment_key(key) && is_written(value)).then_some(Finding {
        kind: "a secret after a secret-named key",
        start: from,
        end: from + value_len,
    })
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The length of the key (letters, digits, `_`, `.`, `-`) that ends at `end`, if any.
fn key_before(b: &[u8], end: usize) -> Option<usize> {
    let key_len = b[..end]
        .iter()
        .rev()
        .take(65)
        .take_while(|c| c.is_ascii_alphanumeric() || b"_.-".contains(c))
        .count();
    (1..=64).contains(&key_len).then_some(key_len)
}

/// A URL's userinfo without a password that is a key all the same: a Sentry DSN's public
/// key (`https://<key>@o1.ingest.sentry.io/1`, or a self-hosted `sentry.` host), or any
/// 32-hex-digit user.
fn url_key(userinfo: &[u8], host: &[u8]) -> Option<&'static str> {
    let host = host.split(|c| *c == b':').next().unwrap_or(host);
    let host = String::from_utf8_lossy(host).to_ascii_lowercase();
    let sentry = host.ends_with("sentry.io")
        || host
            .split('.')
            .any(|label| label == "sentry" || label == "ingest");
    if sentry && userinfo.len() >= 16 && userinfo.iter().all(|c| c.is_ascii_alphanumeric()) {
        return Some("a Sentry DSN key");
    }
    (userinfo.len() == 32 && userinfo.iter().all(|c| c.is_ascii_hexdigit()))
        .then_some("a key in a URL")
}

/// `"password": "…"`, `'token': x` (JSON, a Python dict) and `password: 'x'` (YAML) inside
/// a value. An unquoted `key: value` counts only where a YAML or flow mapping entry starts
/// (at a line's start, after `{`, `,` or `- `), so that prose such as `check the password:
/// it rotates` is not a finding.
fn colon_assignment(b: &[u8], i: usize) -> Option<Finding> {
    let quote = b[..i].last().copied().filter(|c| *c == b'"' || *c == b'\'');
    let key_end = i - usize::from(quote.is_some());
    let key_len = key_before(b, key_end)?;
    let key_start = key_end - key_len;
    let key = std::str::from_utf8(&b[key_start..key_end]).ok()?;
    if let Some(q) = quote {
        (key_start > 0 && b[key_start - 1] == q).then_some(())?;
    }
    let blanks = run(b, i + 1, 8, is_blank);
    let from = i + 1 + blanks;
    let value_quote = b.get(from).copied().filter(|c| *c == b'"' || *c == b'\'');
    if quote.is_none() {
        let indent = b[..key_start]
            .iter()
            .rev()
            .take(8)
            .take_while(|c| is_blank(**c));
        let before = key_start - indent.count();
        let entry_start = before == 0
            || b"\n\r{,[".contains(&b[before - 1])
            || (b[before - 1] == b'-' && before != key_start);
        (entry_start && (blanks > 0 || value_quote.is_some())).then_some(())?;
    }
    let (start, len) = match value_quote {
        Some(b'"') => (from + 1, run(b, from + 1, 256, |c| c != b'"' && c != b'\n')),
        Some(_) => (
            from + 1,
            run(b, from + 1, 256, |c| c != b'\'' && c != b'\n'),
        ),
        // `password: ${DB_PASSWORD}` names a variable: its `}` ends no flow mapping.
        None if b[from..].starts_with(b"${") => {
            let reference = (run(b, from, 256, |c| c != b'}' && !c.is_ascii_whitespace()) + 1)
                .min(b.len() - from);
            let rest = run(b, from + reference, 256, |c| {
                !c.is_ascii_whitespace() && !b",}]\"'".contains(&c)
            });
            (from, reference + rest)
        }
        None => (
            from,
            run(b, from, 256, |c| {
                !c.is_ascii_whitespace() && !b",}]\"'".contains(&c)
            }),
        ),
    };
    let len = char_floor(b, start, len);
    let value = std::str::from_utf8(&b[start..start + len]).ok()?;
    (is_secret_assignment_key(key) && is_written(value)).then_some(Finding {
        kind: "a secret after a secret-named key",
        start,
        end: start + len,
    })
}

/// `len`, shortened so that `start + len` falls on a character boundary.
fn char_floor(b: &[u8], start: usize, mut len: usize) -> usize {
    while len > 0 && b.get(start + len).is_some_and(|c| c & 0xC0 == 0x80) {
        len -= 1;
    }
    len
}

/// `--password hunter2`, `-Dspring.datasource.password hunter2`: a secret-named option
/// with its value as the next word of a command line.
fn option_argument(b: &[u8], i: usize) -> Option<Finding> {
    (i == 0 || b[i - 1].is_ascii_whitespace() || b"\"'[,(".contains(&b[i - 1])).then_some(())?;
    let dashes = run(b, i, 3, |c| c == b'-');
    (1..=2).contains(&dashes).then_some(())?;
    let key_start = i + dashes;
    b.get(key_start).filter(|c| c.is_ascii_alphabetic())?;
    let key_len = run(b, key_start, 65, |c| {
        c.is_ascii_alphanumeric() || b"_.-".contains(&c)
    });
    (key_len <= 64).then_some(())?;
    let key = std::str::from_utf8(&b[key_start..key_start + key_len]).ok()?;
    // `--no-password` is a flag: the next word is not its value.
    let negated = word_parts(key).first().is_some_and(|p| p == "NO");
    (!negated).then_some(())?;
    let blanks = run(b, key_start + key_len, 8, is_blank);
    (blanks > 0).then_some(())?;
    let mut from = key_start + key_len + blanks;
    let quoted = b.get(from).is_some_and(|c| *c == b'"' || *c == b'\'');
    from += usize::from(quoted);
    let len = run(b, from, 256, |c| {
        !c.is_ascii_whitespace() && c != b'"' && c != b'\''
    });
    let len = char_floor(b, from, len);
    let value = std::str::from_utf8(&b[from..from + len]).ok()?;
    let shell_reference = value
        .strip_prefix('$')
        .is_some_and(|name| is_variable_name(name) || is_reference(value));
    (is_secret_assignment_key(key)
        && !value.starts_with('-')
        && is_written(value)
        && !shell_reference)
        .then_some(Finding {
            kind: "a secret after a secret-named option",
            start: from,
            end: from + len,
        })
}

/// `Bearer <token>` and `Basic <base64 of user:password>`, as in an `Authorization`
/// header. A JWT after `Bearer` is left to [`jwt`], which names it better.
fn authorization(b: &[u8], i: usize) -> Option<Finding> {
    let rest = &b[i..];
    let scheme = [&b"bearer"[..], b"basic"]
        .into_iter()
        .find(|s| rest.len() > s.len() && rest[..s.len()].eq_ignore_ascii_case(s))?;
    let blanks = run(b, i + scheme.len(), 8, is_blank);
    (blanks > 0).then_some(())?;
    let from = i + scheme.len() + blanks;
    let token68 = |c: u8| c.is_ascii_alphanumeric() || b"-._~+/".contains(&c);
    let len = run(b, from, 4096, token68);
    let len = len + run(b, from + len, 2, |c| c == b'=');
    let token = &b[from..from + len];
    let found = |kind| {
        Some(Finding {
            kind,
            start: from,
            end: from + len,
        })
    };
    if scheme == b"bearer" {
        let prose = token.iter().all(|c| c.is_ascii_lowercase());
        (len >= 8 && !prose && !token.starts_with(b"eyJ")).then_some(())?;
        found("a bearer token")
    } else {
        base64_decode(token)?.contains(&b':').then_some(())?;
        found("a user and password (HTTP Basic)")
    }
}

/// Standard base64 with optional padding; `None` if it is not base64.
fn base64_decode(text: &[u8]) -> Option<Vec<u8>> {
    let text = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    (text.len() >= 4 && text.len() % 4 != 1).then_some(())?;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A crypt(3)-style password hash, as in an htpasswd line: `$apr1$…`, bcrypt `$2y$10$…`,
/// `$5$`/`$6$` SHA-crypt, `$argon2id$…`; also written with doubled `$$`, as compose files
/// escape them.
fn password_hash(b: &[u8], i: usize) -> Option<Finding> {
    let rest = &b[i..];
    let sep: &[u8] = if rest.starts_with(b"$$") { b"$$" } else { b"$" };
    let body = &rest[sep.len()..];
    let hash_char = |c: u8| c.is_ascii_alphanumeric() || b"./$=+,".contains(&c);
    let id_len = [
        &b"apr1"[..],
        b"2a",
        b"2b",
        b"2y",
        b"1",
        b"5",
        b"6",
        b"argon2id",
        b"argon2i",
        b"argon2d",
    ]
    .into_iter()
    .find(|id| body.starts_with(id) && body[id.len()..].starts_with(sep))?
    .len();
    let from = i + sep.len() + id_len + sep.len();
    let n = run(b, from, 512, hash_char);
    // `$1$` or `$5$` followed by a few characters is more likely a shell or price text.
    let min = if id_len == 4 { 1 } else { 20 };
    (n >= min).then_some(Finding {
        kind: "a password hash",
        start: i,
        end: from + n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_prefix_starts_with_a_listed_byte() {
        for t in TOKENS {
            assert!(TOKEN_STARTS.contains(&t.prefix[0]), "{}", t.kind);
        }
    }
}
