//! The check as a plugin: one trait a check implements ([`CheckSpec`]) and one generic
//! registration ([`register`]). A check owns its section's schema, defaults, docs,
//! validation and construction; the config loader and the policy only go through
//! [`Registration`], so neither names any check.

use super::common::{CheckCommon, Documented, KeyDoc, TableDoc};
use super::{Check, Services};
use crate::session::Stage;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::Arc;

pub use crate::values::SetupError;

/// What a check's config section offers the generic machinery.
pub trait CheckConfig:
    DeserializeOwned + serde::Serialize + Documented + Clone + fmt::Debug + Send + Sync + 'static
{
    /// The common settings.
    fn common(&self) -> CheckCommon;
    /// Where `reply` is in the file, for error messages.
    fn reply_span(&self) -> Option<Range<usize>>;
}

/// What a check needs from outside its section to be built: the shared services and the
/// few global settings a check reads. Keeping them here (not the whole config) is what
/// lets checks not depend on the config module.
pub struct BuildEnv<'a> {
    /// Shared resolver and database pool, built on first use.
    pub services: &'a Services,
    /// `[dns]`.
    pub dns: &'a crate::dns::DnsConfig,
    /// `[database]`.
    pub database: &'a crate::store::pg::DbConfig,
    /// `[policy] public_suffix_list` (None: the built-in list).
    pub public_suffix_list: Option<&'a std::path::Path>,
}

impl BuildEnv<'_> {
    /// The shared resolver.
    pub fn resolver(&self) -> Result<Arc<crate::dns::Dns>, SetupError> {
        self.services
            .dns(self.dns)
            .map_err(|m| SetupError::section(format!("[dns]: {m}")))
    }

    /// Organisational domains from the configured Public Suffix List, shared by every
    /// check of this config.
    pub fn org_domains(&self) -> Result<Arc<crate::org_domain::OrgDomains>, SetupError> {
        self.services
            .org_domains(self.public_suffix_list)
            .map_err(|m| SetupError::section(format!("[policy] public_suffix_list: {m}")))
    }

    /// The shared PostgreSQL pool.
    pub fn pool(&self) -> Result<deadpool_postgres::Pool, SetupError> {
        self.services
            .pg(self.database)
            .map_err(|m| SetupError::section(format!("[database]: {m}")))
    }
}

/// A check as a plugin.
pub trait CheckSpec: 'static {
    /// Section name under `[checks]`, and the check's name in the log.
    const NAME: &'static str;
    /// The stages it runs at.
    const STAGES: &'static [Stage];
    /// Checks whose facts it reads or whose verdicts it must see first: at a stage they
    /// share, it always runs after them, whatever order the file lists them in.
    const AFTER: &'static [&'static str] = &[];
    /// One line for the README's check table and the man page.
    const SUMMARY: &'static str;
    /// Longer description for the man page (paragraphs separated by blank lines).
    const DESCRIPTION: &'static str = "";
    /// Its section, deserialised with `deny_unknown_fields` and defaults in code.
    type Config: CheckConfig;

    /// Tables inside the section (`[[checks.dnsbl.lists]]`), for the documentation.
    fn tables() -> Vec<TableDoc> {
        Vec::new()
    }

    /// Everything the operator can get wrong that is knowable without I/O; run at load,
    /// before any socket is bound.
    fn validate(_config: &Self::Config) -> Result<(), SetupError> {
        Ok(())
    }

    /// Builds the check (opens its maps and stores); run at start and on reload, also
    /// before any socket is bound.
    fn build(config: &Self::Config, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError>;
}

/// A parsed check section, with its type erased so the config can hold any check's.
pub trait Section: Send + Sync + fmt::Debug {
    /// The check's registration.
    fn registration(&self) -> &'static Registration;
    /// The common settings.
    fn common(&self) -> CheckCommon;
    /// Where `reply` is in the file.
    fn reply_span(&self) -> Option<Range<usize>>;
    /// The check's own validation.
    fn validate(&self) -> Result<(), SetupError>;
    /// Builds the check.
    fn build(&self, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError>;
    /// The section as TOML, defaults filled in.
    fn to_toml(&self) -> Result<toml::Value, String>;
    /// The typed config, for [`crate::config::Config::section`].
    fn as_any(&self) -> &dyn Any;
}

struct Loaded<S: CheckSpec> {
    config: S::Config,
    registration: &'static Registration,
}

impl<S: CheckSpec> fmt::Debug for Loaded<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl<S: CheckSpec> Section for Loaded<S> {
    fn registration(&self) -> &'static Registration {
        self.registration
    }
    fn common(&self) -> CheckCommon {
        self.config.common()
    }
    fn reply_span(&self) -> Option<Range<usize>> {
        self.config.reply_span()
    }
    fn validate(&self) -> Result<(), SetupError> {
        S::validate(&self.config)
    }
    fn build(&self, env: &BuildEnv<'_>) -> Result<Box<dyn Check>, SetupError> {
        S::build(&self.config, env)
    }
    fn to_toml(&self) -> Result<toml::Value, String> {
        toml::Value::try_from(&self.config).map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn Any {
        &self.config
    }
}

/// Parses a check's section out of the whole config text.
pub type ParseFn = fn(&str) -> Result<Option<Arc<dyn Section>>, toml::de::Error>;

/// How the config loader, the policy and the documentation reach a check.
pub struct Registration {
    /// Section name under `[checks]`.
    pub name: &'static str,
    /// Stages it runs at.
    pub stages: &'static [Stage],
    /// Checks it runs after.
    pub after: &'static [&'static str],
    /// One-line summary.
    pub summary: &'static str,
    /// Longer description.
    pub description: &'static str,
    /// Parses its section out of the whole config text (None: section absent), keeping
    /// the TOML parser's positions for errors.
    pub parse: ParseFn,
    /// Its keys' docs.
    pub keys: fn() -> Vec<KeyDoc>,
    /// Its keys' defaults.
    pub defaults: fn() -> toml::Table,
    /// Tables inside the section.
    pub tables: fn() -> Vec<TableDoc>,
}

/// The registration of check `S`.
pub const fn register<S: CheckSpec>() -> Registration {
    Registration {
        name: S::NAME,
        stages: S::STAGES,
        after: S::AFTER,
        summary: S::SUMMARY,
        description: S::DESCRIPTION,
        parse: parse_section::<S>,
        keys: <S::Config as Documented>::keys,
        defaults: <S::Config as Documented>::defaults,
        tables: S::tables,
    }
}

fn parse_section<S: CheckSpec>(text: &str) -> Result<Option<Arc<dyn Section>>, toml::de::Error> {
    let picked = Pick::<S::Config> {
        path: &["checks", S::NAME],
        _t: PhantomData,
    }
    .deserialize(toml::Deserializer::new(text))?;
    let registration = super::registration(S::NAME)
        .ok_or_else(|| <toml::de::Error as de::Error>::custom("check not registered"))?;
    Ok(picked.map(|config| {
        Arc::new(Loaded::<S> {
            config,
            registration,
        }) as Arc<dyn Section>
    }))
}

/// Deserialises only the table at `path` of a document (ignoring the rest), so a check's
/// section is read by the same TOML deserialiser as the whole file and its errors keep
/// their position.
struct Pick<'p, T> {
    path: &'p [&'p str],
    _t: PhantomData<T>,
}

impl<'de, T: de::Deserialize<'de>> DeserializeSeed<'de> for Pick<'_, T> {
    type Value = Option<T>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        match self.path.split_first() {
            None => T::deserialize(d).map(Some),
            Some(_) => d.deserialize_map(self),
        }
    }
}

impl<'de, T: de::Deserialize<'de>> Visitor<'de> for Pick<'_, T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<T>, A::Error> {
        let Some((first, rest)) = self.path.split_first() else {
            return Ok(None);
        };
        let mut out = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == *first && out.is_none() {
                out = map.next_value_seed(Pick::<T> {
                    path: rest,
                    _t: PhantomData,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}
