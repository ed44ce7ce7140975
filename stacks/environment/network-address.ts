/** An IPv4 network in CIDR notation, parsed into its parts. */
export interface Ipv4Network {
  /** The network address as an unsigned 32-bit integer. */
  readonly address: number;
  /** The prefix length, 0 to 32. */
  readonly prefixLength: number;
}

const OCTET = /^(0|[1-9]\d{0,2})$/;
const MAX_OCTET = 255;
const IPV4_BITS = 32;

/**
 * Parses `a.b.c.d/n`. Returns undefined when the text is not an IPv4 network: a malformed
 * address, a prefix outside 0..32, or host bits set (10.0.0.1/16 is an address, not a network).
 */
export function parseIpv4Network(text: string): Ipv4Network | undefined {
  const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!match) {
    return undefined;
  }
  const octets = match[1].split(".");
  if (octets.length !== 4 || !octets.every((octet) => OCTET.test(octet) && Number(octet) <= MAX_OCTET)) {
    return undefined;
  }
  const prefixLength = Number(match[2]);
  if (prefixLength > IPV4_BITS) {
    return undefined;
  }
  const address = octets.reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const blockSize = 2 ** (IPV4_BITS - prefixLength);
  if (address % blockSize !== 0) {
    return undefined;
  }
  return { address, prefixLength };
}

/** Formats a network back to CIDR notation. */
export function formatIpv4Network(network: Ipv4Network): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(network.address / 2 ** shift) % 256);
  return `${octets.join(".")}/${network.prefixLength}`;
}

/**
 * Splits a network into consecutive subnets of `prefixLength` and returns the first `count`.
 * Throws when the network cannot hold them; the schema checks that first.
 */
export function carveSubnets(networkCidr: string, prefixLength: number, count: number): string[] {
  const network = parseIpv4Network(networkCidr);
  if (!network) {
    throw new Error(`"${networkCidr}" is not an IPv4 network in CIDR notation`);
  }
  const available = 2 ** (prefixLength - network.prefixLength);
  if (prefixLength < network.prefixLength || available < count) {
    throw new Error(`${networkCidr} cannot hold ${count} subnets of /${prefixLength}`);
  }
  const blockSize = 2 ** (IPV4_BITS - prefixLength);
  return Array.from({ length: count }, (_, index) =>
    formatIpv4Network({ address: network.address + index * blockSize, prefixLength }),
  );
}
