//! The lookups other layers use to go from a check, a field or a step reference to a screen.

use moxi_setup::answers::{FieldId, Platform};
use moxi_setup::checks::CheckId;
use moxi_setup::guide::{self, Guide, GuideStep};

fn load(p: Platform) -> &'static Guide {
    guide::guide(p).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_step_reference_finds_its_screen_and_text() {
    let g = load(Platform::Microsoft365);
    let step = GuideStep::m365(4, 30);
    let (sec, sc, st) = g.step(step).unwrap_or_else(|| panic!("no {step}"));
    assert_eq!((sec.number, st.number), (4, 30));
    assert!(st.text.contains("Allow public client flows"));
    assert_eq!(g.screen_of(step), g.screen_by_id(&sc.id));
    assert!(g.step(GuideStep::m365(4, 33)).is_none());
    assert!(
        g.step(GuideStep::ex(2, 4)).is_none(),
        "the other guide's step"
    );
    let ex = load(Platform::ExchangeServer);
    let (_, _, st) = ex
        .step(GuideStep::ex(2, 4))
        .unwrap_or_else(|| panic!("no ex2016/2.4"));
    assert!(st.text.contains("Members"));
}

#[test]
fn every_check_and_field_leads_to_one_screen() {
    for p in [Platform::Microsoft365, Platform::ExchangeServer] {
        let g = load(p);
        for c in CheckId::for_platform(p) {
            let i = g
                .screen_running(c.as_str())
                .unwrap_or_else(|| panic!("{c} has no screen"));
            let (_, sc) = g.screens().nth(i).unwrap_or_else(|| unreachable!());
            assert!(sc.checks.iter().any(|x| x == c.as_str()));
        }
        for f in FieldId::ALL {
            if let Some(i) = g.screen_collecting(f) {
                let (_, sc) = g.screens().nth(i).unwrap_or_else(|| unreachable!());
                assert!(sc.fields.contains(&f));
            }
        }
        assert!(g.screen_by_id("no-such-screen").is_none());
        assert!(g.screen_running("no.such_check").is_none());
    }
    let g = load(Platform::Microsoft365);
    assert!(g.screen_collecting(FieldId::EwsUrl).is_none());
    assert_eq!(
        g.screen_collecting(FieldId::ClientId),
        g.screen_of(GuideStep::m365(4, 11))
    );
}
