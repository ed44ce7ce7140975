/** One statement of an IAM policy, in the JSON shape AWS reads. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: "*" | { readonly Service?: string | string[]; readonly AWS?: string | string[] };
  readonly Action: string | string[];
  /** Omitted only in trust policies, where the role itself is the resource. */
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/**
 * Renders statements as a policy document JSON string. Token strings (ARNs of other resources) are
 * kept as they are, and cdktf turns them into Terraform references at synth.
 */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Renders the trust policy that lets one AWS service assume a role. */
export function assumeRolePolicy(service: string, sourceAccount?: string): string {
  return policyDocument([
    {
      Sid: "AllowServiceToAssumeRole",
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      ...(sourceAccount ? { Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } } } : {}),
    },
  ]);
}

/** Builds the statement that denies every request to a bucket that does not use TLS. */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}
