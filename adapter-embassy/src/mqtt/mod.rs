//! The light listening to a gateway over MQTT (feature `mqtt`); see [`listener`].

pub mod listener;
