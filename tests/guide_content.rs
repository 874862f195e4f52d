//! The guides as data, held against the written guides they mirror (`../shared/seeds/`):
//! every section and numbered step is there with the same numbers, every value is collected
//! before the checks that need it, every check and script named exists, and no sentence of the
//! written guides was copied.

use moxi_setup::answers::{Answers, FieldId, Platform};
use moxi_setup::checks::CheckId;
use moxi_setup::guide::scripts;
use moxi_setup::guide::{self, Guide, GuideStep};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;

const M365_SEED: &str = "001_806e8308a7b8cce0.txt";
const EX_SEED: &str = "000_2032e594ac60caa2.txt";

/// The seeds live in `shared/` beside the clone (`../shared`); a worktree one level deeper
/// (`wt/<name>`) finds them at `../../shared`. Missing seeds fail the test, never skip it.
fn seed(name: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        root.join("../shared/seeds"),
        root.join("../../shared/seeds"),
    ];
    let dir = candidates
        .iter()
        .find(|d| d.join(name).is_file())
        .unwrap_or_else(|| panic!("the seed guide {name} must be in ../shared/seeds/"));
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("the seed guide {name} must be readable: {e}"))
}

fn load(p: Platform) -> &'static Guide {
    guide::guide(p).unwrap_or_else(|e| panic!("{e}"))
}

/// How the written guide marks its administrator part and its section headings (the headings
/// exactly as the seed spells them; the seed's own jump list has typos, so it is not used).
struct SeedLayout {
    file: &'static str,
    start: &'static str,
    headings: &'static [&'static str],
    end: &'static str,
}

const M365_LAYOUT: SeedLayout = SeedLayout {
    file: M365_SEED,
    start: "Microsoft 365 Setup Instructions for Administrators",
    headings: &[
        "Create a Service Account User",
        "Grant Application Impersonation to the Service Account User",
        "Ensure Service Account User has a Password that Never Expires",
        "Register the MoxiEngage Application as an API Client",
        "Submit Credentials to MoxiEngage",
    ],
    end: "Tips and Further Information",
};

const EX_LAYOUT: SeedLayout = SeedLayout {
    file: EX_SEED,
    start: "Exchange 2016 Setup Instructions for Administrators",
    headings: &[
        "Create a Service Account User",
        "Grant Application Impersonation to the Service Account User",
        "Test Service Account Impersonation for MoxiEngage",
        "Submit Credentials to MoxiEngage",
    ],
    end: "Tips and Further Information",
};

/// The number of a numbered step line ("3. Click…", "- 4. Enter…"), if it is one.
fn step_number(line: &str) -> Option<u8> {
    let l = line.trim_start();
    let l = l.strip_prefix("- ").unwrap_or(l).trim_start();
    let digits: String = l.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 2 {
        return None;
    }
    let rest = &l[digits.len()..];
    let rest = rest.strip_prefix('.')?;
    if !rest.starts_with(' ') || rest.trim().is_empty() {
        return None;
    }
    digits.parse().ok()
}

/// Section number (1-based, in heading order) → the step numbers the seed shows in it.
fn seed_steps(layout: &SeedLayout) -> BTreeMap<u8, Vec<u8>> {
    let text = seed(layout.file);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == layout.start)
        .unwrap_or_else(|| panic!("{}: no line {:?}", layout.file, layout.start));
    let mut out: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    let mut section: Option<u8> = None;
    let mut next_heading = 0usize;
    let mut ended = false;
    for line in &lines[start + 1..] {
        let t = line.trim();
        if t == layout.end {
            ended = true;
            break;
        }
        if next_heading < layout.headings.len() && t == layout.headings[next_heading] {
            next_heading += 1;
            section = Some(next_heading as u8);
            out.insert(next_heading as u8, Vec::new());
            continue;
        }
        if let (Some(s), Some(n)) = (section, step_number(line)) {
            out.entry(s).or_default().push(n);
        }
    }
    assert!(ended, "{}: no end marker {:?}", layout.file, layout.end);
    assert_eq!(
        next_heading,
        layout.headings.len(),
        "{}: not every section heading was found in order",
        layout.file
    );
    out
}

fn our_steps(g: &Guide) -> BTreeMap<u8, Vec<u8>> {
    let mut out: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
    for (sec, sc) in g.screens() {
        out.entry(sec.number)
            .or_default()
            .extend(sc.steps.iter().map(|s| s.number));
    }
    for sec in &g.sections {
        out.entry(sec.number).or_default();
    }
    out
}

fn assert_mirrors_seed(p: Platform, layout: &SeedLayout) {
    let g = load(p);
    let seed = seed_steps(layout);
    let ours = our_steps(g);
    assert_eq!(
        seed.keys().collect::<Vec<_>>(),
        ours.keys().collect::<Vec<_>>(),
        "{}: sections differ from the seed",
        g.id
    );
    let section_numbers: Vec<u8> = g.sections.iter().map(|s| s.number).collect();
    assert_eq!(
        section_numbers,
        (1..=seed.len() as u8).collect::<Vec<_>>(),
        "{}: sections must be numbered 1..n in order",
        g.id
    );
    for (sec, seed_nums) in &seed {
        let our_nums = &ours[sec];
        // The seed's numbering is consecutive once it starts (one section drops the "1." of
        // its first bullet); make sure the extraction saw it so.
        for w in seed_nums.windows(2) {
            assert_eq!(w[1], w[0] + 1, "{}: seed section {sec} numbering", g.id);
        }
        let expected_max = seed_nums.last().copied().unwrap_or(1);
        assert_eq!(
            our_nums,
            &(1..=expected_max).collect::<Vec<_>>(),
            "{}: section {sec} must have steps 1..={expected_max} in order (seed shows {seed_nums:?})",
            g.id
        );
        for n in seed_nums {
            let step = GuideStep {
                platform: p,
                section: *sec,
                step: *n,
            };
            assert!(g.screen_of(step).is_some(), "{step} has no screen");
        }
    }
}

#[test]
fn both_guides_parse_and_match_their_platform() {
    for p in [Platform::Microsoft365, Platform::ExchangeServer] {
        let g = load(p);
        assert_eq!(g.platform, p);
        assert_eq!(g.id, p.guide_id());
        assert!(!g.intro.trim().is_empty() && !g.title.trim().is_empty());
        assert!(g.screen_count() > 0);
    }
}

#[test]
fn microsoft_365_mirrors_every_numbered_step_of_its_seed() {
    let seed = seed_steps(&M365_LAYOUT);
    // Sanity: the extraction finds the guide's well-known steps.
    assert_eq!(seed[&1], (1..=8).collect::<Vec<_>>());
    assert_eq!(seed[&4].last(), Some(&32));
    assert_mirrors_seed(Platform::Microsoft365, &M365_LAYOUT);
    assert!(
        GuideStep::parse("m365/4.30")
            .is_some_and(|s| load(Platform::Microsoft365).screen_of(s).is_some())
    );
}

#[test]
fn exchange_mirrors_every_numbered_step_of_its_seed() {
    let seed = seed_steps(&EX_LAYOUT);
    assert_eq!(seed[&3], (1..=11).collect::<Vec<_>>());
    assert_mirrors_seed(Platform::ExchangeServer, &EX_LAYOUT);
    assert!(
        GuideStep::parse("ex2016/2.4")
            .is_some_and(|s| load(Platform::ExchangeServer).screen_of(s).is_some())
    );
}

#[test]
fn screens_are_small_and_uniquely_named() {
    let mut ids = HashSet::new();
    for p in [Platform::Microsoft365, Platform::ExchangeServer] {
        let g = load(p);
        for (sec, sc) in g.screens() {
            assert!(ids.insert(sc.id.clone()), "duplicate screen id {}", sc.id);
            assert!(
                sc.id.starts_with(if p == Platform::Microsoft365 {
                    "m365-"
                } else {
                    "ex-"
                }),
                "{}",
                sc.id
            );
            assert!(!sc.steps.is_empty(), "{} has no steps", sc.id);
            assert!(sc.steps.len() <= 8, "{} has too many steps", sc.id);
            assert!(!sc.title.trim().is_empty());
            for st in &sc.steps {
                let text = st.text.trim();
                assert!(
                    !text.is_empty(),
                    "{}/{}.{} is empty",
                    g.id,
                    sec.number,
                    st.number
                );
                assert!(
                    text.chars().count() <= 320,
                    "{}/{}.{} is too long for one screen line budget ({} chars)",
                    g.id,
                    sec.number,
                    st.number,
                    text.chars().count()
                );
                // A sentence ends at . ! or ? followed by a space or the end (so the dots of
                // User.ReadWrite.All or contoso.com do not count).
                let chars: Vec<char> = text.chars().collect();
                let sentences = chars
                    .iter()
                    .enumerate()
                    .filter(|(i, c)| {
                        matches!(c, '.' | '!' | '?')
                            && chars
                                .get(i + 1)
                                .is_none_or(|n| n.is_whitespace() || *n == '"')
                    })
                    .count();
                assert!(
                    sentences <= 2,
                    "{}/{}.{} has {sentences} sentences; keep it to one or two",
                    g.id,
                    sec.number,
                    st.number
                );
            }
            if let Some(n) = &sc.note {
                assert!(
                    n.trim().chars().count() <= 300,
                    "note of {} is too long",
                    sc.id
                );
            }
        }
    }
}

/// The values each check needs before it can run (from the check sequence in PROTOCOL.md §8).
fn check_inputs(c: CheckId) -> &'static [FieldId] {
    use FieldId::*;
    const SIGN_IN: &[FieldId] = &[ServiceAccount, ServicePassword, Tenant, ClientId];
    const SIGN_IN_TEST: &[FieldId] = &[ServiceAccount, ServicePassword, Tenant, ClientId, TestUser];
    const BASIC: &[FieldId] = &[ServiceAccount, ServicePassword];
    const BASIC_TEST: &[FieldId] = &[ServiceAccount, ServicePassword, TestUser];
    match c {
        CheckId::M365Tenant => &[Tenant],
        CheckId::M365Realm => &[ServiceAccount],
        CheckId::M365Token
        | CheckId::M365Claims
        | CheckId::M365Ews
        | CheckId::M365ImpersonateSelf
        | CheckId::M365PasswordExpiry => SIGN_IN,
        CheckId::M365ImpersonateTestUser => SIGN_IN_TEST,
        CheckId::ExDiscover
        | CheckId::ExTls
        | CheckId::ExAuth
        | CheckId::ExSelf
        | CheckId::ExImpersonateSelf
        | CheckId::ExPasswordExpiry
        | CheckId::ExVersion => BASIC,
        CheckId::ExImpersonateTestUser => BASIC_TEST,
    }
}

#[test]
fn every_value_is_collected_once_before_the_checks_that_need_it() {
    for p in [Platform::Microsoft365, Platform::ExchangeServer] {
        let g = load(p);
        let mut collected: BTreeSet<FieldId> = BTreeSet::new();
        let mut seen_checks: Vec<CheckId> = Vec::new();
        for (_, sc) in g.screens() {
            for f in &sc.fields {
                assert!(collected.insert(*f), "{}: {f} is collected twice", g.id);
                assert!(
                    g.field_help(*f).is_some(),
                    "{}: {f} has no label/help",
                    g.id
                );
            }
            for c in &sc.checks {
                let id = CheckId::parse(c).unwrap_or_else(|| {
                    panic!("{}: screen {} names unknown check {c}", g.id, sc.id)
                });
                assert_eq!(
                    id.platform(),
                    p,
                    "{}: {c} belongs to the other platform",
                    g.id
                );
                assert!(!seen_checks.contains(&id), "{}: {c} attached twice", g.id);
                seen_checks.push(id);
                for need in check_inputs(id) {
                    assert!(
                        collected.contains(need),
                        "{}: {c} on screen {} runs before {need} is collected",
                        g.id,
                        sc.id
                    );
                }
            }
        }
        for f in Answers::required_fields(p) {
            assert!(
                collected.contains(f),
                "{}: required field {f} is never collected",
                g.id
            );
        }
        for c in CheckId::for_platform(p) {
            assert!(
                seen_checks.contains(c),
                "{}: check {c} is on no screen",
                g.id
            );
        }
        for help in &g.fields {
            assert!(
                collected.contains(&help.id),
                "{}: help for {} which no screen collects",
                g.id,
                help.id
            );
            assert!(!help.label.trim().is_empty() && !help.help.trim().is_empty());
            assert!(
                !help.placeholder.trim().is_empty(),
                "{}: {} needs a placeholder",
                g.id,
                help.id
            );
        }
    }
}

#[test]
fn the_microsoft_365_values_sit_where_the_guide_collects_them() {
    let g = load(Platform::Microsoft365);
    let at = |f: FieldId| {
        g.screens()
            .find(|(_, sc)| sc.fields.contains(&f))
            .map(|(sec, sc)| {
                (
                    sec.number,
                    sc.steps.iter().map(|s| s.number).collect::<Vec<_>>(),
                )
            })
            .unwrap_or_else(|| panic!("{f} is not collected"))
    };
    assert_eq!(at(FieldId::ServiceAccount).0, 1);
    assert_eq!(at(FieldId::ServicePassword).0, 1);
    let (s, steps) = at(FieldId::ClientId);
    assert!(
        s == 4 && steps.contains(&11),
        "client ID belongs with step 4.11"
    );
    let (s, steps) = at(FieldId::Tenant);
    assert!(
        s == 4 && steps.contains(&13),
        "tenant ID belongs with step 4.13"
    );
    assert_eq!(at(FieldId::TestUser).0, 5);
}

#[test]
fn every_script_named_exists_and_every_script_is_offered() {
    let mut offered = HashSet::new();
    for p in [Platform::Microsoft365, Platform::ExchangeServer] {
        let g = load(p);
        for (_, sc) in g.screens() {
            for s in &sc.scripts {
                assert!(scripts::get(s).is_some(), "{}: unknown script {s}", sc.id);
                offered.insert(s.clone());
            }
        }
    }
    for s in scripts::all() {
        assert!(
            offered.contains(s.name),
            "script {} is offered on no screen",
            s.name
        );
    }
}

#[test]
fn the_2026_platform_state_is_told() {
    let m = load(Platform::Microsoft365);
    let notices: String = m
        .notices
        .iter()
        .map(|n| format!("{} {}\n", n.title, n.text))
        .collect();
    for fact in [
        "ApplicationImpersonation",
        "2025",
        "2026-10-01",
        "EwsAllowedAppIDs",
        "2027-04-01",
        "GraphAPI",
        "Connect-MgGraph",
        "Update-MgUser",
        "Get-MgUser",
    ] {
        assert!(notices.contains(fact), "m365 notices must mention {fact}");
    }
    let ex = load(Platform::ExchangeServer);
    let notices: String = ex
        .notices
        .iter()
        .map(|n| format!("{} {}\n", n.title, n.text))
        .collect();
    for fact in [
        "2025-10-14",
        "Exchange Server Subscription Edition (SE)",
        "2019",
    ] {
        assert!(
            notices.contains(fact),
            "exchange notices must mention {fact}"
        );
    }
    // The retired AzureAD commands are named only as what the new ones replace.
    for (_, sc) in m.screens() {
        for st in &sc.steps {
            if st.text.contains("AzureAD") {
                assert!(
                    st.text.contains("replace")
                        || st.text.contains("place of")
                        || st.text.contains("retired"),
                    "m365 step {} tells the admin to use a retired module",
                    st.number
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// No copied sentences.

/// Shingle size: a run this many words long shared with a seed counts as copying.
const RUN: usize = 8;
/// A quoted label longer than this is not a label any more.
const MAX_QUOTED_WORDS: usize = 14;

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}' | '`')
}

/// The word runs of `text`, lower-cased, punctuation dropped. With `exempt_quotes`, quoted
/// passages (UI labels, commands) are left out and split the text around them.
fn segments(text: &str, exempt_quotes: bool) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    let mut word = String::new();
    let mut in_quote = false;
    let mut in_quoted_word = false;
    let mut quoted_words = 0usize;
    for c in text.chars() {
        if exempt_quotes && is_quote(c) {
            if !word.is_empty() {
                out.last_mut().unwrap().push(std::mem::take(&mut word));
            }
            if in_quote {
                assert!(
                    quoted_words <= MAX_QUOTED_WORDS,
                    "a quoted passage of {quoted_words} words is too long to be a label: {text}"
                );
            }
            in_quote = !in_quote;
            in_quoted_word = false;
            quoted_words = 0;
            out.push(Vec::new());
        } else if in_quote {
            let alnum = c.is_alphanumeric();
            if alnum && !in_quoted_word {
                quoted_words += 1;
            }
            in_quoted_word = alnum;
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            out.last_mut().unwrap().push(std::mem::take(&mut word));
        }
    }
    assert!(
        !in_quote,
        "unbalanced quotes (would hide text from this test): {text}"
    );
    if !word.is_empty() {
        out.last_mut().unwrap().push(word);
    }
    out.retain(|s| !s.is_empty());
    out
}

fn shingles(text: &str) -> HashSet<String> {
    let mut set = HashSet::new();
    for seg in segments(text, false) {
        for w in seg.windows(RUN) {
            set.insert(w.join(" "));
        }
    }
    set
}

/// Every piece of text a person reads in both guides, with where it comes from.
fn our_texts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in [Platform::Microsoft365, Platform::ExchangeServer] {
        let g = load(p);
        out.push((format!("{} title", g.id), g.title.clone()));
        out.push((format!("{} intro", g.id), g.intro.clone()));
        for n in &g.notices {
            out.push((
                format!("{} notice", g.id),
                format!("{}\n{}", n.title, n.text),
            ));
        }
        for sec in &g.sections {
            out.push((
                format!("{}/{} section", g.id, sec.number),
                format!("{}\n{}", sec.title, sec.intro),
            ));
            for sc in &sec.screens {
                out.push((format!("{} title", sc.id), sc.title.clone()));
                if let Some(n) = &sc.note {
                    out.push((format!("{} note", sc.id), n.clone()));
                }
                for st in &sc.steps {
                    out.push((
                        format!("{}/{}.{}", g.id, sec.number, st.number),
                        st.text.clone(),
                    ));
                }
            }
        }
        for f in &g.fields {
            out.push((
                format!("{} field {}", g.id, f.id),
                format!("{}\n{}\n{}", f.label, f.help, f.placeholder),
            ));
        }
    }
    for s in scripts::all() {
        let comments: String = s
            .template
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix('#'))
            .collect::<Vec<_>>()
            .join("\n");
        out.push((
            format!("script {}", s.name),
            format!("{}\n{comments}", s.title),
        ));
    }
    out
}

fn copied_runs(seed_set: &HashSet<String>, text: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for seg in segments(text, true) {
        for w in seg.windows(RUN) {
            let run = w.join(" ");
            if seed_set.contains(&run) {
                hits.push(run);
            }
        }
    }
    hits
}

#[test]
fn the_copy_detector_catches_a_copied_sentence() {
    let seed_set = shingles(&seed(M365_SEED));
    // A sentence lifted from the seed, recased and repunctuated.
    let lifted = "a SERVICE account user does not require a product license!";
    assert!(!copied_runs(&seed_set, lifted).is_empty());
    // The same words inside a quoted label are exempt...
    assert!(
        copied_runs(
            &seed_set,
            "Pick \"A service account user does not require a product license\"."
        )
        .is_empty()
    );
    // ...but quoting cannot be used to splice two halves of a copied sentence together.
    let spliced = "Ensure the correct location is selected, then mark the radio button \"next\"";
    assert!(!copied_runs(&seed_set, spliced).is_empty());
}

#[test]
fn no_sentence_of_the_seed_guides_is_copied() {
    let mut seed_set = shingles(&seed(M365_SEED));
    seed_set.extend(shingles(&seed(EX_SEED)));
    assert!(seed_set.len() > 1000, "the seeds were not read");
    let mut failures = Vec::new();
    for (place, text) in our_texts() {
        for run in copied_runs(&seed_set, &text) {
            failures.push(format!("{place}: \"{run}\""));
        }
    }
    assert!(
        failures.is_empty(),
        "runs of {RUN}+ words shared with a seed guide (reword them):\n{}",
        failures.join("\n")
    );
}
