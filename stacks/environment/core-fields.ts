import { z } from "zod";
import { parseIpv4Network } from "./network-address";
import { databaseNameProblem, masterUserProblem } from "./postgres-names";

/** Prefix of the subnets carved from the VPC CIDR: one function and one database subnet per zone. */
export const SUBNET_PREFIX_LENGTH = 22;
/** Number of availability zones the environment spans. */
export const AVAILABILITY_ZONE_COUNT = 2;
/** Subnets per zone (function, database). */
export const SUBNETS_PER_ZONE = 2;
/** Largest VPC prefix length that still fits every subnet: four /22 fit in one /20. */
export const MAX_VPC_PREFIX_LENGTH =
  SUBNET_PREFIX_LENGTH - Math.log2(AVAILABILITY_ZONE_COUNT * SUBNETS_PER_ZONE);
/** AWS's largest VPC (smallest prefix length). */
export const MIN_VPC_PREFIX_LENGTH = 16;

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
// Slack team (workspace) ids start with T, channel ids with C (public) or G (private).
const SLACK_WORKSPACE_ID = /^T[A-Z0-9]{8,11}$/;
const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{8,11}$/;
// S3 bucket naming rules for general purpose buckets, without dots (dots break TLS to the virtual-host name).
const STATE_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const ENV_NAME = /^[A-Za-z][A-Za-z0-9 _-]{0,31}$/;

/** Fields every environment has: identity, placement, network, notifications and database names. */
export const coreFields = {
  /** Human-readable name, used as the Environment tag. */
  envName: z.string().regex(ENV_NAME, {
    message: "must be 1 to 32 characters: letters, digits, spaces, '-' or '_', starting with a letter",
  }),
  /** The AWS account the environment deploys to; the provider refuses any other. */
  account: z.string().regex(ACCOUNT_ID, { message: "must be a 12-digit AWS account id, as a string" }),
  /** The AWS region, such as ap-northeast-1. */
  region: z.string().regex(REGION, { message: "must be an AWS region name such as ap-northeast-1" }),
  /**
   * Two availability zones in the region. When omitted, the zones with suffixes a and c are used,
   * which exist in most regions but not in every account: check yours.
   */
  availabilityZones: z.array(z.string()).optional(),
  /** The VPC's IPv4 CIDR: /16 to /20, so that four /22 subnets fit. */
  vpcCidr: z.string().superRefine((value, ctx) => {
    const network = parseIpv4Network(value);
    if (!network) {
      ctx.addIssue({
        code: "custom",
        message: "must be an IPv4 network in CIDR notation with no host bits set, such as 10.100.0.0/16",
      });
      return;
    }
    if (network.prefixLength < MIN_VPC_PREFIX_LENGTH || network.prefixLength > MAX_VPC_PREFIX_LENGTH) {
      ctx.addIssue({
        code: "custom",
        message:
          `must have a prefix from /${MIN_VPC_PREFIX_LENGTH} to /${MAX_VPC_PREFIX_LENGTH}: ` +
          `AWS allows /${MIN_VPC_PREFIX_LENGTH} at most, and ${AVAILABILITY_ZONE_COUNT * SUBNETS_PER_ZONE} ` +
          `/${SUBNET_PREFIX_LENGTH} subnets need /${MAX_VPC_PREFIX_LENGTH} or larger`,
      });
    }
  }),
  /** Address that receives alarm e-mails (the subscription must be confirmed from that mailbox). */
  monitoringNotifyEmail: z.email({ message: "must be an e-mail address such as ops@example.com" }),
  /** Slack workspace (team) id for AWS Chatbot, such as T8XXXXXXX. */
  slackWorkspaceId: z.string().regex(SLACK_WORKSPACE_ID, {
    message: "must be a Slack workspace id: T followed by 8 to 11 uppercase letters or digits",
  }),
  /** Slack channel id for AWS Chatbot, such as C01YYYYYYYY. */
  slackChannelId: z.string().regex(SLACK_CHANNEL_ID, {
    message: "must be a Slack channel id: C or G followed by 8 to 11 uppercase letters or digits",
  }),
  /**
   * S3 bucket that stores Terraform state for this environment. When omitted:
   * `rdsproxy-tfstate-<account>-<region>`.
   */
  stateBucket: z
    .string()
    .regex(STATE_BUCKET, {
      message: "must be a valid S3 bucket name: 3 to 63 lowercase letters, digits or hyphens, no dots",
    })
    .optional(),
  /** Master user of the Aurora cluster. */
  dbUser: z.string().superRefine((value, ctx) => {
    const problem = masterUserProblem(value);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
    }
  }),
  /** Initial database created in the cluster. */
  dbName: z.string().superRefine((value, ctx) => {
    const problem = databaseNameProblem(value);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
    }
  }),
};

/** Default zone suffixes when availabilityZones is omitted. */
export const DEFAULT_ZONE_SUFFIXES = ["a", "c"] as const;

/** Returns why the zones do not fit the region, or undefined when they do. */
export function availabilityZonesProblem(region: string, zones: readonly string[]): string | undefined {
  if (zones.length !== AVAILABILITY_ZONE_COUNT) {
    return `must list exactly ${AVAILABILITY_ZONE_COUNT} availability zones`;
  }
  const zonePattern = new RegExp(`^${region}[a-z]$`);
  const wrong = zones.filter((zone) => !zonePattern.test(zone));
  if (wrong.length > 0) {
    return `must be zones of region ${region} (such as ${region}a); not in that region: ${wrong.join(", ")}`;
  }
  if (new Set(zones).size !== zones.length) {
    return "must list distinct availability zones";
  }
  return undefined;
}
