// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The routing table built from the settings: host → site → longest matching path prefix →
//! upstream pool, and which prefixes need which groups. Replaced as a whole on reload. Both
//! are matched against the request's canonical path only (`crate::path`).

use crate::config::{Certificate, Config};
use crate::path::CanonicalPath;
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
    /// `case_insensitive_paths`: prefixes are stored lowercased and paths folded to match.
    case_insensitive_paths: bool,
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
            let fold = |prefix: &str| {
                if site.case_insensitive_paths { prefix.to_ascii_lowercase() } else { prefix.to_owned() }
            };
            let mut routes = site
                .routes
                .iter()
                .map(|route| Ok((fold(&route.path), Arc::new(Pool::new(route)?))))
                .collect::<Result<Vec<_>, String>>()?;
            // Longest prefix first, so the first match is the most specific.
            routes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
            let mut protected: Vec<_> =
                site.protected.iter().map(|rule| (fold(&rule.path), rule.groups.clone())).collect();
            protected.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
            let entry = Arc::new(SiteEntry {
                name: site.hosts[0].to_ascii_lowercase(),
                has_certificate: matches!(
                    site.certificate,
                    Some(Certificate::Acme(_) | Certificate::Files(_))
                ),
                case_insensitive_paths: site.case_insensitive_paths,
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
    /// The pool serving `path`: the longest route prefix that matches it.
    pub fn pool(&self, path: &CanonicalPath) -> Option<&Arc<Pool>> {
        let path = path.for_matching(self.case_insensitive_paths);
        self.routes.iter().find(|(prefix, _)| prefix_matches(prefix, &path)).map(|(_, pool)| pool)
    }

    /// The groups a request to `path` needs, if any: the longest protected prefix matching
    /// it. The path is the canonical one that is also forwarded (`crate::path`), so the rule
    /// chosen is the rule for what the upstream serves; no second spelling is consulted.
    pub fn required_groups(&self, path: &CanonicalPath) -> Option<&[String]> {
        let path = path.for_matching(self.case_insensitive_paths);
        self.protected
            .iter()
            .find(|(prefix, _)| prefix_matches(prefix, &path))
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
    if prefix == "/" {
        return true;
    }
    let prefix = prefix.trim_end_matches('/');
    path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::path::canonical;
    use std::path::Path;

    fn table(extra: &str) -> Table {
        let config = Config::parse(
            &format!(
                r#"
            [access]
            issuer = "https://id.example.org"
            audience = "wiki"
            [[site]]
            hosts = ["my.example.org", "www.example.org"]
            {extra}
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
            [[site.protect]]
            path = "/board"
            groups = ["board"]
            [[site.protect]]
            path = "/board/agenda"
            groups = ["staff", "board"]
            "#
            ),
            Path::new("t.toml"),
        )
        .unwrap();
        Table::build(&config).unwrap()
    }

    fn groups(table: &Table, raw: &str) -> Option<Vec<String>> {
        let site = table.site("my.example.org").unwrap();
        site.required_groups(&canonical(raw).unwrap()).map(<[String]>::to_vec)
    }

    #[test]
    fn hosts_match_without_port_case_or_trailing_dot() {
        let table = table("");
        for host in ["my.example.org", "MY.example.org:443", "www.example.org.", "my.example.org.:8443"] {
            assert_eq!(table.site(host).unwrap().name, "my.example.org", "{host}");
        }
        assert!(table.site("evil.example.org").is_none());
        assert!(table.site("[::1]:443").is_none());
    }

    #[test]
    fn the_longest_prefix_wins_on_segment_boundaries() {
        let table = table("");
        let site = table.site("my.example.org").unwrap();
        let upstream = |path| site.pool(&canonical(path).unwrap()).unwrap().upstreams[0].authority.port_u16();
        assert_eq!(upstream("/api"), Some(3001));
        assert_eq!(upstream("/api/v1"), Some(3001));
        assert_eq!(upstream("/apix"), Some(3000));
        assert_eq!(upstream("/"), Some(3000));
        // Routing sees the canonical path too: what /api serves goes to /api's pool.
        assert_eq!(upstream("/x/../api/v1"), Some(3001));
        assert_eq!(upstream("/%61pi"), Some(3001));
        assert_eq!(upstream("/api/../x"), Some(3000));
        assert_eq!(upstream("//api"), Some(3001));
    }

    #[test]
    fn protected_prefixes_cannot_be_dodged_by_spelling() {
        let table = table("");
        let staff = Some(vec!["staff".to_owned()]);
        for path in [
            "/admin",
            "/admin/",
            "/admin/x",
            "/%61dmin",
            "//admin",
            "/x/../admin",
            "/./admin/x",
            "/%2e/admin",
        ] {
            assert_eq!(groups(&table, path), staff, "{path} must be protected");
        }
        for path in ["/", "/administrator", "/public/admin", "/admin/../public"] {
            assert_eq!(groups(&table, path), None, "{path} is world-readable");
        }
    }

    #[test]
    fn a_nested_rule_is_chosen_by_the_path_the_upstream_serves() {
        // `/board/agenda` lets staff in, `/board` does not: a `..` out of the agenda must land
        // on the stricter rule, however it is spelt.
        let table = table("");
        let board = Some(vec!["board".to_owned()]);
        for path in [
            "/board/agenda/../minutes",
            "/board/agenda/%2e%2e/minutes",
            "/board/agenda/.%2E/minutes",
            "/board/agenda/%2E./minutes",
            "/board/agenda/./../minutes",
            "/board/agenda//../minutes",
            "/board/agenda/x/../../minutes",
            "/admin/board/../../board/minutes",
        ] {
            assert_eq!(groups(&table, path), board, "{path}");
        }
        assert_eq!(groups(&table, "/board/agenda/item"), Some(vec!["staff".to_owned(), "board".to_owned()]));
        assert_eq!(groups(&table, "/admin/board/x"), board);
    }

    #[test]
    fn case_is_folded_only_on_sites_that_ask_for_it() {
        let sensitive = table("");
        let insensitive = table("case_insensitive_paths = true");
        let staff = Some(vec!["staff".to_owned()]);
        for path in ["/ADMIN", "/Admin/x", "/%41dmin", "/aDmIn/", "/x/../ADMIN"] {
            assert_eq!(groups(&insensitive, path), staff, "{path}");
            assert_eq!(
                groups(&sensitive, path),
                None,
                "{path}: a case-sensitive upstream serves no /admin here"
            );
        }
        let board = Some(vec!["board".to_owned()]);
        assert_eq!(groups(&insensitive, "/BOARD/Agenda/../Minutes"), board);
        let site = insensitive.site("my.example.org").unwrap();
        assert_eq!(
            site.pool(&canonical("/API/v1").unwrap()).unwrap().upstreams[0].authority.port_u16(),
            Some(3001)
        );
    }
}
