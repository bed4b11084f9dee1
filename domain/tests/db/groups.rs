// SPDX-FileCopyrightText: 2026 Community Database contributors
// SPDX-License-Identifier: AGPL-3.0-or-later
use crate::{SOURCE, new_person};
use domain::DomainError;
use domain::audit::{Actor, Origin};
use domain::group::{self, GroupRole};
use domain::types::{DisplayName, GroupName, PersonId};
use sqlx::PgPool;

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn memberships_can_be_granted_changed_and_ended(pool: PgPool) {
    let ada = new_person(&pool, "Ada").await;
    let staff_name = GroupName::try_from("staff").unwrap();
    let actor = Actor::Staff("admin".into());
    let mut tx = pool.begin().await.unwrap();
    let staff = group::create(
        &mut tx,
        Origin { actor: &actor, source: SOURCE },
        &staff_name,
        &DisplayName::try_from("Staff").unwrap(),
        "",
    )
    .await
    .unwrap();
    let translators = group::create(
        &mut tx,
        Origin { actor: &actor, source: SOURCE },
        &GroupName::try_from("translators").unwrap(),
        &DisplayName::try_from("Translators").unwrap(),
        "",
    )
    .await
    .unwrap();
    group::set_member(&mut tx, Origin { actor: &actor, source: SOURCE }, &staff, ada.id, GroupRole::Member)
        .await
        .unwrap();
    group::set_member(
        &mut tx,
        Origin { actor: &actor, source: SOURCE },
        &translators,
        ada.id,
        GroupRole::Member,
    )
    .await
    .unwrap();
    group::set_member(&mut tx, Origin { actor: &actor, source: SOURCE }, &staff, ada.id, GroupRole::Admin)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let names =
        |m: Vec<(GroupName, GroupRole)>| m.into_iter().map(|(n, r)| (n.to_string(), r)).collect::<Vec<_>>();
    assert_eq!(
        names(group::memberships(&pool, ada.id).await.unwrap()),
        [("staff".to_string(), GroupRole::Admin), ("translators".to_string(), GroupRole::Member)]
    );

    let mut tx = pool.begin().await.unwrap();
    group::remove_member(&mut tx, Origin { actor: &actor, source: SOURCE }, &translators, ada.id)
        .await
        .unwrap();
    group::remove_member(&mut tx, Origin { actor: &actor, source: SOURCE }, &translators, ada.id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        names(group::memberships(&pool, ada.id).await.unwrap()),
        [("staff".to_string(), GroupRole::Admin)]
    );
    assert_eq!(group::find_by_name(&pool, &staff_name).await.unwrap().map(|g| g.id), Some(staff.id));
}

#[sqlx::test(migrator = "domain::MIGRATOR")]
async fn group_names_are_unique_and_members_must_exist(pool: PgPool) {
    let name = GroupName::try_from("staff").unwrap();
    let display = DisplayName::try_from("Staff").unwrap();
    let mut tx = pool.begin().await.unwrap();
    let staff = group::create(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, &name, &display, "")
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    let again =
        group::create(&mut tx, Origin { actor: &Actor::System, source: SOURCE }, &name, &display, "").await;
    assert!(matches!(again, Err(DomainError::Conflict("group name"))), "{again:?}");
    drop(tx);

    let mut tx = pool.begin().await.unwrap();
    let ghost = group::set_member(
        &mut tx,
        Origin { actor: &Actor::System, source: SOURCE },
        &staff,
        PersonId::from(uuid::Uuid::new_v4()),
        GroupRole::Member,
    )
    .await;
    assert!(matches!(ghost, Err(DomainError::NotFound("person"))), "{ghost:?}");
}
