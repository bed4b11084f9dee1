// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Test support shared by the crates' tests (feature `testing`): a real SMTP server on a
//! loopback port, `scripts/smtp-sink.py` (aiosmtpd), whose mail lands in a temporary Maildir.

// Only tests use this; a failed set-up should stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running SMTP server; stopped when dropped.
pub struct SmtpSink {
    pub port: u16,
    maildir: tempfile::TempDir,
    _child: Child,
}

/// What the server demands of clients.
#[derive(Default)]
pub struct SinkOptions<'a> {
    /// Certificate and key (PEM): STARTTLS offered and required.
    pub tls: Option<(&'a Path, &'a Path)>,
    /// AUTH required with this user and password.
    pub auth: Option<(&'a str, &'a str)>,
    /// `RCPT TO` of these addresses (lower case) answered with these replies ("550 5.1.1 …").
    pub refuse_rcpt: &'a [(&'a str, &'a str)],
    /// Every `DATA` answered with this reply (a relay refusing the sender or content).
    pub refuse_data: Option<&'a str>,
}

impl SmtpSink {
    pub async fn start(options: SinkOptions<'_>) -> Self {
        let maildir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp-sink.py");
        let mut command = Command::new("python3");
        command
            .arg(script)
            .arg("--port")
            .arg(port.to_string())
            .arg("--maildir")
            .arg(maildir.path().join("mail"));
        if let Some((cert, key)) = options.tls {
            command.arg("--cert").arg(cert).arg("--key").arg(key);
        }
        if let Some((user, password)) = options.auth {
            command.arg("--user").arg(user).arg("--password").arg(password);
        }
        for (address, reply) in options.refuse_rcpt {
            command.arg("--refuse-rcpt").arg(format!("{address}={reply}"));
        }
        if let Some(reply) = options.refuse_data {
            command.arg("--refuse-data").arg(reply);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // aiosmtpd logs every refused TLS handshake with a traceback; tests assert on mail.
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs scripts/smtp-sink.py (scripts/setup.sh test installs aiosmtpd)");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(20), BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("the SMTP sink starts within 20 s")
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start (is aiosmtpd installed?)");
        Self { port, maildir, _child: child }
    }

    /// Every mail received so far, as raw RFC 5322 text, oldest first.
    pub fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("mail/new");
        let mut files: Vec<_> = std::fs::read_dir(new).map(|d| d.flatten().collect()).unwrap_or_default();
        files.sort_by_key(|f| f.metadata().and_then(|m| m.modified()).ok());
        files.iter().map(|f| std::fs::read_to_string(f.path()).unwrap()).collect()
    }

    /// How many mails arrived so far (cheaper than [`SmtpSink::messages`] for thousands).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.maildir.path().join("mail/new")).map_or(0, |d| d.count())
    }

    /// Waits (up to 20 s) until at least `count` mails arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<String> {
        for _ in 0..400 {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} mails, got {}", self.messages().len());
    }
}

/// The body of a raw mail, quoted-printable decoded (lettre encodes long lines), so links can
/// be searched for.
pub fn body_text(raw: &str) -> String {
    let body = raw.split_once("\r\n\r\n").or_else(|| raw.split_once("\n\n")).map_or(raw, |(_, b)| b);
    let decoded = quoted_printable::decode(body, quoted_printable::ParseMode::Robust).unwrap();
    String::from_utf8_lossy(&decoded).into_owned()
}

/// A throwaway certificate authority and a server certificate it signed for `127.0.0.1` and
/// `localhost`, written as PEM files into `dir`.
pub struct TestCertificates {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn test_certificates(dir: &Path) -> TestCertificates {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "Community Database test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let paths =
        TestCertificates { ca: dir.join("ca.pem"), cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    std::fs::write(&paths.ca, ca.pem()).unwrap();
    std::fs::write(&paths.cert, cert.pem()).unwrap();
    std::fs::write(&paths.key, key.serialize_pem()).unwrap();
    paths
}

/// A real OpenLDAP server (Debian's `slapd`) on a loopback port with a generated configuration
/// in a temporary folder; stopped when dropped.
///
/// Its directory under `dc=example,dc=org`: the service account `cn=reader` (password
/// `reader-secret`); people `grace` (grace@example.org, password `grace-hopper-1906`, groups
/// `staff` and `board`) and `linus` (linus@example.org, `linus-torvalds-1969`, group `board`).
pub struct Slapd {
    pub url: String,
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
}

pub const LDAP_BASE: &str = "dc=example,dc=org";
pub const LDAP_READER: &str = "cn=reader,dc=example,dc=org";
pub const LDAP_READER_PASSWORD: &str = "reader-secret";
const LDAP_ADMIN_PASSWORD: &str = "admin-secret";

const LDAP_DATA: &str = "\
dn: dc=example,dc=org
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: cn=reader,dc=example,dc=org
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: reader
userPassword: reader-secret

dn: ou=people,dc=example,dc=org
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=org
objectClass: organizationalUnit
ou: groups

dn: uid=grace,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: grace
cn: Grace Hopper
sn: Hopper
mail: grace@example.org
userPassword: grace-hopper-1906

dn: uid=linus,ou=people,dc=example,dc=org
objectClass: inetOrgPerson
uid: linus
cn: Linus Torvalds
sn: Torvalds
mail: linus@example.org
userPassword: linus-torvalds-1969

dn: cn=staff,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: staff
member: uid=grace,ou=people,dc=example,dc=org

dn: cn=board,ou=groups,dc=example,dc=org
objectClass: groupOfNames
cn: board
member: uid=grace,ou=people,dc=example,dc=org
member: uid=linus,ou=people,dc=example,dc=org
";

impl Slapd {
    /// Starts slapd; with `tls`, it offers StartTLS with that certificate.
    pub async fn start(tls: Option<&TestCertificates>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let tls_lines = tls.map_or(String::new(), |t| {
            format!("TLSCertificateFile {}\nTLSCertificateKeyFile {}\n", t.cert.display(), t.key.display())
        });
        let config = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
{tls_lines}database mdb
maxsize 10485760
suffix \"{LDAP_BASE}\"
rootdn \"cn=admin,{LDAP_BASE}\"
rootpw {LDAP_ADMIN_PASSWORD}
directory {data}
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact=\"{LDAP_READER}\" read by self read by * none
",
            dir = dir.path().display(),
            data = data.display(),
        );
        let conf = dir.path().join("slapd.conf");
        std::fs::write(&conf, config).unwrap();
        std::fs::write(dir.path().join("data.ldif"), LDAP_DATA).unwrap();
        let loaded = std::process::Command::new("/usr/sbin/slapadd")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(dir.path().join("data.ldif"))
            .output()
            .expect("slapadd runs (scripts/setup.sh test installs slapd)");
        assert!(loaded.status.success(), "slapadd: {}", String::from_utf8_lossy(&loaded.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut slapd = Self { url: format!("ldap://127.0.0.1:{port}"), port, dir, child: None };
        slapd.run();
        slapd
    }

    fn run(&mut self) {
        let child = std::process::Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(self.dir.path().join("slapd.conf"))
            .arg("-h")
            .arg(format!("{}/", self.url))
            // Debug level 0: stays in the foreground, logs nothing.
            .arg("-d")
            .arg("0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd starts");
        self.child = Some(child);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("slapd did not listen on {} within 5 s", self.url);
    }

    /// Changes the directory as its administrator would (`ldapmodify` with an LDIF).
    pub fn modify(&self, ldif: &str) {
        use std::io::Write;
        let mut child = std::process::Command::new("ldapmodify")
            .args(["-x", "-H", &self.url, "-D", &format!("cn=admin,{LDAP_BASE}"), "-w", LDAP_ADMIN_PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("ldapmodify runs (scripts/setup.sh test installs ldap-utils)");
        child.stdin.take().unwrap().write_all(ldif.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success(), "ldapmodify failed");
    }

    /// Stops the server (the directory is down until `restart`).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
