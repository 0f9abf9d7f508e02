//! What the fuzz targets share: a peer that hands out the fuzzer's bytes in pieces.

use embedded_io_async::{ErrorKind, ErrorType, Read, Write};

/// Reads come from `input` at most `piece` bytes at a time (so parsers see every split);
/// writes go nowhere.
pub struct Peer<'a> {
    /// What is left to read.
    pub input: &'a [u8],
    /// The most bytes one read returns (at least 1).
    pub piece: usize,
}

impl<'a> Peer<'a> {
    /// The first byte chooses the piece size (1 to 64); the rest is the stream.
    pub fn from_fuzz(data: &'a [u8]) -> Self {
        let (piece, input) = data
            .split_first()
            .map_or((1, data), |(&p, rest)| (usize::from(p % 64) + 1, rest));
        Self { input, piece }
    }
}

impl ErrorType for Peer<'_> {
    type Error = ErrorKind;
}

impl Read for Peer<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.piece).min(self.input.len());
        let (now, later) = self.input.split_at(n);
        buf[..n].copy_from_slice(now);
        self.input = later;
        Ok(n)
    }
}

impl Write for Peer<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
