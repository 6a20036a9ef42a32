//! Curbside's HTTP server: the staff API, the realtime endpoints, probes and metrics, wired
//! around one [`curbside_store::Store`] and one [`curbside_hub::Hub`]. `main.rs` is a thin CLI.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod demo;
pub mod error;
pub mod listener;
pub mod metrics;
pub mod openapi;
pub mod public;
pub mod realtime;
pub mod secrets;
pub mod signin;
pub mod state;
pub mod web;
pub mod webhooks;

pub use app::Application;
pub use client::{client_addr, ClientAddr};
pub use config::{Config, Settings};
