//! Drawing: `view(&Wizard, &mut Frame)`. Pure: reads the state, writes the frame, nothing
//! else. Designed for 80×24; below that it asks for a larger window. Secrets are drawn as
//! bullets unless revealed (never in screen-share mode).

use super::keymap::{self, Ctx};
use super::model::{CheckState, Focus, Overlay, Page, StartChoice, Wizard};
use super::texts::texts;
use super::theme::{Theme, spinner};
use super::update::{ReviewItem, review_items, screen_script};
use crate::answers::{FieldId, FieldKind};
use crate::checks::{CheckId, Status};
use crate::guide::Guide;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use secrecy::ExposeSecret;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

const BULLET: char = '•';

/// Draws the whole wizard.
pub fn view(w: &Wizard, f: &mut Frame) {
    let t = Theme::new(w.opts.no_color);
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, &t);
        return;
    }
    let mut banners: Vec<Line> = Vec::new();
    if w.opts.demo.is_some() {
        let name = w.demo_scenario.as_deref().unwrap_or("");
        let text = if name.is_empty() {
            texts().banners.demo.clone()
        } else {
            format!("DEMO {name} · {}", texts().banners.demo_short)
        };
        banners.push(Line::styled(format!("▲ {text}"), t.banner()));
    }
    if w.opts.screen_share {
        banners.push(Line::styled(
            format!("▲ {}", texts().banners.screen_share),
            t.banner(),
        ));
    }
    let [header, sub, banner, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(banners.len() as u16),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(w, f, header, sub, &t);
    f.render_widget(Paragraph::new(banners), banner);
    match w.page {
        Page::Resume => page_resume(w, f, body, &t),
        Page::OpenBundle => page_open(w, f, body, &t),
        Page::DemoPicker => page_demo(w, f, body, &t),
        Page::Start => page_start(w, f, body, &t),
        Page::ThirdParty => page_text(f, body, &t, &texts().third_party),
        Page::NoEmail => page_text(f, body, &t, &texts().no_email),
        Page::Screen(_) => page_screen(w, f, body, &t),
        Page::Review => page_review(w, f, body, &t),
        Page::Export => page_export(w, f, body, &t),
    }
    if let Some(s) = &w.status {
        f.render_widget(
            Paragraph::new(Line::styled(format!("ℹ {s}"), t.title())),
            status,
        );
    }
    draw_footer(w, f, footer, &t);
    match &w.overlay {
        Overlay::None => {}
        Overlay::Help => draw_help(w, f, body, &t),
        Overlay::Details(scroll) => {
            let lines = super::details::problem_lines(w);
            draw_text_overlay(f, body, &t, &texts().details.title, &lines, *scroll);
        }
        Overlay::Script(scroll) => {
            let lines = super::details::script_lines(w);
            draw_text_overlay(f, body, &t, &texts().details.script_title, &lines, *scroll);
        }
        Overlay::GoTo(input) => {
            let r = centered(body, 50, 5);
            f.render_widget(Clear, r);
            let block = Block::bordered().title(Line::styled(" Go to step ", t.title()));
            let inner = block.inner(r);
            f.render_widget(block, r);
            let lines = vec![
                Line::raw(texts().status.goto_prompt.clone()),
                Line::from(vec![
                    Span::raw("› "),
                    Span::styled(input.value(), t.focus()),
                ]),
            ];
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
            let x = inner.x + 2 + input.visual_cursor() as u16;
            f.set_cursor_position(Position::new(x.min(inner.right()), inner.y + 1));
        }
    }
}

fn too_small(f: &mut Frame, area: Rect, t: &Theme) {
    let lines = vec![
        Line::styled(texts().small.text.clone(), t.title()),
        Line::raw(format!("It is {} × {} now.", area.width, area.height)),
    ];
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

fn platform_name(w: &Wizard) -> &str {
    w.guide().map(|g| g.title.as_str()).unwrap_or("moxi-setup")
}

fn draw_header(w: &Wizard, f: &mut Frame, header: Rect, sub: Rect, t: &Theme) {
    let (left, right) = match (w.page, w.screen()) {
        (Page::Screen(i), Some((sec, _))) => (
            format!(
                " Step {} of {} · {}. {}",
                i + 1,
                w.screen_count(),
                sec.number,
                sec.title
            ),
            platform_name(w).to_string(),
        ),
        (Page::Review, _) => (
            format!(" {}", texts().review.title),
            platform_name(w).to_string(),
        ),
        (Page::Export, _) => (
            format!(" {}", texts().export.title),
            platform_name(w).to_string(),
        ),
        _ => (
            " moxi-setup · MoxiEngage email setup".to_string(),
            String::new(),
        ),
    };
    let width = header.width as usize;
    let right = format!("{right} ");
    let left = truncate(&left, width.saturating_sub(right.chars().count() + 2));
    let pad = width.saturating_sub(left.chars().count() + right.chars().count());
    let text = format!("{left}{}{right}", " ".repeat(pad));
    f.render_widget(
        Paragraph::new(Line::styled(truncate(&text, width), t.header())),
        header,
    );
    if let (Page::Screen(i), Some((sec, sc))) = (w.page, w.screen()) {
        let range = Guide::step_range(sec, sc);
        let label = if sc.steps.len() > 1 {
            format!("Guide steps {range}")
        } else {
            format!("Guide step {range}")
        };
        let mut spans = vec![Span::styled(label, t.title()), Span::raw("  ")];
        spans.extend(stepper(w, i, width.saturating_sub(range.len() + 16), t));
        f.render_widget(Paragraph::new(Line::from(spans)), sub);
    }
}

/// `✔1 ✔2 ▸3 4 5`, windowed around the current screen when it does not fit.
fn stepper(w: &Wizard, current: usize, width: usize, t: &Theme) -> Vec<Span<'static>> {
    let n = w.screen_count();
    let mut items: Vec<(String, Style)> = Vec::new();
    let Some(g) = w.guide() else {
        return Vec::new();
    };
    for (i, (_, s)) in g.screens().enumerate() {
        let failed = s.checks.iter().filter_map(|c| CheckId::parse(c)).any(|c| {
            w.check_state(c)
                .report()
                .is_some_and(|r| r.status == Status::Fail)
        }) || s.fields.iter().any(|f| w.errors.contains_key(f));
        let (txt, style) = if i == current {
            (format!("▸{}", i + 1), t.focus())
        } else if failed {
            (format!("✘{}", i + 1), t.error())
        } else if i < current {
            (format!("✔{}", i + 1), t.pass())
        } else {
            (format!(" {}", i + 1), Style::new())
        };
        items.push((txt, style));
    }
    // Window the list so the current screen stays visible.
    let cell = 4usize;
    let fit = (width / cell).max(3);
    let (from, to) = if n <= fit {
        (0, n)
    } else {
        let from = current.saturating_sub(fit / 2).min(n - fit);
        (from, from + fit)
    };
    let mut spans = Vec::new();
    if from > 0 {
        spans.push(Span::raw("… "));
    }
    for (txt, style) in items.into_iter().take(to).skip(from) {
        spans.push(Span::styled(txt, style));
        spans.push(Span::raw(" "));
    }
    if to < n {
        spans.push(Span::raw("…"));
    }
    spans
}

fn draw_footer(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let ctx = Ctx::of(w);
    let items = keymap::footer(&ctx, area.width as usize);
    let mut spans = Vec::new();
    for (i, (label, short)) in items.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", t.dim()));
        }
        spans.push(Span::styled(*label, t.key()));
        spans.push(Span::raw(format!(" {short}")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_help(w: &Wizard, f: &mut Frame, body: Rect, t: &Theme) {
    let ctx = Ctx::of(&Wizard {
        overlay: Overlay::None,
        ..w.clone()
    });
    let rows = keymap::active(&ctx);
    let h = (rows.len() as u16 + 4).min(body.height);
    let r = centered(body, 72, h);
    f.render_widget(Clear, r);
    let block = Block::bordered().title(Line::styled(" Keys (any key closes) ", t.title()));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let mut lines = Vec::new();
    for b in rows {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", b.label), t.key()),
            Span::raw(b.help),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Enter/Tab and Esc never lose what you typed.",
        t.dim(),
    ));
    f.render_widget(Paragraph::new(lines), inner);
}

/// A large scrollable text box over the page (diagnosis details, the whole PowerShell).
fn draw_text_overlay(
    f: &mut Frame,
    body: Rect,
    t: &Theme,
    title: &str,
    content: &[(super::details::Kind, String)],
    scroll: u16,
) {
    use super::details::Kind;
    let r = body;
    f.render_widget(Clear, r);
    let block = Block::bordered()
        .title(Line::styled(format!(" {title} "), t.title()))
        .title_bottom(Line::styled(format!(" {} ", texts().details.keys), t.key()));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let lines: Vec<Line> = content
        .iter()
        .map(|(k, s)| match k {
            Kind::Heading => Line::styled(s.clone(), t.title()),
            Kind::Step => Line::styled(s.clone(), t.key()),
            Kind::Command => Line::styled(s.clone(), t.focus()),
            Kind::Text | Kind::Blank => Line::raw(s.clone()),
        })
        .collect();
    let total = wrapped_height(&lines, inner.width);
    let top = scroll.min(total.saturating_sub(inner.height));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((top, 0)),
        inner,
    );
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn page_text(f: &mut Frame, area: Rect, t: &Theme, p: &super::texts::Page) {
    let mut lines = vec![Line::styled(p.title.clone(), t.title()), Line::raw("")];
    lines.extend(p.text.lines().map(|l| Line::raw(l.to_string())));
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::new().padding(ratatui::widgets::Padding::horizontal(1))),
        area,
    );
}

fn page_resume(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let tx = &texts().resume;
    let mut lines = vec![
        Line::styled(tx.title.clone(), t.title()),
        Line::raw(""),
        Line::raw(tx.text.clone()),
        Line::raw(""),
    ];
    if let Some(d) = &w.pending_draft {
        let platform = d
            .platform
            .map(|p| w.guides.get(p).title.clone())
            .unwrap_or_else(|| "not chosen".into());
        lines.push(Line::raw(format!("  Platform: {platform}")));
        if !d.screen.is_empty() {
            let where_ = d
                .platform
                .and_then(|p| {
                    w.guides
                        .get(p)
                        .screens()
                        .find(|(_, s)| s.id == d.screen)
                        .map(|(sec, s)| {
                            format!("{} (guide {})", s.title, Guide::step_range(sec, s))
                        })
                })
                .unwrap_or_else(|| d.screen.clone());
            lines.push(Line::raw(format!("  Saved at: {where_}")));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(format!("› {}", tx.yes), t.focus()));
    lines.push(Line::raw(format!("  {}", tx.no)));
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// `--open`: the bundle's passphrase (masked unless revealed, never in screen-share), the
/// spinner while it is tried, and why it did not open.
fn page_open(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let tx = &texts().open;
    let Some(o) = &w.opening else { return };
    let area = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(2),
        ..area
    };
    let mut lines = vec![
        Line::styled(tx.title.clone(), t.title()),
        Line::raw(""),
        Line::raw(tx.intro.clone()),
        Line::styled(format!("  {}", o.path.display()), t.key()),
        Line::raw(""),
    ];
    let mut cursor = None;
    if !o.failed() {
        lines.push(Line::raw(tx.explain.clone()));
        lines.push(Line::raw(""));
        let typing = super::open::typing(w);
        let (label, field, x) = secret_box(w, &tx.passphrase, o.passphrase.as_ref(), typing, t);
        lines.push(label);
        if typing {
            let y = wrapped_height(&lines, area.width);
            cursor = Some((x, y));
        }
        lines.push(field);
        lines.push(Line::raw(""));
    }
    match &o.error {
        Some(e) => {
            lines.push(Line::styled(format!("✘ {}", e.message()), t.error()));
            let next = if o.failed() { &tx.cannot } else { &tx.again };
            lines.push(Line::raw(next.clone()));
        }
        None if o.busy => lines.push(Line::styled(
            format!("{} {}", spinner(w.spinner, w.opts.no_color), tx.busy),
            t.dim(),
        )),
        None => {}
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    if let Some((x, y)) = cursor
        && w.overlay_is_none()
        && y < area.height
    {
        f.set_cursor_position(Position::new(area.x + x, area.y + y));
    }
}

/// Width of a field box on the open and export pages, in characters.
const PAGE_BOX: usize = 40;

/// A passphrase field: its label line, its box (bullets unless revealed while focused, never
/// in screen-share; the end stays in view) and the cursor's column in the box line.
fn secret_box(
    w: &Wizard,
    label: &str,
    value: Option<&secrecy::SecretString>,
    focused: bool,
    t: &Theme,
) -> (Line<'static>, Line<'static>, u16) {
    let n = value
        .map(|v| v.expose_secret().chars().count())
        .unwrap_or(0);
    let shown: String = match value {
        Some(v) if focused && w.revealed && !w.opts.screen_share => v.expose_secret().to_string(),
        _ => std::iter::repeat_n(BULLET, n).collect(),
    };
    let visible: String = shown
        .chars()
        .skip((n + 1).saturating_sub(PAGE_BOX))
        .collect();
    let marker = if focused { "› " } else { "  " };
    let style = if focused { t.focus() } else { Style::new() };
    let x = 3 + visible.chars().count() as u16;
    (
        Line::styled(format!("{marker}{label}"), t.title()),
        Line::from(vec![
            Span::raw("  ["),
            Span::styled(format!("{visible:<PAGE_BOX$}"), style),
            Span::raw("]"),
        ]),
        x,
    )
}

/// " · from the bundle (2026-03-02)" after a result recorded in the opened bundle.
fn from_bundle(w: &Wizard) -> String {
    let date = w.opened.as_ref().map(|o| o.date()).unwrap_or_default();
    texts().checks.from_bundle.replace("{date}", &date)
}

fn list_line(selected: bool, text: String, t: &Theme) -> Line<'static> {
    if selected {
        Line::styled(format!("› {text}"), t.focus())
    } else {
        Line::raw(format!("  {text}"))
    }
}

fn page_demo(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let tx = &texts().demo;
    let [head, list, desc] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Min(3),
        Constraint::Length(4),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(vec![
            Line::styled(tx.title.clone(), t.title()),
            Line::raw(tx.intro.clone()),
        ])
        .wrap(Wrap { trim: false }),
        head,
    );
    if w.demo_scenarios.is_empty() {
        f.render_widget(Paragraph::new(Line::raw(tx.unavailable.clone())), list);
        return;
    }
    let h = list.height as usize;
    let top = (w.cursor + 1).saturating_sub(h);
    let lines: Vec<Line> = w
        .demo_scenarios
        .iter()
        .enumerate()
        .skip(top)
        .take(h)
        .map(|(i, s)| {
            let platform = w.guides.get(s.platform).title.clone();
            list_line(i == w.cursor, format!("{:<30} {platform}", s.name), t)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), list);
    if let Some(s) = w.demo_scenarios.get(w.cursor) {
        f.render_widget(
            Paragraph::new(Line::styled(s.description.clone(), t.dim())).wrap(Wrap { trim: false }),
            desc,
        );
    }
}

fn page_start(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let tx = &texts().start;
    let mut lines = vec![
        Line::styled(tx.title.clone(), t.title()),
        Line::raw(""),
        Line::raw(tx.intro.clone()),
        Line::raw(""),
    ];
    for (i, c) in tx.choices.iter().enumerate().take(StartChoice::ALL.len()) {
        lines.push(list_line(
            i == w.cursor,
            format!("{}) {}", i + 1, c.label),
            t,
        ));
        lines.push(Line::styled(format!("     {}", c.hint), t.dim()));
        lines.push(Line::raw(""));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::new().padding(ratatui::widgets::Padding::horizontal(1))),
        area,
    );
}

fn field_label(w: &Wizard, f: FieldId) -> String {
    w.guide()
        .and_then(|g| g.field_help(f))
        .map(|h| h.label.clone())
        .unwrap_or_else(|| f.as_str().replace('_', " "))
}

/// The value as shown: bullets for a secret unless revealed (and never in screen-share).
fn shown_value(w: &Wizard, f: FieldId, focused: bool) -> String {
    match f.kind() {
        FieldKind::Secret => {
            let s = w
                .answers
                .service_password
                .as_ref()
                .map(|s| s.expose_secret())
                .unwrap_or("");
            if focused && w.revealed && !w.opts.screen_share {
                s.to_string()
            } else {
                std::iter::repeat_n(BULLET, s.chars().count()).collect()
            }
        }
        FieldKind::YesNo => {
            if w.answers.ignore_tls_trust {
                "[x] yes".into()
            } else {
                "[ ] no".into()
            }
        }
        _ => w.field_text(f),
    }
}

fn page_screen(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let Some((sec, sc)) = w.screen() else { return };
    let has_right = !sc.checks.is_empty() || !sc.scripts.is_empty();
    let [left, right] = if has_right {
        Layout::horizontal([Constraint::Length(44), Constraint::Min(20)]).areas(area)
    } else {
        [area, Rect::default()]
    };

    // Fields at the bottom of the left column; the instructions take what is left.
    let mut field_lines: Vec<Line> = Vec::new();
    let mut cursor: Option<(u16, u16)> = None;
    let value_width = left.width.saturating_sub(4) as usize;
    for (i, fid) in sc.fields.iter().enumerate() {
        let focused = w.focus == Focus::Field(i);
        let marker = if focused { "› " } else { "  " };
        let label = field_label(w, *fid);
        field_lines.push(Line::styled(format!("{marker}{label}"), t.title()));
        let value = shown_value(w, *fid, focused);
        let (visible, cur) = scroll_value(w, *fid, &value, value_width);
        let padded = format!("{visible:<value_width$}");
        let style = if focused { t.focus() } else { Style::new() };
        let hint = w
            .guide()
            .and_then(|g| g.field_help(*fid))
            .map(|h| h.placeholder.clone())
            .unwrap_or_default();
        if value.is_empty() && !focused && !hint.is_empty() {
            field_lines.push(Line::from(vec![
                Span::raw("  ["),
                Span::styled(
                    format!("{:<value_width$}", truncate(&hint, value_width)),
                    t.dim(),
                ),
                Span::raw("]"),
            ]));
        } else {
            field_lines.push(Line::from(vec![
                Span::raw("  ["),
                Span::styled(padded, style),
                Span::raw("]"),
            ]));
        }
        if focused && fid.kind() != FieldKind::YesNo {
            cursor = Some((3 + cur as u16, field_lines.len() as u16 - 1));
        }
        if let Some(e) = w.errors.get(fid) {
            field_lines.push(Line::styled(format!("  ✘ {e}"), t.error()));
        }
    }
    let field_height = if field_lines.is_empty() {
        0
    } else {
        wrapped_height(&field_lines, left.width) + 1
    };
    let [instr, fields] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(field_height.min(left.height.saturating_sub(3))),
    ])
    .areas(left);

    let mut lines = vec![Line::styled(sc.title.clone(), t.title())];
    if let Some(n) = &sc.note {
        lines.push(Line::styled(format!("! {n}"), t.warn()));
    }
    for st in &sc.steps {
        lines.push(Line::from(vec![
            Span::styled(format!("{}.{} ", sec.number, st.number), t.key()),
            Span::raw(st.text.clone()),
        ]));
    }
    let total = wrapped_height(&lines, instr.width);
    let max_scroll = total.saturating_sub(instr.height);
    let scroll = w.scroll.min(max_scroll);
    if total > instr.height && scroll < max_scroll {
        // Leave a visible hint that there is more below.
        lines.push(Line::raw(""));
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        instr,
    );
    if total > instr.height && scroll < max_scroll && instr.height > 0 {
        let r = Rect::new(instr.x, instr.bottom() - 1, instr.width, 1);
        f.render_widget(Clear, r);
        f.render_widget(Paragraph::new(Line::styled("▼ more: PgDn", t.dim())), r);
    }
    if !field_lines.is_empty() {
        let r = Rect::new(
            fields.x,
            fields.y + 1,
            fields.width,
            fields.height.saturating_sub(1),
        );
        f.render_widget(Paragraph::new(field_lines).wrap(Wrap { trim: false }), r);
        if let Some((x, y)) = cursor
            && y < r.height
            && w.overlay_is_none()
        {
            f.set_cursor_position(Position::new(r.x + x, r.y + y));
        }
    }
    if has_right {
        draw_right(w, f, right, t);
    }
}

impl Wizard {
    fn overlay_is_none(&self) -> bool {
        matches!(self.overlay, Overlay::None)
    }
}

/// The part of a value that fits, and the cursor column inside it.
fn scroll_value(w: &Wizard, f: FieldId, value: &str, width: usize) -> (String, usize) {
    let cursor = match (f.kind(), w.inputs.get(&f)) {
        (FieldKind::Secret, _) | (FieldKind::YesNo, _) | (_, None) => value.chars().count(),
        (_, Some(i)) => i.visual_cursor(),
    };
    let skip = (cursor + 1).saturating_sub(width);
    let visible: String = value.chars().skip(skip).take(width).collect();
    (visible, cursor - skip)
}

fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let w = width.max(1) as usize;
    lines
        .iter()
        .map(|l| {
            let n = l.width();
            if n == 0 { 1 } else { n.div_ceil(w) as u16 }
        })
        .sum()
}

fn check_line(w: &Wizard, id: CheckId, t: &Theme) -> Vec<Line<'static>> {
    let tx = &texts().checks;
    let mut out = Vec::new();
    match w.check_state(id) {
        CheckState::NotRun => out.push(Line::from(vec![
            Span::raw("○ "),
            Span::raw(id.label().to_string()),
            Span::styled(format!(" — {}", tx.not_run), t.dim()),
        ])),
        CheckState::Running => out.push(Line::from(vec![
            Span::raw(format!("{} ", spinner(w.spinner, w.opts.no_color))),
            Span::raw(id.label().to_string()),
            Span::styled(format!(" — {}", tx.running), t.dim()),
        ])),
        CheckState::NotAvailable => out.push(Line::from(vec![
            Span::raw("– "),
            Span::raw(id.label().to_string()),
            Span::styled(format!(" — {}", tx.not_available), t.dim()),
        ])),
        CheckState::Done(r) | CheckState::Recorded(r) => {
            let (glyph, word, style) = match r.status {
                Status::Pass => ("✔", &tx.pass, t.pass()),
                Status::Warn => ("!", &tx.warn, t.warn()),
                Status::Fail => ("✘", &tx.fail, t.error()),
                Status::Skip => ("↷", &tx.skip, t.dim()),
            };
            let mut head = vec![
                Span::styled(format!("{glyph} "), style),
                Span::raw(id.label().to_string()),
                Span::styled(format!(" — {word}"), style),
            ];
            if matches!(w.check_state(id), CheckState::Recorded(_)) {
                head.push(Span::styled(format!(" · {}", from_bundle(w)), t.dim()));
            }
            out.push(Line::from(head));
            if matches!(r.status, Status::Fail | Status::Warn) {
                let mut detail = String::new();
                if !r.code.is_empty() {
                    detail.push_str(&r.code);
                    detail.push_str(": ");
                }
                detail.push_str(&r.summary);
                out.push(Line::raw(format!("  {detail}")));
                if let Some(s) = r.guide_step {
                    out.push(Line::styled(
                        format!("  → {} {} ({s})", tx.see_step, s.short()),
                        t.key(),
                    ));
                }
            } else if r.status == Status::Skip {
                out.push(Line::styled(format!("  {}", r.summary), t.dim()));
            }
        }
    }
    out
}

fn draw_right(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let Some((_, sc)) = w.screen() else { return };
    let checks = w.screen_checks();
    let mut check_lines: Vec<Line> = Vec::new();
    for c in &checks {
        check_lines.extend(check_line(w, *c, t));
    }
    if w.screen_problems()
        .iter()
        .any(|r| !r.detail.trim().is_empty() || r.command.is_some())
    {
        check_lines.push(Line::styled(
            format!("d: {}", texts().details.hint),
            t.key(),
        ));
    }
    if !w.checks_blocked.is_empty() {
        check_lines.push(Line::styled(texts().checks.needs_fields.clone(), t.warn()));
        for fid in &w.checks_blocked {
            check_lines.push(Line::raw(format!("  · {}", field_label(w, *fid))));
        }
    }
    if let Some(n) = &w.check_note {
        check_lines.push(Line::styled(n.clone(), t.dim()));
    }
    let inner_w = area.width.saturating_sub(2);
    let check_h = if checks.is_empty() {
        0
    } else {
        (wrapped_height(&check_lines, inner_w) + 2).min(area.height)
    };
    let [ca, pa] = Layout::vertical([Constraint::Length(check_h), Constraint::Min(0)]).areas(area);
    if !checks.is_empty() {
        let title = format!(" {} ", texts().checks.title);
        f.render_widget(
            Paragraph::new(check_lines)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(Line::styled(title, t.title()))),
            ca,
        );
    }
    if !sc.scripts.is_empty() && pa.height >= 3 {
        let shell = sc
            .scripts
            .iter()
            .find_map(|n| crate::guide::scripts::all().iter().find(|s| s.name == n))
            .map(|s| s.shell.title())
            .unwrap_or("PowerShell");
        let title = format!(" {} ", truncate(shell, pa.width.saturating_sub(4) as usize));
        // Only what fits is laid out (each line takes at least one row); `w` shows the rest.
        let rows = usize::from(pa.height.saturating_sub(2));
        let (body, more): (Vec<Line>, bool) = match screen_script(w) {
            Some(text) => {
                let mut it = text.lines();
                let body: Vec<Line> = it
                    .by_ref()
                    .take(rows)
                    .map(|l| Line::raw(l.to_string()))
                    .collect();
                (body, it.next().is_some())
            }
            None => (
                vec![Line::styled(
                    texts().powershell.unavailable.clone(),
                    t.dim(),
                )],
                false,
            ),
        };
        let cut =
            more || wrapped_height(&body, pa.width.saturating_sub(2)) > pa.height.saturating_sub(2);
        let bottom = if cut {
            " ▼ more: w · c copy · s save "
        } else {
            " c copy · s save "
        };
        f.render_widget(
            Paragraph::new(body).wrap(Wrap { trim: false }).block(
                Block::bordered()
                    .title(Line::styled(title, t.title()))
                    .title_bottom(Line::styled(bottom, t.key())),
            ),
            pa,
        );
    }
}

fn review_value(w: &Wizard, f: FieldId) -> String {
    let tx = &texts().review;
    match f.kind() {
        FieldKind::Secret => match &w.answers.service_password {
            Some(p) if !p.expose_secret().is_empty() => {
                format!("{} {}", "•".repeat(8), tx.password_set)
            }
            _ => tx.not_typed.clone(),
        },
        FieldKind::YesNo => shown_value(w, f, false),
        _ => {
            let v = w.field_text(f);
            if v.is_empty() {
                tx.not_typed.clone()
            } else {
                v
            }
        }
    }
}

/// A check's result as one review row shows it.
fn review_check_state(w: &Wizard, c: CheckId) -> String {
    match w.check_state(c) {
        CheckState::NotRun => format!("○ {}", texts().checks.not_run),
        CheckState::Running => format!("… {}", texts().checks.running),
        CheckState::NotAvailable => format!("– {}", texts().checks.not_available),
        CheckState::Done(r) | CheckState::Recorded(r) => match r.status {
            Status::Pass => format!("✔ {}", texts().checks.pass),
            Status::Warn => format!("! {}: {}", texts().checks.warn, r.summary),
            Status::Fail => format!(
                "✘ {} {}{}",
                texts().checks.fail,
                r.code,
                r.guide_step
                    .map(|g| format!(" → step {}", g.short()))
                    .unwrap_or_default()
            ),
            Status::Skip => format!("↷ {}", texts().checks.skip),
        },
    }
}

fn page_review(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let tx = &texts().review;
    let items = review_items(w);
    let row_width = (area.width as usize).saturating_sub(2);
    let mark = format!(" · {}", texts().checks.from_bundle_short);
    // A result recorded in an opened bundle keeps its "from the bundle" marker whole: the
    // label column gives way (for every check row alike, so the column stays straight).
    let label_width = items
        .iter()
        .filter_map(|it| match it {
            ReviewItem::Check(c) if matches!(w.check_state(*c), CheckState::Recorded(_)) => {
                Some(row_width.saturating_sub(
                    3 + review_check_state(w, *c).chars().count() + mark.chars().count(),
                ))
            }
            _ => None,
        })
        .min()
        .unwrap_or(38)
        .clamp(20, 38);
    let mut rows: Vec<Line> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let sel = i == w.cursor;
        let text = match it {
            ReviewItem::Field(fid) => {
                let err = if w.errors.contains_key(fid) || w.answers.validate(*fid).is_err() {
                    "✘"
                } else {
                    "✔"
                };
                format!(
                    "{err} {:<24} {}",
                    truncate(&field_label(w, *fid), 24),
                    review_value(w, *fid)
                )
            }
            ReviewItem::Check(c) => {
                let s = review_check_state(w, *c);
                let label = truncate(c.label(), label_width);
                if matches!(w.check_state(*c), CheckState::Recorded(_)) {
                    let room = row_width.saturating_sub(3 + label_width + mark.chars().count());
                    format!("  {label:<label_width$} {}{mark}", truncate(&s, room))
                } else {
                    format!("  {label:<label_width$} {s}")
                }
            }
            ReviewItem::Export => format!("▶ {}", tx.export_line),
        };
        rows.push(list_line(sel, truncate(&text, row_width), t));
    }
    let mut intro = vec![
        Line::styled(tx.title.clone(), t.title()),
        Line::raw(tx.intro.clone()),
    ];
    if let Some(o) = &w.opened
        && super::export::recorded_count(w) > 0
    {
        intro.push(Line::styled(
            tx.from_bundle_note.replace("{date}", &o.date()),
            t.dim(),
        ));
    }
    let head_h = wrapped_height(&intro, area.width);
    let [head, list] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Min(1)]).areas(area);
    f.render_widget(Paragraph::new(intro).wrap(Wrap { trim: false }), head);
    let h = list.height as usize;
    let top = (w.cursor + 1).saturating_sub(h);
    f.render_widget(
        Paragraph::new(rows.into_iter().skip(top).collect::<Vec<_>>()),
        list,
    );
}

fn page_export(w: &Wizard, f: &mut Frame, area: Rect, t: &Theme) {
    let tx = &texts().export;
    let mut lines = vec![Line::styled(tx.intro.clone(), t.title())];
    for it in review_items(w) {
        if let ReviewItem::Field(fid) = it {
            lines.push(Line::raw(format!(
                "  · {}: {}",
                field_label(w, fid),
                review_value(w, fid)
            )));
        }
    }
    let done = w.checks.values().filter(|c| c.report().is_some()).count();
    lines.push(Line::raw(format!("  · the results of {done} live checks")));
    let recorded = super::export::recorded_count(w);
    if let Some(o) = &w.opened
        && recorded > 0
    {
        lines.push(Line::styled(
            format!(
                "    ({})",
                tx.recorded
                    .replace("{count}", &recorded.to_string())
                    .replace("{date}", &o.date())
            ),
            t.dim(),
        ));
    }
    if let Some(warn) = super::export::warning(w) {
        lines.push(Line::styled(format!("⚠ {warn}"), t.warn()));
    }
    lines.push(Line::raw(""));
    if let Some(p) = &w.export.saved {
        lines.push(Line::styled(
            format!("✔ {} {}", tx.saved, p.display()),
            t.pass(),
        ));
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
        return;
    }
    lines.push(Line::raw(tx.explain.clone()));
    let width = PAGE_BOX;
    let mut cursor = None;
    for (i, (label, value)) in [
        (&tx.passphrase, &w.export.passphrase),
        (&tx.confirm, &w.export.confirm),
    ]
    .into_iter()
    .enumerate()
    {
        let focused = w.export.focus == i;
        let (label, field, x) = secret_box(w, label, value.as_ref(), focused, t);
        lines.push(label);
        lines.push(field);
        if focused {
            cursor = Some((x, lines.len() as u16 - 1));
        }
    }
    let focused = super::export::folder_focused(w);
    let folder = w.export.folder.value();
    let marker = if focused { "› " } else { "  " };
    lines.push(Line::styled(format!("{marker}{}", tx.folder), t.title()));
    let visible: String = folder
        .chars()
        .skip((folder.chars().count() + 1).saturating_sub(width))
        .collect();
    let style = if focused { t.focus() } else { Style::new() };
    lines.push(Line::from(vec![
        Span::raw("  ["),
        Span::styled(format!("{visible:<width$}"), style),
        Span::raw("]"),
    ]));
    if focused {
        cursor = Some((3 + visible.chars().count() as u16, lines.len() as u16 - 1));
    }
    let domain = w.answers.account_domain().unwrap_or_default();
    let name = super::export::file_name(w).unwrap_or_else(|| {
        format!(
            "moxiengage-{}-<today's date>.age",
            if domain.is_empty() { "bundle" } else { &domain }
        )
    });
    lines.push(Line::styled(
        format!("  {} {name}", tx.folder_hint),
        t.dim(),
    ));
    if let Some(p) = &w.export.exists {
        lines.push(Line::styled(format!("? {}", tx.exists), t.warn()));
        lines.push(Line::raw(format!("  {}", p.display())));
        cursor = None;
    }
    if let Some(e) = &w.export.error {
        lines.push(Line::styled(format!("✘ {e}"), t.error()));
    }
    if w.export.busy {
        lines.push(Line::styled(format!("… {}", tx.busy), t.dim()));
    }
    let height = wrapped_height(&lines, area.width);
    let skip = height.saturating_sub(area.height);
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((skip, 0)),
        area,
    );
    if let Some((x, y)) = cursor
        && w.overlay_is_none()
        && y >= skip
        && y - skip < area.height
    {
        f.set_cursor_position(Position::new(area.x + x, area.y + y - skip));
    }
}
