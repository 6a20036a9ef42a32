//! Curbside's HTTP server: the staff API, the realtime endpoints, probes and metrics, wired
//! around one [`curbside_store::Store`] and one [`curbside_hub::Hub`]. `main.rs` is a thin CLI.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod realtime;
pub mod state;
pub mod web;
pub mod webhooks;

pub use app::Application;
pub use config::{Config, Settings};
