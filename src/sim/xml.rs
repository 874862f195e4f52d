//! A small namespace-aware element tree for the simulator's request parsing (built on
//! quick-xml's `NsReader`) and the one-pass template filler for response bodies. Owns no
//! protocol rules: callers decide what a valid request is.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use std::collections::HashMap;

pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const T_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
pub const M_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const POX_REQ_NS: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";
pub const AD_SOAP_NS: &str = "http://schemas.microsoft.com/exchange/2010/Autodiscover";

/// One element: its namespace URI (empty when unbound), local name, attributes (local name →
/// value, namespaces dropped because EWS attributes are unqualified), children and text.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    pub fn text_trimmed(&self) -> &str {
        self.text.trim()
    }
}

/// Why a document could not be read, with the position Exchange would quote.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub message: String,
    pub position: u64,
}

/// Parses a whole document into its root element. Undeclared prefixes are errors, as in
/// any namespace-aware parser.
pub fn parse(input: &str) -> Result<Element, ParseError> {
    let mut reader = NsReader::from_str(input);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let pos = reader.buffer_position();
        let err = |m: String| ParseError {
            message: m,
            position: pos,
        };
        let (res, ev) = reader
            .read_resolved_event()
            .map_err(|e| err(e.to_string()))?;
        let ns = match res {
            ResolveResult::Bound(ns) => ns.as_ref().to_string(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(p) => {
                return Err(err(format!("undeclared namespace prefix '{p}'")));
            }
        };
        match ev {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(err("content after the document element".into()));
            }
            Event::Start(s) => {
                let el = start_element(&s, ns).map_err(err)?;
                stack.push(el);
            }
            Event::Empty(s) => {
                let el = start_element(&s, ns).map_err(err)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(err("unexpected end tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.xml10_content().trim().is_empty() {
                    return Err(err("text outside the document element".into()));
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match r.xml10_content().as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(err(format!("unknown entity '&{other};'"))),
                    },
                    Err(e) => return Err(err(e.to_string())),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::DocType(_) => return Err(err("DTDs are not allowed".into())),
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(ParseError {
            message: "document ended inside an element".into(),
            position: reader.buffer_position(),
        });
    }
    root.ok_or(ParseError {
        message: "no document element".into(),
        position: 0,
    })
}

fn start_element(s: &quick_xml::events::BytesStart<'_>, ns: String) -> Result<Element, String> {
    let name = s.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in s.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key;
        if key.as_ref() == "xmlns" || key.as_ref().starts_with("xmlns:") {
            continue;
        }
        let local = key.local_name().as_ref().to_string();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?
            .into_owned();
        attrs.push((local, value));
    }
    Ok(Element {
        ns,
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

/// Escapes text for element content or a double-quoted attribute.
pub fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// Fills `{name}` placeholders in one pass (a value is never re-scanned, so a value that
/// contains braces cannot inject another placeholder). Values must already be escaped for
/// their context. Unknown placeholders are left as they are.
pub fn fill(template: &str, values: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end)
                if after[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && end > 0 =>
            {
                let key = &after[..end];
                match values.get(key) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_and_entities() {
        let doc = r#"<a:x xmlns:a="urn:a"><b xmlns="urn:b" k="v&amp;w">1 &lt; 2</b></a:x>"#;
        let root = parse(doc).unwrap();
        assert!(root.is("urn:a", "x"));
        let b = root.child("urn:b", "b").unwrap();
        assert_eq!(b.attr("k"), Some("v&w"));
        assert_eq!(b.text, "1 < 2");
    }

    #[test]
    fn rejects_undeclared_prefix_and_garbage() {
        assert!(parse("<tns:x/>").is_err());
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn fill_is_single_pass() {
        let mut v = HashMap::new();
        v.insert("a", "{b}".to_string());
        v.insert("b", "X".to_string());
        assert_eq!(fill("<{a}|{b}|{c}>", &v), "<{b}|X|{c}>");
    }
}
