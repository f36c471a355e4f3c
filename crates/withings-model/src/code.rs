//! Open enums for the API's integer codes.
//!
//! Every code table in the API grows over time (API notes §12.7: attrib 10 and 10000, meastype
//! 173 and 226, sleep state 5 all arrived undocumented). A code enum here is a known variant or
//! `Unknown(raw)`; it never fails a response, never logs, and serializes back to the same
//! integer. Equality, ordering and hashing are by code.

/// Declares an open code enum. Each entry is `Variant = code => "name"`, where `name` is the
/// stable snake_case identifier used by [`std::str::FromStr`] and `Display`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal => $ident:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A code this version of the library does not know, kept as received. Only
            /// [`from_code`](Self::from_code) makes one, so it never holds a known code:
            /// `from_code(2)` is the known variant, never `Unknown` with 2 in it.
            Unknown($crate::code::UnknownCode),
        }

        impl $name {
            /// Every known variant, in code order of the table.
            pub const KNOWN: &'static [Self] = &[ $( Self::$variant, )* ];

            /// The integer the API uses for this value.
            #[must_use]
            pub const fn code(self) -> i64 {
                match self {
                    $( Self::$variant => $code, )*
                    Self::Unknown(code) => code.get(),
                }
            }

            /// The value for an integer code; codes not in the table become `Unknown(code)`.
            #[must_use]
            pub const fn from_code(code: i64) -> Self {
                match code {
                    $( $code => Self::$variant, )*
                    other => Self::Unknown($crate::code::UnknownCode(other)),
                }
            }

            /// The stable snake_case name of a known code (`None` for `Unknown`).
            #[must_use]
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($ident), )*
                    Self::Unknown(_) => None,
                }
            }

            /// Whether the code is in this library's table.
            #[must_use]
            pub const fn is_known(self) -> bool {
                self.name().is_some()
            }
        }

        impl From<i64> for $name {
            fn from(code: i64) -> Self {
                Self::from_code(code)
            }
        }

        impl From<$name> for i64 {
            fn from(value: $name) -> i64 {
                value.code()
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.code() == other.code()
            }
        }

        impl Eq for $name {}

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.code().cmp(&other.code())
            }
        }

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.code().hash(state);
            }
        }

        /// The snake_case name, or `unknown(<code>)`.
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "unknown({})", self.code()),
                }
            }
        }

        /// Parses a snake_case name or an integer code (any integer: unknown codes are kept).
        impl std::str::FromStr for $name {
            type Err = $crate::code::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                if let Ok(code) = s.parse::<i64>() {
                    return Ok(Self::from_code(code));
                }
                if let Some(inner) = s.strip_prefix("unknown(").and_then(|r| r.strip_suffix(')')) {
                    if let Ok(code) = inner.parse::<i64>() {
                        return Ok(Self::from_code(code));
                    }
                }
                Self::KNOWN
                    .iter()
                    .copied()
                    .find(|v| v.name().is_some_and(|n| n.eq_ignore_ascii_case(s)))
                    .ok_or_else(|| $crate::code::UnknownName { what: stringify!($name), given: s.to_owned() })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::de::lenient_i64::deserialize(d).map(Self::from_code)
            }
        }
    };
}

/// The payload of an open enum's `Unknown`: a code that is not in the enum's table. Its
/// field is private so that only `from_code` makes one: an `Unknown` and a known variant can
/// never stand for the same code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnknownCode(pub(crate) i64);

impl UnknownCode {
    /// The code as received.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A name given to a code enum's `FromStr` that is neither a known name nor an integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// The enum that was parsed, e.g. `MeasureType`.
    pub what: &'static str,
    /// The text given.
    pub given: String,
}

impl std::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is not a known {} name or an integer code",
            self.given, self.what
        )
    }
}

impl std::error::Error for UnknownName {}
