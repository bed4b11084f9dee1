// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The routing table built from the settings: host → site → longest matching path prefix →
//! upstream pool, and which prefixes need which groups. Replaced as a whole on reload.

use crate::config::{Certificate, Config};
use crate::pool::Pool;
use std::collections::HashMap;
use std::sync::Arc;

pub struct Table {
    sites: HashMap<String, Arc<SiteEntry>>,
    /// Health-check loops of this table's pools; they stop when the table is replaced.
    pub(crate) tasks: Vec<tokio::task::AbortHandle>,
}

impl Drop for Table {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

pub struct SiteEntry {
    /// The first host name: the label for logs and metrics.
    pub name: String,
    pub has_certificate: bool,
    routes: Vec<(String, Arc<Pool>)>,
    protected: Vec<(String, Vec<String>)>,
}

impl Table {
    pub fn empty() -> Self {
        Self { sites: HashMap::new(), tasks: Vec::new() }
    }

    pub fn build(config: &Config) -> Result<Self, String> {
        let mut sites = HashMap::new();
        for site in &config.sites {
            let mut routes = site
                .routes
                .iter()
                .map(|route| Ok((route.path.clone(), Arc::new(Pool::new(route)?))))
                .collect::<Result<Vec<_>, String>>()?;
            // Longest prefix first, so the first match is the most specific.
            routes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
            let mut protected: Vec<_> =
                site.protected.iter().map(|rule| (rule.path.clone(), rule.groups.clone())).collect();
            protected.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
            let entry = Arc::new(SiteEntry {
                name: site.hosts[0].to_ascii_lowercase(),
                has_certificate: matches!(
                    site.certificate,
                    Some(Certificate::Acme(_) | Certificate::Files(_))
                ),
                routes,
                protected,
            });
            for host in &site.hosts {
                sites.insert(host.to_ascii_lowercase(), entry.clone());
            }
        }
        Ok(Self { sites, tasks: Vec::new() })
    }

    /// The site for a `Host` header or URI authority (port and trailing dot ignored).
    pub fn site(&self, host: &str) -> Option<&Arc<SiteEntry>> {
        self.sites.get(&normal_host(host))
    }

    pub fn pools(&self) -> impl Iterator<Item = &Arc<Pool>> {
        let mut seen = std::collections::HashSet::new();
        self.sites
            .values()
            .filter(move |site| seen.insert(Arc::as_ptr(site)))
            .flat_map(|site| site.routes.iter().map(|(_, pool)| pool))
    }
}

impl SiteEntry {
    pub fn pool(&self, path: &str) -> Option<&Arc<Pool>> {
        self.routes.iter().find(|(prefix, _)| prefix_matches(prefix, path)).map(|(_, pool)| pool)
    }

    /// The groups a request to `path` needs, if any. The path is checked as sent and as an
    /// upstream might read it (percent-decoded, dot segments resolved, slashes collapsed), so
    /// `/%61dmin` or `/x/../admin` cannot slip past a rule for `/admin`.
    pub fn required_groups(&self, path: &str) -> Option<&[String]> {
        let normal = normalize_path(path);
        self.protected
            .iter()
            .find(|(prefix, _)| prefix_matches(prefix, path) || prefix_matches(prefix, &normal))
            .map(|(_, groups)| groups.as_slice())
    }
}

pub fn normal_host(host: &str) -> String {
    let host = match host.rsplit_once(':') {
        // Not an IPv6 literal's colon.
        Some((name, port)) if !name.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Prefixes match whole segments: `/api` matches `/api`, `/api/` and `/api/x`, not `/apix`.
fn prefix_matches(prefix: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if prefix == "/" {
        return true;
    }
    let prefix = prefix.trim_end_matches('/');
    path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// The path as a lenient upstream might interpret it: percent-decoded (also `%2F`),
/// backslashes as slashes, empty and `.` segments dropped, `..` resolved.
pub fn normalize_path(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut decoded = Vec::with_capacity(path.len());
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) =
                (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex))
        {
            decoded.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    let text = String::from_utf8_lossy(&decoded).replace('\\', "/");
    let mut segments: Vec<&str> = Vec::new();
    for segment in text.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::path::Path;

    fn table() -> Table {
        let config = Config::parse(
            r#"
            [access]
            issuer = "https://id.example.org"
            [[site]]
            hosts = ["my.example.org", "www.example.org"]
            [[site.route]]
            upstreams = ["http://127.0.0.1:3000"]
            [[site.route]]
            path = "/api"
            upstreams = ["http://127.0.0.1:3001"]
            [[site.protect]]
            path = "/admin"
            groups = ["staff"]
            [[site.protect]]
            path = "/admin/board"
            groups = ["board"]
            "#,
            Path::new("t.toml"),
        )
        .unwrap();
        Table::build(&config).unwrap()
    }

    #[test]
    fn hosts_match_without_port_case_or_trailing_dot() {
        let table = table();
        for host in ["my.example.org", "MY.example.org:443", "www.example.org.", "my.example.org.:8443"] {
            assert_eq!(table.site(host).unwrap().name, "my.example.org", "{host}");
        }
        assert!(table.site("evil.example.org").is_none());
        assert!(table.site("[::1]:443").is_none());
    }

    #[test]
    fn the_longest_prefix_wins_on_segment_boundaries() {
        let table = table();
        let site = table.site("my.example.org").unwrap();
        let upstream = |path| site.pool(path).unwrap().upstreams[0].authority.port_u16();
        assert_eq!(upstream("/api"), Some(3001));
        assert_eq!(upstream("/api/v1?x=1"), Some(3001));
        assert_eq!(upstream("/apix"), Some(3000));
        assert_eq!(upstream("/"), Some(3000));
    }

    #[test]
    fn protected_prefixes_cannot_be_dodged_by_spelling() {
        let table = table();
        let site = table.site("my.example.org").unwrap();
        for path in [
            "/admin",
            "/admin/",
            "/admin/x",
            "/%61dmin",
            "//admin",
            "/x/../admin",
            "/./admin/x",
            "/admin%2Fx",
            "\\admin",
        ] {
            assert!(site.required_groups(path).is_some(), "{path} must be protected");
        }
        assert_eq!(site.required_groups("/admin/board/x").unwrap(), ["board"]);
        for path in ["/", "/administrator", "/public/admin", "/?next=/admin"] {
            assert!(site.required_groups(path).is_none(), "{path} is world-readable");
        }
    }
}
