//! The settings in flash: `desk_light_logic::store` (tested on the host) on the `nvs` data
//! partition of the standard ESP-IDF partition table (24 KiB at 0x9000), which nothing else in
//! a Rust firmware touches.

use core::fmt;

use desk_light_logic::config::{Config, Key};
use desk_light_logic::sntp::Utc;
use desk_light_logic::store::{self, Map, StoreError};
use desk_light_logic::time_floor::TimeFloor;
use embassy_embedded_hal::adapter::BlockingAsync;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::mutex::Mutex;
use esp_bootloader_esp_idf::partitions::{
    self, DataPartitionSubType, PARTITION_TABLE_MAX_LEN, PartitionType,
};
use esp_storage::FlashStorage;

type Flash = BlockingAsync<FlashStorage<'static>>;

/// Why the settings partition could not be found.
#[derive(Debug, defmt::Format)]
pub enum OpenError {
    /// The partition table could not be read: the image was flashed without one.
    PartitionTable,
    /// No `nvs` data partition: flash with espflash's default partition table.
    NoPartition,
    /// The partition cannot hold the settings.
    Store(StoreError),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::PartitionTable => f.write_str(
                "the partition table cannot be read; flash the image again with espflash",
            ),
            OpenError::NoPartition => {
                f.write_str("no nvs partition; flash with espflash's default partition table")
            }
            OpenError::Store(error) => write!(f, "{error}"),
        }
    }
}

/// The settings store, shared by the console and the reset button.
pub struct Store {
    map: Mutex<CriticalSectionRawMutex, Map<Flash>>,
}

impl Store {
    /// Finds the `nvs` partition and opens the store on it.
    pub fn open(mut flash: FlashStorage<'static>) -> Result<Store, OpenError> {
        let mut table = [0u8; PARTITION_TABLE_MAX_LEN];
        let range = {
            let partitions = partitions::read_partition_table(&mut flash, &mut table)
                .map_err(|_| OpenError::PartitionTable)?;
            let nvs = partitions
                .find_partition(PartitionType::Data(DataPartitionSubType::Nvs))
                .map_err(|_| OpenError::PartitionTable)?
                .ok_or(OpenError::NoPartition)?;
            let end = nvs
                .offset()
                .checked_add(nvs.len())
                .ok_or(OpenError::Store(StoreError::BadRange))?;
            nvs.offset()..end
        };
        let map = store::open(BlockingAsync::new(flash), range).map_err(OpenError::Store)?;
        Ok(Store {
            map: Mutex::new(map),
        })
    }

    /// Reads the settings; unusable records are logged and skipped, an unreadable store gives
    /// the defaults (the light then asks to be configured).
    pub async fn load(&self) -> Config {
        let mut map = self.map.lock().await;
        let loaded = store::load(&mut map, |skipped| {
            defmt::warn!("settings: {}", defmt::Display2Format(&skipped));
        })
        .await;
        loaded.unwrap_or_else(|error| {
            defmt::error!("settings: {}", defmt::Display2Format(&error));
            Config::default()
        })
    }

    /// The time floor saved by an earlier run (none on a new light, or if it cannot be read:
    /// the light then believes its first time server answer, as a new light does).
    pub async fn load_time_floor(&self) -> TimeFloor {
        match store::load_time_floor(&mut *self.map.lock().await).await {
            Ok(Some(floor)) => {
                defmt::info!(
                    "time: no time before {} is believed",
                    defmt::Display2Format(&Utc(floor))
                );
                TimeFloor::restored(floor)
            }
            Ok(None) => TimeFloor::new(),
            Err(error) => {
                defmt::warn!("time: floor unreadable: {}", defmt::Display2Format(&error));
                TimeFloor::new()
            }
        }
    }

    /// Saves the time floor.
    pub async fn save_time_floor(&self, unix_secs: u64) -> Result<(), StoreError> {
        store::save_time_floor(&mut *self.map.lock().await, unix_secs).await
    }

    /// Writes the current value of `key`.
    pub async fn save(&self, config: &Config, key: Key) -> Result<(), StoreError> {
        store::save(&mut *self.map.lock().await, config, key).await
    }

    /// Removes the record of `key`; `config` is the settings after the change (a secret's
    /// removal rewrites them all, see `store::save`).
    pub async fn forget(&self, config: &Config, key: Key) -> Result<(), StoreError> {
        store::forget(&mut *self.map.lock().await, config, key).await
    }

    /// Erases every setting.
    pub async fn erase(&self) -> Result<(), StoreError> {
        store::erase(&mut *self.map.lock().await).await
    }
}
