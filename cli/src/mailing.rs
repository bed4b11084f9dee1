// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin mailing …`: information emails (docs/mailings.md). A mailing goes to one list,
//! narrowed by a segment, with a subject and Markdown body per language; it moves
//! `draft → scheduled → sending ⇄ paused → sent` (`domain::mailing::campaign`).
//!
//! Content files are checked with `mails::campaign::Compiled::compile` before anything is saved,
//! so a template that would fail for a recipient is refused here, with its line. `preview` and
//! `test` render exactly what recipients get (`test` through `hosting::mailing::CampaignSender`,
//! the servers' sender); `send --wait` sends in the foreground with that same sender.

use crate::clients::domain_error;
use crate::context::Context;
use crate::lists::{mailing_error, parse_key};
use crate::payments::{find_person, person_label};
use anyhow::{Context as _, anyhow, bail};
use clap::{Args, Subcommand};
use domain::consent::ListKey;
use domain::mailing::delivery::{self, Claimed, Progress};
use domain::mailing::{Content, DonorStatus, List, Mailing, MailingKeys, MailingState, NewMailing, Segment};
use domain::mailing::{campaign, list, segment};
use domain::payment::Period;
use domain::types::{CountryCode, Email, Language, PersonId};
use hosting::config::Settings;
use hosting::mailing::CampaignSender;
use mails::campaign::{Compiled, ContentError, Footer, Part, Variables};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// How content files are written; shown in the help of `create` and `edit`.
const CONTENT_HELP: &str = "A content file is UTF-8 text: the first line is `Subject: …`, the \
second line is empty, the rest is the Markdown body. Subject and body are templates: \
{{ name }} is the recipient's display name, {{ supporter_number }} their supporter number \
(empty without one); {% if %}…{% else %}…{% endif %} and {% for i in range(3) %}…{% endfor %} \
work. Every file is checked before anything is saved: a syntax error, an unknown variable, a \
construct mailings do not allow or a loop that runs too long is refused with its line, and \
nothing changes. The list's footer with the unsubscribe link is added to every mail.";

#[derive(Debug, Subcommand)]
pub enum MailingCommand {
    /// List every mailing, newest first: id, state, list, when scheduled, created, title.
    List {
        /// One JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create a mailing as a draft, optionally with its content.
    ///
    /// The mailing goes to the list's subscribers with a verified address that does not bounce,
    /// narrowed by the segment flags (none: every subscriber). Recipients are chosen when it
    /// starts sending, not now; `mailing count` and `mailing preview` show how many match.
    /// Prints the new mailing's id.
    #[command(after_long_help = CONTENT_HELP)]
    Create {
        /// The title staff see (not the subject); 1 to 200 characters.
        #[arg(long)]
        title: String,
        /// The key of the list it goes to (see: cdb-admin lists list).
        #[arg(long, value_name = "KEY")]
        list: String,
        /// The language of recipients whose language the mailing has no content in.
        #[arg(long, value_name = "LANG", default_value = "en", value_parser = language_arg)]
        fallback: Language,
        #[command(flatten)]
        segment: SegmentArgs,
        /// Subject and body in a language, from a file, as LANG=FILE (de=herbst-de.md). Repeat
        /// for each language; the fallback language's is needed before scheduling or sending.
        #[arg(long = "content", value_name = "LANG=FILE")]
        contents: Vec<String>,
    },
    /// Change a draft or scheduled mailing: title, list, fallback, segment, content.
    ///
    /// Options left out keep their value. Any segment flag replaces the whole segment (give
    /// every filter the mailing should keep); --everyone removes all filters. --content sets
    /// that language's subject and body, other languages stay.
    #[command(after_long_help = CONTENT_HELP)]
    Edit {
        /// The mailing's id (from: cdb-admin mailing list).
        #[arg(value_parser = mailing_id)]
        id: Uuid,
        /// A new title.
        #[arg(long)]
        title: Option<String>,
        /// Another list, by key.
        #[arg(long, value_name = "KEY")]
        list: Option<String>,
        /// Another fallback language.
        #[arg(long, value_name = "LANG", value_parser = language_arg)]
        fallback: Option<Language>,
        /// Remove every segment filter: all of the list's subscribers.
        #[arg(long)]
        everyone: bool,
        #[command(flatten)]
        segment: SegmentArgs,
        /// Subject and body in a language, from a file, as LANG=FILE. Repeat for each language
        /// to change.
        #[arg(long = "content", value_name = "LANG=FILE")]
        contents: Vec<String>,
    },
    /// Count how many subscribers of a list a segment matches now (nothing is saved).
    ///
    /// Prints the number alone on standard output (for scripts), the segment in words on
    /// standard error.
    Count {
        /// The list's key.
        #[arg(long, value_name = "KEY")]
        list: String,
        #[command(flatten)]
        segment: SegmentArgs,
    },
    /// Show a mailing as a recipient gets it, in every language it has.
    ///
    /// Prints the segment, how many recipients match (or were chosen, once sending started),
    /// then for each language the subject and the plain-text part. With --out, writes
    /// `<lang>.txt` (subject line and text part) and `<lang>.html` (the HTML part) into that
    /// folder instead. Filled in for a sample recipient "Ada Lovelace" (supporter number 1815),
    /// or for a given person. Sends and changes nothing.
    Preview {
        /// The mailing's id.
        #[arg(value_parser = mailing_id)]
        id: Uuid,
        /// Fill it in for this person: email address, supporter number or person id.
        #[arg(long, value_name = "EMAIL")]
        person: Option<String>,
        /// Write the files into this folder (created if missing; files there are replaced).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Send a mailing to test addresses only, as a recipient would get it.
    ///
    /// One mail per address and language (only --language, if given), filled in for the sample
    /// recipient "Ada Lovelace", with every header of the real mail, through `[mail]`'s
    /// transport (the outbox folder, or the SMTP relay). Works in any state; marks nothing,
    /// counts nothing. The unsubscribe link in it belongs to nobody and changes nothing.
    Test {
        /// The mailing's id.
        #[arg(value_parser = mailing_id)]
        id: Uuid,
        /// Where to send it; repeat for several addresses.
        #[arg(long, value_name = "ADDRESS", required = true)]
        to: Vec<String>,
        /// Only this language's version (default: every language of the mailing).
        #[arg(long, value_name = "LANG", value_parser = language_arg)]
        language: Option<Language>,
    },
    /// Schedule a draft (or move a scheduled mailing) to start sending at a time.
    ///
    /// The servers start it then: recipients are chosen at that moment. Needs content in the
    /// fallback language. A scheduled mailing can still be edited, or unscheduled.
    Schedule {
        /// The mailing's id.
        #[arg(value_parser = mailing_id)]
        id: Uuid,
        /// When, in RFC 3339 with an offset: 2026-11-03T09:00:00+01:00 or 2026-11-03T08:00:00Z.
        #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
        at: OffsetDateTime,
    },
    /// Take a scheduled mailing back to draft.
    Unschedule {
        /// The mailing's id.
        #[arg(value_parser = mailing_id)]
        id: Uuid,
    },
    /// Start sending a draft or scheduled mailing now.
    ///
    /// Chooses the recipients (the segment is fixed from here on) and prints how many; a
    /// segment that matches nobody is refused. Without --wait, the servers' senders send it
    /// (follow with `mailing status`). With --wait, this command sends it in the foreground
    /// with the servers' sender and settings (`[mail]`, `[mailing]`), printing progress,
    /// until it is sent or paused; interrupting it is safe (sending goes on in the servers,
    /// or with another `send --wait`). A mailing that is sending already (its schedule came, or
    /// an earlier `send` was interrupted) is not started again: --wait joins its senders, and
    /// any number of them may send one mailing at once without sending anyone two mails.
    Send {
        /// The mailing's id.
        #[arg(value_parser = mailing_id)]
        id: Uuid,
        /// Send in the foreground until the mailing is sent or paused.
        #[arg(long)]
        wait: bool,
    },
    /// Pause a sending mailing: no further recipients are sent to (mails in flight finish).
    Pause {
        /// The mailing's id.
        #[arg(value_parser = mailing_id)]
        id: Uuid,
    },
    /// Resume a paused mailing where it stopped.
    Resume {
        /// The mailing's id.
        #[arg(value_parser = mailing_id)]
        id: Uuid,
    },
    /// Show a mailing's state and delivery: recipients, sent, failed, skipped, queued, hard and
    /// soft bounces, unsubscribes through it.
    Status {
        /// The mailing's id.
        #[arg(value_parser = mailing_id)]
        id: Uuid,
        /// One JSON object instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Print a person's unsubscribe token for a mailing (for support and tests).
    ///
    /// The link in their mail is {http.public_url}/u/TOKEN; following it unsubscribes that
    /// person from the mailing's list, and does nothing else. Needs mailing.key_file.
    Token {
        /// The mailing's id.
        #[arg(long, value_name = "ID", value_parser = mailing_id)]
        mailing: Uuid,
        /// The person: email address, supporter number or person id.
        #[arg(long, value_name = "EMAIL")]
        person: String,
    },
}

/// Who of the list's subscribers a mailing goes to. Every filter narrows; repeated values of
/// one filter are alternatives (--country DE --country AT: either).
#[derive(Debug, Clone, Default, Args)]
pub struct SegmentArgs {
    /// Only persons in this country (ISO 3166-1 code: DE). Repeatable.
    #[arg(long = "country", value_name = "CODE", value_parser = country_arg)]
    countries: Vec<String>,
    /// Only persons whose preferred language is this one (en, de). Repeatable.
    #[arg(long = "language", value_name = "LANG", value_parser = language_code_arg)]
    languages: Vec<String>,
    /// yes: only supporters (a supporter number: a confirmed registration); no: only persons
    /// without one.
    #[arg(long, value_enum)]
    supporter: Option<YesNo>,
    /// Only persons who are this kind of donor.
    #[arg(long, value_enum)]
    donor: Option<Donor>,
    /// Only persons with an active pledge of this period (once, monthly, yearly). Repeatable.
    #[arg(long = "period", value_name = "PERIOD", value_parser = period_arg)]
    periods: Vec<Period>,
    /// Only persons whose registration came through this referrer (exactly). Repeatable.
    #[arg(long = "referrer", value_name = "TEXT")]
    referrers: Vec<String>,
    /// Only persons registered on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = crate::payments::parse_date)]
    registered_from: Option<time::Date>,
    /// Only persons registered on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", value_parser = crate::payments::parse_date)]
    registered_until: Option<time::Date>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Donor {
    /// An active recurring pledge.
    Recurring,
    /// A pledge that needs renewal.
    NeedsRenewal,
    /// At least one payment received.
    EverGave,
    /// No payment ever.
    NeverGave,
}

impl SegmentArgs {
    fn is_empty(&self) -> bool {
        self.segment() == Segment::default()
    }

    fn segment(&self) -> Segment {
        Segment {
            countries: self.countries.clone(),
            languages: self.languages.clone(),
            supporter: self.supporter.map(|s| matches!(s, YesNo::Yes)),
            donor: self.donor.map(|d| match d {
                Donor::Recurring => DonorStatus::Recurring,
                Donor::NeedsRenewal => DonorStatus::NeedsRenewal,
                Donor::EverGave => DonorStatus::EverGave,
                Donor::NeverGave => DonorStatus::NeverGave,
            }),
            pledge_periods: self.periods.clone(),
            referrers: self.referrers.iter().map(|r| r.trim().to_owned()).collect(),
            registered_from: self.registered_from,
            registered_until: self.registered_until,
        }
    }
}

fn mailing_id(text: &str) -> Result<Uuid, String> {
    Uuid::parse_str(text.trim())
        .map_err(|_| format!("{text:?} is not a mailing id (a UUID, as `cdb-admin mailing list` shows)"))
}

fn language_arg(text: &str) -> Result<Language, String> {
    crate::lists::parse_language(text).map_err(|e| e.to_string())
}

fn language_code_arg(text: &str) -> Result<String, String> {
    language_arg(text).map(|l| l.code().to_owned())
}

fn country_arg(text: &str) -> Result<String, String> {
    CountryCode::try_from(text)
        .map(|c| c.as_str().to_owned())
        .map_err(|_| format!("{text:?} is not an ISO 3166-1 country code like DE"))
}

fn period_arg(text: &str) -> Result<Period, String> {
    Period::parse(text).map_err(|_| format!("{text:?} is not a pledge period (once, monthly, yearly)"))
}

fn rfc3339(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map_err(|_| format!("{text:?} is not an RFC 3339 time like 2026-11-03T09:00:00+01:00"))
}

/// A time as staff read it: RFC 3339, or "-".
fn when(at: Option<OffsetDateTime>) -> String {
    at.map_or_else(|| "-".to_owned(), |at| at.format(&Rfc3339).unwrap_or_else(|_| at.to_string()))
}

/// The body line an error is on, if it is in the body and the line is known.
fn body_line(error: &ContentError) -> Option<usize> {
    match error {
        ContentError::Syntax { part: Part::Body, line, .. }
        | ContentError::UnknownVariable { part: Part::Body, line, .. }
        | ContentError::Unsupported { part: Part::Body, line, .. }
        | ContentError::Render { part: Part::Body, line, .. } => *line,
        _ => None,
    }
}

/// Subject and body of a content file (see [`CONTENT_HELP`]); `Err` names the file and line.
fn split_content(text: &str, shown: &str) -> anyhow::Result<(String, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
    let (first, rest) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let subject = first
        .get(..8)
        .filter(|prefix| prefix.eq_ignore_ascii_case("subject:"))
        .and_then(|_| first.get(8..))
        .ok_or_else(|| anyhow!("{shown}: line 1 must be the subject, written `Subject: …`"))?;
    let (second, body) = rest.split_once('\n').unwrap_or((rest, ""));
    if !second.trim().is_empty() {
        bail!("{shown}: line 2 must be empty (it separates the subject from the body)");
    }
    Ok((subject.trim().to_owned(), body.to_owned()))
}

/// Reads and checks one `--content LANG=FILE`: what to save, if it compiles.
fn read_content(value: &str) -> anyhow::Result<Content> {
    let (language, path) = value
        .split_once('=')
        .ok_or_else(|| anyhow!("--content {value:?}: write it as LANG=FILE, e.g. de=autumn-de.md"))?;
    let language = crate::lists::parse_language(language).map_err(|e| anyhow!("--content {value:?}: {e}"))?;
    let path = Path::new(path);
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown} (UTF-8 text)"))?;
    let (subject, body) = split_content(&text, &shown)?;
    Compiled::compile(&subject, &body).map_err(|error| match body_line(&error) {
        // `file:line:` as editors read it; the body starts on the file's third line.
        Some(line) => anyhow!("{shown}:{} ({}): {error} Nothing was saved.", line + 2, language.code()),
        None => anyhow!("{shown} ({}): {error} Nothing was saved.", language.code()),
    })?;
    Ok(Content { language, subject, body })
}

/// Every `--content`, checked, before anything is saved.
fn read_contents(values: &[String]) -> anyhow::Result<Vec<Content>> {
    let mut files: Vec<Content> = Vec::with_capacity(values.len());
    for value in values {
        let file = read_content(value)?;
        if files.iter().any(|f| f.language == file.language) {
            bail!("--content is given twice for {}", file.language.code());
        }
        files.push(file);
    }
    Ok(files)
}

/// The stored content compiled, as the sender compiles it.
fn compile_stored(mailing: &Mailing) -> anyhow::Result<Vec<(Language, Compiled)>> {
    mailing
        .contents
        .iter()
        .map(|c| {
            Compiled::compile(&c.subject, &c.body).map(|compiled| (c.language, compiled)).map_err(|e| {
                anyhow!("the saved {} content no longer passes the check: {e}", c.language.code())
            })
        })
        .collect()
}

async fn get_mailing(context: &Context, id: Uuid) -> anyhow::Result<Mailing> {
    campaign::get(&mut *context.pool.acquire().await?, id)
        .await
        .map_err(domain_error)?
        .ok_or_else(|| anyhow!("there is no mailing {id} (see: cdb-admin mailing list)"))
}

async fn get_list(context: &Context, key: &ListKey) -> anyhow::Result<List> {
    list::get(&mut *context.pool.acquire().await?, key)
        .await
        .map_err(domain_error)?
        .ok_or_else(|| anyhow!("there is no list {key} (see: cdb-admin lists list)"))
}

/// The signing keys, or an error naming the setting.
fn keys(settings: &Settings) -> anyhow::Result<MailingKeys> {
    hosting::mailing::read_keys(settings).map_err(|e| anyhow!("{e}"))?.ok_or_else(|| {
        anyhow!(
            "mailing.key_file is not set (CDB_MAILING__KEY_FILE): campaign mails need it to sign their \
             unsubscribe links and bounce addresses; see docs/mailings.md"
        )
    })
}

fn sender(settings: &Settings) -> anyhow::Result<CampaignSender> {
    let keys = keys(settings)?;
    CampaignSender::from_settings(settings, Arc::new(keys)).map_err(|e| anyhow!("{e}"))
}

async fn begin(context: &Context) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    context.pool.begin().await.map_err(|e| anyhow!("cannot reach the database: {e}"))
}

async fn commit(tx: sqlx::Transaction<'_, sqlx::Postgres>) -> anyhow::Result<()> {
    tx.commit().await.map_err(|e| anyhow!("cannot save the change: {e}"))
}

pub async fn run(context: &Context, command: MailingCommand) -> anyhow::Result<()> {
    match command {
        MailingCommand::List { json } => list_mailings(context, json).await,
        MailingCommand::Create { title, list, fallback, segment, contents } => {
            let contents = read_contents(&contents)?;
            let new = NewMailing {
                title: title.trim().to_owned(),
                list: parse_key(&list)?,
                segment: segment.segment(),
                fallback_language: fallback,
            };
            let mut tx = begin(context).await?;
            let id = campaign::create(&mut tx, context.origin(), &new).await.map_err(mailing_error)?;
            for file in &contents {
                campaign::set_content(&mut tx, context.origin(), id, file).await.map_err(mailing_error)?;
            }
            commit(tx).await?;
            println!("{id}");
            let matching =
                segment::count(&context.pool, &new.list, &new.segment).await.map_err(domain_error)?;
            eprintln!(
                "mailing {id} created as a draft: list {}, segment: {}; {matching} recipients match now",
                new.list,
                new.segment.describe()
            );
            report_languages(&contents.iter().map(|f| f.language).collect::<Vec<_>>(), fallback, id);
            Ok(())
        }
        MailingCommand::Edit { id, title, list, fallback, everyone, segment, contents } => {
            if everyone && !segment.is_empty() {
                bail!("--everyone removes every segment filter: give it without segment flags");
            }
            let changes_fields =
                title.is_some() || list.is_some() || fallback.is_some() || everyone || !segment.is_empty();
            if !changes_fields && contents.is_empty() {
                bail!(
                    "nothing to change: give --title, --list, --fallback, segment flags, --everyone or --content"
                );
            }
            let contents = read_contents(&contents)?;
            let mailing = get_mailing(context, id).await?;
            let change = NewMailing {
                title: title.map_or(mailing.title.clone(), |t| t.trim().to_owned()),
                list: match list {
                    Some(list) => parse_key(&list)?,
                    None => mailing.list.clone(),
                },
                segment: if everyone || !segment.is_empty() {
                    segment.segment()
                } else {
                    mailing.segment.clone()
                },
                fallback_language: fallback.unwrap_or(mailing.fallback_language),
            };
            let mut tx = begin(context).await?;
            if changes_fields {
                campaign::edit(&mut tx, context.origin(), id, &change).await.map_err(mailing_error)?;
            }
            for file in &contents {
                campaign::set_content(&mut tx, context.origin(), id, file).await.map_err(mailing_error)?;
            }
            commit(tx).await?;
            let matching =
                segment::count(&context.pool, &change.list, &change.segment).await.map_err(domain_error)?;
            println!(
                "mailing {id} changed: list {}, segment: {}; {matching} recipients match now",
                change.list,
                change.segment.describe()
            );
            let mut languages: Vec<Language> = mailing.contents.iter().map(|c| c.language).collect();
            languages.extend(contents.iter().map(|f| f.language));
            report_languages(&languages, change.fallback_language, id);
            Ok(())
        }
        MailingCommand::Count { list, segment } => {
            let key = parse_key(&list)?;
            let list = get_list(context, &key).await?;
            let segment = segment.segment();
            let matching = segment::count(&context.pool, &key, &segment).await.map_err(domain_error)?;
            println!("{matching}");
            eprintln!("{matching} subscribers of list {key} match: {}", segment.describe());
            if list.archived {
                eprintln!("note: list {key} is archived; no mailing can go to it");
            }
            Ok(())
        }
        MailingCommand::Preview { id, person, out } => {
            preview(context, id, person.as_deref(), out.as_deref()).await
        }
        MailingCommand::Test { id, to, language } => test_send(context, id, &to, language).await,
        MailingCommand::Schedule { id, at } => {
            let now = OffsetDateTime::now_utc();
            if at <= now {
                bail!(
                    "--at {} is not in the future; to start now use: cdb-admin mailing send {id}",
                    when(Some(at))
                );
            }
            let mut tx = begin(context).await?;
            campaign::schedule(&mut tx, context.origin(), id, at).await.map_err(mailing_error)?;
            commit(tx).await?;
            let utc = when(Some(at.to_offset(time::UtcOffset::UTC)));
            println!("mailing {id} scheduled for {utc}: the servers start it then");
            Ok(())
        }
        MailingCommand::Unschedule { id } => {
            let mut tx = begin(context).await?;
            campaign::unschedule(&mut tx, context.origin(), id).await.map_err(mailing_error)?;
            commit(tx).await?;
            println!("mailing {id} is a draft again");
            Ok(())
        }
        MailingCommand::Send { id, wait } => send(context, id, wait).await,
        MailingCommand::Pause { id } => {
            let mut tx = begin(context).await?;
            campaign::pause(&mut tx, context.origin(), id).await.map_err(mailing_error)?;
            commit(tx).await?;
            println!("mailing {id} paused (resume with: cdb-admin mailing resume {id})");
            Ok(())
        }
        MailingCommand::Resume { id } => {
            let mut tx = begin(context).await?;
            campaign::resume(&mut tx, context.origin(), id).await.map_err(mailing_error)?;
            commit(tx).await?;
            println!("mailing {id} is sending again");
            Ok(())
        }
        MailingCommand::Status { id, json } => status(context, id, json).await,
        MailingCommand::Token { mailing, person } => {
            let keys = keys(&context.settings)?;
            let mailing = get_mailing(context, mailing).await?;
            let person = find_person(&context.pool, &person).await?;
            println!("{}", keys.unsubscribe_token(person.id, mailing.id, mailing.list.as_str()));
            Ok(())
        }
    }
}

/// Says which languages the mailing has, and whether the fallback is among them.
fn report_languages(languages: &[Language], fallback: Language, id: Uuid) {
    let mut codes: Vec<&str> = languages.iter().map(|l| l.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        eprintln!(
            "no content yet: add it with cdb-admin mailing edit {id} --content {}=FILE",
            fallback.code()
        );
    } else {
        eprintln!("content in: {}", codes.join(", "));
    }
    if !languages.contains(&fallback) && !codes.is_empty() {
        eprintln!(
            "note: no content in the fallback language ({0}) yet; it is needed before scheduling or \
             sending: cdb-admin mailing edit {id} --content {0}=FILE",
            fallback.code()
        );
    }
}

async fn list_mailings(context: &Context, json: bool) -> anyhow::Result<()> {
    let mailings = campaign::all(&context.pool).await.map_err(domain_error)?;
    if json {
        let rows = mailings
            .iter()
            .map(|m| {
                json!({
                    "id": m.id, "title": m.title, "list": m.list, "state": m.state.as_str(),
                    "scheduled_for": m.scheduled_for.map(|t| when(Some(t))),
                    "created_at": when(Some(m.created_at)),
                })
            })
            .collect();
        println!("{}", Value::Array(rows));
        return Ok(());
    }
    if mailings.is_empty() {
        println!("no mailings");
        return Ok(());
    }
    println!(
        "{:<36}  {:<9}  {:<24}  {:<25}  {:<10}  TITLE",
        "MAILING", "STATE", "LIST", "SCHEDULED FOR", "CREATED"
    );
    for m in &mailings {
        println!(
            "{:<36}  {:<9}  {:<24}  {:<25}  {:<10}  {}",
            m.id,
            m.state.as_str(),
            m.list,
            when(m.scheduled_for),
            m.created_at.date(),
            m.title
        );
    }
    println!("{} mailings", mailings.len());
    Ok(())
}

/// "N recipients match now" before sending starts, "N recipients chosen" after.
async fn audience(context: &Context, mailing: &Mailing) -> anyhow::Result<String> {
    Ok(match mailing.state {
        MailingState::Draft | MailingState::Scheduled => {
            let n =
                segment::count(&context.pool, &mailing.list, &mailing.segment).await.map_err(domain_error)?;
            format!("{n} recipients match now")
        }
        _ => {
            let progress = delivery::progress(&context.pool, mailing.id).await.map_err(domain_error)?;
            format!("{} recipients chosen", progress.recipients)
        }
    })
}

/// The sample recipient of `preview` and `test`.
const SAMPLE_NAME: &str = "Ada Lovelace";
const SAMPLE_NUMBER: i64 = 1815;

async fn preview(
    context: &Context,
    id: Uuid,
    person: Option<&str>,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let mailing = get_mailing(context, id).await?;
    let list = get_list(context, &mailing.list).await?;
    let person = match person {
        Some(text) => Some(find_person(&context.pool, text).await?),
        None => None,
    };
    let (name, number, person_id) = match &person {
        Some(p) => (p.display_name.as_str().to_owned(), p.supporter_number.map(|n| n.get()), p.id),
        None => (SAMPLE_NAME.to_owned(), Some(SAMPLE_NUMBER), PersonId::from(Uuid::nil())),
    };
    // The real link when the keys are there; a preview must not fail for a missing key file.
    let token = match hosting::mailing::read_keys(&context.settings) {
        Ok(Some(keys)) => keys.unsubscribe_token(person_id, mailing.id, mailing.list.as_str()),
        Ok(None) => "UNSUBSCRIBE-TOKEN".to_owned(),
        Err(e) => {
            eprintln!("note: {e}; the unsubscribe link below is a placeholder");
            "UNSUBSCRIBE-TOKEN".to_owned()
        }
    };
    let unsubscribe_url = format!("{}/u/{token}", context.writer.origin);
    let compiled = compile_stored(&mailing)?;
    println!("mailing {} \"{}\" ({})", mailing.id, mailing.title, mailing.state.as_str());
    println!(
        "list {}, segment: {}; {}",
        list.key,
        mailing.segment.describe(),
        audience(context, &mailing).await?
    );
    match &person {
        Some(p) => println!("filled in for {}", person_label(p)),
        None => {
            println!("filled in for the sample recipient {SAMPLE_NAME} (supporter number {SAMPLE_NUMBER})")
        }
    }
    if compiled.is_empty() {
        println!("no content yet: add it with cdb-admin mailing edit {id} --content LANG=FILE");
        return Ok(());
    }
    if !compiled.iter().any(|(l, _)| *l == mailing.fallback_language) {
        println!("note: no content in the fallback language ({}) yet", mailing.fallback_language.code());
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for (language, template) in &compiled {
        let footer = Footer {
            language: *language,
            organisation: &context.settings.site.organisation,
            list_name: list.name(*language),
            unsubscribe_url: &unsubscribe_url,
        };
        let rendered =
            template.render(&Variables { name: &name, supporter_number: number }, &footer).map_err(|e| {
                anyhow!("the {} content cannot be rendered for this person: {e}", language.code())
            })?;
        match out {
            Some(dir) => {
                let text_path = dir.join(format!("{}.txt", language.code()));
                let html_path = dir.join(format!("{}.html", language.code()));
                std::fs::write(&text_path, format!("Subject: {}\n\n{}", rendered.subject, rendered.text))
                    .with_context(|| format!("cannot write {}", text_path.display()))?;
                std::fs::write(&html_path, &rendered.html)
                    .with_context(|| format!("cannot write {}", html_path.display()))?;
                println!("{}: {} and {}", language.code(), text_path.display(), html_path.display());
            }
            None => {
                println!();
                println!("===== {} =====", language.code());
                println!("Subject: {}", rendered.subject);
                println!();
                println!("{}", rendered.text.trim_end());
            }
        }
    }
    Ok(())
}

async fn test_send(
    context: &Context,
    id: Uuid,
    to: &[String],
    language: Option<Language>,
) -> anyhow::Result<()> {
    let addresses: Vec<Email> = to
        .iter()
        .map(|a| Email::try_from(a.as_str()).map_err(|e| anyhow!("--to {a:?} is not an email address: {e}")))
        .collect::<anyhow::Result<_>>()?;
    let mailing = get_mailing(context, id).await?;
    let list = get_list(context, &mailing.list).await?;
    let compiled = compile_stored(&mailing)?;
    if compiled.is_empty() {
        bail!("mailing {id} has no content yet: add it with cdb-admin mailing edit {id} --content LANG=FILE");
    }
    let languages: Vec<Language> = match language {
        Some(language) => {
            if !compiled.iter().any(|(l, _)| *l == language) {
                eprintln!(
                    "note: no {} content: recipients of that language get the fallback ({})",
                    language.code(),
                    mailing.fallback_language.code()
                );
            }
            vec![language]
        }
        None => compiled.iter().map(|(l, _)| *l).collect(),
    };
    let sender = sender(&context.settings)?;
    for address in &addresses {
        for language in &languages {
            let sample = Claimed {
                recipient: 0,
                person: Some(PersonId::from(Uuid::nil())),
                address: address.as_str().to_owned(),
                display_name: SAMPLE_NAME.to_owned(),
                supporter_number: Some(SAMPLE_NUMBER),
                language: language.code().to_owned(),
                attempts: 0,
                subscribed: true,
                deliverable: true,
            };
            let message = sender
                .message(&mailing, &list, &compiled, &sample)
                .map_err(|e| anyhow!("the test mail to {address} cannot be built: {e:?}"))?;
            sender
                .send_test(message)
                .await
                .map_err(|e| anyhow!("the test mail to {address} was not sent: {e:?}"))?;
            println!("test mail ({}) sent to {address}", language.code());
        }
    }
    Ok(())
}

async fn send(context: &Context, id: Uuid, wait: bool) -> anyhow::Result<()> {
    // Built first: a setting that stops the foreground sender should stop the start too.
    let sender = if wait { Some(sender(&context.settings)?) } else { None };
    if get_mailing(context, id).await?.state == MailingState::Sending {
        // Started by its schedule, or by a `send` that was interrupted: joined, not restarted.
        let progress = delivery::progress(&context.pool, id).await.map_err(domain_error)?;
        println!(
            "mailing {id} is sending already: {} recipients chosen, {} queued",
            progress.recipients, progress.queued
        );
    } else {
        let mut tx = begin(context).await?;
        let chosen = campaign::start(&mut tx, context.origin(), id).await.map_err(mailing_error)?;
        commit(tx).await?;
        println!("mailing {id} is sending: {chosen} recipients chosen");
    }
    let Some(sender) = sender else {
        println!("the servers' senders send it; follow with: cdb-admin mailing status {id}");
        return Ok(());
    };
    // Rows leased by a sender that died are free again after the lease: look again by then.
    let settings = &context.settings.mailing;
    let idle = std::time::Duration::from_secs(u64::from(settings.poll_secs.min(settings.lease_secs).max(1)));
    let mut shown: Option<Progress> = None;
    loop {
        let pass = sender.send_mailing(&context.pool, id).await.map_err(domain_error)?;
        let progress = delivery::progress(&context.pool, id).await.map_err(domain_error)?;
        if shown != Some(progress) {
            println!(
                "sent {}/{}, failed {}, skipped {}, queued {}",
                progress.sent, progress.recipients, progress.failed, progress.skipped, progress.queued
            );
            shown = Some(progress);
        }
        let state = get_mailing(context, id).await?.state;
        match state {
            MailingState::Sent => {
                println!("mailing {id} sent");
                return Ok(());
            }
            MailingState::Paused => {
                let mailing = get_mailing(context, id).await?;
                if let Some(reason) = &mailing.paused_because {
                    // Every recipient's mail would be refused alike: an error, for scripts too.
                    return Err(anyhow!(
                        "mailing {id} was paused: the relay refuses its mail ({reason}); fix the cause, \
                         then: cdb-admin mailing resume {id}"
                    ));
                }
                println!("mailing {id} was paused (resume with: cdb-admin mailing resume {id})");
                return Ok(());
            }
            _ => {}
        }
        // Nothing due now (recipients waiting for a retry, or leased by a server's sender).
        if pass.sent + pass.failed + pass.skipped == 0 {
            tokio::time::sleep(idle).await;
        }
    }
}

async fn status(context: &Context, id: Uuid, json: bool) -> anyhow::Result<()> {
    let mailing = get_mailing(context, id).await?;
    let p = delivery::progress(&context.pool, id).await.map_err(domain_error)?;
    if json {
        let languages: Vec<&str> = mailing.contents.iter().map(|c| c.language.code()).collect();
        println!(
            "{}",
            json!({
                "id": mailing.id, "title": mailing.title, "list": mailing.list.as_str(),
                "state": mailing.state.as_str(), "paused_because": mailing.paused_because,
                "segment": mailing.segment.describe(),
                "fallback_language": mailing.fallback_language.code(), "languages": languages,
                "scheduled_for": mailing.scheduled_for.map(|t| when(Some(t))),
                "started_at": mailing.started_at.map(|t| when(Some(t))),
                "finished_at": mailing.finished_at.map(|t| when(Some(t))),
                "recipients": p.recipients, "sent": p.sent, "failed": p.failed, "skipped": p.skipped,
                "queued": p.queued, "bounced_hard": p.bounced_hard, "bounced_soft": p.bounced_soft,
                "unsubscribed": p.unsubscribed,
            })
        );
        return Ok(());
    }
    println!("mailing {} \"{}\"", mailing.id, mailing.title);
    println!("  state          {}", mailing.state.as_str());
    if let Some(reason) = &mailing.paused_because {
        println!("  paused because the relay refuses its mail: {reason}");
    }
    println!("  list           {}", mailing.list);
    println!("  segment        {}", mailing.segment.describe());
    println!("  scheduled for  {}", when(mailing.scheduled_for));
    println!("  started        {}", when(mailing.started_at));
    println!("  finished       {}", when(mailing.finished_at));
    println!("  recipients     {:>7}", p.recipients);
    println!("  sent           {:>7}", p.sent);
    println!("  failed         {:>7}", p.failed);
    println!("  skipped        {:>7}  (unsubscribed, erased or undeliverable before their turn)", p.skipped);
    println!("  queued         {:>7}", p.queued);
    println!("  bounced hard   {:>7}", p.bounced_hard);
    println!("  bounced soft   {:>7}", p.bounced_soft);
    println!("  unsubscribed   {:>7}  (through this mailing)", p.unsubscribed);
    if matches!(mailing.state, MailingState::Draft | MailingState::Scheduled) {
        println!("  ({})", audience(context, &mailing).await?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_file_is_subject_blank_line_body() {
        let (subject, body) =
            split_content("\u{feff}Subject: Hello {{ name }}\r\n\r\nHi!\r\nBye\r\n", "f").unwrap();
        assert_eq!(subject, "Hello {{ name }}");
        assert_eq!(body, "Hi!\nBye\n");
        let (subject, _) = split_content("subject:x\n\nbody", "f").unwrap();
        assert_eq!(subject, "x");
        assert!(split_content("Hello\n\nbody", "f").unwrap_err().to_string().contains("line 1"));
        assert!(split_content("Subject: x\nbody", "f").unwrap_err().to_string().contains("line 2"));
    }
}
