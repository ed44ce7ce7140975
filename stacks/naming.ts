/** Project tag value and the prefix of every physical name. */
export const PROJECT_NAME = "rdsproxy";

/** A service's naming rule for one kind of physical name. */
export interface NameRule {
  readonly service: string;
  readonly maxLength: number;
  readonly pattern: RegExp;
}

/** Naming rules of the services this project names resources in. */
export const NAME_RULES = {
  s3Bucket: { service: "S3 bucket", maxLength: 63, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/ },
  rdsIdentifier: { service: "RDS identifier", maxLength: 63, pattern: /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/ },
  rdsProxy: { service: "RDS Proxy name", maxLength: 60, pattern: /^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$/ },
  iamRole: { service: "IAM role name", maxLength: 64, pattern: /^[\w+=,.@-]+$/ },
  lambdaFunction: { service: "Lambda function name", maxLength: 64, pattern: /^[A-Za-z0-9_-]+$/ },
  ecrRepository: { service: "ECR repository name", maxLength: 256, pattern: /^[a-z0-9]+([._/-][a-z0-9]+)*$/ },
  generic: { service: "resource name", maxLength: 128, pattern: /^[A-Za-z0-9_-]+$/ },
} as const satisfies Record<string, NameRule>;

/**
 * Builds the physical name `rdsproxy-<environment>-<suffix>` and checks it against the service's rule.
 * Throws on a name the service would reject, which is a bug in the caller, not bad user input: the
 * environment key is already checked by the schema.
 */
export function physicalName(environmentKey: string, suffix: string, rule: NameRule = NAME_RULES.generic): string {
  const name = `${PROJECT_NAME}-${environmentKey}-${suffix}`;
  if (name.length > rule.maxLength || !rule.pattern.test(name)) {
    throw new Error(
      `"${name}" is not a valid ${rule.service} (at most ${rule.maxLength} characters matching ${rule.pattern})`,
    );
  }
  return name;
}

/** Stack name of an environment's application stack, such as `rdsproxy-dev`. */
export function applicationStackName(environmentKey: string): string {
  return `${PROJECT_NAME}-${environmentKey}`;
}

/** Stack name of an environment's state-bucket bootstrap stack, such as `rdsproxy-dev-state`. */
export function bootstrapStackName(environmentKey: string): string {
  return `${PROJECT_NAME}-${environmentKey}-state`;
}

/** S3 key of an environment's Terraform state. */
export function stateKey(environmentKey: string): string {
  return `${PROJECT_NAME}/${environmentKey}/terraform.tfstate`;
}
