//! Logging through `log` or `defmt`, whichever feature the application enables (neither costs
//! nothing). Every value logged is one the core made safe to print: diagnoses, notices and
//! health never contain a token.

/// Logs `$prefix` followed by the `Display` of `$value` at `$level` (`info`, `warn`, `error`).
macro_rules! report {
    ($level:ident, $prefix:literal, $value:expr) => {{
        #[cfg(feature = "log")]
        ::log::$level!("{}{}", $prefix, $value);
        #[cfg(feature = "defmt")]
        ::defmt::$level!("{=str}{}", $prefix, ::defmt::Display2Format(&$value));
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        let _ = (&$prefix, &$value);
    }};
}

pub(crate) use report;
