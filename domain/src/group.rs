// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
//! Groups and memberships, used in tokens and access rules.

use crate::audit::{self, Action, Origin};
use crate::types::{DisplayName, GroupId, GroupName, PersonId};
use crate::{DomainError, Result};
use serde_json::json;
use sqlx::{PgExecutor, Postgres, Transaction};

/// What a member may do in a group. Ordered: an owner can do what an admin can, and more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, sqlx::Type, serde::Serialize)]
#[sqlx(type_name = "group_role", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum GroupRole {
    Member,
    Admin,
    Owner,
}

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub name: GroupName,
    pub display_name: DisplayName,
    pub description: String,
}

/// Creates a group. Fails with `Conflict("group name")` when the name is taken.
pub async fn create(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    name: &GroupName,
    display_name: &DisplayName,
    description: &str,
) -> Result<Group> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO groups (name, display_name, description) VALUES ($1, $2, $3) RETURNING id AS "id: GroupId""#,
        name.as_str(),
        display_name.as_str(),
        description,
    )
    .fetch_one(&mut **tx)
    .await?;
    audit::record(tx, origin, None, Action::GroupCreated, json!({ "group": name.as_str() })).await?;
    Ok(Group {
        id,
        name: name.clone(),
        display_name: display_name.clone(),
        description: description.to_owned(),
    })
}

/// The group with this name, if any.
pub async fn find_by_name<'e>(executor: impl PgExecutor<'e>, name: &GroupName) -> Result<Option<Group>> {
    let row = sqlx::query!(
        r#"SELECT id AS "id: GroupId", name, display_name, description FROM groups WHERE name = $1"#,
        name.as_str(),
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(|r| Group {
        id: r.id,
        name: GroupName::from_db(r.name),
        display_name: DisplayName::from_db(r.display_name),
        description: r.description,
    }))
}

/// Makes a person a member with the given role, or changes the role of a member.
pub async fn set_member(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    group: &Group,
    person: PersonId,
    role: GroupRole,
) -> Result<()> {
    sqlx::query!(
        r#"INSERT INTO group_membership (group_id, person_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (group_id, person_id) DO UPDATE SET role = EXCLUDED.role"#,
        group.id as GroupId,
        person as PersonId,
        role as GroupRole,
    )
    .execute(&mut **tx)
    .await
    .map_err(|e| match e.as_database_error().map(|d| d.is_foreign_key_violation()) {
        Some(true) => DomainError::NotFound("person"),
        _ => e.into(),
    })?;
    audit::record(
        tx,
        origin,
        Some(person),
        Action::GroupMemberSet,
        json!({ "group": group.name.as_str(), "role": role }),
    )
    .await
}

/// Ends a membership. Removing someone who is not a member is not an error.
pub async fn remove_member(
    tx: &mut Transaction<'_, Postgres>,
    origin: Origin<'_>,
    group: &Group,
    person: PersonId,
) -> Result<()> {
    let removed = sqlx::query!(
        "DELETE FROM group_membership WHERE group_id = $1 AND person_id = $2",
        group.id as GroupId,
        person as PersonId,
    )
    .execute(&mut **tx)
    .await?;
    if removed.rows_affected() > 0 {
        audit::record(
            tx,
            origin,
            Some(person),
            Action::GroupMemberRemoved,
            json!({ "group": group.name.as_str() }),
        )
        .await?;
    }
    Ok(())
}

/// The groups a person belongs to, by name, with their role; sorted by name.
pub async fn memberships<'e>(
    executor: impl PgExecutor<'e>,
    person: PersonId,
) -> Result<Vec<(GroupName, GroupRole)>> {
    let rows = sqlx::query!(
        r#"SELECT g.name, m.role AS "role: GroupRole" FROM group_membership m JOIN groups g ON g.id = m.group_id
           WHERE m.person_id = $1 ORDER BY g.name"#,
        person as PersonId,
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|r| (GroupName::from_db(r.name), r.role)).collect())
}
