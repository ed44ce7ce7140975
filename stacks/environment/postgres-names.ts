/**
 * Names that PostgreSQL or Amazon RDS reserve, so that Aurora would reject them as the master user
 * or the initial database name. Keywords: the "reserved" column of PostgreSQL 17's SQL key words
 * appendix. RDS names: the roles and databases that RDS creates in every cluster.
 */
export const POSTGRES_RESERVED_KEYWORDS: ReadonlySet<string> = new Set([
  "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
  "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
  "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
  "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
  "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
  "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect", "into",
  "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
  "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps",
  "placing", "primary", "references", "returning", "right", "select", "session_user", "similar",
  "some", "symmetric", "system_user", "table", "tablesample", "then", "to", "trailing", "true",
  "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with",
]);

/** Roles that exist in every Aurora PostgreSQL cluster or that PostgreSQL itself reserves. */
export const RESERVED_ROLE_NAMES: ReadonlySet<string> = new Set([
  "postgres", "rdsadmin", "rdsrepladmin", "rdsproxyadmin", "rds_superuser", "rds_replication",
  "rds_iam", "rds_password", "rds_ad", "public", "none", "current_user", "session_user",
]);

/** Databases that exist in every Aurora PostgreSQL cluster. */
export const RESERVED_DATABASE_NAMES: ReadonlySet<string> = new Set([
  "postgres", "template0", "template1", "rdsadmin",
]);

/** Aurora's limit for the master user name (CreateDBCluster MasterUsername: 1 to 16 characters). */
export const MAX_MASTER_USER_LENGTH = 16;

/** PostgreSQL's identifier limit (NAMEDATALEN - 1) and Aurora's limit for DatabaseName. */
export const MAX_DATABASE_NAME_LENGTH = 63;

/** PostgreSQL's identifier limit, which applies to any other role name. */
export const MAX_ROLE_NAME_LENGTH = 63;

const MASTER_USER_PATTERN = new RegExp(`^[a-z][a-z0-9_]{0,${MAX_MASTER_USER_LENGTH - 1}}$`);
const ROLE_NAME_PATTERN = new RegExp(`^[a-z][a-z0-9_]{0,${MAX_ROLE_NAME_LENGTH - 1}}$`);
const DATABASE_NAME_PATTERN = new RegExp(`^[a-z][a-z0-9_]{0,${MAX_DATABASE_NAME_LENGTH - 1}}$`);

/** Returns why `name` cannot be the master user, or undefined when it can. */
export function masterUserProblem(name: string): string | undefined {
  if (!MASTER_USER_PATTERN.test(name)) {
    return `must be 1 to ${MAX_MASTER_USER_LENGTH} characters: lowercase letters, digits or underscores, starting with a letter`;
  }
  return reservedRoleProblem(name);
}

/** Returns why `name` cannot be a login role created by hand, or undefined when it can. */
export function roleNameProblem(name: string): string | undefined {
  if (!ROLE_NAME_PATTERN.test(name)) {
    return `must be 1 to ${MAX_ROLE_NAME_LENGTH} characters: lowercase letters, digits or underscores, starting with a letter`;
  }
  return reservedRoleProblem(name);
}

function reservedRoleProblem(name: string): string | undefined {
  if (name.startsWith("pg_") || name.startsWith("rds_")) {
    return 'must not start with "pg_" or "rds_": PostgreSQL and RDS reserve those prefixes for their own roles';
  }
  if (RESERVED_ROLE_NAMES.has(name) || POSTGRES_RESERVED_KEYWORDS.has(name)) {
    return "is a name that PostgreSQL or RDS reserves; choose another, such as dbadmin";
  }
  return undefined;
}

/** Returns why `name` cannot be the initial database, or undefined when it can. */
export function databaseNameProblem(name: string): string | undefined {
  if (!DATABASE_NAME_PATTERN.test(name)) {
    return `must be 1 to ${MAX_DATABASE_NAME_LENGTH} characters: lowercase letters, digits or underscores, starting with a letter`;
  }
  if (RESERVED_DATABASE_NAMES.has(name) || POSTGRES_RESERVED_KEYWORDS.has(name)) {
    return "is a database that exists in every cluster or a reserved word; choose another, such as appdb";
  }
  return undefined;
}
