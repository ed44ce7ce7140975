#!/usr/bin/env node
// Draws the architecture diagram from a synthesized stack, so a redrawn picture matches the code.
//
//   npm run synth                      # writes cdktf.out/stacks/rdsproxy-dev/cdk.tf.json
//   node scripts/diagram.mjs [STACK_JSON] [OUTPUT_DIR]
//
// Writes OUTPUT_DIR/architecture.dot (default docs/), then renders architecture.svg and
// architecture.png with Graphviz `dot` (Debian package graphviz) when it is installed.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const DEFAULT_STACK_JSON = "cdktf.out/stacks/rdsproxy-dev/cdk.tf.json";
const DEFAULT_OUTPUT_DIR = "docs";
const BASENAME = "architecture";

/**
 * Groups drawn as clusters, in reading order. A resource belongs to the group of its top-level construct,
 * which is the first part of its logical name. Resources outside the known constructs are matched by type.
 */
const GROUPS = [
  { id: "network", label: "Network", color: "#e8f0fe", constructs: /^Networking$/, types: /^aws_(vpc|subnet)/ },
  { id: "security", label: "Application key", color: "#fdf2e9", constructs: /^AppKey$/, types: /^aws_kms_/ },
  { id: "data", label: "Data tier: Aurora PostgreSQL and RDS Proxy", color: "#e9f7ef", constructs: /^Database/, types: /^aws_(rds_|db_)/ },
  { id: "function", label: "Function: image and Lambda", color: "#fef9e7", constructs: /^(App)?Function/, types: /^(aws_lambda_function|aws_ecr_|docker_)/ },
  { id: "api", label: "REST API", color: "#f4ecf7", constructs: /^RestApi$/, types: /^aws_api_gateway_/ },
  { id: "monitoring", label: "Monitoring", color: "#fdedec", constructs: /^(Monitoring|Dashboard)$/, types: /^aws_(cloudwatch_|sns_|chatbot_)/ },
];

/** Types left out because they only attach or restrict a resource that the diagram already shows. */
const SKIPPED_TYPES = new Set([
  "aws_route_table_association",
  "aws_iam_role_policy",
  "aws_iam_role_policy_attachment",
  "aws_kms_alias",
  "aws_s3_bucket_policy",
  "aws_s3_bucket_public_access_block",
  "aws_s3_bucket_server_side_encryption_configuration",
  "aws_s3_bucket_lifecycle_configuration",
  "aws_s3_bucket_versioning",
  "aws_s3_bucket_ownership_controls",
  "aws_sns_topic_policy",
  "aws_sns_topic_subscription",
  "aws_vpc_security_group_ingress_rule",
  "aws_vpc_security_group_egress_rule",
  "aws_ecr_lifecycle_policy",
  "aws_ecr_repository_policy",
]);

const REFERENCE = /\b((?:aws|docker)_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\b/g;

function fail(message) {
  console.error(`diagram: ${message}`);
  process.exit(1);
}

/** Reads every managed resource of the stack as { type, name, config }. */
function readResources(stackJson) {
  if (!fs.existsSync(stackJson)) {
    fail(`${stackJson} not found; run \`npm run synth\` first or pass the path of a synthesized cdk.tf.json`);
  }
  const stack = JSON.parse(fs.readFileSync(stackJson, "utf8"));
  const resources = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      resources.push({ type, name, config });
    }
  }
  if (resources.length === 0) {
    fail(`${stackJson} has no resources`);
  }
  return resources;
}

const OTHER_GROUP = { id: "other", label: "Other", color: "#ffffff" };

function groupOf(type, construct) {
  return (
    GROUPS.find((group) => group.constructs.test(construct)) ??
    GROUPS.find((group) => group.types.test(type)) ??
    OTHER_GROUP
  );
}

/**
 * Collapses the resources into nodes: one node per type within a construct (the first part of the
 * logical name), so four subnets or three alarms of one construct become one node with a count.
 */
function buildNodes(resources) {
  const nodes = new Map();
  const nodeOfResource = new Map();
  for (const resource of resources) {
    if (SKIPPED_TYPES.has(resource.type)) {
      continue;
    }
    const construct = resource.name.split("_")[0];
    const key = `${resource.type}:${construct}`;
    if (!nodes.has(key)) {
      nodes.set(key, { id: `n${nodes.size}`, type: resource.type, construct, count: 0, group: groupOf(resource.type, construct) });
    }
    nodes.get(key).count += 1;
    nodeOfResource.set(`${resource.type}.${resource.name}`, nodes.get(key));
  }
  return { nodes, nodeOfResource };
}

/** Finds the references between nodes: Terraform expressions and depends_on entries in each resource. */
function buildEdges(resources, nodeOfResource) {
  const edges = new Set();
  for (const resource of resources) {
    const from = nodeOfResource.get(`${resource.type}.${resource.name}`);
    if (!from) {
      continue;
    }
    for (const match of JSON.stringify(resource.config).matchAll(REFERENCE)) {
      const to = nodeOfResource.get(`${match[1]}.${match[2]}`);
      if (to && to !== from) {
        edges.add(`${from.id} -> ${to.id}`);
      }
    }
  }
  return [...edges].sort();
}

function label(node) {
  const service = node.type.replace(/^(aws|docker)_/, "").replaceAll("_", " ");
  const count = node.count > 1 ? ` ×${node.count}` : "";
  return `${service}${count}\\n(${node.construct})`;
}

function toDot(stackName, nodes, edges) {
  const lines = [
    `digraph "${stackName}" {`,
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, nodesep=0.25, ranksep=0.9,',
    `         label="${stackName}: generated by scripts/diagram.mjs from the synthesized stack"];`,
    '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10];',
    '  edge [color="#5d6d7e", arrowsize=0.6];',
  ];
  const groups = [...GROUPS, OTHER_GROUP];
  for (const group of groups) {
    const members = [...nodes.values()].filter((node) => node.group.id === group.id);
    if (members.length === 0) {
      continue;
    }
    lines.push(`  subgraph cluster_${group.id} {`);
    lines.push(`    label="${group.label}"; style="rounded,filled"; color="#aab7b8"; fillcolor="${group.color}";`);
    for (const node of members) {
      lines.push(`    ${node.id} [label="${label(node)}"];`);
    }
    lines.push("  }");
  }
  for (const edge of edges) {
    lines.push(`  ${edge};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function render(dotFile, format, outputFile) {
  execFileSync("dot", [`-T${format}`, dotFile, "-o", outputFile], { stdio: "inherit" });
}

function hasDot() {
  try {
    execFileSync("dot", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const stackJson = process.argv[2] ?? DEFAULT_STACK_JSON;
const outputDir = process.argv[3] ?? DEFAULT_OUTPUT_DIR;
const stackName = path.basename(path.dirname(stackJson));

const resources = readResources(stackJson);
const { nodes, nodeOfResource } = buildNodes(resources);
const edges = buildEdges(resources, nodeOfResource);

fs.mkdirSync(outputDir, { recursive: true });
const dotFile = path.join(outputDir, `${BASENAME}.dot`);
fs.writeFileSync(dotFile, toDot(stackName, nodes, edges));
console.log(`diagram: ${nodes.size} nodes and ${edges.length} edges from ${resources.length} resources in ${dotFile}`);

if (!hasDot()) {
  fail("Graphviz `dot` not found; install it (Debian: apt-get install graphviz) to render the SVG and PNG");
}
for (const format of ["svg", "png"]) {
  const outputFile = path.join(outputDir, `${BASENAME}.${format}`);
  render(dotFile, format, outputFile);
  console.log(`diagram: wrote ${outputFile}`);
}
