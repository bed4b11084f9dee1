// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! The smallest typst "world" a statement needs: one source (the template compiled into this
//! crate), one data file (`/data.json`, a statement's data), and the fonts shipped in
//! `typst-assets`. Nothing is read from disk or the network at run time.

use std::sync::LazyLock;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

const TEMPLATE: &str = include_str!("statement.typ");

/// What every statement shares, built once per process: parsing the fonts takes a while.
pub(crate) struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    main: Source,
    data_id: Option<FileId>,
}

fn file_id(path: &str) -> Option<FileId> {
    VirtualPath::new(path).ok().map(|vpath| RootedPath::new(VirtualRoot::Project, vpath).intern())
}

pub(crate) static SHARED: LazyLock<Option<Shared>> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts().flat_map(|data| Font::iter(Bytes::new(data))).collect();
    let main_id = file_id("/statement.typ")?;
    Some(Shared {
        library: LazyHash::new(Library::default()),
        book: LazyHash::new(FontBook::from_fonts(&fonts)),
        fonts,
        main: Source::new(main_id, TEMPLATE.to_owned()),
        data_id: file_id("/data.json"),
    })
});

/// One statement's world: the shared parts plus its data.
pub(crate) struct StatementWorld<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) data: Bytes,
}

impl World for StatementWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.shared.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.shared.main.id() { Ok(self.shared.main.clone()) } else { Err(FileError::AccessDenied) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if Some(id) == self.shared.data_id {
            Ok(self.data.clone())
        } else {
            // The template reads nothing else; an image or include would be a change to it.
            Err(FileError::AccessDenied)
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        // The issue date is data; a statement must not depend on when it is rendered.
        None
    }
}
