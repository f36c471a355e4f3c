//! What both getmeas paths (the one pass and the wire model's) build their output with, so
//! that they merge and share the same way: the list of groups with its grpid merge, the
//! blocks their measures are stored in, and the shared copies of device ids and model names.

use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::{MeasureGroup, Measurement, ModelName, merge_attrib, merged};

/// What a group says of its device: shared by the groups of a response that say the same.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Device {
    /// `deviceid`.
    pub(super) id: Option<Arc<str>>,
    /// `hash_deviceid`.
    pub(super) hash_id: Option<Arc<str>>,
    /// `model`.
    pub(super) model: Option<ModelName>,
    /// `modelid`.
    pub(super) model_id: Option<i64>,
}

/// Whether two texts are the same, the first eight bytes compared inline before the rest: the
/// ids of a user's devices differ there, and most comparisons are with another device's id.
fn same_text(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first_chunk::<8>() == b.first_chunk::<8>() && a == b
}

/// Whether two devices of one response are the same, their texts compared by pointer: the
/// [`Interner`] that made them holds one copy of each text.
fn same_device(a: &Device, b: &Device) -> bool {
    fn same(a: Option<&Arc<str>>, b: Option<&Arc<str>>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
    let model = match (&a.model, &b.model) {
        (Some(ModelName::Name(x)), Some(ModelName::Name(y))) => Arc::ptr_eq(x, y),
        (x, y) => x == y,
    };
    model
        && a.model_id == b.model_id
        && same(a.id.as_ref(), b.id.as_ref())
        && same(a.hash_id.as_ref(), b.hash_id.as_ref())
}

/// One shared copy of each device id, model name and [`Device`] of a response: a user has a
/// handful of devices, and a response repeats their ids (and hashed ids, often the same text),
/// model names and codes on every group.
#[derive(Debug, Default)]
pub(super) struct Interner {
    /// The first ids seen, searched in order (a few devices: faster than hashing 40 bytes).
    recent: Vec<Arc<str>>,
    /// The ids beyond `RECENT`, so that a response naming thousands of devices stays linear.
    more: HashSet<Arc<str>>,
    /// The same for the devices (their ids already shared: compared by pointer first).
    recent_devices: Vec<Arc<Device>>,
    more_devices: HashSet<Arc<Device>>,
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
        if let Some(known) = self.recent.iter().find(|k| same_text(k.as_bytes(), id)) {
            return Some(Arc::clone(known));
        }
        let text = std::str::from_utf8(id).ok().filter(|_| accept(id))?;
        Some(self.intern(text))
    }

    /// The shared copy of `device`; `None` when it says nothing (a manual entry).
    pub(super) fn device(&mut self, device: Device) -> Option<Arc<Device>> {
        if device.id.is_none()
            && device.hash_id.is_none()
            && device.model.is_none()
            && device.model_id.is_none()
        {
            return None;
        }
        if let Some(known) = self.recent_devices.iter().find(|k| same_device(k, &device)) {
            return Some(Arc::clone(known));
        }
        if self.recent_devices.len() < Self::RECENT {
            let new = Arc::new(device);
            self.recent_devices.push(Arc::clone(&new));
            return Some(new);
        }
        if let Some(known) = self.more_devices.get(&device) {
            return Some(Arc::clone(known));
        }
        let new = Arc::new(device);
        self.more_devices.insert(Arc::clone(&new));
        Some(new)
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

/// A group's measures: a range of a block of measures shared by the groups read together.
///
/// One allocation per [`BLOCK`] measures instead of one per group: the allocations, not the
/// bytes, were what made keeping the groups cost more than reading them (issue 15; the
/// measures themselves take the same room either way).
#[derive(Clone, Default)]
pub(super) struct Measures {
    /// The block; `None` only while the list is being built and the block is not sealed.
    block: Option<Arc<[Measurement]>>,
    start: usize,
    end: usize,
}

impl Measures {
    /// Measures in a block of their own (a merged group's).
    pub(super) fn own(measures: Vec<Measurement>) -> Self {
        let end = measures.len();
        Self {
            block: Some(measures.into()),
            start: 0,
            end,
        }
    }

    /// The measures, in response order.
    pub(super) fn as_slice(&self) -> &[Measurement] {
        self.block
            .as_deref()
            .and_then(|b| b.get(self.start..self.end))
            .unwrap_or(&[])
    }
}

impl fmt::Debug for Measures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// How many measures a block holds (128 KiB) before it is sealed and shared by its groups.
const BLOCK: usize = 4096;

/// The groups read so far, repeated grpids merged as they come into the first occurrence
/// (the module docs of [`measure`](super)), and the block their measures go to.
#[derive(Debug)]
pub(super) struct GroupList {
    groups: Vec<MeasureGroup>,
    /// The order of the grpids while they are strictly monotonic (the usual order): then
    /// none can repeat, and no index is kept.
    direction: Option<Ordering>,
    /// grpid → position in `groups`, once the grpids stopped being monotonic.
    index: Option<HashMap<i64, usize>>,
    /// The measures of the groups from `unsealed` on, not yet in a shared block.
    block: Vec<Measurement>,
    /// The first group whose measures are in `block`.
    unsealed: usize,
}

impl GroupList {
    /// An empty list with room for `n` groups.
    pub(super) fn with_capacity(n: usize) -> Self {
        Self {
            groups: Vec::with_capacity(n),
            direction: None,
            index: None,
            block: Vec::with_capacity(BLOCK + 64),
            unsealed: 0,
        }
    }

    /// Where the next group's measures are to be appended (from [`GroupList::block_len`]
    /// on) before the group is [pushed](GroupList::push).
    pub(super) fn block_mut(&mut self) -> &mut Vec<Measurement> {
        &mut self.block
    }

    /// How many measures the current block holds: where the next group's start.
    pub(super) fn block_len(&self) -> usize {
        self.block.len()
    }

    /// Appends `g`, whose measures are those of the block from `start` on, or merges it into
    /// the first group of its grpid.
    pub(super) fn push(&mut self, mut g: MeasureGroup, start: usize) {
        g.measures = Measures {
            block: None,
            start,
            end: self.block.len(),
        };
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
                    let first = *first.get();
                    self.merge(first, &g);
                    // The copy's measures are in the first group now.
                    self.block.truncate(start);
                    return;
                }
                Entry::Vacant(slot) => {
                    slot.insert(self.groups.len());
                }
            }
        }
        self.groups.push(g);
        if self.block.len() >= BLOCK {
            self.seal();
        }
    }

    /// The measures of `g`, a group of this list, sealed or not.
    fn measures_of<'a>(&'a self, g: &'a MeasureGroup) -> &'a [Measurement] {
        match g.measures.block {
            Some(_) => g.measures.as_slice(),
            None => self
                .block
                .get(g.measures.start..g.measures.end)
                .unwrap_or(&[]),
        }
    }

    /// Merges `copy` into the group at `first`, which gets a block of its own.
    fn merge(&mut self, first: usize, copy: &MeasureGroup) {
        let Some(g) = self.groups.get(first) else {
            return;
        };
        let measures = merged(self.measures_of(g), self.measures_of(copy));
        if let Some(g) = self.groups.get_mut(first) {
            merge_attrib(g, copy.attrib());
            g.measures = Measures::own(measures);
        }
    }

    /// Puts the current block's measures in a shared block, given to the groups that have
    /// their measures there.
    fn seal(&mut self) {
        if !self.block.is_empty() {
            let shared: Arc<[Measurement]> = Arc::from(self.block.as_slice());
            for g in self.groups.iter_mut().skip(self.unsealed) {
                if g.measures.block.is_none() {
                    g.measures.block = Some(Arc::clone(&shared));
                }
            }
            self.block.clear();
        }
        self.unsealed = self.groups.len();
    }

    /// The groups so far, mutably (to set their zone when it comes after them).
    pub(super) fn groups_mut(&mut self) -> &mut [MeasureGroup] {
        &mut self.groups
    }

    /// The groups, in an allocation of their exact number, their measures sealed.
    pub(super) fn into_groups(mut self) -> Vec<MeasureGroup> {
        self.seal();
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

    #[test]
    fn groups_of_one_device_share_its_record_beyond_the_recent_ones_too() {
        let mut ids = Interner::default();
        let device = |ids: &mut Interner, n: usize| {
            let id = ids.intern(&format!("{n:040x}"));
            ids.device(Device {
                id: Some(Arc::clone(&id)),
                hash_id: Some(id),
                model: Some(ModelName::Code(13)),
                model_id: Some(13),
            })
        };
        let first: Vec<_> = (0..40).map(|n| device(&mut ids, n)).collect();
        for (n, f) in first.iter().enumerate() {
            let (Some(again), Some(f)) = (device(&mut ids, n), f) else {
                panic!("a device that says something is kept");
            };
            assert!(Arc::ptr_eq(&again, f), "{n}");
        }
        let manual = Device {
            id: None,
            hash_id: None,
            model: None,
            model_id: None,
        };
        assert!(ids.device(manual).is_none());
        assert_eq!(
            (ids.recent_devices.len(), ids.more_devices.len()),
            (Interner::RECENT, 24)
        );
    }
}
