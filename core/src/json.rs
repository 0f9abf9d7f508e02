//! A small, bounded, borrowing JSON reader and writer.
//!
//! # Why a hand-written layer
//!
//! The core has to read Genesys frames on a microcontroller with no heap. `serde-json-core` is the
//! usual choice there, but it does not fit this job:
//!
//! - a conversation event carries *every* participant and every old leg of the conversation; the
//!   agent reducer needs to fold over them one at a time, in bounded memory, without a fixed cap
//!   on how many there may be (a capped `heapless::Vec` would silently drop the agent's leg);
//! - an event on a topic the core does not know must keep its body as a borrowed slice of the
//!   original text, which needs the span of a value (there is no `RawValue` without `alloc`);
//! - skipping an unknown nested value must be bounded in depth, or a hostile frame of ten thousand
//!   `[` overflows a 16 KiB task stack.
//!
//! So this module does two things only. [`parse`] validates a whole document once (strict RFC 8259,
//! UTF-8, depth at most [`MAX_DEPTH`]) and hands back a [`Value`] that *borrows* the input. Every
//! accessor after that walks the already-validated text lazily: objects and arrays are iterated in
//! place, strings stay escaped until somebody compares or decodes them. Nothing is copied and
//! nothing is allocated; the cost of a lookup is a scan of the bytes it passes.
//!
//! [`Writer`] is the other half: it writes JSON text into a caller-provided buffer, escaping
//! strings, and reports the size it needed if the buffer was too small.

use core::fmt;

/// The deepest nesting [`parse`] accepts.
///
/// Genesys conversation events nest six levels deep (envelope → body → participants → participant
/// → calls → call → afterCallWork); 32 leaves ample room for new fields while bounding the stack
/// the validator uses (one small frame per level).
pub const MAX_DEPTH: usize = 32;

/// Why a document is not JSON the core can read. Offsets are byte positions in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The input is empty or only white space.
    Empty,
    /// The text ended in the middle of a value.
    UnexpectedEnd,
    /// A byte that cannot start or continue a value at this point.
    UnexpectedByte {
        /// Where the byte is.
        at: usize,
        /// The byte.
        byte: u8,
    },
    /// Objects and arrays are nested deeper than [`MAX_DEPTH`].
    TooDeep {
        /// Where the level past the limit opens.
        at: usize,
    },
    /// A backslash escape that JSON does not define, or a malformed `\u` escape.
    InvalidEscape {
        /// Where the escape starts.
        at: usize,
    },
    /// A number that is not written the way JSON requires.
    InvalidNumber {
        /// Where the number starts.
        at: usize,
    },
    /// A raw control character (below U+0020) inside a string.
    ControlCharacter {
        /// Where the character is.
        at: usize,
    },
    /// The text is not valid UTF-8.
    InvalidUtf8 {
        /// Where the first invalid byte is.
        at: usize,
    },
    /// Something other than white space follows the value.
    TrailingData {
        /// Where it starts.
        at: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::Empty => f.write_str("the frame is empty; expected a JSON value"),
            Error::UnexpectedEnd => f.write_str("the JSON text ends in the middle of a value"),
            Error::UnexpectedByte { at, byte } if byte.is_ascii_graphic() => {
                write!(
                    f,
                    "unexpected '{}' at byte {at} of the JSON text",
                    byte as char
                )
            }
            Error::UnexpectedByte { at, byte } => {
                write!(
                    f,
                    "unexpected byte 0x{byte:02x} at byte {at} of the JSON text"
                )
            }
            Error::TooDeep { at } => write!(
                f,
                "JSON nested deeper than {MAX_DEPTH} levels at byte {at}; no Genesys payload nests that deep"
            ),
            Error::InvalidEscape { at } => write!(f, "invalid escape sequence at byte {at}"),
            Error::InvalidNumber { at } => write!(f, "malformed number at byte {at}"),
            Error::ControlCharacter { at } => {
                write!(
                    f,
                    "unescaped control character inside a string at byte {at}"
                )
            }
            Error::InvalidUtf8 { at } => write!(f, "the text is not valid UTF-8 (byte {at})"),
            Error::TrailingData { at } => {
                write!(f, "unexpected data after the JSON value at byte {at}")
            }
        }
    }
}

impl core::error::Error for Error {}

/// Validates `input` as one JSON document and returns its top-level value, borrowing `input`.
///
/// White space around the value is allowed; anything else after it is [`Error::TrailingData`].
/// The cost is one pass over the bytes; the accessors of the returned value never fail on it.
pub fn parse(input: &[u8]) -> Result<Value<'_>, Error> {
    if let Err(e) = core::str::from_utf8(input) {
        return Err(Error::InvalidUtf8 {
            at: e.valid_up_to(),
        });
    }
    let start = skip_ws(input, 0);
    if start >= input.len() {
        return Err(Error::Empty);
    }
    let end = validate_value(input, start, 0)?;
    let after = skip_ws(input, end);
    if after < input.len() {
        return Err(Error::TrailingData { at: after });
    }
    // Validation found the end already: no second scan of the whole document.
    Ok(input
        .get(start..end)
        .and_then(value_from_span)
        .unwrap_or(Value::Null))
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).copied().is_some_and(is_ws) {
        i += 1;
    }
    i
}

fn byte_at(s: &[u8], i: usize) -> Result<u8, Error> {
    s.get(i).copied().ok_or(Error::UnexpectedEnd)
}

/// Validates the value starting exactly at `i`; returns the index just past it.
fn validate_value(s: &[u8], i: usize, depth: usize) -> Result<usize, Error> {
    match byte_at(s, i)? {
        b'{' => validate_container(s, i, depth, b'}'),
        b'[' => validate_container(s, i, depth, b']'),
        b'"' => validate_string(s, i),
        b't' => validate_literal(s, i, b"true"),
        b'f' => validate_literal(s, i, b"false"),
        b'n' => validate_literal(s, i, b"null"),
        b'-' | b'0'..=b'9' => validate_number(s, i),
        byte => Err(Error::UnexpectedByte { at: i, byte }),
    }
}

fn validate_container(s: &[u8], open: usize, depth: usize, close: u8) -> Result<usize, Error> {
    if depth >= MAX_DEPTH {
        return Err(Error::TooDeep { at: open });
    }
    let mut i = skip_ws(s, open + 1);
    if byte_at(s, i)? == close {
        return Ok(i + 1);
    }
    loop {
        if close == b'}' {
            match byte_at(s, i)? {
                b'"' => i = validate_string(s, i)?,
                byte => return Err(Error::UnexpectedByte { at: i, byte }),
            }
            i = skip_ws(s, i);
            match byte_at(s, i)? {
                b':' => i = skip_ws(s, i + 1),
                byte => return Err(Error::UnexpectedByte { at: i, byte }),
            }
        }
        i = validate_value(s, i, depth + 1)?;
        i = skip_ws(s, i);
        match byte_at(s, i)? {
            b',' => i = skip_ws(s, i + 1),
            b if b == close => return Ok(i + 1),
            byte => return Err(Error::UnexpectedByte { at: i, byte }),
        }
    }
}

fn validate_string(s: &[u8], open: usize) -> Result<usize, Error> {
    let mut i = open + 1;
    loop {
        i = next_string_special(s, i);
        match byte_at(s, i)? {
            b'"' => return Ok(i + 1),
            b'\\' => {
                match byte_at(s, i + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                    b'u' => {
                        let hex = s.get(i + 2..i + 6).ok_or(Error::UnexpectedEnd)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return Err(Error::InvalidEscape { at: i });
                        }
                        i += 6;
                    }
                    _ => return Err(Error::InvalidEscape { at: i }),
                };
            }
            b if b < 0x20 => return Err(Error::ControlCharacter { at: i }),
            _ => i += 1,
        }
    }
}

fn validate_literal(s: &[u8], i: usize, lit: &[u8]) -> Result<usize, Error> {
    for (k, want) in lit.iter().enumerate() {
        let byte = byte_at(s, i + k)?;
        if byte != *want {
            return Err(Error::UnexpectedByte { at: i + k, byte });
        }
    }
    Ok(i + lit.len())
}

fn validate_number(s: &[u8], start: usize) -> Result<usize, Error> {
    let bad = Error::InvalidNumber { at: start };
    let digits = |mut i: usize| {
        let from = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i, i - from)
    };
    let mut i = start;
    if s.get(i) == Some(&b'-') {
        i += 1;
    }
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i).0,
        _ => return Err(bad),
    }
    if s.get(i) == Some(&b'.') {
        let (end, n) = digits(i + 1);
        if n == 0 {
            return Err(bad);
        }
        i = end;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let (end, n) = digits(i);
        if n == 0 {
            return Err(bad);
        }
        i = end;
    }
    Ok(i)
}

/// Reads the (already validated) value at `i`, returning it and the index past it.
///
/// Only called on text that [`parse`] accepted, so it skips structure without re-checking it;
/// still, on any surprise it returns `None` rather than panicking.
fn value_at(s: &[u8], i: usize) -> Option<(Value<'_>, usize)> {
    let end = skip_value(s, i)?;
    Some((value_from_span(s.get(i..end)?)?, end))
}

/// Types the validated text of exactly one value.
fn value_from_span(raw: &[u8]) -> Option<Value<'_>> {
    Some(match raw.first()? {
        b'{' => Value::Object(Object { raw }),
        b'[' => Value::Array(Array { raw }),
        b'"' => Value::String(Str {
            raw: raw.get(1..raw.len().checked_sub(1)?)?,
        }),
        b't' => Value::Bool(true),
        b'f' => Value::Bool(false),
        b'n' => Value::Null,
        _ => Value::Number(Number { raw }),
    })
}

/// Finds the end of the validated value at `i` by tracking only strings and brackets.
///
/// This is the hot loop of every lookup (each level of an object walk skips the values it
/// passes), so it hops eight bytes at a time over text that holds no quote or bracket.
fn skip_value(s: &[u8], i: usize) -> Option<usize> {
    match *s.get(i)? {
        b'"' => skip_string(s, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                j = next_structural(s, j);
                match *s.get(j)? {
                    b'"' => j = skip_string(s, j)?,
                    b'{' | b'[' => {
                        depth += 1;
                        j += 1;
                    }
                    _ => {
                        depth = depth.checked_sub(1)?;
                        j += 1;
                        if depth == 0 {
                            return Some(j);
                        }
                    }
                }
            }
        }
        _ => {
            let mut j = i;
            while s
                .get(j)
                .is_some_and(|&b| !is_ws(b) && !matches!(b, b',' | b'}' | b']'))
            {
                j += 1;
            }
            Some(j)
        }
    }
}

fn skip_string(s: &[u8], open: usize) -> Option<usize> {
    let mut j = open + 1;
    loop {
        j = next_quote_or_backslash(s, j);
        match *s.get(j)? {
            b'"' => return Some(j + 1),
            _ => j += 2,
        }
    }
}

// Word-at-a-time scanning ("SWAR"): eight bytes are tested for a given byte value with a few
// integer operations, so runs of ordinary text are passed over without a branch per byte.
// In each mask the lowest set bit marks the first matching byte exactly (a borrow can only
// create false marks above a true one), so `trailing_zeros` finds it without a byte loop.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in (at least) the first byte of `word` equal to `byte`; zero if none is.
fn mask_byte(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// High bit set in (at least) the first byte of `word` below `limit` (`limit <= 128`).
fn mask_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS
}

/// Scans from `i` for the first byte that `word_mask` marks (eight at a time) or `is_match`
/// accepts (the tail shorter than a word); returns its index or `s.len()`.
fn scan(
    s: &[u8],
    mut i: usize,
    word_mask: impl Fn(u64) -> u64,
    is_match: impl Fn(u8) -> bool,
) -> usize {
    while let Some(chunk) = s.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let mask = word_mask(u64::from_le_bytes(*chunk));
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while s.get(i).is_some_and(|&b| !is_match(b)) {
        i += 1;
    }
    i.min(s.len())
}

/// The index of the first `"`, `{`, `}`, `[` or `]` at or after `i` (or `s.len()`).
fn next_structural(s: &[u8], i: usize) -> usize {
    // Setting bit 5 folds `[` onto `{` and `]` onto `}`; `"` is unchanged by it.
    scan(
        s,
        i,
        |word| {
            let folded = word | (ONES * 0x20);
            mask_byte(word, b'"') | mask_byte(folded, b'{') | mask_byte(folded, b'}')
        },
        |b| b == b'"' || matches!(b | 0x20, b'{' | b'}'),
    )
}

/// The index of the first `"` or `\` at or after `i` (or `s.len()`).
fn next_quote_or_backslash(s: &[u8], i: usize) -> usize {
    scan(
        s,
        i,
        |word| mask_byte(word, b'"') | mask_byte(word, b'\\'),
        |b| b == b'"' || b == b'\\',
    )
}

/// The index of the first `"`, `\` or control character at or after `i` (or `s.len()`).
fn next_string_special(s: &[u8], i: usize) -> usize {
    scan(
        s,
        i,
        |word| mask_byte(word, b'"') | mask_byte(word, b'\\') | mask_below(word, 0x20),
        |b| b == b'"' || b == b'\\' || b < 0x20,
    )
}

/// A JSON value borrowed from validated text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// `null`
    Null,
    /// `true` or `false`
    Bool(bool),
    /// A number, kept as its text.
    Number(Number<'a>),
    /// A string, kept escaped.
    String(Str<'a>),
    /// An array, iterated in place.
    Array(Array<'a>),
    /// An object, iterated in place.
    Object(Object<'a>),
}

impl<'a> Value<'a> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<Str<'a>> {
        match *self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<Object<'a>> {
        match *self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub fn as_array(&self) -> Option<Array<'a>> {
        match *self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The number as a `u64`, if it is a non-negative integer that fits.
    ///
    /// Genesys sends some integers as strings (`"result":"200"`); a string of digits is accepted too.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.as_plain().and_then(|t| t.parse().ok()),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A short name for the kind of value, for error messages (`"object"`, `"string"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

/// A JSON number, kept as the text it was written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Number<'a> {
    raw: &'a [u8],
}

impl<'a> Number<'a> {
    /// The number's text.
    pub fn as_text(&self) -> &'a str {
        core::str::from_utf8(self.raw).unwrap_or("")
    }

    /// The value as a `u64`, if it is a non-negative integer that fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_text().parse().ok()
    }

    /// The value as an `i64`, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_text().parse().ok()
    }
}

/// A JSON string as it appears in the text, without its quotes and still escaped.
///
/// Compare it with [`Str::eq_str`] / [`Str::eq_ignore_ascii_case`], which decode escapes on the
/// fly, or copy it out with [`Str::decode_into`]. [`Str::as_plain`] borrows it directly when it
/// has no escapes, which is nearly always.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Str<'a> {
    raw: &'a [u8],
}

impl<'a> Str<'a> {
    /// The escaped text between the quotes.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The string itself, borrowed, if it contains no escape sequence.
    pub fn as_plain(&self) -> Option<&'a str> {
        if self.raw.contains(&b'\\') {
            None
        } else {
            core::str::from_utf8(self.raw).ok()
        }
    }

    /// The decoded characters. Lone surrogates decode as U+FFFD.
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            raw: self.raw,
            pos: 0,
        }
    }

    /// Whether the decoded string equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        match self.as_plain() {
            Some(p) => p == s,
            None => self.chars().eq(s.chars()),
        }
    }

    /// Whether the decoded string equals `s`, ignoring ASCII case.
    pub fn eq_ignore_ascii_case(&self, s: &str) -> bool {
        match self.as_plain() {
            Some(p) => p.eq_ignore_ascii_case(s),
            None => self
                .chars()
                .map(|c| c.to_ascii_lowercase())
                .eq(s.chars().map(|c| c.to_ascii_lowercase())),
        }
    }

    /// The length of the decoded string in UTF-8 bytes.
    pub fn decoded_len(&self) -> usize {
        match self.as_plain() {
            Some(p) => p.len(),
            None => self.chars().map(char::len_utf8).sum(),
        }
    }

    /// Whether the decoded string is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Decodes the string into `buf` and returns it as `&str`.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let needed = self.decoded_len();
        let available = buf.len();
        let out = buf
            .get_mut(..needed)
            .ok_or(BufferTooSmall { needed, available })?;
        let mut at = 0;
        for c in self.chars() {
            let n = c.len_utf8();
            if let Some(slot) = out.get_mut(at..at + n) {
                c.encode_utf8(slot);
            }
            at += n;
        }
        core::str::from_utf8(out).map_err(|_| BufferTooSmall { needed, available })
    }

    /// Decodes the string into a bounded owned string, or `None` if it is longer than `N` bytes.
    pub fn to_heapless<const N: usize>(&self) -> Option<heapless::String<N>> {
        let mut out = heapless::String::new();
        for c in self.chars() {
            out.push(c).ok()?;
        }
        Some(out)
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        match self.as_plain() {
            Some(p) => f.write_str(p),
            None => self.chars().try_for_each(|c| f.write_char(c)),
        }
    }
}

/// The decoded characters of a [`Str`].
#[derive(Clone, Debug)]
pub struct Chars<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Chars<'_> {
    fn hex4(&self, at: usize) -> Option<u32> {
        let hex = self.raw.get(at..at + 4)?;
        let text = core::str::from_utf8(hex).ok()?;
        u32::from_str_radix(text, 16).ok()
    }
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let rest = self.raw.get(self.pos..)?;
        let first = *rest.first()?;
        if first != b'\\' {
            // Validated UTF-8: decode one scalar from the next (at most four) bytes.
            let len = match first {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let c = rest
                .get(..len)
                .and_then(|b| core::str::from_utf8(b).ok())
                .and_then(|t| t.chars().next());
            self.pos += len;
            return Some(c.unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        let kind = *rest.get(1)?;
        self.pos += 2;
        let c = match kind {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4(self.pos)?;
                self.pos += 4;
                if (0xd800..0xdc00).contains(&hi)
                    && self.raw.get(self.pos..self.pos + 2) == Some(b"\\u")
                {
                    match self.hex4(self.pos + 2) {
                        Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                            self.pos += 6;
                            let cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
                            char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER)
                        }
                        _ => char::REPLACEMENT_CHARACTER,
                    }
                } else {
                    char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
            }
            other => other as char,
        };
        Some(c)
    }
}

/// A JSON array borrowed from validated text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Array<'a> {
    raw: &'a [u8],
}

impl<'a> Array<'a> {
    /// The array's text, brackets included.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The elements, in order.
    pub fn iter(&self) -> Elements<'a> {
        Elements {
            raw: self.raw,
            pos: 1,
        }
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl<'a> IntoIterator for Array<'a> {
    type Item = Value<'a>;
    type IntoIter = Elements<'a>;
    fn into_iter(self) -> Elements<'a> {
        self.iter()
    }
}

/// The elements of an [`Array`].
#[derive(Clone, Debug)]
pub struct Elements<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        let i = skip_ws(self.raw, self.pos);
        if matches!(self.raw.get(i), Some(b']') | None) {
            self.pos = self.raw.len();
            return None;
        }
        let (v, end) = value_at(self.raw, i)?;
        let after = skip_ws(self.raw, end);
        self.pos = if self.raw.get(after) == Some(&b',') {
            after + 1
        } else {
            after
        };
        Some(v)
    }
}

/// A JSON object borrowed from validated text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Object<'a> {
    raw: &'a [u8],
}

impl<'a> Object<'a> {
    /// The object's text, braces included.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The members, in the order they are written. Duplicate keys are all yielded.
    pub fn iter(&self) -> Members<'a> {
        Members {
            raw: self.raw,
            pos: 1,
        }
    }

    /// The value of the first member named exactly `key` (escapes decoded).
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.iter().find(|(k, _)| k.eq_str(key)).map(|(_, v)| v)
    }

    /// The value of the first member whose name equals `key` ignoring ASCII case.
    pub fn get_ignore_case(&self, key: &str) -> Option<Value<'a>> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    /// Whether the object has no members.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

impl<'a> IntoIterator for Object<'a> {
    type Item = (Str<'a>, Value<'a>);
    type IntoIter = Members<'a>;
    fn into_iter(self) -> Members<'a> {
        self.iter()
    }
}

/// The members of an [`Object`].
#[derive(Clone, Debug)]
pub struct Members<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (Str<'a>, Value<'a>);

    fn next(&mut self) -> Option<(Str<'a>, Value<'a>)> {
        let i = skip_ws(self.raw, self.pos);
        let (key, end) = match value_at(self.raw, i) {
            Some((Value::String(k), end)) => (k, end),
            _ => {
                self.pos = self.raw.len();
                return None;
            }
        };
        let colon = skip_ws(self.raw, end);
        let vstart = skip_ws(self.raw, colon + 1);
        let (v, vend) = value_at(self.raw, vstart)?;
        let after = skip_ws(self.raw, vend);
        self.pos = if self.raw.get(after) == Some(&b',') {
            after + 1
        } else {
            after
        };
        Some((key, v))
    }
}

/// An output buffer was too small; `needed` says how large it must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferTooSmall {
    /// Bytes the output needs.
    pub needed: usize,
    /// Bytes the buffer had.
    pub available: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "buffer too small: {} bytes needed, {} available; give a buffer of at least {} bytes",
            self.needed, self.available, self.needed
        )
    }
}

impl core::error::Error for BufferTooSmall {}

/// Writes JSON text into a caller-provided buffer.
///
/// Writing never fails midway: past the end of the buffer the writer keeps counting, so
/// [`Writer::finish`] can say exactly how large the buffer needed to be.
///
/// ```
/// use genesys_notify_core::json::Writer;
/// let mut buf = [0u8; 64];
/// let mut w = Writer::new(&mut buf);
/// w.raw("{\"message\":").string("say \"hi\"").raw("}");
/// let n = w.finish().unwrap();
/// assert_eq!(&buf[..n], br#"{"message":"say \"hi\""}"#);
/// ```
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    /// A writer that fills `buf` from its start.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    fn byte(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
        }
        self.len = self.len.saturating_add(1);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.byte(b));
    }

    /// Appends `text` as it is: punctuation, keys the caller knows need no escaping, numbers.
    pub fn raw(&mut self, text: &str) -> &mut Self {
        self.bytes(text.as_bytes());
        self
    }

    /// Appends `s` as a quoted JSON string, escaping `"`, `\` and control characters.
    pub fn string(&mut self, s: &str) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.byte(b'"');
        for &b in s.as_bytes() {
            match b {
                b'"' => self.bytes(b"\\\""),
                b'\\' => self.bytes(b"\\\\"),
                b'\n' => self.bytes(b"\\n"),
                b'\r' => self.bytes(b"\\r"),
                b'\t' => self.bytes(b"\\t"),
                0x00..=0x1f => {
                    self.bytes(b"\\u00");
                    self.byte(HEX[usize::from(b >> 4)]);
                    self.byte(HEX[usize::from(b & 0xf)]);
                }
                _ => self.byte(b),
            }
        }
        self.byte(b'"');
        self
    }

    /// Appends an unsigned integer.
    pub fn u64(&mut self, n: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut n = n;
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        if let Some(d) = digits.get(i..) {
            self.bytes(d);
        }
        self
    }

    /// Bytes written (or that would have been written) so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of bytes written, or the size the buffer needed to be.
    pub fn finish(self) -> Result<usize, BufferTooSmall> {
        if self.len <= self.buf.len() {
            Ok(self.len)
        } else {
            Err(BufferTooSmall {
                needed: self.len,
                available: self.buf.len(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(text: &str) -> Object<'_> {
        parse(text.as_bytes()).unwrap().as_object().unwrap()
    }

    #[test]
    fn members_are_read_in_place_with_their_types() {
        let o = obj(r#" {"a": 1, "b" : [true, null, "x"], "c": {"d": -2.5e3}, "e": false} "#);
        assert_eq!(o.get("a").unwrap().as_u64(), Some(1));
        let b: [Value<'_>; 3] = {
            let mut it = o.get("b").unwrap().as_array().unwrap().iter();
            [it.next().unwrap(), it.next().unwrap(), it.next().unwrap()]
        };
        assert_eq!(b[0], Value::Bool(true));
        assert!(b[1].is_null());
        assert!(b[2].as_str().unwrap().eq_str("x"));
        let d = o.get("c").unwrap().as_object().unwrap().get("d").unwrap();
        assert!(matches!(d, Value::Number(n) if n.as_text() == "-2.5e3"));
        assert_eq!(o.get("e").unwrap().as_bool(), Some(false));
        assert_eq!(o.get("missing"), None);
        assert_eq!(o.iter().count(), 4);
    }

    #[test]
    fn empty_containers_have_no_members() {
        assert!(obj("{}").is_empty());
        assert!(obj("{ \n }").is_empty());
        let a = parse(b"[ ]").unwrap().as_array().unwrap();
        assert!(a.is_empty());
    }

    #[test]
    fn escaped_strings_compare_and_decode() {
        let o = obj(r#"{"t\u006fpic":"caf\u00e9 \"x\"\n\ud83d\ude00\/"}"#);
        let v = o.get("topic").unwrap().as_str().unwrap();
        assert!(v.as_plain().is_none());
        assert!(v.eq_str("café \"x\"\n😀/"));
        assert!(v.eq_ignore_ascii_case("CAFé \"X\"\n😀/"));
        let mut buf = [0u8; 32];
        assert_eq!(v.decode_into(&mut buf).unwrap(), "café \"x\"\n😀/");
        let mut small = [0u8; 4];
        let err = v.decode_into(&mut small).unwrap_err();
        assert_eq!(err.needed, v.decoded_len());
        let s: heapless::String<32> = v.to_heapless().unwrap();
        assert_eq!(s.as_str(), "café \"x\"\n😀/");
        assert!(v.to_heapless::<4>().is_none());
    }

    #[test]
    fn lone_surrogates_decode_as_replacement_characters() {
        let v = parse(br#""\ud800x\udc00""#).unwrap().as_str().unwrap();
        assert!(v.eq_str("\u{fffd}x\u{fffd}"));
    }

    #[test]
    fn keys_can_be_matched_ignoring_case() {
        let o = obj(r#"{"TopicName":"v2.users.x.presence"}"#);
        assert!(o.get("topicName").is_none());
        assert!(o.get_ignore_case("topicName").is_some());
    }

    #[test]
    fn strings_of_digits_count_as_numbers() {
        let o = obj(r#"{"result":"200","n":404,"neg":-1,"big":"x1"}"#);
        assert_eq!(o.get("result").unwrap().as_u64(), Some(200));
        assert_eq!(o.get("n").unwrap().as_u64(), Some(404));
        assert_eq!(o.get("neg").unwrap().as_u64(), None);
        assert_eq!(o.get("big").unwrap().as_u64(), None);
    }

    #[test]
    fn malformed_documents_are_refused_with_the_place_of_the_fault() {
        assert_eq!(parse(b""), Err(Error::Empty));
        assert_eq!(parse(b"  \n"), Err(Error::Empty));
        assert_eq!(parse(b"{\"a\":1"), Err(Error::UnexpectedEnd));
        assert_eq!(
            parse(b"{\"a\":1,}"),
            Err(Error::UnexpectedByte { at: 7, byte: b'}' })
        );
        assert_eq!(
            parse(b"[1,]"),
            Err(Error::UnexpectedByte { at: 3, byte: b']' })
        );
        assert_eq!(
            parse(b"{a:1}"),
            Err(Error::UnexpectedByte { at: 1, byte: b'a' })
        );
        assert_eq!(parse(b"\"\\x\""), Err(Error::InvalidEscape { at: 1 }));
        assert_eq!(parse(b"\"\\u12g4\""), Err(Error::InvalidEscape { at: 1 }));
        assert_eq!(parse(b"\"a\tb\""), Err(Error::ControlCharacter { at: 2 }));
        assert_eq!(parse(b"01"), Err(Error::TrailingData { at: 1 }));
        assert_eq!(parse(b"1."), Err(Error::InvalidNumber { at: 0 }));
        assert_eq!(parse(b"-"), Err(Error::InvalidNumber { at: 0 }));
        assert_eq!(parse(b"1e+"), Err(Error::InvalidNumber { at: 0 }));
        assert_eq!(parse(b"tru"), Err(Error::UnexpectedEnd));
        assert_eq!(
            parse(b"nul!"),
            Err(Error::UnexpectedByte { at: 3, byte: b'!' })
        );
        assert_eq!(parse(b"{} {}"), Err(Error::TrailingData { at: 3 }));
        assert_eq!(parse(b"\"\xff\""), Err(Error::InvalidUtf8 { at: 1 }));
    }

    #[test]
    fn nesting_is_bounded() {
        let mut deep = [b'['; MAX_DEPTH + 1];
        assert_eq!(parse(&deep), Err(Error::TooDeep { at: MAX_DEPTH }));
        let mut ok = [0u8; 2 * MAX_DEPTH];
        let (open, close) = ok.split_at_mut(MAX_DEPTH);
        open.fill(b'[');
        close.fill(b']');
        assert!(parse(&ok).is_ok());
        deep.fill(b'{');
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn the_raw_text_of_a_nested_value_is_borrowed_exactly() {
        let text = r#"{"eventBody": {"x": [1, "}"]} , "z":0}"#;
        let body = obj(text).get("eventBody").unwrap().as_object().unwrap();
        assert_eq!(body.raw(), br#"{"x": [1, "}"]}"#);
    }

    #[test]
    fn every_real_payload_that_is_json_parses() {
        for (name, bytes) in crate::test_vectors::ALL {
            let result = parse(bytes);
            let published_broken = name.starts_with("subscriptions_request_body")
                || name.starts_with("event_v2_users_activity");
            assert_eq!(result.is_err(), published_broken, "{name}: {result:?}");
        }
    }

    #[test]
    fn word_at_a_time_scans_agree_with_a_byte_by_byte_scan() {
        // Every position of every special byte, over words and tails, with ordinary text
        // (including bytes at and above 0x80) around it.
        let alphabet = [
            b'a', b' ', 0x7f, 0x80, 0xff, 0x1f, b'"', b'\\', b'{', b'}', b'[', b']', 0x5c, b'z',
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..40 {
            for _ in 0..50 {
                let mut text = [0u8; 40];
                for byte in text.iter_mut().take(len) {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    *byte = alphabet[(seed % alphabet.len() as u64) as usize];
                }
                let text = &text[..len];
                for from in 0..=len {
                    let naive = |pred: &dyn Fn(u8) -> bool| {
                        text[from..]
                            .iter()
                            .position(|&b| pred(b))
                            .map_or(len, |p| from + p)
                    };
                    assert_eq!(
                        next_structural(text, from),
                        naive(&|b| matches!(b, b'"' | b'{' | b'}' | b'[' | b']'))
                    );
                    assert_eq!(
                        next_quote_or_backslash(text, from),
                        naive(&|b| b == b'"' || b == b'\\')
                    );
                    assert_eq!(
                        next_string_special(text, from),
                        naive(&|b| b == b'"' || b == b'\\' || b < 0x20)
                    );
                }
            }
        }
    }

    #[test]
    fn writer_escapes_and_reports_the_size_it_needed() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        w.string("a\"\\\u{1}\n");
        let err = w.finish().unwrap_err();
        assert_eq!(err.needed, br#""a\"\\\u0001\n""#.len());
        let mut big = [0u8; 64];
        let mut w = Writer::new(&mut big);
        w.string("a\"\\\u{1}\n")
            .raw(",")
            .u64(0)
            .raw(",")
            .u64(u64::MAX);
        let n = w.finish().unwrap();
        assert_eq!(&big[..n], br#""a\"\\\u0001\n",0,18446744073709551615"#);
    }

    #[test]
    fn written_strings_read_back_unchanged() {
        let original = "tab\there \"quoted\" back\\slash \u{7f} é 😀 \u{0}";
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        w.string(original);
        let n = w.finish().unwrap();
        let v = parse(&buf[..n]).unwrap().as_str().unwrap();
        assert!(v.eq_str(original));
    }
}
