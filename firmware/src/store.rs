//! The settings in flash: one record per setting in the `nvs` data partition, through
//! `sequential-storage` (wear levelling, CRC-checked records, power-loss safe).
//!
//! The record format is the logic crate's ([`desk_light_logic::config`]): key = setting id,
//! value = the setting's canonical text. The `nvs` partition of the standard ESP-IDF partition
//! table (24 KiB at 0x9000) is used because nothing else in a Rust firmware touches it.

use desk_light_logic::config::{Config, Key, MAX_VALUE_LEN};
use embassy_embedded_hal::adapter::BlockingAsync;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::mutex::Mutex;
use esp_bootloader_esp_idf::partitions::{
    self, DataPartitionSubType, PARTITION_TABLE_MAX_LEN, PartitionType,
};
use esp_storage::FlashStorage;
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};

type Flash = BlockingAsync<FlashStorage<'static>>;
type Map = MapStorage<u8, Flash, Cache<Uncached, Uncached, Uncached, u8>>;

/// Scratch space for one record: key, value and headers, rounded up to flash words.
const RECORD_BUFFER: usize = MAX_VALUE_LEN + 64;

/// Why the settings could not be opened, read or written.
#[derive(Debug, defmt::Format)]
pub enum StoreError {
    /// The partition table could not be read: the image was flashed without one.
    PartitionTable,
    /// No `nvs` data partition: flash with the standard partition table (espflash's default).
    NoPartition,
    /// The partition is not a whole number of 4 KiB sectors, or smaller than two.
    BadPartition,
    /// The flash refused an operation.
    Flash,
}

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            StoreError::PartitionTable => {
                "the partition table cannot be read; flash the image again with espflash"
            }
            StoreError::NoPartition => {
                "no nvs partition; flash with espflash's default partition table"
            }
            StoreError::BadPartition => {
                "the nvs partition is too small or misaligned for the settings"
            }
            StoreError::Flash => "the flash refused a write; settings may not persist",
        })
    }
}

/// The settings store, shared by the console and the reset button.
pub struct Store {
    map: Mutex<CriticalSectionRawMutex, Map>,
}

impl Store {
    /// Finds the `nvs` partition and opens the store on it.
    pub fn open(mut flash: FlashStorage<'static>) -> Result<Store, StoreError> {
        let mut table = [0u8; PARTITION_TABLE_MAX_LEN];
        let range = {
            let partitions = partitions::read_partition_table(&mut flash, &mut table)
                .map_err(|_| StoreError::PartitionTable)?;
            let nvs = partitions
                .find_partition(PartitionType::Data(DataPartitionSubType::Nvs))
                .map_err(|_| StoreError::PartitionTable)?
                .ok_or(StoreError::NoPartition)?;
            let end = nvs
                .offset()
                .checked_add(nvs.len())
                .ok_or(StoreError::BadPartition)?;
            nvs.offset()..end
        };
        let config = MapConfig::try_new(range).map_err(|_| StoreError::BadPartition)?;
        Ok(Store {
            map: Mutex::new(MapStorage::new(
                BlockingAsync::new(flash),
                config,
                Cache::new_uncached(),
            )),
        })
    }

    /// Reads every stored setting into a default configuration. Records that cannot be used
    /// are reported and skipped: the light still boots, with that setting at its default.
    pub async fn load(&self) -> Config {
        let mut config = Config::default();
        let mut map = self.map.lock().await;
        let mut buffer = [0u8; RECORD_BUFFER];
        let Ok(mut items) = map.fetch_all_items(&mut buffer).await else {
            defmt::warn!("settings: flash unreadable, starting from defaults");
            return config;
        };
        let mut record = [0u8; RECORD_BUFFER];
        loop {
            match items.next::<&[u8]>(&mut record).await {
                Ok(Some((id, value))) => {
                    if let Err(error) = config.load(id, value) {
                        defmt::warn!("settings: {}", defmt::Display2Format(&error));
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    defmt::warn!("settings: a damaged record was skipped");
                    break;
                }
            }
        }
        config
    }

    /// Writes the current value of `key`.
    pub async fn save(&self, config: &Config, key: Key) -> Result<(), StoreError> {
        let mut value = [0u8; MAX_VALUE_LEN];
        let len = config
            .encode(key, &mut value)
            .map_err(|_| StoreError::Flash)?;
        let value: &[u8] = value.get(..len).unwrap_or_default();
        let mut buffer = [0u8; RECORD_BUFFER];
        self.map
            .lock()
            .await
            .store_item(&mut buffer, &key.id(), &value)
            .await
            .map_err(|_| StoreError::Flash)
    }

    /// Removes the record of `key`: it reads back as its default.
    pub async fn forget(&self, key: Key) -> Result<(), StoreError> {
        let mut buffer = [0u8; RECORD_BUFFER];
        self.map
            .lock()
            .await
            .remove_item(&mut buffer, &key.id())
            .await
            .map_err(|_| StoreError::Flash)
    }

    /// Erases every setting.
    pub async fn erase(&self) -> Result<(), StoreError> {
        self.map
            .lock()
            .await
            .erase_all()
            .await
            .map_err(|_| StoreError::Flash)
    }
}
