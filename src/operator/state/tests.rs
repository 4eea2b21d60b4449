use super::*;
use crate::model::SpecField;
use crate::plan::fixtures;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_epoch_millis(1_800_000_000_000 + seconds * 1000)
}

fn drift_event(name: &str, fields: &[SpecField], time: Timestamp) -> (ProblemKey, Event) {
    let mut event = Event::round_failed("placeholder", false, time);
    event.event = EventKind::DriftDetected;
    event.errors.clear();
    event.summary = format!("{name} drifted");
    event.case = Some(super::super::event::CaseRef {
        name: name.into(),
        case_id: Some("1234567890".into()),
    });
    event.fields = fields
        .iter()
        .map(|field| super::super::event::DriftedField {
            field: *field,
            cause: Cause::Drift,
            edits: vec![],
        })
        .collect();
    (ProblemKey::Drift(name.into()), event)
}

fn observed(problems: Vec<(ProblemKey, Event)>) -> Findings {
    Findings {
        problems,
        cases_observed: true,
    }
}

fn kinds(events: &[Event]) -> Vec<EventKind> {
    events.iter().map(|event| event.event).collect()
}

const DAY: Duration = Duration::from_hours(24);

#[test]
fn a_lasting_problem_is_told_once_then_reminded_then_resolved() {
    let mut tracker = Tracker::new(DAY);
    let drift = |time| drift_event("payroll", &[SpecField::Title], time);
    assert_eq!(
        kinds(&tracker.observe(observed(vec![drift(at(0))]), at(0))),
        [EventKind::DriftDetected]
    );
    for round in 1..100 {
        let events = tracker.observe(observed(vec![drift(at(round * 60))]), at(round * 60));
        assert!(events.is_empty(), "round {round}: {events:?}");
    }
    let reminded = tracker.observe(observed(vec![drift(at(86_400))]), at(86_400));
    assert_eq!(kinds(&reminded), [EventKind::Reminder]);
    assert_eq!(reminded[0].problem, Some(EventKind::DriftDetected));
    assert_eq!(reminded[0].since, Some(at(0)));
    assert!(
        tracker
            .observe(observed(vec![drift(at(86_460))]), at(86_460))
            .is_empty()
    );
    let resolved = tracker.observe(observed(vec![]), at(90_000));
    assert_eq!(kinds(&resolved), [EventKind::DriftResolved]);
    assert_eq!(resolved[0].since, Some(at(0)));
    assert!(tracker.observe(observed(vec![]), at(90_060)).is_empty());
}

#[test]
fn a_changed_problem_is_news_and_keeps_its_start() {
    let mut tracker = Tracker::new(DAY);
    tracker.observe(
        observed(vec![drift_event("payroll", &[SpecField::Title], at(0))]),
        at(0),
    );
    let wider = drift_event("payroll", &[SpecField::Title, SpecField::Watchers], at(60));
    let events = tracker.observe(observed(vec![wider]), at(60));
    assert_eq!(kinds(&events), [EventKind::DriftDetected]);
    assert_eq!(events[0].fields.len(), 2);
    assert_eq!(events[0].since, Some(at(0)));
}

#[test]
fn a_round_that_could_not_plan_leaves_case_problems_open() {
    let mut tracker = Tracker::new(DAY);
    tracker.observe(
        observed(vec![drift_event("payroll", &[SpecField::Title], at(0))]),
        at(0),
    );
    let unreachable = Findings {
        problems: vec![(
            ProblemKey::ServiceUnreachable,
            Event::service_unreachable("cannot reach the endpoint", false, at(60)),
        )],
        cases_observed: false,
    };
    assert_eq!(
        kinds(&tracker.observe(unreachable, at(60))),
        [EventKind::ServiceUnreachable]
    );
    assert_eq!(tracker.open_problems().count(), 2);
    let events = tracker.observe(observed(vec![]), at(120));
    assert_eq!(
        kinds(&events),
        [EventKind::DriftResolved, EventKind::ServiceRecovered]
    );
}

#[test]
fn each_case_has_the_state_of_its_most_urgent_field() {
    let plan = fixtures::sample_plan();
    let states = count_states(&plan);
    assert_eq!(states.len(), CaseState::ALL.len(), "every state is counted");
    assert_eq!(states.values().sum::<usize>(), plan.cases.len());
    let mut case = plan
        .cases
        .iter()
        .find(|case| case.has_changes() && case.error.is_none() && !case.changes.is_empty())
        .cloned()
        .unwrap();
    for change in &mut case.changes {
        change.cause = Some(Cause::Change);
    }
    assert_eq!(CaseState::of(&case), CaseState::PendingChange);
    case.changes[0].cause = Some(Cause::Drift);
    assert_eq!(CaseState::of(&case), CaseState::Drift);
    case.changes.last_mut().unwrap().cause = Some(Cause::Conflict);
    assert_eq!(CaseState::of(&case), CaseState::Conflict);
    case.error = Some("GetCase failed".into());
    assert_eq!(CaseState::of(&case), CaseState::Error);
    let mut unchanged = case.clone();
    unchanged.error = None;
    unchanged.requests.clear();
    assert_eq!(CaseState::of(&unchanged), CaseState::InSync);
}

#[test]
fn a_saved_tracker_picks_up_where_it_stopped() {
    let mut tracker = Tracker::new(DAY);
    let drift = |time| drift_event("payroll", &[SpecField::Title], time);
    tracker.observe(observed(vec![drift(at(0))]), at(0));
    let saved = tracker.to_json();

    let mut restarted = Tracker::from_json(&saved, DAY).unwrap();
    assert!(
        restarted
            .observe(observed(vec![drift(at(60))]), at(60))
            .is_empty(),
        "already told"
    );
    let reminded = restarted.observe(observed(vec![drift(at(86_400))]), at(86_400));
    assert_eq!(kinds(&reminded), [EventKind::Reminder]);
    assert_eq!(reminded[0].since, Some(at(0)), "the start survives");
    let mut again = Tracker::from_json(&saved, DAY).unwrap();
    assert_eq!(
        kinds(&again.observe(observed(vec![]), at(120))),
        [EventKind::DriftResolved]
    );

    for bad in ["", "{}", r#"{"formatVersion": 2, "open": []}"#] {
        assert!(Tracker::from_json(bad, DAY).is_err(), "{bad:?}");
    }
}
