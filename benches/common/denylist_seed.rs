//! The denylist table both benches fill: 10,000 bounced addresses (`bouncedN@example.net`),
//! in the schema the daemon migrates to.

use crate::pg::PgCluster;
use mxgate::checks::denylist::pg::SCHEMA;

/// Rows in the table.
pub const ROWS: usize = 10_000;

/// Creates the denylist table in `pg` and fills it with [`ROWS`] rows.
pub async fn seed(pg: &PgCluster) {
    let mut client = pg.client().await;
    mxgate::store::pg::migrate(&mut client, "denylist", SCHEMA)
        .await
        .expect("denylist schema");
    client
        .execute(
            "INSERT INTO mxgate_denylist (key, action, reason, source)
             SELECT 'bounced' || i || '@example.net', 'drop', 'SES permanent bounce', 'ses-bounce'
             FROM generate_series(1, $1::int) AS i",
            &[&(ROWS as i32)],
        )
        .await
        .expect("denylist rows");
}
