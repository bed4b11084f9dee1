// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! `cdb-admin lists …`: the information-email lists (`domain::mailing::list`): what they are
//! called in each language, whether subscribing needs a confirmation mail, who is offered them.
//! The consent ledger names lists by key, so a list is archived, never deleted.

use crate::clients::domain_error;
use crate::context::Context;
use anyhow::{anyhow, bail};
use clap::Subcommand;
use domain::consent::ListKey;
use domain::mailing::list::{self, ListInput};
use domain::mailing::{List, ListText, MailingError, Visibility};
use domain::types::Language;
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub enum ListsCommand {
    /// List the lists in the order forms show them: key, who is offered it, double opt-in,
    /// text version, position and the English (else first) name.
    List {
        /// Archived lists too.
        #[arg(long)]
        all: bool,
        /// One JSON array (with every language's name and description) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Create a list, or change one (and un-archive it).
    ///
    /// The texts given replace all of the list's texts: give --name (and --description) for
    /// every language the list should speak. English is shown where a language has no text.
    /// Options left out keep their current value on an existing list; a new list starts with
    /// double opt-in, visible to supporters, at position 0.
    ///
    /// Example: cdb-admin lists save newsletter --name en=Newsletter --name de=Newsletter
    /// --description "en=News, about once a month" --text-version 2026-01
    Save {
        /// The list's key: lower-case letters, digits, `_` and `-`, starting with a letter (at
        /// most 63 characters). Consent records name it; it cannot be renamed.
        key: String,
        /// The list's name in a language, as LANG=TEXT (en=Newsletter); 1 to 100 characters.
        /// At least one; repeat for each language.
        #[arg(long = "name", value_name = "LANG=TEXT", required = true)]
        names: Vec<String>,
        /// What subscribers get, in a language, as LANG=TEXT; at most 1,000 characters. A
        /// language needs a --name too; without a description it is empty.
        #[arg(long = "description", value_name = "LANG=TEXT")]
        descriptions: Vec<String>,
        /// Whether a subscription needs confirming through a link mailed to the person.
        #[arg(long, value_name = "true|false")]
        double_opt_in: Option<bool>,
        /// Who is offered the list: supporters (at registration and in the settings) or staff
        /// (staff subscribe people; the settings show it only to its subscribers).
        #[arg(long, value_enum)]
        visibility: Option<VisibilityArg>,
        /// The version of the texts people agree to (1 to 100 characters), recorded with each
        /// consent. Change it whenever the descriptions' promise changes.
        #[arg(long, value_name = "V")]
        text_version: String,
        /// Where forms show the list: lower numbers first (then by key).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        position: Option<i32>,
    },
    /// Archive a list: it is no longer offered and no mailing can go to it. Its consent history
    /// stays; `lists save` with its key brings it back.
    Archive {
        /// The list's key.
        key: String,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum VisibilityArg {
    Supporters,
    Staff,
}

impl From<VisibilityArg> for Visibility {
    fn from(value: VisibilityArg) -> Self {
        match value {
            VisibilityArg::Supporters => Visibility::Supporters,
            VisibilityArg::Staff => Visibility::Staff,
        }
    }
}

/// A list key from the command line, or an error that says what a key looks like.
pub fn parse_key(text: &str) -> anyhow::Result<ListKey> {
    ListKey::parse(text.trim()).ok_or_else(|| {
        anyhow!(
            "{text:?} is not a list key: lower-case letters, digits, `_` and `-`, starting with a letter, at most 63 characters"
        )
    })
}

/// A language code from the command line ("de", "de-AT").
pub fn parse_language(text: &str) -> anyhow::Result<Language> {
    Language::try_from(text).map_err(|_| {
        let known: Vec<&str> = Language::ALL.iter().map(|l| l.code()).collect();
        anyhow!("{text:?} is not a language we have texts for (known: {})", known.join(", "))
    })
}

/// `de=Neuigkeiten` as (German, "Neuigkeiten").
fn language_text(option: &str, value: &str) -> anyhow::Result<(Language, String)> {
    let (language, text) = value
        .split_once('=')
        .ok_or_else(|| anyhow!("{option} {value:?}: write it as LANG=TEXT, e.g. en=Newsletter"))?;
    let language = parse_language(language).map_err(|e| anyhow!("{option} {value:?}: {e}"))?;
    Ok((language, text.trim().to_owned()))
}

/// A domain error of a list or mailing operation: its own message, or the database's.
pub fn mailing_error(error: MailingError) -> anyhow::Error {
    match error {
        MailingError::Domain(error) => domain_error(error),
        other => anyhow!("{other}"),
    }
}

fn texts(names: &[String], descriptions: &[String]) -> anyhow::Result<Vec<ListText>> {
    let mut texts: Vec<ListText> = Vec::new();
    for value in names {
        let (language, name) = language_text("--name", value)?;
        if texts.iter().any(|t| t.language == language) {
            bail!("--name is given twice for {}", language.code());
        }
        texts.push(ListText { language, name, description: String::new() });
    }
    let mut described = Vec::new();
    for value in descriptions {
        let (language, description) = language_text("--description", value)?;
        if described.contains(&language) {
            bail!("--description is given twice for {}", language.code());
        }
        described.push(language);
        let text = texts.iter_mut().find(|t| t.language == language).ok_or_else(|| {
            anyhow!(
                "--description {}=… has no --name {}=…: give the list a name in that language",
                language.code(),
                language.code()
            )
        })?;
        text.description = description;
    }
    Ok(texts)
}

pub async fn run(context: &Context, command: ListsCommand) -> anyhow::Result<()> {
    let pool = &context.pool;
    match command {
        ListsCommand::List { all, json } => {
            let lists = list::all(&mut *pool.acquire().await?, all).await.map_err(domain_error)?;
            if json {
                println!("{}", Value::Array(lists.iter().map(list_json).collect()));
                return Ok(());
            }
            if lists.is_empty() {
                println!("no lists{}", if all { "" } else { " (archived ones: --all)" });
                return Ok(());
            }
            println!(
                "{:<24}  {:<10}  {:<13}  {:<20}  {:>8}  {:<8}  NAME",
                "KEY", "OFFERED TO", "DOUBLE OPT-IN", "TEXT VERSION", "POSITION", "ARCHIVED"
            );
            for l in &lists {
                println!(
                    "{:<24}  {:<10}  {:<13}  {:<20}  {:>8}  {:<8}  {}",
                    l.key.as_str(),
                    l.visibility.as_str(),
                    if l.double_opt_in { "yes" } else { "no" },
                    l.text_version,
                    l.position,
                    if l.archived { "yes" } else { "no" },
                    l.name(Language::English),
                );
            }
            println!("{} lists", lists.len());
        }
        ListsCommand::Save {
            key,
            names,
            descriptions,
            double_opt_in,
            visibility,
            text_version,
            position,
        } => {
            let key = parse_key(&key)?;
            let texts = texts(&names, &descriptions)?;
            let existing = list::get(&mut *pool.acquire().await?, &key).await.map_err(domain_error)?;
            let input = ListInput {
                double_opt_in: double_opt_in.or(existing.as_ref().map(|l| l.double_opt_in)).unwrap_or(true),
                visibility: visibility
                    .map(Visibility::from)
                    .or(existing.as_ref().map(|l| l.visibility))
                    .unwrap_or(Visibility::Supporters),
                position: position.or(existing.as_ref().map(|l| l.position)).unwrap_or(0),
                key,
                text_version: text_version.trim().to_owned(),
                texts,
            };
            let mut tx = pool.begin().await.map_err(|e| anyhow!("cannot reach the database: {e}"))?;
            list::save(&mut tx, context.origin(), &input).await.map_err(mailing_error)?;
            tx.commit().await.map_err(|e| anyhow!("cannot save the list: {e}"))?;
            let verb = match &existing {
                None => "created",
                Some(l) if l.archived => "changed and un-archived",
                Some(_) => "changed",
            };
            println!(
                "list {} {verb}: offered to {}, double opt-in {}, text version {}, position {}, languages {}",
                input.key,
                input.visibility.as_str(),
                if input.double_opt_in { "yes" } else { "no" },
                input.text_version,
                input.position,
                input.texts.iter().map(|t| t.language.code()).collect::<Vec<_>>().join(", ")
            );
        }
        ListsCommand::Archive { key } => {
            let key = parse_key(&key)?;
            if list::get(&mut *pool.acquire().await?, &key).await.map_err(domain_error)?.is_none() {
                bail!("there is no list {key} (see: cdb-admin lists list --all)");
            }
            let mut tx = pool.begin().await.map_err(|e| anyhow!("cannot reach the database: {e}"))?;
            let archived = list::archive(&mut tx, context.origin(), &key).await.map_err(domain_error)?;
            tx.commit().await.map_err(|e| anyhow!("cannot archive the list: {e}"))?;
            if archived {
                println!("list {key} archived: no longer offered, no mailing can go to it");
            } else {
                println!("list {key} was archived already: nothing changed");
            }
        }
    }
    Ok(())
}

fn list_json(l: &List) -> Value {
    json!({
        "key": l.key.as_str(),
        "double_opt_in": l.double_opt_in,
        "visibility": l.visibility.as_str(),
        "text_version": l.text_version,
        "position": l.position,
        "archived": l.archived,
        "texts": l.texts.iter().map(|t| json!({
            "language": t.language.code(), "name": t.name, "description": t.description,
        })).collect::<Vec<_>>(),
    })
}
