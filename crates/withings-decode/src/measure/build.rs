//! What both getmeas paths (the one pass and the wire model's) build their output with, so
//! that they merge and share the same way: the list of groups with its grpid merge, the
//! blocks their measures are stored in, and the shared copies of device ids and model names.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::Arc;

use super::{MeasureGroup, Measurement, ModelName, merge_attrib, merged};

/// What a group says of its device: shared by the groups of a response that say the same.
#[derive(Debug)]
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

/// A text of the response's [`Interner`]: the same text, the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Text(usize);

/// A `model` as the interner knows it: a name's text or a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum ModelKey {
    /// A model name.
    Name(Text),
    /// A model code.
    Code(i64),
}

/// What identifies a [`Device`] among those of a response: small and copied, so that finding
/// a group's device takes no reference count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(super) struct DeviceKey {
    /// `deviceid`.
    pub(super) id: Option<Text>,
    /// `hash_deviceid`.
    pub(super) hash_id: Option<Text>,
    /// `model`.
    pub(super) model: Option<ModelKey>,
    /// `modelid`.
    pub(super) model_id: Option<i64>,
}

/// Whether two texts are the same, the first eight bytes compared inline before the rest: the
/// ids of a user's devices differ there, and most comparisons are with another device's id.
fn same_text(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first_chunk::<8>() == b.first_chunk::<8>() && a == b
}

/// One shared copy of each device id, model name and [`Device`] of a response: a user has a
/// handful of devices, and a response repeats their ids (and hashed ids, often the same text),
/// model names and codes on every group. Texts are numbered ([`Text`]) and devices found by
/// their numbers ([`DeviceKey`]): a group clones one `Arc`, its device's.
#[derive(Debug, Default)]
pub(super) struct Interner {
    /// Every text, in the order first seen; the first `RECENT` are searched in order (a few
    /// devices: faster than hashing 40 bytes).
    texts: Vec<Arc<str>>,
    /// The texts beyond `RECENT`, so that a response naming thousands of devices stays
    /// linear.
    more: HashMap<Arc<str>, Text>,
    /// The first devices, searched in order, then the others.
    recent_devices: Vec<(DeviceKey, Arc<Device>)>,
    more_devices: HashMap<DeviceKey, Arc<Device>>,
}

impl Interner {
    /// How many texts and devices are searched one by one before the others are hashed.
    const RECENT: usize = 16;

    /// The text `id`, if `id` is UTF-8 and `accept`s it when it is new (a text seen before
    /// is only compared).
    pub(super) fn text_bytes(&mut self, id: &[u8], accept: fn(&[u8]) -> bool) -> Option<Text> {
        let recent = self.texts.get(..Self::RECENT).unwrap_or(&self.texts);
        if let Some(i) = recent.iter().position(|k| same_text(k.as_bytes(), id)) {
            return Some(Text(i));
        }
        let text = std::str::from_utf8(id).ok().filter(|_| accept(id))?;
        Some(self.text(text))
    }

    /// The text `id`.
    pub(super) fn text(&mut self, id: &str) -> Text {
        let recent = self.texts.get(..Self::RECENT).unwrap_or(&self.texts);
        if let Some(i) = recent.iter().position(|k| **k == *id) {
            return Text(i);
        }
        if let Some(known) = self.more.get(id) {
            return *known;
        }
        let new = Text(self.texts.len());
        let shared: Arc<str> = Arc::from(id);
        if self.texts.len() >= Self::RECENT {
            self.more.insert(Arc::clone(&shared), new);
        }
        self.texts.push(shared);
        new
    }

    /// The shared copy of a text.
    fn shared(&self, text: Text) -> Option<Arc<str>> {
        self.texts.get(text.0).map(Arc::clone)
    }

    /// The shared record of the device `key`; `None` when it says nothing (a manual entry).
    pub(super) fn device(&mut self, key: DeviceKey) -> Option<Arc<Device>> {
        if key == DeviceKey::default() {
            return None;
        }
        if let Some((_, known)) = self.recent_devices.iter().find(|(k, _)| *k == key) {
            return Some(Arc::clone(known));
        }
        if let Some(known) = self.more_devices.get(&key) {
            return Some(Arc::clone(known));
        }
        let new = Arc::new(Device {
            id: key.id.and_then(|t| self.shared(t)),
            hash_id: key.hash_id.and_then(|t| self.shared(t)),
            model: key.model.and_then(|m| match m {
                ModelKey::Name(t) => self.shared(t).map(ModelName::Name),
                ModelKey::Code(c) => Some(ModelName::Code(c)),
            }),
            model_id: key.model_id,
        });
        if self.recent_devices.len() < Self::RECENT {
            self.recent_devices.push((key, Arc::clone(&new)));
        } else {
            self.more_devices.insert(key, Arc::clone(&new));
        }
        Some(new)
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
    fn a_text_seen_again_is_the_same_text_and_allocation_beyond_the_recent_ones_too() {
        let mut ids = Interner::default();
        let names: Vec<String> = (0..40).map(|i| format!("{i:040x}")).collect();
        let first: Vec<Text> = names.iter().map(|n| ids.text(n)).collect();
        for (n, f) in names.iter().zip(&first) {
            assert_eq!(ids.text(n), *f, "{n}");
            assert_eq!(ids.text_bytes(n.as_bytes(), |_| true), Some(*f), "{n}");
            assert_eq!(ids.shared(*f).as_deref(), Some(n.as_str()));
        }
        assert_eq!((ids.texts.len(), ids.more.len()), (40, 24));
    }

    #[test]
    fn groups_of_one_device_share_its_record_beyond_the_recent_ones_too() {
        let mut ids = Interner::default();
        let device = |ids: &mut Interner, n: usize| {
            let id = ids.text(&format!("{n:040x}"));
            ids.device(DeviceKey {
                id: Some(id),
                hash_id: Some(id),
                model: Some(ModelKey::Code(13)),
                model_id: Some(13),
            })
        };
        let first: Vec<_> = (0..40).map(|n| device(&mut ids, n)).collect();
        for (n, f) in first.iter().enumerate() {
            let (Some(again), Some(f)) = (device(&mut ids, n), f) else {
                panic!("a device that says something is kept");
            };
            assert!(Arc::ptr_eq(&again, f), "{n}");
            assert_eq!(again.id.as_deref(), Some(format!("{n:040x}").as_str()));
            assert!(matches!(again.model, Some(ModelName::Code(13))));
        }
        assert!(ids.device(DeviceKey::default()).is_none());
        assert_eq!(
            (ids.recent_devices.len(), ids.more_devices.len()),
            (Interner::RECENT, 24)
        );
    }
}
