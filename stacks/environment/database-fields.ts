import { z } from "zod";
import { roleNameProblem } from "./postgres-names";

/** A Secrets Manager secret ARN; the region and account parts are checked against the environment. */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:[A-Za-z0-9/_+=.@-]+$/;

/** Aurora PostgreSQL majors in standard support through the end of 2026. */
export const DB_ENGINE_MAJOR_VERSIONS = ["16", "17"] as const;
export type DbEngineMajorVersion = (typeof DB_ENGINE_MAJOR_VERSIONS)[number];
export const DEFAULT_DB_ENGINE_MAJOR_VERSION: DbEngineMajorVersion = "17";
/** Writer plus one reader, so a failover has somewhere to go. */
export const DEFAULT_DB_INSTANCE_COUNT = 2;
/** Aurora's limit: one writer and up to 15 readers. */
export const MAX_DB_INSTANCE_COUNT = 16;
/** Graviton memory-optimized class that supports Aurora PostgreSQL 16 and 17. */
export const DEFAULT_DB_INSTANCE_CLASS = "db.r7g.large";
/** RDS's backup retention range, in days. */
export const MIN_DB_BACKUP_RETENTION_DAYS = 1;
export const MAX_DB_BACKUP_RETENTION_DAYS = 35;
/** A week of point-in-time recovery; dev may lower it explicitly. */
export const DEFAULT_DB_BACKUP_RETENTION_DAYS = 7;
/** Intervals that enhanced monitoring accepts, in seconds. */
export const DB_MONITORING_INTERVALS_SECONDS = [1, 5, 10, 15, 30, 60] as const;
export const DEFAULT_DB_MONITORING_INTERVAL_SECONDS = 60;

/** Starting point: three one-minute periods at or above this CPU percentage raise the alarm. */
export const DEFAULT_DB_CPU_ALARM_PERCENT = 90;
/** Starting point: an instance with less freeable memory than this (512 MiB) raises the alarm. */
export const DEFAULT_DB_FREEABLE_MEMORY_ALARM_BYTES = 512 * 1024 * 1024;
/** Share of the estimated max_connections at which the connections alarm fires by default. */
export const DEFAULT_DB_CONNECTIONS_ALARM_SHARE = 0.8;
/** Aurora PostgreSQL's default max_connections: LEAST(DBInstanceClassMemory / 9531392, 5000). */
const BYTES_PER_DEFAULT_CONNECTION = 9531392;
const MAX_DEFAULT_CONNECTIONS = 5000;
const GIBIBYTE = 1024 ** 3;
/** Memory per instance size in GiB, by class family, for the classes Aurora PostgreSQL offers. */
const MEMORY_GIB_BY_FAMILY: Record<string, Record<string, number>> = {
  burstable: { medium: 4, large: 8 },
  memory: { large: 16, xlarge: 32, "2xlarge": 64, "4xlarge": 128, "8xlarge": 256, "12xlarge": 384, "16xlarge": 512, "24xlarge": 768 },
  x2g: { large: 32, xlarge: 64, "2xlarge": 128, "4xlarge": 256, "8xlarge": 512, "12xlarge": 768, "16xlarge": 1024 },
};

/**
 * Estimates Aurora PostgreSQL's default max_connections for an instance class, or returns undefined
 * for a class this table does not know. An estimate: RDS's DBInstanceClassMemory is a little below
 * the class's nominal memory, so the real value is slightly lower.
 */
export function estimatedMaxConnections(instanceClass: string): number | undefined {
  const [, family, size] = instanceClass.split(".");
  const group = /^t\d/.test(family) ? "burstable" : /^r\d/.test(family) ? "memory" : family;
  const memoryGib = MEMORY_GIB_BY_FAMILY[group]?.[size];
  if (memoryGib === undefined) {
    return undefined;
  }
  return Math.min(Math.floor((memoryGib * GIBIBYTE) / BYTES_PER_DEFAULT_CONNECTION), MAX_DEFAULT_CONNECTIONS);
}

/** Returns the default connections alarm threshold for a class, or undefined when the class is unknown. */
export function defaultConnectionsAlarmCount(instanceClass: string): number | undefined {
  const maxConnections = estimatedMaxConnections(instanceClass);
  return maxConnections === undefined ? undefined : Math.floor(maxConnections * DEFAULT_DB_CONNECTIONS_ALARM_SHARE);
}

/** Share of the database's max_connections the proxy may open, in percent. */
export const DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT = 90;
/** Share of the database's max_connections the proxy keeps idle, in percent. */
export const DEFAULT_PROXY_MAX_IDLE_CONNECTIONS_PERCENT = 50;
/** Seconds a client connection may stay idle before the proxy closes it (RDS allows 1 to 28800). */
export const DEFAULT_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS = 1800;
export const MAX_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS = 28800;
/**
 * Seconds a client waits for a pooled connection before the proxy gives up (RDS allows 0 to 3600).
 * It stays well below the function timeout, so a saturated pool fails the request, not the function.
 */
export const DEFAULT_PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS = 10;
export const MAX_PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS = 3600;
/** Starting point: client connections to the proxy at or above this raise the alarm. */
export const DEFAULT_PROXY_CLIENT_CONNECTIONS_ALARM_COUNT = 500;
/** Starting point: pinned sessions defeat pooling; this many at once raises the alarm. */
export const DEFAULT_PROXY_PINNED_SESSIONS_ALARM_COUNT = 10;

// Provisioned classes only: db.serverless would also need a Serverless v2 scaling configuration,
// which the cluster does not set.
const INSTANCE_CLASS = /^db\.[a-z][a-z0-9-]*\.(micro|small|medium|large|xlarge|\d{1,2}xlarge)$/;

function percent(defaultValue: number, minimum = 1) {
  return z
    .number()
    .int({ message: "must be a whole number" })
    .min(minimum, { message: `must be from ${minimum} to 100 (percent)` })
    .max(100, { message: `must be from ${minimum} to 100 (percent)` })
    .default(defaultValue);
}

/** Fields of the data tier: the Aurora cluster, its instances, the RDS Proxy and their alarms. */
export const databaseFields = {
  /** Aurora PostgreSQL major version; minor versions follow AWS's automatic upgrades. */
  dbEngineMajorVersion: z
    .enum(DB_ENGINE_MAJOR_VERSIONS, { message: `must be one of ${DB_ENGINE_MAJOR_VERSIONS.join(", ")} (a string)` })
    .default(DEFAULT_DB_ENGINE_MAJOR_VERSION),
  /** Number of instances: the first is the writer, the rest are readers. */
  dbInstanceCount: z
    .number()
    .int({ message: "must be a whole number" })
    .min(1, { message: `must be from 1 to ${MAX_DB_INSTANCE_COUNT}` })
    .max(MAX_DB_INSTANCE_COUNT, { message: `must be from 1 to ${MAX_DB_INSTANCE_COUNT}` })
    .default(DEFAULT_DB_INSTANCE_COUNT),
  /** Instance class for every instance, such as db.r7g.large or db.t4g.medium. */
  dbInstanceClass: z
    .string()
    .regex(INSTANCE_CLASS, {
      message: "must be a provisioned RDS instance class such as db.r7g.large or db.t4g.medium (db.serverless is not supported)",
    })
    .default(DEFAULT_DB_INSTANCE_CLASS),
  /** Days of automated backups (point-in-time recovery). */
  dbBackupRetentionDays: z
    .number()
    .int({ message: "must be a whole number of days" })
    .min(MIN_DB_BACKUP_RETENTION_DAYS, {
      message: `must be from ${MIN_DB_BACKUP_RETENTION_DAYS} to ${MAX_DB_BACKUP_RETENTION_DAYS} days`,
    })
    .max(MAX_DB_BACKUP_RETENTION_DAYS, {
      message: `must be from ${MIN_DB_BACKUP_RETENTION_DAYS} to ${MAX_DB_BACKUP_RETENTION_DAYS} days`,
    })
    .default(DEFAULT_DB_BACKUP_RETENTION_DAYS),
  /** Blocks deletion of the cluster until turned off. Default true. */
  dbDeletionProtection: z.boolean().default(true),
  /** Deletes the cluster without a final snapshot on destroy. Default false (a snapshot is kept). */
  dbSkipFinalSnapshot: z.boolean().default(false),
  /** Enhanced monitoring interval in seconds. */
  dbMonitoringIntervalSeconds: z
    .union(DB_MONITORING_INTERVALS_SECONDS.map((seconds) => z.literal(seconds)), {
      message: `must be one of ${DB_MONITORING_INTERVALS_SECONDS.join(", ")} (seconds)`,
    })
    .default(DEFAULT_DB_MONITORING_INTERVAL_SECONDS),
  dbCpuAlarmPercent: percent(DEFAULT_DB_CPU_ALARM_PERCENT),
  dbFreeableMemoryAlarmBytes: z
    .number()
    .int({ message: "must be a whole number of bytes" })
    .positive({ message: "must be a positive number of bytes" })
    .default(DEFAULT_DB_FREEABLE_MEMORY_ALARM_BYTES),
  /** Connections per instance that raise the alarm. When omitted: 80 % of the class's estimated max_connections. */
  dbConnectionsAlarmCount: z
    .number()
    .int({ message: "must be a whole number" })
    .positive({ message: "must be a positive number of connections" })
    .optional(),

  /**
   * Database user the function connects as, created by hand with least privilege. When omitted, the
   * function connects as dbUser, the master user.
   */
  functionDbUser: z
    .string()
    .superRefine((value, ctx) => {
      const problem = roleNameProblem(value);
      if (problem) {
        ctx.addIssue({ code: "custom", message: problem });
      }
    })
    .optional(),
  /** Secret with functionDbUser's password, which the proxy uses to sign in to the cluster. */
  functionDbUserSecretArn: z
    .string()
    .regex(SECRET_ARN, {
      message: "must be a Secrets Manager secret ARN such as arn:aws:secretsmanager:<region>:<account>:secret:<name>",
    })
    .optional(),

  proxyMaxConnectionsPercent: percent(DEFAULT_PROXY_MAX_CONNECTIONS_PERCENT),
  proxyMaxIdleConnectionsPercent: percent(DEFAULT_PROXY_MAX_IDLE_CONNECTIONS_PERCENT, 0),
  proxyIdleClientTimeoutSeconds: z
    .number()
    .int({ message: "must be a whole number of seconds" })
    .min(1, { message: `must be from 1 to ${MAX_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS} seconds` })
    .max(MAX_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS, {
      message: `must be from 1 to ${MAX_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS} seconds`,
    })
    .default(DEFAULT_PROXY_IDLE_CLIENT_TIMEOUT_SECONDS),
  proxyConnectionBorrowTimeoutSeconds: z
    .number()
    .int({ message: "must be a whole number of seconds" })
    .min(0, { message: `must be from 0 to ${MAX_PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS} seconds` })
    .max(MAX_PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS, {
      message: `must be from 0 to ${MAX_PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS} seconds`,
    })
    .default(DEFAULT_PROXY_CONNECTION_BORROW_TIMEOUT_SECONDS),
  proxyClientConnectionsAlarmCount: z
    .number()
    .int({ message: "must be a whole number" })
    .positive({ message: "must be a positive number of connections" })
    .default(DEFAULT_PROXY_CLIENT_CONNECTIONS_ALARM_COUNT),
  proxyPinnedSessionsAlarmCount: z
    .number()
    .int({ message: "must be a whole number" })
    .positive({ message: "must be a positive number of sessions" })
    .default(DEFAULT_PROXY_PINNED_SESSIONS_ALARM_COUNT),
};

/** Problems that involve two data-tier fields at once. */
export function databaseCrossFieldProblems(config: {
  proxyMaxConnectionsPercent?: number;
  proxyMaxIdleConnectionsPercent?: number;
  dbUser?: string;
  functionDbUser?: string;
  functionDbUserSecretArn?: string;
  account?: string;
  region?: string;
}): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const { proxyMaxConnectionsPercent, proxyMaxIdleConnectionsPercent } = config;
  if (
    proxyMaxConnectionsPercent !== undefined &&
    proxyMaxIdleConnectionsPercent !== undefined &&
    proxyMaxIdleConnectionsPercent > proxyMaxConnectionsPercent
  ) {
    problems.push({
      field: "proxyMaxIdleConnectionsPercent",
      message: `must not exceed proxyMaxConnectionsPercent (${proxyMaxConnectionsPercent})`,
    });
  }

  if (config.functionDbUser !== undefined && config.functionDbUserSecretArn === undefined) {
    problems.push({
      field: "functionDbUserSecretArn",
      message: "missing: the proxy needs the secret of functionDbUser to sign in to the cluster as that user",
    });
  }
  if (config.functionDbUserSecretArn !== undefined && config.functionDbUser === undefined) {
    problems.push({ field: "functionDbUser", message: "missing: name the user whose password functionDbUserSecretArn contains" });
  }
  if (config.functionDbUser !== undefined && config.functionDbUser === config.dbUser) {
    problems.push({
      field: "functionDbUser",
      message: "must differ from dbUser; omit functionDbUser and functionDbUserSecretArn to connect as the master user",
    });
  }
  const arnParts = config.functionDbUserSecretArn ? SECRET_ARN.exec(config.functionDbUserSecretArn) : null;
  if (arnParts && config.region !== undefined && config.account !== undefined) {
    const [, secretRegion, secretAccount] = arnParts;
    if (secretRegion !== config.region || secretAccount !== config.account) {
      problems.push({
        field: "functionDbUserSecretArn",
        message: `must be a secret in the environment's account ${config.account} and region ${config.region}`,
      });
    }
  }
  return problems;
}
