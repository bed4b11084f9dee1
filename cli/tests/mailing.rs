// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin lists …`, `mailing …` and `mail bounces import` against a fresh database, running
//! the built binary: a list saved, listed and archived; content with a syntax error, an unknown
//! variable or an endless loop refused with nothing saved; `count` following the segment flags;
//! `preview` in both languages; `test` and `send --wait` into an outbox of `.eml` files with
//! the unsubscribe headers and one `Message-ID` per recipient; an empty segment refused; a
//! Maildir with a DSN for a real recipient's VERP address, a mail that is no DSN, a DSN for an
//! unknown envelope and an empty file, imported twice.
//! Needs `DATABASE_URL` (a server where tests may create databases):
//! `cargo test -p cli --test mailing`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::audit::{Actor, Origin};
use domain::consent::{self, ListKey, State};
use domain::email::{self, Verification};
use domain::mailing::MailingKeys;
use domain::mailing::token::AddressKind;
use domain::person::{self, NewPerson};
use domain::types::{CountryCode, DisplayName, Email, Language, PersonId};
use serde_json::Value;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::Command;
use time::OffsetDateTime;

const ORIGIN: Origin<'static> = Origin { actor: &Actor::System, source: "test" };
const BOUNCES: &str = "bounces@example.org";

fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap()
    )
}

/// A folder for one test: the key file, the outbox, content files; the binary runs in it, so
/// nothing lands in the checkout.
struct Setup {
    dir: tempfile::TempDir,
    pool: PgPool,
}

impl Setup {
    fn new(pool: PgPool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mailing.keys"), MailingKeys::new_file_line("t")).unwrap();
        Self { dir, pool }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn keys(&self) -> MailingKeys {
        MailingKeys::parse(&std::fs::read_to_string(self.path("mailing.keys")).unwrap()).unwrap()
    }

    /// Runs `cdb-admin ARGS` with none of the caller's settings variables; `outbox` is
    /// `mail.outbox_dir`.
    fn admin_into(&self, outbox: &str, args: &[&str]) -> (bool, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-admin"));
        for (name, _) in std::env::vars() {
            if name == "DATABASE_URL" || name.starts_with("CDB_") {
                command.env_remove(name);
            }
        }
        let output = command
            .current_dir(self.dir.path())
            .env("DATABASE_URL", database_url(&self.pool))
            .env("CDB_HTTP__PUBLIC_URL", "https://my.example.org")
            .env("CDB_SITE__ORGANISATION", "Friends")
            .env("CDB_MAIL__TRANSPORT", "outbox")
            .env("CDB_MAIL__OUTBOX_DIR", self.path(outbox))
            .env("CDB_MAILING__KEY_FILE", self.path("mailing.keys"))
            .env("CDB_MAILING__BOUNCE_ADDRESS", BOUNCES)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn admin(&self, args: &[&str]) -> (bool, String, String) {
        self.admin_into("outbox", args)
    }

    /// Runs it, asserts success and returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.admin(args);
        assert!(ok, "cdb-admin {args:?} failed:\n{out}\n{err}");
        out
    }

    /// Writes a content file and returns its path.
    fn content(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    /// The newsletter list, in English and German, without double opt-in.
    fn newsletter(&self) {
        self.ok(&[
            "lists",
            "save",
            "newsletter",
            "--name",
            "en=Newsletter",
            "--name",
            "de=Rundbrief",
            "--description",
            "en=News about once a month",
            "--double-opt-in",
            "false",
            "--text-version",
            "v1",
        ]);
    }

    /// A draft to the newsletter with English and German content; returns its id.
    fn mailing(&self, extra: &[&str]) -> String {
        let en = self.content(
            "en.md",
            "Subject: Autumn news for {{ name }}\n\nHello {{ name }},\n\nthe **autumn** news.\n",
        );
        let de = self.content(
            "de.md",
            "Subject: Herbstnachrichten für {{ name }}\n\nHallo {{ name }},\n\ndie Herbstnachrichten.\n",
        );
        let mut args = vec!["mailing", "create", "--title", "Autumn", "--list", "newsletter"];
        let en = format!("en={en}");
        let de = format!("de={de}");
        args.extend(["--content", &en, "--content", &de]);
        args.extend(extra);
        self.ok(&args).trim().to_owned()
    }
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A person with a verified primary address, subscribed to the newsletter; a supporter when
/// `supporter`.
async fn subscriber(
    pool: &PgPool,
    name: &str,
    address: &str,
    language: Language,
    country: Option<&str>,
    supporter: bool,
) -> PersonId {
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from(name).unwrap(),
        country: country.map(|c| CountryCode::try_from(c).unwrap()),
        address: None,
        preferred_language: language,
        referrer: None,
    };
    let person = person::create(&mut tx, ORIGIN, &new).await.unwrap();
    let address = Email::try_from(address).unwrap();
    email::add(
        &mut tx,
        ORIGIN,
        person.id,
        &address,
        true,
        Verification::VerifiedAt(OffsetDateTime::now_utc()),
    )
    .await
    .unwrap();
    if supporter {
        person::assign_supporter_number(&mut tx, ORIGIN, person.id).await.unwrap();
    }
    let list = ListKey::parse("newsletter").unwrap();
    consent::record(&mut tx, ORIGIN, person.id, &list, State::Subscribed).await.unwrap();
    tx.commit().await.unwrap();
    person.id
}

/// Ada (English, Germany, supporter) and Bert (German, Austria, no supporter number).
async fn two_subscribers(pool: &PgPool) {
    subscriber(pool, "Ada Lovelace", "ada@example.net", Language::English, Some("DE"), true).await;
    subscriber(pool, "Bert Brecht", "bert@example.net", Language::German, Some("AT"), false).await;
}

fn eml_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<String> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    files.sort();
    files
}

/// The number on the summary line that starts with `label`.
fn number_after(out: &str, label: &str) -> i64 {
    let line = out.lines().find_map(|l| l.trim_start().strip_prefix(label)).expect(label);
    line.split_whitespace().next().and_then(|n| n.parse().ok()).expect(label)
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    mail.lines().find_map(|l| l.strip_prefix(&prefix))
}

/// The entry of `key` in `lists list --json`.
fn listed(setup: &Setup, key: &str, all: bool) -> Option<Value> {
    let args: &[&str] =
        if all { &["lists", "list", "--json", "--all"] } else { &["lists", "list", "--json"] };
    let lists: Vec<Value> = serde_json::from_str(&setup.ok(args)).unwrap();
    lists.into_iter().find(|l| l["key"] == key)
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn lists_are_saved_listed_and_archived(pool: PgPool) {
    let setup = Setup::new(pool);
    setup.ok(&[
        "lists",
        "save",
        "local-news",
        "--name",
        "en=Local news",
        "--name",
        "de=Lokales",
        "--description",
        "en=What happens near you",
        "--double-opt-in",
        "false",
        "--text-version",
        "v1",
        "--position",
        "5",
    ]);
    let list = listed(&setup, "local-news", false).expect("listed");
    assert_eq!(list["double_opt_in"], false);
    assert_eq!(list["visibility"], "supporters");
    assert_eq!(list["position"], 5);
    assert_eq!(list["texts"].as_array().unwrap().len(), 2);
    assert_eq!(list["texts"][0]["language"], "de");
    assert_eq!(list["texts"][1]["description"], "What happens near you");
    let table = setup.ok(&["lists", "list"]);
    let line = table.lines().find(|l| l.starts_with("local-news")).expect("a line");
    assert!(line.contains("Local news") && line.contains("supporters") && line.contains("v1"), "{table}");

    // Options left out keep their value; the texts are replaced.
    setup.ok(&[
        "lists",
        "save",
        "local-news",
        "--name",
        "en=News",
        "--text-version",
        "v2",
        "--visibility",
        "staff",
    ]);
    let list = listed(&setup, "local-news", false).unwrap();
    assert_eq!(
        (&list["double_opt_in"], &list["visibility"], &list["position"]),
        (&false.into(), &"staff".into(), &5.into())
    );
    assert_eq!(list["texts"].as_array().unwrap().len(), 1);

    for (args, expected) in [
        (vec!["lists", "save", "Bad Key", "--name", "en=X", "--text-version", "1"], "is not a list key"),
        (vec!["lists", "save", "x", "--name", "English", "--text-version", "1"], "LANG=TEXT"),
        (vec!["lists", "save", "x", "--name", "fr=Lettre", "--text-version", "1"], "not a language"),
        (
            vec!["lists", "save", "x", "--name", "en=X", "--description", "de=Y", "--text-version", "1"],
            "no --name de",
        ),
        (vec!["lists", "save", "x", "--name", "en=X", "--text-version", ""], "text version"),
        (vec!["lists", "archive", "nosuch"], "there is no list nosuch"),
    ] {
        let (ok, _, err) = setup.admin(&args);
        assert!(!ok && err.contains(expected), "{args:?}: {err}");
    }

    let out = setup.ok(&["lists", "archive", "local-news"]);
    assert!(out.contains("archived"), "{out}");
    assert!(setup.ok(&["lists", "archive", "local-news"]).contains("archived already"));
    assert!(listed(&setup, "local-news", false).is_none());
    assert_eq!(listed(&setup, "local-news", true).unwrap()["archived"], true);
    let (ok, _, err) = setup.admin(&["mailing", "count", "--list", "local-news"]);
    assert!(ok && err.contains("archived"), "{err}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn refused_content_saves_nothing(pool: PgPool) {
    let setup = Setup::new(pool.clone());
    setup.newsletter();
    let syntax = setup.content("syntax.md", "Subject: Hello\n\nLine one\n{% if name %}\nno end\n");
    let unknown = setup.content("unknown.md", "Subject: Hello\n\nYour address: {{ email }}\n");
    let endless = setup.content(
        "endless.md",
        "Subject: Hello\n\n{% for i in range(1000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}\n",
    );
    let no_subject = setup.content("nosubject.md", "Hello\n\nbody\n");
    for (file, expected) in [
        (&syntax, "syntax error"),
        (&unknown, "unknown variable `email`"),
        (&endless, "endless or very long loop"),
        (&no_subject, "line 1 must be the subject"),
    ] {
        let content = format!("en={file}");
        let (ok, out, err) = setup.admin(&[
            "mailing",
            "create",
            "--title",
            "T",
            "--list",
            "newsletter",
            "--content",
            &content,
        ]);
        assert!(!ok && err.contains(expected) && err.contains(file.as_str()), "{file}: {out}{err}");
        assert!(out.is_empty(), "{out}");
    }
    // The line is named, and where that is in the file.
    let content = format!("en={syntax}");
    let (_, _, err) =
        setup.admin(&["mailing", "create", "--title", "T", "--list", "newsletter", "--content", &content]);
    assert!(
        err.contains("on line") && err.contains(&format!("{syntax}:")) && err.contains("Nothing was saved"),
        "{err}"
    );
    let content = format!("en={unknown}");
    let (_, _, err) =
        setup.admin(&["mailing", "create", "--title", "T", "--list", "newsletter", "--content", &content]);
    assert!(
        err.contains(&format!("{unknown}:3 (en): The body uses the unknown variable `email` on line 1")),
        "{err}"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM mailing").await, 0);
    // One good and one bad file: neither is saved.
    let good = setup.content("good.md", "Subject: Hi\n\nHello {{ name }}\n");
    let (good_arg, bad_arg) = (format!("en={good}"), format!("de={unknown}"));
    let (ok, _, _) = setup.admin(&[
        "mailing",
        "create",
        "--title",
        "T",
        "--list",
        "newsletter",
        "--content",
        &good_arg,
        "--content",
        &bad_arg,
    ]);
    assert!(!ok);
    assert_eq!(count(&pool, "SELECT count(*) FROM mailing").await, 0);

    // Editing with refused content keeps the saved content.
    let id = setup.mailing(&[]);
    let content = format!("en={endless}");
    let (ok, _, err) = setup.admin(&["mailing", "edit", &id, "--title", "Changed", "--content", &content]);
    assert!(!ok && err.contains("loop"), "{err}");
    let subject: String = sqlx::query_scalar("SELECT subject FROM mailing_content WHERE language = 'en'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(subject, "Autumn news for {{ name }}");
    assert_eq!(count(&pool, "SELECT count(*) FROM mailing WHERE title = 'Autumn'").await, 1);
    // Unknown lists and malformed ids are refused too.
    let (ok, _, err) = setup.admin(&["mailing", "create", "--title", "T", "--list", "nosuch"]);
    assert!(!ok && err.contains("no such list"), "{err}");
    let (ok, _, err) = setup.admin(&["mailing", "status", "not-a-uuid"]);
    assert!(!ok && err.contains("is not a mailing id"), "{err}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn count_follows_the_segment_flags(pool: PgPool) {
    let setup = Setup::new(pool.clone());
    setup.newsletter();
    two_subscribers(&pool).await;
    // Not subscribed: never counted.
    let mut tx = pool.begin().await.unwrap();
    let new = NewPerson {
        display_name: DisplayName::try_from("Carl").unwrap(),
        country: None,
        address: None,
        preferred_language: Language::English,
        referrer: None,
    };
    person::create(&mut tx, ORIGIN, &new).await.unwrap();
    tx.commit().await.unwrap();
    let today = OffsetDateTime::now_utc().date().to_string();
    for (flags, expected) in [
        (vec![], 2),
        (vec!["--country", "de"], 1),
        (vec!["--country", "DE", "--country", "AT"], 2),
        (vec!["--language", "de"], 1),
        (vec!["--supporter", "yes"], 1),
        (vec!["--supporter", "no", "--language", "en"], 0),
        (vec!["--donor", "never-gave"], 2),
        (vec!["--donor", "ever-gave"], 0),
        (vec!["--period", "monthly"], 0),
        (vec!["--referrer", "spring-campaign"], 0),
        (vec!["--registered-from", today.as_str()], 2),
        (vec!["--registered-until", "2000-01-01"], 0),
    ] {
        let mut args = vec!["mailing", "count", "--list", "newsletter"];
        args.extend(&flags);
        let (ok, out, err) = setup.admin(&args);
        assert!(ok, "{flags:?}: {err}");
        assert_eq!(out.trim(), expected.to_string(), "{flags:?}: {err}");
    }
    for (flags, expected) in [
        (vec!["--country", "XX"], "country code"),
        (vec!["--language", "fr"], "not a language"),
        (vec!["--donor", "sometimes"], "invalid value"),
        (vec!["--period", "weekly"], "pledge period"),
        (vec!["--registered-from", "1.1.2026"], "YYYY-MM-DD"),
    ] {
        let mut args = vec!["mailing", "count", "--list", "newsletter"];
        args.extend(&flags);
        let (ok, _, err) = setup.admin(&args);
        assert!(!ok && err.contains(expected), "{flags:?}: {err}");
    }
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn an_empty_segment_is_refused(pool: PgPool) {
    let setup = Setup::new(pool.clone());
    setup.newsletter();
    two_subscribers(&pool).await;
    let id = setup.mailing(&["--country", "FR"]);
    let (ok, _, err) = setup.admin(&["mailing", "send", &id]);
    assert!(!ok && err.contains("matches nobody"), "{err}");
    let status: Value = serde_json::from_str(&setup.ok(&["mailing", "status", &id, "--json"])).unwrap();
    assert_eq!((status["state"].as_str(), status["recipients"].as_i64()), (Some("draft"), Some(0)));
    // Widened, it goes out to everyone.
    let out = setup.ok(&["mailing", "edit", &id, "--everyone"]);
    assert!(out.contains("2 recipients match now") && out.contains("everyone"), "{out}");
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn a_mailing_is_previewed_tested_sent_and_its_bounces_imported(pool: PgPool) {
    let setup = Setup::new(pool.clone());
    setup.newsletter();
    two_subscribers(&pool).await;
    let id = setup.mailing(&[]);
    let listed = setup.ok(&["mailing", "list"]);
    assert!(listed.contains(&id) && listed.contains("draft") && listed.contains("Autumn"), "{listed}");

    // Preview: both languages, the sample recipient, the count.
    let out = setup.ok(&["mailing", "preview", &id]);
    assert!(out.contains("Subject: Autumn news for Ada Lovelace"), "{out}");
    assert!(out.contains("Subject: Herbstnachrichten für Ada Lovelace"), "{out}");
    assert!(out.contains("2 recipients match now") && out.contains("everyone"), "{out}");
    assert!(out.contains("https://my.example.org/u/"), "{out}");
    let out = setup.ok(&["mailing", "preview", &id, "--person", "bert@example.net", "--out", "preview"]);
    assert!(out.contains("Bert Brecht"), "{out}");
    let text = std::fs::read_to_string(setup.path("preview/de.txt")).unwrap();
    assert!(
        text.starts_with("Subject: Herbstnachrichten für Bert Brecht") && text.contains("Hallo Bert Brecht"),
        "{text}"
    );
    let html = std::fs::read_to_string(setup.path("preview/en.html")).unwrap();
    assert!(html.contains("<strong>autumn</strong>"), "{html}");

    // Test: one mail per address and language, into the outbox; nothing is marked.
    let out = setup.admin_into("test-outbox", &["mailing", "test", &id, "--to", "staff@example.org"]);
    assert!(out.0, "{}{}", out.1, out.2);
    let tests = eml_files(&setup.path("test-outbox"));
    assert_eq!(tests.len(), 2);
    assert!(tests.iter().all(|m| header(m, "To").is_some_and(|to| to.contains("staff@example.org"))));
    let (ok, _, _) = setup.admin_into(
        "test-outbox",
        &["mailing", "test", &id, "--to", "staff@example.org", "--language", "de"],
    );
    assert!(ok);
    assert_eq!(eml_files(&setup.path("test-outbox")).len(), 3);
    let (ok, _, err) = setup.admin(&["mailing", "test", &id, "--to", "not an address"]);
    assert!(!ok && err.contains("not an email address"), "{err}");
    assert_eq!(count(&pool, "SELECT count(*) FROM mailing_recipient").await, 0);

    // Send in the foreground: one mail per recipient, each with its headers.
    // Started (the servers would send it), then joined in the foreground.
    let out = setup.ok(&["mailing", "send", &id]);
    assert!(out.contains("2 recipients chosen") && out.contains("servers' senders"), "{out}");
    assert!(eml_files(&setup.path("outbox")).is_empty());
    let out = setup.ok(&["mailing", "send", &id, "--wait"]);
    assert!(out.contains("sending already: 2 recipients chosen, 2 queued"), "{out}");
    assert!(out.contains("sent 2/2") && out.contains(&format!("mailing {id} sent")), "{out}");
    let mails = eml_files(&setup.path("outbox"));
    assert_eq!(mails.len(), 2, "{mails:?}");
    let mut ids = Vec::new();
    for mail in &mails {
        assert!(
            header(mail, "List-Unsubscribe").is_some_and(|v| v.contains("https://my.example.org/u/")),
            "{mail}"
        );
        assert_eq!(header(mail, "List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"), "{mail}");
        ids.push(header(mail, "Message-ID").expect("a Message-ID").to_owned());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        mails.iter().any(|m| m.contains("Herbstnachrichten"))
            && mails.iter().any(|m| m.contains("Autumn news"))
    );
    let status: Value = serde_json::from_str(&setup.ok(&["mailing", "status", &id, "--json"])).unwrap();
    assert_eq!(status["state"], "sent");
    assert_eq!(
        (status["recipients"].as_i64(), status["sent"].as_i64(), status["queued"].as_i64()),
        (Some(2), Some(2), Some(0))
    );
    assert!(setup.ok(&["mailing", "status", &id]).contains("sent"));
    let (ok, _, err) = setup.admin(&["mailing", "pause", &id]);
    assert!(!ok && err.contains("the mailing is sent"), "{err}");

    // The unsubscribe token is the one in Ada's mail.
    let token = setup.ok(&["mailing", "token", "--mailing", &id, "--person", "ada@example.net"]);
    let token = token.trim();
    assert_eq!(token.len(), 64);
    assert!(mails.iter().any(|m| m.contains(&format!("/u/{token}"))), "{token}");

    // Bounces: a DSN for Ada's VERP address, an auto-reply, a DSN for a made-up envelope, an
    // empty file.
    let recipient: i64 =
        sqlx::query_scalar("SELECT id FROM mailing_recipient WHERE address = 'ada@example.net'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let verp = setup.keys().address(AddressKind::Bounce, recipient, BOUNCES).unwrap();
    let maildir = setup.path("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(maildir.join("new/1.dsn"), dsn(&verp)).unwrap();
    std::fs::write(
        maildir.join("new/2.reply"),
        format!("Delivered-To: {verp}\nFrom: ada@example.net\nTo: {verp}\nSubject: Out of office\n\nBack Monday.\n"),
    )
    .unwrap();
    std::fs::write(maildir.join("new/3.forged"), dsn("bounces+b.999999.0123456789ab@example.org")).unwrap();
    std::fs::write(maildir.join("new/4.empty"), "").unwrap();
    let maildir = maildir.display().to_string();
    let (ok, out, err) = setup.admin(&["mail", "bounces", "import", &maildir, "--json"]);
    assert!(ok, "{out}{err}");
    let first: Value = serde_json::from_str(&out).unwrap();
    let summary = &first["summary"];
    let counts =
        ["hard", "soft", "unsubscribed", "duplicates", "ignored", "unreadable"].map(|k| summary[k].as_i64());
    assert_eq!(counts, [1, 0, 0, 0, 2, 1].map(Some), "{out}");
    assert_eq!(first["files"][0]["outcome"], "hard bounce", "{out}");
    let out = setup.ok(&["mail", "bounces", "import", &maildir]);
    assert!(out.contains("1.dsn: duplicate"), "{out}");
    let counts = ["hard bounces", "soft bounces", "unsubscribed", "duplicates", "ignored", "unreadable"]
        .map(|label| number_after(&out, label));
    assert_eq!(counts, [0, 0, 0, 1, 2, 1], "{out}");
    let status: Value = serde_json::from_str(&setup.ok(&["mailing", "status", &id, "--json"])).unwrap();
    assert_eq!((status["bounced_hard"].as_i64(), status["bounced_soft"].as_i64()), (Some(1), Some(0)));
    let hard: i32 =
        sqlx::query_scalar("SELECT hard_bounces FROM email_address WHERE address = 'ada@example.net'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(hard, 1);

    // A folder that is no Maildir fails the run; a missing bounce address is named.
    let (ok, _, err) = setup.admin(&["mail", "bounces", "import", "nosuch"]);
    assert!(!ok && err.contains("cannot read the Maildir"), "{err}");
}

/// A Postfix-style DSN: `user unknown` for Ada, delivered to `envelope`.
fn dsn(envelope: &str) -> String {
    format!(
        "Delivered-To: {envelope}\n\
         From: MAILER-DAEMON@mx.example.net\n\
         To: {envelope}\n\
         Subject: Undelivered Mail Returned to Sender\n\
         MIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\
         \n\
         --b\n\
         Content-Type: text/plain\n\
         \n\
         The mail system could not deliver your message.\n\
         \n\
         --b\n\
         Content-Type: message/delivery-status\n\
         \n\
         Reporting-MTA: dns; mx.example.net\n\
         \n\
         Final-Recipient: rfc822; ada@example.net\n\
         Action: failed\n\
         Status: 5.1.1\n\
         Diagnostic-Code: smtp; 550 5.1.1 <ada@example.net>: User unknown\n\
         \n\
         --b--\n"
    )
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn bounces_import_names_the_missing_settings(pool: PgPool) {
    let setup = Setup::new(pool);
    std::fs::create_dir_all(setup.path("Maildir/new")).unwrap();
    std::fs::create_dir_all(setup.path("Maildir/cur")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cdb-admin"));
    for (name, _) in std::env::vars() {
        if name == "DATABASE_URL" || name.starts_with("CDB_") {
            command.env_remove(name);
        }
    }
    let output = command
        .current_dir(setup.dir.path())
        .env("DATABASE_URL", database_url(&setup.pool))
        .env("CDB_HTTP__PUBLIC_URL", "https://my.example.org")
        .env("CDB_MAILING__KEY_FILE", setup.path("mailing.keys"))
        .args(["mail", "bounces", "import", "Maildir"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && err.contains("mailing.bounce_address is not set"), "{err}");
    let (ok, out, err) = setup.admin(&["mail", "bounces", "import", "Maildir"]);
    assert!(ok && out.contains("no mail"), "{out}{err}");
}
