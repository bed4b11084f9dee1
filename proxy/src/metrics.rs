// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Prometheus metrics served on the admin port. Labels are the configured site names (never
//! the raw `Host` header), so a client cannot blow up the number of series.

use http::uri::Authority;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    site: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SiteLabel {
    site: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HostLabel {
    host: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabel {
    upstream: String,
}

type HistogramFamily = Family<SiteLabel, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    upstream_up: Family<UpstreamLabel, Gauge>,
    certificate_expiry: Family<HostLabel, Gauge>,
}

fn latency_histogram() -> Histogram {
    // 0.1 ms … ~3.3 s
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("proxy");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("requests", "Requests answered, by site and status", requests.clone());
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "request_duration_seconds",
            "Time from the request head to the response head, by site",
            latency.clone(),
        );
        let upstream_up = Family::<UpstreamLabel, Gauge>::default();
        registry.register(
            "upstream_up",
            "1 if the upstream takes requests, 0 if it is skipped",
            upstream_up.clone(),
        );
        let certificate_expiry = Family::<HostLabel, Gauge>::default();
        registry.register(
            "certificate_expiry_timestamp_seconds",
            "When the certificate served for the host expires (Unix time)",
            certificate_expiry.clone(),
        );
        Self { registry, requests, latency, upstream_up, certificate_expiry }
    }
}

impl Metrics {
    pub fn request(&self, site: &str, status: u16, elapsed: Duration) {
        self.requests.get_or_create(&RequestLabels { site: site.to_owned(), status }).inc();
        self.latency.get_or_create(&SiteLabel { site: site.to_owned() }).observe(elapsed.as_secs_f64());
    }

    pub fn upstream_health(&self, upstream: &Authority, up: bool) {
        self.upstream_up.get_or_create(&UpstreamLabel { upstream: upstream.to_string() }).set(i64::from(up));
    }

    pub fn certificate_expiry(&self, host: &str, unix_time: i64) {
        self.certificate_expiry.get_or_create(&HostLabel { host: host.to_owned() }).set(unix_time);
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
