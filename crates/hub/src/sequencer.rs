//! Puts one session's committed events back into offset order before they are fanned out.
//! Pure bookkeeping (no I/O, no locks): the channel owns it and decides when to read the log.
//!
//! Events reach the hub out of order (two writers commit, then race to publish) or not at all
//! (a crashed node, a lost NOTIFY). Subscribers must see the session's log exactly as stored, so
//! the sequencer holds back anything that arrives early and reports the hole it leaves; the
//! channel then reads the missing range from the store and feeds it through [`Sequencer::accept`]
//! like any other event.

use curbside_domain::{Offset, StoredEvent};
use std::collections::BTreeMap;

/// The range the sequencer is waiting for: `count` events after `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Missing {
    pub after: Offset,
    pub count: i64,
}

#[derive(Debug)]
pub(crate) struct Sequencer {
    /// The next offset to deliver; `None` until the channel has read the log's head, because
    /// before that nobody can tell an early event from a late one.
    next: Option<Offset>,
    /// Events that arrived ahead of `next`, keyed by offset.
    pending: BTreeMap<Offset, StoredEvent>,
    /// The highest offset known to be committed (seen here or announced). Anything between
    /// `next` and it that is not pending must be read from the log.
    known_head: Offset,
    /// Bounds memory when a hole stays open: later events are dropped here and read back from
    /// the log once the hole is filled (they are all committed, so nothing is lost).
    max_pending: usize,
}

impl Sequencer {
    pub fn new(max_pending: usize) -> Sequencer {
        Sequencer {
            next: None,
            pending: BTreeMap::new(),
            known_head: Offset::START,
            max_pending: max_pending.max(1),
        }
    }

    /// Starts delivery after `head` (the log's newest offset when the channel opened) and
    /// delivers whatever was held back and follows on. Only the first call counts.
    pub fn start_after(&mut self, head: Offset, deliver: &mut impl FnMut(&StoredEvent)) {
        if self.next.is_some() {
            return;
        }
        self.next = Some(head.next());
        self.known_head = self.known_head.max(head);
        // Everything up to `head` was committed before any subscriber read the log, so
        // subscribers replay it themselves: drop it here.
        self.pending = self.pending.split_off(&head.next());
        self.drain(deliver);
    }

    /// Takes one committed event: delivers it (and whatever it unblocks) if it is the next one,
    /// holds it if it is early, drops it if it was already delivered.
    pub fn accept(&mut self, event: &StoredEvent, deliver: &mut impl FnMut(&StoredEvent)) {
        self.known_head = self.known_head.max(event.offset);
        match self.next {
            Some(next) if event.offset < next => {}
            Some(next) if event.offset == next => {
                deliver(event);
                self.next = Some(next.next());
                self.drain(deliver);
            }
            _ => {
                if self.pending.len() < self.max_pending {
                    self.pending.entry(event.offset).or_insert_with(|| event.clone());
                }
            }
        }
    }

    /// The offset of the last event delivered (everything up to it has gone to the
    /// subscribers in order); `None` before [`Sequencer::start_after`].
    pub fn delivered_through(&self) -> Option<Offset> {
        self.next.map(|next| Offset(next.0 - 1))
    }

    /// Records that the log has reached `head` without carrying the events (e.g. a bare
    /// notification from another node); the gap filler then reads them.
    pub fn observe_head(&mut self, head: Offset) {
        self.known_head = self.known_head.max(head);
    }

    /// The hole the sequencer is waiting on, if any.
    pub fn missing(&self) -> Option<Missing> {
        let next = self.next?;
        if self.known_head < next {
            return None;
        }
        // `drain` leaves no pending event at `next`, so the first one (if any) ends the hole.
        let end = self.pending.keys().next().map(|o| o.0 - 1).unwrap_or(self.known_head.0);
        Some(Missing { after: Offset(next.0 - 1), count: end - next.0 + 1 })
    }

    /// Forgets an announced head that the log turned out not to have (nothing pending beyond
    /// it), so the gap filler stops asking for it.
    pub fn forget_unconfirmed_head(&mut self) {
        if let (Some(next), None) = (self.next, self.pending.keys().next()) {
            self.known_head = Offset(next.0 - 1);
        }
    }

    fn drain(&mut self, deliver: &mut impl FnMut(&StoredEvent)) {
        while let Some(next) = self.next {
            match self.pending.first_key_value() {
                Some((offset, _)) if *offset < next => {
                    self.pending.pop_first();
                }
                Some((offset, _)) if *offset == next => {
                    if let Some((_, event)) = self.pending.pop_first() {
                        deliver(&event);
                    }
                    self.next = Some(next.next());
                }
                _ => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use curbside_domain::SessionId;

    fn ev(offset: i64) -> StoredEvent {
        StoredEvent {
            session_id: SessionId(1),
            offset: Offset(offset),
            at: 0,
            staff_json: format!("{{\"n\":{offset}}}"),
            public_json: None,
        }
    }

    fn feed(seq: &mut Sequencer, offsets: &[i64]) -> Vec<i64> {
        let mut out = Vec::new();
        for &o in offsets {
            seq.accept(&ev(o), &mut |e| out.push(e.offset.0));
        }
        out
    }

    #[test]
    fn in_order_events_pass_straight_through() {
        let mut seq = Sequencer::new(16);
        seq.start_after(Offset(3), &mut |_| panic!("nothing held back"));
        assert_eq!(feed(&mut seq, &[4, 5, 6]), vec![4, 5, 6]);
        assert_eq!(seq.missing(), None);
    }

    #[test]
    fn early_events_wait_for_the_missing_one() {
        let mut seq = Sequencer::new(16);
        seq.start_after(Offset(0), &mut |_| {});
        assert_eq!(feed(&mut seq, &[3, 2]), Vec::<i64>::new());
        assert_eq!(seq.missing(), Some(Missing { after: Offset(0), count: 1 }));
        assert_eq!(feed(&mut seq, &[1]), vec![1, 2, 3]);
        assert_eq!(seq.missing(), None);
    }

    #[test]
    fn duplicates_and_old_events_are_dropped() {
        let mut seq = Sequencer::new(16);
        seq.start_after(Offset(5), &mut |_| {});
        assert_eq!(feed(&mut seq, &[2, 5, 6, 6, 8, 8, 7]), vec![6, 7, 8]);
    }

    #[test]
    fn events_before_start_are_held_then_trimmed_to_the_head() {
        let mut seq = Sequencer::new(16);
        assert_eq!(feed(&mut seq, &[4, 5, 6]), Vec::<i64>::new());
        assert_eq!(seq.missing(), None, "no hole can be known before the start");
        let mut out = Vec::new();
        seq.start_after(Offset(4), &mut |e| out.push(e.offset.0));
        assert_eq!(out, vec![5, 6]);
    }

    #[test]
    fn the_hole_ends_at_the_first_held_event() {
        let mut seq = Sequencer::new(16);
        seq.start_after(Offset(10), &mut |_| {});
        feed(&mut seq, &[14, 17]);
        assert_eq!(seq.missing(), Some(Missing { after: Offset(10), count: 3 }));
    }

    #[test]
    fn overflowing_events_are_read_back_later() {
        let mut seq = Sequencer::new(2);
        seq.start_after(Offset(0), &mut |_| {});
        feed(&mut seq, &[2, 3, 4, 5]);
        // 4 and 5 were not kept, but the sequencer knows they exist.
        assert_eq!(seq.missing(), Some(Missing { after: Offset(0), count: 1 }));
        assert_eq!(feed(&mut seq, &[1]), vec![1, 2, 3]);
        assert_eq!(seq.missing(), Some(Missing { after: Offset(3), count: 2 }));
    }

    #[test]
    fn an_announced_head_opens_a_hole_until_forgotten() {
        let mut seq = Sequencer::new(4);
        seq.start_after(Offset(2), &mut |_| {});
        seq.observe_head(Offset(4));
        assert_eq!(seq.missing(), Some(Missing { after: Offset(2), count: 2 }));
        seq.forget_unconfirmed_head();
        assert_eq!(seq.missing(), None);
    }
}
