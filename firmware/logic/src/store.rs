//! The settings in flash: one `sequential-storage` record per setting.
//!
//! `sequential-storage` gives wear levelling, CRC-checked records and safety against power loss
//! in the middle of a write; this module decides what goes into the records ([`Config::encode`],
//! keyed by [`Key::id`]) and how a light boots from whatever it finds — every readable record
//! applied, every unusable one reported and skipped, never a panic and never a refusal to boot.
//! The same map keeps one record that is no setting: the light's time floor
//! ([`crate::time_floor`]), read and written by [`load_time_floor`] and [`save_time_floor`].
//! It is generic over the flash, so the host tests run it on a RAM flash with the same
//! page size and write rules as the ESP32's.

use core::fmt;
use core::ops::Range;

use embedded_storage_async::nor_flash::{MultiwriteNorFlash, NorFlash};
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};

use crate::config::{Config, Key, LoadError, MAX_VALUE_LEN};
use crate::time_floor;

/// Scratch space for one record: the key, the longest value and `sequential-storage`'s item
/// header, rounded up to flash words with room to spare.
pub const RECORD_BUFFER_LEN: usize = MAX_VALUE_LEN + 64;

/// The settings map over flash `S`.
pub type Map<S> = MapStorage<u8, S, Cache<Uncached, Uncached, Uncached, u8>>;

/// Why the settings could not be opened, read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StoreError {
    /// The flash range is not whole erase pages, or fewer than two: fix the partition table.
    BadRange,
    /// The flash refused a read, write or erase: the chip may be failing; try again, then replace it.
    Flash,
    /// No room left even after reclaiming old records: `factory-reset confirm`.
    Full,
    /// The records are damaged beyond repair: `factory-reset confirm` and set the values again.
    Corrupted,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreError::BadRange => {
                "the settings partition is not whole 4 KiB pages or is smaller than two; flash with the standard partition table"
            }
            StoreError::Flash => "the flash refused the operation; settings may not persist",
            StoreError::Full => "no room left for settings; `factory-reset confirm` clears it",
            StoreError::Corrupted => {
                "the stored settings are damaged; `factory-reset confirm` and set them again"
            }
        })
    }
}

impl<E> From<sequential_storage::Error<E>> for StoreError {
    fn from(error: sequential_storage::Error<E>) -> Self {
        match error {
            sequential_storage::Error::Storage { .. } => StoreError::Flash,
            sequential_storage::Error::FullStorage => StoreError::Full,
            _ => StoreError::Corrupted,
        }
    }
}

/// Opens the settings map on `range` of `flash`.
pub fn open<S: NorFlash>(flash: S, range: Range<u32>) -> Result<Map<S>, StoreError> {
    let config = MapConfig::try_new(range).map_err(|_| StoreError::BadRange)?;
    Ok(MapStorage::new(flash, config, Cache::new_uncached()))
}

/// Reads every record into a default configuration.
///
/// A record that cannot be used (from a newer firmware, damaged, no longer valid) is handed to
/// `skipped` and the setting keeps its default. Only an unreadable map is an error.
pub async fn load<S: NorFlash>(
    map: &mut Map<S>,
    mut skipped: impl FnMut(LoadError),
) -> Result<Config, StoreError> {
    let mut config = Config::default();
    let mut scratch = [0u8; RECORD_BUFFER_LEN];
    let mut items = map.fetch_all_items(&mut scratch).await?;
    let mut record = [0u8; RECORD_BUFFER_LEN];
    while let Some((id, value)) = items.next::<&[u8]>(&mut record).await? {
        if id == time_floor::RECORD_ID {
            continue;
        }
        if let Err(error) = config.load(id, value) {
            skipped(error);
        }
    }
    Ok(config)
}

/// Records with ids this firmware does not know (a newer firmware's settings) that a scrub
/// carries over; a flash with more of them is not scrubbed (see [`save`]).
pub const KEPT_RECORDS: usize = 4;

/// Writes the current value of `key`.
///
/// A new record never overwrites the old one in place: `sequential-storage` appends, and the
/// superseded record stays in flash, readable with a flash dump, until its page is reclaimed.
/// That is harmless for a brightness and not for a secret, so after writing a secret (the Wi-Fi
/// password, the client secret) the whole partition is erased and every current setting written
/// back: no earlier value of any secret survives. It costs one erase of the
/// partition's pages per secret change, which a person makes by hand and rarely.
pub async fn save<S: NorFlash>(
    map: &mut Map<S>,
    config: &Config,
    key: Key,
) -> Result<(), StoreError> {
    write(map, config, key).await?;
    if key.is_secret() {
        scrub(map, config).await?;
    }
    Ok(())
}

async fn write<S: NorFlash>(map: &mut Map<S>, config: &Config, key: Key) -> Result<(), StoreError> {
    let mut value = [0u8; MAX_VALUE_LEN];
    let len = config
        .encode(key, &mut value)
        .map_err(|_| StoreError::Corrupted)?;
    let value: &[u8] = value.get(..len).unwrap_or_default();
    let mut scratch = [0u8; RECORD_BUFFER_LEN];
    map.store_item(&mut scratch, &key.id(), &value).await?;
    Ok(())
}

/// The saved time floor, if any; a record that cannot be read counts as none.
pub async fn load_time_floor<S: NorFlash>(map: &mut Map<S>) -> Result<Option<u64>, StoreError> {
    let mut scratch = [0u8; RECORD_BUFFER_LEN];
    let record = map
        .fetch_item::<&[u8]>(&mut scratch, &time_floor::RECORD_ID)
        .await?;
    Ok(record.and_then(time_floor::decode))
}

/// Saves the time floor `unix_secs`.
pub async fn save_time_floor<S: NorFlash>(
    map: &mut Map<S>,
    unix_secs: u64,
) -> Result<(), StoreError> {
    let mut scratch = [0u8; RECORD_BUFFER_LEN];
    let record = time_floor::encode(unix_secs);
    map.store_item(&mut scratch, &time_floor::RECORD_ID, &&record[..])
        .await?;
    Ok(())
}

/// Removes the record of `key`: it reads back as its default. A secret's old records are
/// scrubbed as by [`save`]; `config` is the settings after the change.
pub async fn forget<S: MultiwriteNorFlash>(
    map: &mut Map<S>,
    config: &Config,
    key: Key,
) -> Result<(), StoreError> {
    let mut scratch = [0u8; RECORD_BUFFER_LEN];
    map.remove_item(&mut scratch, &key.id()).await?;
    if key.is_secret() {
        scrub(map, config).await?;
    }
    Ok(())
}

/// Erases the partition and writes back what `config` holds plus the records this firmware
/// does not know, so that no superseded record (an old secret) stays in flash.
///
/// A power cut between the erase and the last write loses the settings not yet written back:
/// the light then boots asking for them, as after a factory reset, and says which are missing.
/// A flash holding more than [`KEPT_RECORDS`] unknown records is left as it is (erasing would
/// lose a newer firmware's settings): [`StoreError::Full`] tells the person to factory-reset.
async fn scrub<S: NorFlash>(map: &mut Map<S>, config: &Config) -> Result<(), StoreError> {
    let mut kept: heapless::Vec<(u8, heapless::Vec<u8, MAX_VALUE_LEN>), KEPT_RECORDS> =
        heapless::Vec::new();
    {
        let mut scratch = [0u8; RECORD_BUFFER_LEN];
        let mut items = map.fetch_all_items(&mut scratch).await?;
        let mut record = [0u8; RECORD_BUFFER_LEN];
        while let Some((id, value)) = items.next::<&[u8]>(&mut record).await? {
            if Key::from_id(id).is_some() {
                continue;
            }
            let value = heapless::Vec::from_slice(value).map_err(|_| StoreError::Full)?;
            // Records come oldest first: a later one for the same id replaces the earlier.
            match kept.iter_mut().find(|(kept_id, _)| *kept_id == id) {
                Some(slot) => slot.1 = value,
                None => kept.push((id, value)).map_err(|_| StoreError::Full)?,
            }
        }
    }
    map.erase_all().await?;
    for key in Key::ALL.into_iter().filter(|key| config.is_set(*key)) {
        write(map, config, key).await?;
    }
    let mut scratch = [0u8; RECORD_BUFFER_LEN];
    for (id, value) in &kept {
        map.store_item(&mut scratch, id, &value.as_slice()).await?;
    }
    Ok(())
}

/// Erases every setting.
pub async fn erase<S: NorFlash>(map: &mut Map<S>) -> Result<(), StoreError> {
    map.erase_all().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use embassy_futures::block_on;
    use embedded_storage_async::nor_flash::{ErrorType, NorFlashErrorKind, ReadNorFlash};
    use std::string::ToString;
    use std::vec::Vec;

    const PAGE: usize = 4096;
    /// The ESP-IDF default `nvs` partition: six pages.
    const PAGES: usize = 6;
    const AGENT: &str = "0f6f2b7e-3c0a-4d8e-9a51-2b7d1c4e5f60";

    /// A NOR flash in RAM with the ESP32's geometry and rules: erase sets whole 4 KiB pages to
    /// 0xff, writes of 4-byte words can only clear bits.
    #[derive(Clone)]
    struct RamFlash {
        bytes: Vec<u8>,
    }

    impl RamFlash {
        fn new() -> Self {
            RamFlash {
                bytes: std::vec![0xff; PAGE * PAGES],
            }
        }
    }

    #[derive(Debug)]
    struct OutOfBounds;

    impl embedded_storage_async::nor_flash::NorFlashError for OutOfBounds {
        fn kind(&self) -> NorFlashErrorKind {
            NorFlashErrorKind::OutOfBounds
        }
    }

    impl ErrorType for RamFlash {
        type Error = OutOfBounds;
    }

    impl ReadNorFlash for RamFlash {
        const READ_SIZE: usize = 1;

        async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), OutOfBounds> {
            let start = offset as usize;
            let source = self
                .bytes
                .get(start..start + bytes.len())
                .ok_or(OutOfBounds)?;
            bytes.copy_from_slice(source);
            Ok(())
        }

        fn capacity(&self) -> usize {
            self.bytes.len()
        }
    }

    impl NorFlash for RamFlash {
        const WRITE_SIZE: usize = 4;
        const ERASE_SIZE: usize = PAGE;

        async fn erase(&mut self, from: u32, to: u32) -> Result<(), OutOfBounds> {
            self.bytes
                .get_mut(from as usize..to as usize)
                .ok_or(OutOfBounds)?
                .fill(0xff);
            Ok(())
        }

        async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), OutOfBounds> {
            let start = offset as usize;
            let target = self
                .bytes
                .get_mut(start..start + bytes.len())
                .ok_or(OutOfBounds)?;
            for (t, b) in target.iter_mut().zip(bytes) {
                *t &= *b;
            }
            Ok(())
        }
    }

    impl MultiwriteNorFlash for RamFlash {}

    fn map(flash: RamFlash) -> Map<RamFlash> {
        open(flash, 0..(PAGE * PAGES) as u32).unwrap()
    }

    fn configured() -> Config {
        let mut config = Config::default();
        for (key, value) in [
            (Key::WifiSsid, "Office Wi-Fi"),
            (Key::WifiPassword, "correct horse"),
            (Key::Region, "eu-west-1"),
            (Key::ClientId, "8b4c3a8e-1111-2222-3333-444455556666"),
            (Key::ClientSecret, "s3cr3t-VALUE"),
            (Key::Agent, AGENT),
            (Key::Leds, "12"),
            (Key::Theme, "colour-blind"),
        ] {
            config.set(key, value).unwrap();
        }
        config
    }

    fn encoded(config: &Config) -> Vec<Vec<u8>> {
        Key::ALL
            .into_iter()
            .map(|key| {
                let mut buf = [0u8; MAX_VALUE_LEN];
                let len = config.encode(key, &mut buf).unwrap();
                buf[..len].to_vec()
            })
            .collect()
    }

    fn load_all(map: &mut Map<RamFlash>) -> (Config, Vec<LoadError>) {
        let mut skipped = Vec::new();
        let config = block_on(load(map, |e| skipped.push(e))).unwrap();
        (config, skipped)
    }

    /// The flash as a fresh boot finds it.
    fn reboot(map: Map<RamFlash>) -> Map<RamFlash> {
        let (flash, _) = map.destroy();
        self::map(flash)
    }

    #[test]
    fn a_blank_flash_loads_the_defaults() {
        let (config, skipped) = load_all(&mut map(RamFlash::new()));
        assert!(skipped.is_empty());
        assert_eq!(encoded(&config), encoded(&Config::default()));
    }

    #[test]
    fn a_configured_light_comes_back_the_same_after_a_restart() {
        let config = configured();
        let mut store = map(RamFlash::new());
        for key in Key::ALL.into_iter().filter(|k| config.is_set(*k)) {
            block_on(save(&mut store, &config, key)).unwrap();
        }
        let (loaded, skipped) = load_all(&mut reboot(store));
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(encoded(&loaded), encoded(&config));
        assert!(loaded.is_complete());
    }

    #[test]
    fn the_time_floor_survives_a_restart_beside_the_settings_and_is_no_setting() {
        let config = configured();
        let mut store = map(RamFlash::new());
        assert_eq!(block_on(load_time_floor(&mut store)), Ok(None));
        block_on(save(&mut store, &config, Key::Agent)).unwrap();
        block_on(save_time_floor(&mut store, 1_795_945_260)).unwrap();
        block_on(save_time_floor(&mut store, 1_796_031_660)).unwrap();
        let mut store = reboot(store);
        let (loaded, skipped) = load_all(&mut store);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(loaded.agent(), AGENT);
        assert_eq!(
            block_on(load_time_floor(&mut store)),
            Ok(Some(1_796_031_660))
        );
    }

    #[test]
    fn the_latest_of_many_changes_wins_as_records_rotate_through_the_pages() {
        let mut config = configured();
        let mut store = map(RamFlash::new());
        for key in Key::ALL {
            block_on(save(&mut store, &config, key)).unwrap();
        }
        // Far more writes than six pages hold: old records must be reclaimed.
        for round in 0..2_000u32 {
            let percent = (round % 100 + 1).to_string();
            config.set(Key::Brightness, &percent).unwrap();
            block_on(save(&mut store, &config, Key::Brightness)).unwrap();
        }
        let (loaded, _) = load_all(&mut reboot(store));
        assert_eq!(loaded.brightness_percent(), 100);
        assert_eq!(loaded.agent(), AGENT);
        assert_eq!(loaded.client_secret().expose_secret(), "s3cr3t-VALUE");
    }

    #[test]
    fn a_forgotten_setting_reads_back_as_its_default() {
        let config = configured();
        let mut store = map(RamFlash::new());
        block_on(save(&mut store, &config, Key::Leds)).unwrap();
        block_on(save(&mut store, &config, Key::Agent)).unwrap();
        block_on(forget(&mut store, &config, Key::Leds)).unwrap();
        let (loaded, _) = load_all(&mut reboot(store));
        assert_eq!(loaded.leds(), 1);
        assert_eq!(loaded.agent(), AGENT);
    }

    /// Whether `needle` is anywhere in the flash's bytes, live or superseded.
    fn flash_holds(store: Map<RamFlash>, needle: &str) -> (bool, Map<RamFlash>) {
        let (flash, _) = store.destroy();
        let found = flash
            .bytes
            .windows(needle.len())
            .any(|w| w == needle.as_bytes());
        (found, map(flash))
    }

    #[test]
    fn a_changed_or_unset_secret_leaves_no_old_value_in_flash() {
        for key in [Key::ClientSecret, Key::WifiPassword, Key::MqttPassword] {
            let mut config = configured();
            let mut store = map(RamFlash::new());
            for key in Key::ALL.into_iter().filter(|k| config.is_set(*k)) {
                block_on(save(&mut store, &config, key)).unwrap();
            }
            let mut scratch = [0u8; RECORD_BUFFER_LEN];
            block_on(store.store_item(&mut scratch, &200u8, &&b"from the future"[..])).unwrap();
            config.set(key, "first-value-OLD-1").unwrap();
            block_on(save(&mut store, &config, key)).unwrap();
            config.set(key, "second-value-NEW-2").unwrap();
            block_on(save(&mut store, &config, key)).unwrap();
            let (old, store) = flash_holds(store, "first-value-OLD-1");
            assert!(!old, "{key}: the superseded value is still in flash");
            let (new, store) = flash_holds(store, "second-value-NEW-2");
            assert!(new, "{key}: the new value is stored");
            // Everything else survived the scrub, the unknown record too.
            let mut store = store;
            let (loaded, skipped) = load_all(&mut store);
            assert_eq!(encoded(&loaded), encoded(&config));
            assert_eq!(skipped, std::vec![LoadError::UnknownKey { id: 200 }]);

            config.unset(key);
            block_on(forget(&mut store, &config, key)).unwrap();
            let (new, mut store) = flash_holds(store, "second-value-NEW-2");
            assert!(!new, "{key}: the unset value is still in flash");
            let (loaded, _) = load_all(&mut store);
            assert!(!loaded.is_set(key));
            assert_eq!(loaded.agent(), AGENT);
        }
    }

    #[test]
    fn a_changed_ordinary_setting_does_not_erase_the_partition() {
        let mut config = configured();
        let mut store = map(RamFlash::new());
        config.set(Key::TimeServer, "old-time.example").unwrap();
        block_on(save(&mut store, &config, Key::TimeServer)).unwrap();
        config.set(Key::TimeServer, "new-time.example").unwrap();
        block_on(save(&mut store, &config, Key::TimeServer)).unwrap();
        // The superseded value is still there: only secrets pay for a scrub.
        let (old, _) = flash_holds(store, "old-time.example");
        assert!(old);
    }

    #[test]
    fn a_factory_reset_leaves_nothing() {
        let config = configured();
        let mut store = map(RamFlash::new());
        for key in Key::ALL {
            block_on(save(&mut store, &config, key)).unwrap();
        }
        block_on(erase(&mut store)).unwrap();
        let (loaded, _) = load_all(&mut reboot(store));
        assert_eq!(encoded(&loaded), encoded(&Config::default()));
    }

    #[test]
    fn records_this_firmware_cannot_use_are_reported_and_the_rest_loads() {
        let mut store = map(RamFlash::new());
        let mut scratch = [0u8; RECORD_BUFFER_LEN];
        block_on(store.store_item(&mut scratch, &200u8, &&b"from the future"[..])).unwrap();
        block_on(store.store_item(&mut scratch, &Key::Leds.id(), &&b"999"[..])).unwrap();
        block_on(save(&mut store, &configured(), Key::Agent)).unwrap();
        let (loaded, skipped) = load_all(&mut reboot(store));
        assert_eq!(loaded.agent(), AGENT);
        assert_eq!(loaded.leds(), 1);
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped.contains(&LoadError::UnknownKey { id: 200 }));
    }

    #[test]
    fn damaged_flash_never_panics_and_never_invents_values() {
        let config = configured();
        let mut store = map(RamFlash::new());
        for key in Key::ALL {
            block_on(save(&mut store, &config, key)).unwrap();
        }
        let (pristine, _) = store.destroy();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200 {
            let mut flash = pristine.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = (state as usize) % flash.bytes.len();
                flash.bytes[at] ^= 1 << (state >> 61);
            }
            let mut damaged = map(flash);
            // Either an error, or settings that each are the saved value or the default.
            if let Ok(loaded) = block_on(load(&mut damaged, |_| {})) {
                for (key, (got, (saved, default))) in Key::ALL.into_iter().zip(
                    encoded(&loaded).into_iter().zip(
                        encoded(&config)
                            .into_iter()
                            .zip(encoded(&Config::default())),
                    ),
                ) {
                    assert!(got == saved || got == default, "{key} was invented");
                }
            }
        }
    }

    #[test]
    fn a_partition_that_is_not_whole_pages_is_refused() {
        assert_eq!(
            open(RamFlash::new(), 0..(PAGE as u32 + 100)).err(),
            Some(StoreError::BadRange)
        );
        assert_eq!(
            open(RamFlash::new(), 0..PAGE as u32).err(),
            Some(StoreError::BadRange)
        );
    }

    #[test]
    fn storage_errors_say_what_to_do() {
        for error in [
            StoreError::BadRange,
            StoreError::Flash,
            StoreError::Full,
            StoreError::Corrupted,
        ] {
            assert!(error.to_string().len() > 20);
        }
        assert!(
            StoreError::Full
                .to_string()
                .contains("factory-reset confirm")
        );
    }
}
