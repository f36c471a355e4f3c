//! What both getmeas paths (the one pass and the wire model's) build their output with, so
//! that they merge and share the same way: the list of groups with its grpid merge, and the
//! shared copies of device ids and model names.

use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{MeasureGroup, merge_copy};

/// One shared copy of each device id and model name of a response: a user has a handful of
/// devices, and a response repeats their ids (and hashed ids, often the same text) and model
/// names on every group.
#[derive(Debug, Default)]
pub(super) struct Interner {
    /// The first ids seen, searched in order (a few devices: faster than hashing 40 bytes).
    recent: Vec<Arc<str>>,
    /// The ids beyond `RECENT`, so that a response naming thousands of devices stays linear.
    more: HashSet<Arc<str>>,
}

impl Interner {
    /// How many ids are searched one by one before the others are hashed.
    const RECENT: usize = 16;

    /// The shared copy of the id whose text is `id`, if `id` is UTF-8 and `accept`s it when
    /// it is new (an id seen before is only compared).
    pub(super) fn intern_bytes(
        &mut self,
        id: &[u8],
        accept: fn(&[u8]) -> bool,
    ) -> Option<Arc<str>> {
        if let Some(known) = self.recent.iter().find(|k| k.as_bytes() == id) {
            return Some(Arc::clone(known));
        }
        let text = std::str::from_utf8(id).ok().filter(|_| accept(id))?;
        Some(self.intern(text))
    }

    /// The shared copy of `id`.
    pub(super) fn intern(&mut self, id: &str) -> Arc<str> {
        if let Some(known) = self.recent.iter().find(|k| ***k == *id) {
            return Arc::clone(known);
        }
        if self.recent.len() < Self::RECENT {
            let new: Arc<str> = Arc::from(id);
            self.recent.push(Arc::clone(&new));
            return new;
        }
        if let Some(known) = self.more.get(id) {
            return Arc::clone(known);
        }
        let new: Arc<str> = Arc::from(id);
        self.more.insert(Arc::clone(&new));
        new
    }
}

/// The groups read so far, repeated grpids merged as they come into the first occurrence
/// (the module docs of [`measure`](super)).
#[derive(Debug)]
pub(super) struct GroupList {
    groups: Vec<MeasureGroup>,
    /// The order of the grpids while they are strictly monotonic (the usual order): then
    /// none can repeat, and no index is kept.
    direction: Option<Ordering>,
    /// grpid → position in `groups`, once the grpids stopped being monotonic.
    index: Option<HashMap<i64, usize>>,
}

impl GroupList {
    /// An empty list with room for `n` groups.
    pub(super) fn with_capacity(n: usize) -> Self {
        Self {
            groups: Vec::with_capacity(n),
            direction: None,
            index: None,
        }
    }

    /// Appends `g`, or merges it into the first group of its grpid.
    pub(super) fn push(&mut self, g: MeasureGroup) {
        if self.index.is_none()
            && let Some(last) = self.groups.last()
        {
            let order = last.grpid.cmp(&g.grpid);
            let monotonic = order != Ordering::Equal && self.direction.is_none_or(|d| d == order);
            if monotonic {
                self.direction = Some(order);
            } else {
                self.index = Some(
                    self.groups
                        .iter()
                        .enumerate()
                        .map(|(i, g)| (g.grpid, i))
                        .collect(),
                );
            }
        }
        if let Some(index) = &mut self.index {
            match index.entry(g.grpid) {
                Entry::Occupied(first) => {
                    if let Some(first) = self.groups.get_mut(*first.get()) {
                        merge_copy(first, g);
                    }
                    return;
                }
                Entry::Vacant(slot) => {
                    slot.insert(self.groups.len());
                }
            }
        }
        self.groups.push(g);
    }

    /// The groups so far, mutably (to set their zone when it comes after them).
    pub(super) fn groups_mut(&mut self) -> &mut [MeasureGroup] {
        &mut self.groups
    }

    /// The groups, in an allocation of their exact number.
    pub(super) fn into_groups(mut self) -> Vec<MeasureGroup> {
        self.groups.shrink_to_fit();
        self.groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_seen_again_is_the_same_allocation_beyond_the_recent_ones_too() {
        let mut ids = Interner::default();
        let names: Vec<String> = (0..40).map(|i| format!("{i:040x}")).collect();
        let first: Vec<Arc<str>> = names.iter().map(|n| ids.intern(n)).collect();
        for (n, f) in names.iter().zip(&first) {
            let again = ids.intern(n);
            assert!(Arc::ptr_eq(&again, f), "{n}");
            assert_eq!(&*again, n.as_str());
        }
        assert_eq!((ids.recent.len(), ids.more.len()), (Interner::RECENT, 24));
    }
}
