//! The sentences of `assets/text/bundle.toml` (bundle, keychain and headless words), embedded
//! in the binary and looked up by `section.key`. Owns only the lookup and placeholder filling;
//! must not hold any sentence itself.

use std::collections::HashMap;
use std::sync::OnceLock;

const SOURCE: &str = include_str!("../../assets/text/bundle.toml");

fn table() -> &'static HashMap<String, String> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut out = HashMap::new();
        // The asset is compiled in and covered by a test, so a parse failure is a build
        // mistake; falling back to the bare keys keeps the tool usable instead of panicking.
        if let Ok(top) = toml::from_str::<toml::Table>(SOURCE) {
            for (section, v) in top {
                if let toml::Value::Table(keys) = v {
                    for (k, v) in keys {
                        if let toml::Value::String(s) = v {
                            out.insert(format!("{section}.{k}"), s);
                        }
                    }
                }
            }
        }
        out
    })
}

/// The sentence for `key` (`"error.damaged"`); the key itself if it is missing.
pub fn t(key: &str) -> &str {
    table().get(key).map(String::as_str).unwrap_or(key)
}

/// The sentence for `key` with each `{name}` replaced by its value.
pub fn tf(key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(key).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// Whether `key` exists (tests).
pub fn has(key: &str) -> bool {
    table().contains_key(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_parses_and_fills_placeholders() {
        assert!(table().len() > 40, "assets/text/bundle.toml did not load");
        assert!(has("error.wrong_passphrase"));
        let s = tf("error.exists", &[("path", "x.age")]);
        assert!(s.contains("x.age") && !s.contains("{path}"));
        assert_eq!(t("no.such_key"), "no.such_key");
    }
}
