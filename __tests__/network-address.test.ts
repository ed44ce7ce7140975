import { carveSubnets, parseIpv4Network } from "../stacks/environment/network-address";

describe("parseIpv4Network", () => {
  it("parses a /16 network", () => {
    expect(parseIpv4Network("10.100.0.0/16")).toEqual({ address: 10 * 2 ** 24 + 100 * 2 ** 16, prefixLength: 16 });
  });

  it.each(["10.100.0.0", "10.100.0/16", "10.100.0.0/33", "010.1.0.0/16", "10.1.0.1/16", "a.b.c.d/16"])(
    "rejects %s",
    (text) => {
      expect(parseIpv4Network(text)).toBeUndefined();
    },
  );
});

describe("carveSubnets", () => {
  it("carves consecutive /22 subnets from the start of the network", () => {
    expect(carveSubnets("10.100.0.0/16", 22, 4)).toEqual([
      "10.100.0.0/22",
      "10.100.4.0/22",
      "10.100.8.0/22",
      "10.100.12.0/22",
    ]);
  });

  it("fills a /20 exactly", () => {
    expect(carveSubnets("172.16.240.0/20", 22, 4)).toEqual([
      "172.16.240.0/22",
      "172.16.244.0/22",
      "172.16.248.0/22",
      "172.16.252.0/22",
    ]);
  });

  it("throws when the network is too small", () => {
    expect(() => carveSubnets("10.0.0.0/21", 22, 4)).toThrow("10.0.0.0/21 cannot hold 4 subnets of /22");
  });

  it("throws on a malformed network", () => {
    expect(() => carveSubnets("10.0.0.1/16", 22, 4)).toThrow('"10.0.0.1/16" is not an IPv4 network');
  });
});
