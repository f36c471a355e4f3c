//! The mutator of `cargo xtask fuzz`: a deterministic PRNG, an order-preserving JSON tree, and
//! structure-aware mutations that keep inputs near-valid, plus byte-level ones.
//!
//! Inputs stay close to the fixtures so that they get past the envelope and the wire model and
//! reach the domain conversions: most mutations change one or a few values of a parsed fixture
//! (a type swapped, an extreme number, a date that does not exist, a time zone nobody has
//! heard of, a key removed, repeated or borrowed from another fixture), and only some of the
//! inputs are then damaged byte by byte (truncated, a bit flipped, invalid UTF-8, a BOM).

use std::fmt;

/// splitmix64: tiny, fast and good enough to drive mutations; the same seed always gives the
/// same sequence on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }

    /// One of `items`, which must not be empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// The generator of input number `index` of an entry point: every input can be made again
    /// from `(seed, entry, index)` alone, without the ones before it.
    #[must_use]
    pub fn for_input(seed: u64, entry: &str, index: u64) -> Self {
        // FNV-1a of the entry name, so that entry points do not share their inputs.
        let name = entry.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Self::new(mix(mix(seed ^ name).wrapping_add(index)))
    }
}

/// The splitmix64 finaliser.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A JSON document that keeps what `serde_json::Value` would lose here: the order of keys (the
/// envelope parser reads `status` before `body`, and takes another path when `body` comes
/// first), repeated keys, and text that is not valid JSON at all ([`Node::Raw`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Num(String),
    /// A string (unescaped).
    Str(String),
    /// Written out verbatim: odd escapes, lone surrogates, broken literals.
    Raw(String),
    /// An array.
    Arr(Vec<Node>),
    /// An object, in key order, repeats allowed.
    Obj(Vec<(String, Node)>),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Num(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Num(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Num(
            serde_json::Number::from_f64(v).map_or_else(|| "0".to_owned(), |n| n.to_string()),
        ))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Arr(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Node>()? {
            entries.push(entry);
        }
        Ok(Node::Obj(entries))
    }
}

/// How a [`Node`] is written out.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// `\/` for every slash, as Withings writes URLs and zone names (the wire model must then
    /// take owned strings, not borrowed ones).
    pub escape_slashes: bool,
    /// Every non-ASCII character as `\uXXXX` (surrogate pairs beyond the BMP).
    pub escape_unicode: bool,
    /// Spaces and newlines between tokens.
    pub spaced: bool,
}

impl Node {
    /// The JSON text.
    #[must_use]
    pub fn to_json(&self, style: Style) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out, style);
        out
    }

    fn write(&self, out: &mut Vec<u8>, style: Style) {
        let gap: &[u8] = if style.spaced { b" \n\t" } else { b"" };
        match self {
            Self::Null => out.extend_from_slice(b"null"),
            Self::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Self::Num(n) | Self::Raw(n) => out.extend_from_slice(n.as_bytes()),
            Self::Str(s) => write_str(out, s, style),
            Self::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(gap);
                    item.write(out, style);
                }
                out.push(b']');
            }
            Self::Obj(entries) => {
                out.push(b'{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(gap);
                    write_str(out, k, style);
                    out.push(b':');
                    out.extend_from_slice(gap);
                    v.write(out, style);
                }
                out.push(b'}');
            }
        }
    }

    /// The number of nodes (this one included).
    #[must_use]
    pub fn count(&self) -> usize {
        1 + match self {
            Self::Arr(items) => items.iter().map(Self::count).sum(),
            Self::Obj(entries) => entries.iter().map(|(_, v)| v.count()).sum(),
            _ => 0,
        }
    }

    /// Node number `n` in pre-order (0 is this one).
    fn nth_mut(&mut self, n: &mut usize) -> Option<&mut Self> {
        if *n == 0 {
            return Some(self);
        }
        *n -= 1;
        let children: Box<dyn Iterator<Item = &mut Self>> = match self {
            Self::Arr(items) => Box::new(items.iter_mut()),
            Self::Obj(entries) => Box::new(entries.iter_mut().map(|(_, v)| v)),
            _ => return None,
        };
        for child in children {
            let size = child.count();
            if *n < size {
                return child.nth_mut(n);
            }
            *n -= size;
        }
        None
    }

    fn visit(&self, f: &mut dyn FnMut(Option<&str>, &Self)) {
        match self {
            Self::Arr(items) => items.iter().for_each(|i| {
                f(None, i);
                i.visit(f);
            }),
            Self::Obj(entries) => entries.iter().for_each(|(k, v)| {
                f(Some(k), v);
                v.visit(f);
            }),
            _ => {}
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str, style: Style) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' if style.escape_slashes => out.extend_from_slice(b"\\/"),
            '\n' => out.extend_from_slice(b"\\n"),
            c if (c as u32) < 0x20 || (style.escape_unicode && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// What the inputs of an entry point are: JSON responses or notification forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A whole response, `{"status":…,"body":…}`.
    Json,
    /// An `application/x-www-form-urlencoded` notification body.
    Form,
}

impl Format {
    /// The file extension of inputs of this format.
    #[must_use]
    pub const fn ext(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Form => "form",
        }
    }
}

/// One corpus file: its bytes and, when it parses, its tree or form pairs.
#[derive(Debug, Clone)]
struct Seed {
    raw: Vec<u8>,
    tree: Option<Node>,
    pairs: Vec<(String, String)>,
}

/// The fixtures of one entry point, with what mutations borrow from them: every key seen, and
/// the small values seen under each key.
#[derive(Debug, Clone)]
pub struct Corpus {
    format: Format,
    seeds: Vec<Seed>,
    keys: Vec<String>,
    fields: Vec<(String, Node)>,
}

/// The largest input generated; larger results are cut to this (itself a truncation). It keeps
/// one input under a few milliseconds even in the dev profile.
pub const MAX_INPUT: usize = 256 * 1024;

impl Corpus {
    /// A corpus of `files` (their contents), in the given format. Files that do not parse
    /// (fixtures truncated on purpose) only get byte-level mutations.
    #[must_use]
    pub fn new(format: Format, files: Vec<Vec<u8>>) -> Self {
        let mut keys = Vec::new();
        let mut fields = Vec::new();
        let seeds = files
            .into_iter()
            .map(|raw| {
                let mut seed = Seed {
                    tree: None,
                    pairs: Vec::new(),
                    raw,
                };
                match format {
                    Format::Json => {
                        let raw = seed.raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&seed.raw);
                        seed.tree = serde_json::from_slice::<Node>(raw).ok();
                        if let Some(tree) = &seed.tree {
                            tree.visit(&mut |key, value| {
                                if let Some(k) = key {
                                    keys.push(k.to_owned());
                                    if value.count() <= 8 {
                                        fields.push((k.to_owned(), value.clone()));
                                    }
                                }
                            });
                        }
                    }
                    Format::Form => {
                        seed.pairs = String::from_utf8_lossy(&seed.raw)
                            .trim_end()
                            .split('&')
                            .filter(|p| !p.is_empty())
                            .map(|p| {
                                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                                (k.to_owned(), v.to_owned())
                            })
                            .collect();
                        for (k, v) in &seed.pairs {
                            keys.push(k.clone());
                            fields.push((k.clone(), Node::Str(v.clone())));
                        }
                    }
                }
                seed
            })
            .collect();
        keys.sort();
        keys.dedup();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields.dedup();
        Self {
            format,
            seeds,
            keys,
            fields,
        }
    }

    /// The number of corpus files.
    #[must_use]
    pub fn len(&self) -> usize {
        self.seeds.len()
    }

    /// Whether there are no corpus files.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.seeds.is_empty()
    }

    /// The input number `index` of entry `entry` for `seed`: always the same bytes.
    #[must_use]
    pub fn input(&self, seed: u64, entry: &str, index: u64) -> Vec<u8> {
        let mut rng = Rng::for_input(seed, entry, index);
        self.generate(&mut rng)
    }

    /// One mutated input.
    pub fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        if self.seeds.is_empty() {
            return Vec::new();
        }
        let seed = rng.pick(&self.seeds);
        let structured = match self.format {
            Format::Json => seed.tree.is_some(),
            Format::Form => true,
        };
        // 1 in 8 inputs: bytes only; else structural, and then bytes as well for 1 in 4.
        let mut out = if !structured || rng.chance(1, 8) {
            let mut bytes = seed.raw.clone();
            mutate_bytes(&mut bytes, rng);
            bytes
        } else {
            let mut bytes = match (self.format, &seed.tree) {
                (Format::Json, Some(tree)) => self.mutate_json(tree, rng),
                _ => self.mutate_form(&seed.pairs, rng),
            };
            if rng.chance(1, 4) {
                mutate_bytes(&mut bytes, rng);
            }
            bytes
        };
        out.truncate(MAX_INPUT);
        out
    }

    fn mutate_json(&self, tree: &Node, rng: &mut Rng) -> Vec<u8> {
        let mut tree = tree.clone();
        let rounds = 1 + rng.below(3) + usize::from(rng.chance(1, 4)) * rng.below(6);
        for _ in 0..rounds {
            let mut n = rng.below(tree.count());
            if let Some(node) = tree.nth_mut(&mut n) {
                self.mutate_node(node, rng);
            }
        }
        // Status fixtures stop at the status: often make them successes, so their bodies (an
        // array, an error text) are decoded too.
        if rng.chance(1, 5)
            && let Node::Obj(entries) = &mut tree
        {
            for (k, v) in entries.iter_mut() {
                if k == "status" {
                    *v = Node::Num("0".to_owned());
                }
            }
        }
        let style = Style {
            escape_slashes: rng.chance(1, 2),
            escape_unicode: rng.chance(1, 8),
            spaced: rng.chance(1, 16),
        };
        tree.to_json(style)
    }

    fn mutate_node(&self, node: &mut Node, rng: &mut Rng) {
        match rng.below(20) {
            // Any other type, or an extreme value of any type.
            0..=4 => *node = any_value(rng),
            // A value seen somewhere in the corpus (right shape, wrong place).
            5..=6 if !self.fields.is_empty() => *node = rng.pick(&self.fields).1.clone(),
            // Deep nesting, around serde_json's limit of 128.
            7 => {
                let depth = *rng.pick(&[1, 2, 3, 16, 126, 127, 128, 129, 300]);
                let key = self.key(rng);
                let mut inner = std::mem::replace(node, Node::Null);
                for _ in 0..depth {
                    inner = if rng.chance(1, 2) {
                        Node::Arr(vec![inner])
                    } else {
                        Node::Obj(vec![(key.clone(), inner)])
                    };
                }
                *node = inner;
            }
            // Escapes that a plain string cannot express.
            8 => *node = Node::Raw((*rng.pick(RAW_STRINGS)).to_owned()),
            // Same type, different value.
            _ => match node {
                Node::Null => *node = any_value(rng),
                Node::Bool(b) => {
                    *node = match rng.below(3) {
                        0 => Node::Bool(!*b),
                        1 => Node::Num(u8::from(*b).to_string()),
                        _ => Node::Str(b.to_string()),
                    }
                }
                Node::Num(n) => *node = mutate_number(n, rng),
                Node::Str(s) => mutate_string(s, rng),
                Node::Raw(_) => *node = any_value(rng),
                Node::Arr(items) => self.mutate_array(items, rng),
                Node::Obj(entries) => self.mutate_object(entries, rng),
            },
        }
    }

    fn key(&self, rng: &mut Rng) -> String {
        if self.keys.is_empty() || rng.chance(1, 8) {
            (*rng.pick(ODD_KEYS)).to_owned()
        } else {
            rng.pick(&self.keys).clone()
        }
    }

    fn mutate_array(&self, items: &mut Vec<Node>, rng: &mut Rng) {
        let len = items.len();
        match rng.below(8) {
            0 => shuffle(items, rng),
            1 if len > 0 => {
                items.remove(rng.below(len));
            }
            2 if len > 0 => {
                // The same item many times (a large page, duplicates to merge).
                let item = items[rng.below(len)].clone();
                let times = *rng.pick(&[1, 2, 10, 100, 1000]);
                let at = rng.below(len + 1);
                items.splice(at..at, std::iter::repeat_n(item, times));
            }
            3 => items.clear(),
            4 if len > 0 => {
                let mut item = items[rng.below(len)].clone();
                self.mutate_node(&mut item, rng);
                items.insert(rng.below(len + 1), item);
            }
            5 => items.reverse(),
            6 => items.insert(rng.below(len + 1), any_value(rng)),
            _ => items.truncate(rng.below(len + 1)),
        }
    }

    fn mutate_object(&self, entries: &mut Vec<(String, Node)>, rng: &mut Rng) {
        let len = entries.len();
        match rng.below(8) {
            0 | 1 if len > 0 => {
                entries.remove(rng.below(len));
            }
            2 => {
                // A key from elsewhere in the corpus, with a value seen under it.
                let (key, value) = if !self.fields.is_empty() && rng.chance(3, 4) {
                    rng.pick(&self.fields).clone()
                } else {
                    (self.key(rng), any_value(rng))
                };
                entries.insert(rng.below(len + 1), (key, value));
            }
            3 if len > 0 => {
                // The same key twice, the second with the same or another value.
                let (key, mut value) = entries[rng.below(len)].clone();
                if rng.chance(1, 2) {
                    self.mutate_node(&mut value, rng);
                }
                entries.insert(rng.below(len + 1), (key, value));
            }
            4 if len > 0 => {
                let i = rng.below(len);
                entries[i].0 = match rng.below(3) {
                    0 => entries[i].0.to_uppercase(),
                    1 => format!("{} ", entries[i].0),
                    _ => self.key(rng),
                };
            }
            5 => shuffle(entries, rng),
            6 => entries.clear(),
            _ if len > 0 => {
                let i = rng.below(len);
                self.mutate_node(&mut entries[i].1, rng);
            }
            _ => entries.push((self.key(rng), any_value(rng))),
        }
    }

    fn mutate_form(&self, pairs: &[(String, String)], rng: &mut Rng) -> Vec<u8> {
        let mut pairs = pairs.to_vec();
        let rounds = 1 + rng.below(3);
        for _ in 0..rounds {
            let len = pairs.len();
            match rng.below(10) {
                0..=3 if len > 0 => {
                    let i = rng.below(len);
                    pairs[i].1 = form_value(&pairs[i].1, rng);
                }
                4 if len > 0 => {
                    pairs.remove(rng.below(len));
                }
                5 if len > 0 => {
                    // Repeated, with the same or another value.
                    let (k, mut v) = pairs[rng.below(len)].clone();
                    if rng.chance(1, 2) {
                        v = form_value(&v, rng);
                    }
                    pairs.insert(rng.below(len + 1), (k, v));
                }
                6 => {
                    let key = self.key(rng);
                    pairs.insert(rng.below(len + 1), (key, form_value("", rng)));
                }
                7 if len > 0 => {
                    let i = rng.below(len);
                    pairs[i].0 = match rng.below(4) {
                        0 => pairs[i].0.to_uppercase(),
                        1 => percent_encode_all(&pairs[i].0),
                        2 => format!("{}%00", pairs[i].0),
                        _ => self.key(rng),
                    };
                }
                8 => shuffle(&mut pairs, rng),
                _ => pairs.push(((*rng.pick(ODD_KEYS)).to_owned(), form_value("", rng))),
            }
        }
        let sep = *rng.pick(&["&", "&", "&", "&", "&&", ";", "&amp;"]);
        let mut out = pairs
            .iter()
            .map(|(k, v)| match rng.below(24) {
                0 => k.clone(),
                1 => format!("{k}=={v}"),
                _ => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(sep)
            .into_bytes();
        if rng.chance(1, 4) {
            out.push(b'\n');
        }
        out
    }
}

fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// Numbers at the edges of what the wire model and the conversions accept.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.1",
    "-0.0",
    "1.5",
    "1.0",
    "1e2",
    "1E+2",
    "1e308",
    "-1e308",
    "1e309",
    "1e-308",
    "5e-324",
    "1e400",
    "127",
    "128",
    "-129",
    "255",
    "256",
    "32767",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "-9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    // Timestamps: the ends of jiff's range and just past them, milliseconds, 2038, 9999.
    "253402207200",
    "253402300799",
    "253402300800",
    "-377705116800",
    "-377705116801",
    "1717429800000",
    "2147483647",
    "-62135596800",
    // Units and powers of ten around MAX_EXPONENT.
    "64",
    "65",
    "-64",
    "-65",
    "-99",
];

/// Strings that mean something to some decoder: numbers as text, dates, zones, URLs, huge.
const STRINGS: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "70005",
    "-3",
    "1e3",
    "0x1F",
    " 12",
    "12 ",
    "+5",
    "00012",
    "9223372036854775808",
    "-9223372036854775809",
    "NaN",
    "Infinity",
    "1.5",
    "true",
    "null",
    // Dates.
    "2024-06-03",
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-13-01",
    "2024-00-10",
    "0000-01-01",
    "9999-12-31",
    "-9999-01-01",
    "+10000-01-01",
    "2024-6-3",
    "20240603",
    "2024/06/03",
    "2024-06-03T10:00:00Z",
    "2024-06-03 ",
    "２０２４-06-03",
    // Time zones that exist, odd ones, and ones that do not.
    "Europe/Berlin",
    "Europe/Paris",
    "UTC",
    "Etc/GMT+12",
    "Etc/GMT-14",
    "Etc/GMT+15",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Antarctica/Troll",
    "America/Argentina/ComodRivadavia",
    "EST5EDT",
    "Factory",
    "Mars/Olympus_Mons",
    "Europe/Berlinn",
    "europe/berlin",
    "Europe/",
    "/Europe/Berlin",
    "Europe//Berlin",
    "../../../../etc/passwd",
    "/etc/localtime",
    "posix/Europe/Berlin",
    "right/UTC",
    "+05:30",
    "Z",
    "local",
    "Europe/Berlin\u{0}",
    // Text.
    "é",
    "\u{1F600}",
    "\u{202E}gnp.exe",
    "e\u{301}",
    "\u{FEFF}",
    "\u{FFFD}",
    "\u{10FFFF}",
    "a\"b\\c",
    "https://example.org/h?a=1&b=%zz",
];

/// String literals written verbatim: escapes a `Node::Str` never produces, and broken ones.
const RAW_STRINGS: &[&str] = &[
    r#""\ud800""#,
    r#""\udc00""#,
    r#""\udfff\ud800""#,
    r#""\ud83d\ude00""#,
    r#""\u0000""#,
    r#""\u00e9""#,
    r#""\/\/\/""#,
    r#""\\""#,
    r#""\u12""#,
    r#""a\qb""#,
    "\"tab\there\"",
    "\"new\nline\"",
    r#""\"#,
    r#"""#,
    r#""unterminated"#,
    "'single'",
    "NaN",
    "Infinity",
    "-",
    "01",
    "1.",
    ".5",
    "+1",
    "0x10",
    "tru",
    "nul",
    "[",
    "{",
    "[1,]",
    "{\"a\":1,}",
];

/// Keys no fixture has, or that mean something to the envelope.
const ODD_KEYS: &[&str] = &[
    "",
    "status",
    "body",
    "error",
    "more",
    "offset",
    "__proto__",
    "userid",
    "appli",
    "startdate",
    "enddate",
    "date",
    "deviceid",
    "action",
    "timezone",
    "é",
    "STATUS",
];

/// A value of any type, often an extreme one.
fn any_value(rng: &mut Rng) -> Node {
    match rng.below(12) {
        0 => Node::Null,
        1 => Node::Bool(rng.chance(1, 2)),
        2..=4 => Node::Num((*rng.pick(NUMBERS)).to_owned()),
        5..=7 => Node::Str((*rng.pick(STRINGS)).to_owned()),
        8 => Node::Str(huge_string(rng)),
        9 => Node::Arr(Vec::new()),
        10 => Node::Obj(Vec::new()),
        _ => Node::Str((*rng.pick(NUMBERS)).to_owned()),
    }
}

fn huge_string(rng: &mut Rng) -> String {
    let unit = *rng.pick(&["a", "9", "é", "\u{1F600}", "/", "\\", "\"", " "]);
    unit.repeat(*rng.pick(&[256, 4096, 65_536]))
}

fn mutate_number(text: &str, rng: &mut Rng) -> Node {
    let Ok(n) = text.parse::<i64>() else {
        return Node::Num((*rng.pick(NUMBERS)).to_owned());
    };
    let new = match rng.below(12) {
        0 => n.wrapping_add(1),
        1 => n.wrapping_sub(1),
        2 => n.wrapping_neg(),
        3 => n.wrapping_mul(1000),
        4 => n / 1000,
        5 => n.wrapping_add(86_400),
        6 => n.wrapping_sub(86_400 * 365 * 10_000),
        7 => n.wrapping_add(rng.next_u64() as i64 >> rng.below(64)),
        8 => return Node::Str(text.to_owned()),
        9 => return Node::Num(format!("{text}.0")),
        10 => return Node::Num(format!("{text}e0")),
        _ => return Node::Num((*rng.pick(NUMBERS)).to_owned()),
    };
    Node::Num(new.to_string())
}

fn mutate_string(s: &mut String, rng: &mut Rng) {
    match rng.below(10) {
        0..=3 => *s = (*rng.pick(STRINGS)).to_owned(),
        4 => s.push_str(rng.pick::<&str>(&[
            "\u{0}",
            "é",
            "\u{1F600}",
            " ",
            "/",
            "\\",
            "\"",
            "\u{7f}",
        ])),
        5 => {
            // Cut at a character boundary.
            let cut = rng.below(s.chars().count() + 1);
            *s = s.chars().take(cut).collect();
        }
        6 => *s = s.to_uppercase(),
        7 => *s = huge_string(rng),
        8 => {
            // One digit changed: a near-valid date, number or id.
            let digits: Vec<usize> = s
                .char_indices()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            if !digits.is_empty() {
                let at = *rng.pick(&digits);
                let d = char::from(b'0' + rng.below(10) as u8);
                s.replace_range(at..=at, d.encode_utf8(&mut [0; 4]));
            }
        }
        _ => *s = s.repeat(2 + rng.below(3)),
    }
}

/// A form value: extreme numbers, dates, and percent-encoding that does not decode.
fn form_value(current: &str, rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=2 => (*rng.pick(NUMBERS)).to_owned(),
        3..=4 => percent_encode_all(rng.pick::<&str>(STRINGS)),
        5 => (*rng.pick(&[
            "%",
            "%g1",
            "%ff",
            "%ff%fe",
            "%c0%80",
            "%ed%a0%80",
            "%00",
            "+",
            "%2B",
            "a+b",
            "%25",
            "%26",
            "%3D",
            "=",
            "&",
        ]))
        .to_owned(),
        6 => format!("{current}{current}"),
        7 => String::new(),
        8 => "9".repeat(*rng.pick(&[19, 20, 40, 4096])),
        _ => match mutate_number(current, rng) {
            Node::Num(n) | Node::Str(n) => n,
            _ => String::new(),
        },
    }
}

fn percent_encode_all(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// Byte sequences that are not UTF-8: a stray continuation, an overlong NUL, an encoded
/// surrogate, a truncated sequence, bytes never valid.
const INVALID_UTF8: &[&[u8]] = &[
    b"\x80",
    b"\xC0\x80",
    b"\xED\xA0\x80",
    b"\xE2\x82",
    b"\xF0\x9F\x98",
    b"\xFF",
    b"\xFE\xFF",
    b"\xF4\x90\x80\x80",
];

/// Tokens that change the structure when dropped into JSON or a form.
const TOKENS: &[&[u8]] = &[
    b"null", b"}", b"]", b"{", b"[", b",", b":", b"\"", b"\\", b"\\u", b"-", b"0", b"e", b"&",
    b"=", b"%", b"\x00", b"\r\n", b" ",
];

/// Damages `bytes` one to three times.
pub fn mutate_bytes(bytes: &mut Vec<u8>, rng: &mut Rng) {
    for _ in 0..1 + rng.below(3) {
        let len = bytes.len();
        let at = rng.below(len + 1);
        match rng.below(11) {
            0 => bytes.truncate(at),
            1 if len > 0 => {
                let i = rng.below(len);
                bytes[i] ^= 1 << rng.below(8);
            }
            2 => {
                let junk: Vec<u8> = (0..1 + rng.below(8))
                    .map(|_| rng.next_u64() as u8)
                    .collect();
                bytes.splice(at..at, junk);
            }
            3 => {
                bytes.splice(at..at, rng.pick(INVALID_UTF8).iter().copied());
            }
            4 => {
                let where_ = if rng.chance(3, 4) { 0 } else { at };
                bytes.splice(where_..where_, *b"\xEF\xBB\xBF");
            }
            5 if len > 0 => {
                let end = (at + 1 + rng.below(16)).min(len);
                bytes.drain(at.min(end)..end);
            }
            6 if len > 0 => {
                let end = (at + 1 + rng.below(64)).min(len);
                let copy = bytes[at.min(end)..end].to_vec();
                bytes.splice(end..end, copy);
            }
            7 => {
                bytes.splice(at..at, rng.pick(TOKENS).iter().copied());
            }
            8 if len > 0 => {
                // One digit changed, the commonest near-valid damage.
                if let Some(p) = bytes[at.min(len - 1)..].iter().position(u8::is_ascii_digit) {
                    bytes[at.min(len - 1) + p] = b'0' + rng.below(10) as u8;
                }
            }
            9 if len > 0 => {
                let i = rng.below(len);
                bytes[i] = *rng.pick(&[0x00, 0x7F, 0x80, 0xFF, b'"', b'\\', b'{', b'}', b',']);
            }
            _ => bytes.truncate(len.saturating_sub(1 + rng.below(8))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_keeps_key_order_and_round_trips() {
        let text = br#"{"status":0,"body":{"b":[1,-2.5,"x\/y",null,true],"a":{}}}"#;
        let tree: Node = serde_json::from_slice(text).unwrap();
        let Node::Obj(entries) = &tree else { panic!() };
        assert_eq!(entries[0].0, "status");
        let style = Style {
            escape_slashes: true,
            ..Style::default()
        };
        assert_eq!(tree.to_json(style), text.to_vec());
        let style = Style {
            escape_unicode: true,
            ..Style::default()
        };
        let s = Node::Str("é\u{1F600}\u{1}".into()).to_json(style);
        assert_eq!(s, br#""\u00e9\ud83d\ude00\u0001""#.to_vec());
        let back: String = serde_json::from_slice(&s).unwrap();
        assert_eq!(back, "é\u{1F600}\u{1}");
        assert_eq!(tree.count(), 10);
    }

    #[test]
    fn nth_mut_walks_in_pre_order() {
        let mut tree: Node = serde_json::from_str(r#"{"a":[1,2],"b":3}"#).unwrap();
        let mut n = 3;
        *tree.nth_mut(&mut n).unwrap() = Node::Null;
        assert_eq!(
            tree.to_json(Style::default()),
            br#"{"a":[1,null],"b":3}"#.to_vec()
        );
        assert!(tree.nth_mut(&mut 5).is_none());
    }

    #[test]
    fn form_corpus_mutates() {
        let corpus = Corpus::new(
            Format::Form,
            vec![b"userid=1&appli=44&startdate=5".to_vec()],
        );
        let distinct: std::collections::BTreeSet<Vec<u8>> = (0..200)
            .map(|i| corpus.input(1, "notify-callback", i))
            .collect();
        assert!(distinct.len() > 150, "{}", distinct.len());
    }
}
